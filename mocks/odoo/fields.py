"""The models the mock serves and their fields, as ``fields_get`` shows them.

Only stored fields are kept, plus ``display_name``.  The integration path can
put its event id into ``x_event_id`` (a custom char field, Odoo's ``x_``
convention) on ``stock.move``, ``stock.picking``, ``quality.check``,
``maintenance.request`` and ``mrp.workcenter.productivity``; ``stock.move``
also has Odoo's own ``origin``.  Both are searchable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mocks.odoo.units import DIGITS

RELATIONAL = ("many2one", "one2many", "many2many")
NUMERIC = ("integer", "float")


@dataclass(frozen=True)
class Field:
    type: str
    string: str
    relation: str = ""
    inverse: str = ""
    required: bool = False
    readonly: bool = False
    selection: tuple[tuple[str, str], ...] = ()
    default: Any = None
    digits: int | None = None
    translate: bool = False

    def describe(self, name: str) -> dict[str, Any]:
        """This field as ``fields_get`` returns it."""
        info: dict[str, Any] = {
            "type": self.type,
            "string": self.string,
            "required": self.required,
            "readonly": self.readonly,
            "store": name != "display_name",
            "searchable": True,
            "sortable": self.type not in ("one2many", "many2many"),
        }
        if self.relation:
            info["relation"] = self.relation
        if self.inverse:
            info["relation_field"] = self.inverse
        if self.selection:
            info["selection"] = [list(pair) for pair in self.selection]
        if self.digits is not None:
            info["digits"] = [16, self.digits]
        if self.translate:
            info["translate"] = True
        return info


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    fields: dict[str, Field]
    order: str = "id"
    rec_name: str = "name"
    company_field: str = field(default="company_id")
    company_default: bool = True
    """Whether a new record falls in the user's current company; a product
    without one is shared between companies."""

    @property
    def has_company(self) -> bool:
        return self.company_field in self.fields


def _sel(*values: str) -> tuple[tuple[str, str], ...]:
    return tuple((value, value.replace("_", " ").title()) for value in values)


def char(string: str, required: bool = False, default: Any = None) -> Field:
    return Field("char", string, required=required, default=default)


def name(string: str) -> Field:
    """A required, translated name (Odoo keeps one value per language)."""
    return Field("char", string, required=True, translate=True)


def text(string: str) -> Field:
    return Field("text", string)


def num(string: str, default: float = 0.0) -> Field:
    return Field("float", string, default=default)


def qty(string: str, default: float = 0.0) -> Field:
    """A quantity with the precision "Product Unit of Measure"."""
    return Field("float", string, default=default, digits=DIGITS)


def integer(string: str, default: int = 0) -> Field:
    return Field("integer", string, default=default)


def boolean(string: str, default: bool = False) -> Field:
    return Field("boolean", string, default=default)


def dt(string: str) -> Field:
    return Field("datetime", string)


def date(string: str) -> Field:
    return Field("date", string)


def sel(string: str, values: tuple[tuple[str, str], ...], default: str = "") -> Field:
    return Field("selection", string, selection=values, default=default or None)


def m2o(relation: str, string: str, required: bool = False) -> Field:
    return Field("many2one", string, relation=relation, required=required)


def o2m(relation: str, inverse: str, string: str) -> Field:
    return Field("one2many", string, relation=relation, inverse=inverse)


def m2m(relation: str, string: str) -> Field:
    return Field("many2many", string, relation=relation)


def _company() -> Field:
    return m2o("res.company", "Company")


MOVE_STATES = _sel("draft", "waiting", "confirmed", "partially_available",
                   "assigned", "done", "cancel")
PICKING_STATES = _sel("draft", "waiting", "confirmed", "assigned", "done", "cancel")
PRODUCTION_STATES = _sel("draft", "confirmed", "progress", "to_close", "done",
                         "cancel")
WORKORDER_STATES = _sel("blocked", "ready", "progress", "done", "cancel")
LOSS_TYPES = _sel("availability", "performance", "quality", "productive")

_SPECS: list[ModelSpec] = [
    ModelSpec("res.company", "Companies", {
        "name": char("Company Name", required=True),
        "x_plant_code": char("Plant"),
    }),
    ModelSpec("res.users", "User", {
        "name": char("Name", required=True),
        "login": char("Login", required=True),
        "company_id": _company(),
        "company_ids": m2m("res.company", "Companies"),
        "tz": char("Timezone"),
        "lang": char("Language", default="en_US"),
    }, company_field=""),
    ModelSpec("ir.model", "Models", {
        "model": char("Model", required=True),
        "name": char("Model Description"),
    }, rec_name="model"),
    ModelSpec("uom.category", "Product UoM Categories", {"name": name("Name")}),
    ModelSpec("uom.uom", "Product Unit of Measure", {
        "name": name("Unit of Measure"),
        "category_id": m2o("uom.category", "Category", required=True),
        "factor": num("Ratio", 1.0),
        "rounding": num("Rounding Precision", 0.01),
        "uom_type": sel("Type", _sel("bigger", "reference", "smaller"), "reference"),
        "active": boolean("Active", True),
    }),
    ModelSpec("product.product", "Product", {
        "name": name("Name"),
        "default_code": char("Internal Reference"),
        "type": sel("Product Type", _sel("consu", "service", "product"), "product"),
        "tracking": sel("Tracking", _sel("serial", "lot", "none"), "none"),
        "uom_id": m2o("uom.uom", "Unit of Measure"),
        "active": boolean("Active", True),
        "company_id": _company(),
    }, order="default_code, name, id", company_default=False),
    ModelSpec("stock.location", "Inventory Locations", {
        "name": char("Location Name", required=True),
        "complete_name": char("Full Location Name"),
        "location_id": m2o("stock.location", "Parent Location"),
        "usage": sel("Location Type", _sel("supplier", "view", "internal", "customer",
                                           "inventory", "production", "transit"),
                     "internal"),
        "scrap_location": boolean("Is a Scrap Location?"),
        "active": boolean("Active", True),
        "company_id": _company(),
    }, order="complete_name, id", rec_name="complete_name"),
    ModelSpec("stock.lot", "Lot/Serial", {
        "name": char("Lot/Serial Number", required=True),
        "product_id": m2o("product.product", "Product", required=True),
        "ref": char("Internal Reference"),
        "company_id": _company(),
    }, order="name, id"),
    ModelSpec("stock.quant", "Quants", {
        "product_id": m2o("product.product", "Product", required=True),
        "location_id": m2o("stock.location", "Location", required=True),
        "lot_id": m2o("stock.lot", "Lot/Serial Number"),
        "quantity": qty("Quantity"),
        "reserved_quantity": qty("Reserved Quantity"),
        "inventory_quantity": qty("Counted Quantity"),
        "company_id": _company(),
    }, rec_name="product_id"),
    ModelSpec("stock.picking.type", "Picking Type", {
        "name": name("Operation Type"),
        "code": sel("Type of Operation", _sel("incoming", "outgoing", "internal",
                                              "mrp_operation"), "internal"),
        "sequence_code": char("Sequence Prefix"),
        "reservation_method": sel("Reservation Method", _sel("at_confirm", "manual",
                                                             "by_date"),
                                  "at_confirm"),
        "default_location_src_id": m2o("stock.location", "Default Source Location"),
        "default_location_dest_id": m2o("stock.location",
                                        "Default Destination Location"),
        "company_id": _company(),
    }),
    ModelSpec("stock.picking", "Transfer", {
        "name": char("Reference", default="/"),
        "origin": char("Source Document"),
        "picking_type_id": m2o("stock.picking.type", "Operation Type", True),
        "location_id": m2o("stock.location", "Source Location"),
        "location_dest_id": m2o("stock.location", "Destination Location"),
        "state": sel("Status", PICKING_STATES, "draft"),
        "move_ids": o2m("stock.move", "picking_id", "Stock Moves"),
        "move_line_ids": o2m("stock.move.line", "picking_id", "Operations"),
        "scheduled_date": dt("Scheduled Date"),
        "date_done": dt("Date of Transfer"),
        "x_event_id": char("Event ID"),
        "company_id": _company(),
    }, order="id desc"),
    ModelSpec("stock.move", "Stock Move", {
        "name": char("Description", required=True),
        "reference": char("Reference"),
        "origin": char("Source Document"),
        "x_event_id": char("Event ID"),
        "product_id": m2o("product.product", "Product", required=True),
        "product_uom_qty": qty("Demand"),
        "quantity": qty("Quantity"),
        "picked": boolean("Picked"),
        "product_uom": m2o("uom.uom", "UoM"),
        "location_id": m2o("stock.location", "Source Location", required=True),
        "location_dest_id": m2o("stock.location", "Destination Location", True),
        "state": sel("Status", MOVE_STATES, "draft"),
        "picking_id": m2o("stock.picking", "Transfer"),
        "production_id": m2o("mrp.production", "Production Order for finished"),
        "raw_material_production_id": m2o("mrp.production",
                                          "Production Order for components"),
        "lot_ids": m2m("stock.lot", "Serial Numbers"),
        "move_line_ids": o2m("stock.move.line", "move_id", "Move Lines"),
        "date": dt("Date Scheduled"),
        "company_id": _company(),
    }, order="id"),
    ModelSpec("stock.move.line", "Product Moves (Stock Move Line)", {
        "move_id": m2o("stock.move", "Stock Operation"),
        "picking_id": m2o("stock.picking", "Transfer"),
        "product_id": m2o("product.product", "Product"),
        "product_uom_id": m2o("uom.uom", "Unit of Measure"),
        "lot_id": m2o("stock.lot", "Lot/Serial Number"),
        "lot_name": char("Lot/Serial Number Name"),
        "quantity": qty("Quantity"),
        "reserved_quantity": qty("Reserved (in product unit)"),
        "location_id": m2o("stock.location", "From"),
        "location_dest_id": m2o("stock.location", "To"),
        "state": sel("Status", MOVE_STATES, "draft"),
        "date": dt("Date"),
        "company_id": _company(),
    }, rec_name="product_id"),
    ModelSpec("mrp.workcenter", "Work Center", {
        "name": char("Work Center", required=True),
        "code": char("Code"),
        "working_state": sel("Workcenter Status", _sel("normal", "blocked", "done"),
                             "normal"),
        "company_id": _company(),
    }),
    ModelSpec("mrp.production", "Manufacturing Order", {
        "name": char("Reference", default="New"),
        "origin": char("Source"),
        "product_id": m2o("product.product", "Product", required=True),
        "product_qty": qty("Quantity To Produce", 1.0),
        "product_uom_id": m2o("uom.uom", "Product Unit of Measure"),
        "qty_producing": qty("Quantity Producing"),
        "qty_produced": qty("Quantity Produced"),
        "lot_producing_id": m2o("stock.lot", "Lot/Serial Number"),
        "state": sel("State", PRODUCTION_STATES, "draft"),
        "location_src_id": m2o("stock.location", "Components Location"),
        "location_dest_id": m2o("stock.location", "Finished Products Location"),
        "workorder_ids": o2m("mrp.workorder", "production_id", "Work Orders"),
        "move_raw_ids": o2m("stock.move", "raw_material_production_id",
                            "Components"),
        "move_finished_ids": o2m("stock.move", "production_id", "Finished Products"),
        "date_start": dt("Start"),
        "date_finished": dt("End"),
        "company_id": _company(),
    }, order="id desc"),
    ModelSpec("mrp.workorder", "Work Order", {
        "name": char("Work Order", required=True),
        "sequence": integer("Sequence", 100),
        "production_id": m2o("mrp.production", "Manufacturing Order", True),
        "workcenter_id": m2o("mrp.workcenter", "Work Center", required=True),
        "product_id": m2o("product.product", "Product"),
        "qty_production": qty("Original Production Quantity"),
        "qty_producing": qty("Currently Produced Quantity"),
        "qty_produced": qty("Quantity"),
        "state": sel("Status", WORKORDER_STATES, "ready"),
        "date_start": dt("Start"),
        "date_finished": dt("End"),
        "duration": num("Real Duration"),
        "company_id": _company(),
    }, order="sequence, id"),
    ModelSpec("mrp.workcenter.productivity.loss", "Workcenter Productivity Losses", {
        "name": name("Blocking Reason"),
        "loss_type": sel("Effectiveness Category", LOSS_TYPES, "availability"),
        "manual": boolean("Is a Blocking Reason", True),
    }, company_field=""),
    ModelSpec("mrp.workcenter.productivity", "Workcenter Productivity Log", {
        "workcenter_id": m2o("mrp.workcenter", "Work Center", required=True),
        "workorder_id": m2o("mrp.workorder", "Work Order"),
        "production_id": m2o("mrp.production", "Manufacturing Order"),
        "loss_id": m2o("mrp.workcenter.productivity.loss", "Loss Reason", True),
        "loss_type": sel("Effectiveness", LOSS_TYPES),
        "description": text("Description"),
        "date_start": dt("Start Date"),
        "date_end": dt("End Date"),
        "duration": num("Duration"),
        "x_event_id": char("Event ID"),
        "company_id": _company(),
    }, order="id desc", rec_name="loss_type"),
    ModelSpec("quality.check", "Quality Check", {
        "name": char("Reference", default="/"),
        "product_id": m2o("product.product", "Product"),
        "lot_id": m2o("stock.lot", "Lot/Serial"),
        "production_id": m2o("mrp.production", "Production Order"),
        "workorder_id": m2o("mrp.workorder", "Operation"),
        "quality_state": sel("Status", _sel("none", "pass", "fail"), "none"),
        "control_date": dt("Control Date"),
        "note": text("Note"),
        "x_event_id": char("Event ID"),
        "company_id": _company(),
    }, order="id desc"),
    ModelSpec("maintenance.team", "Maintenance Teams", {
        "name": char("Team Name", required=True), "company_id": _company(),
    }),
    ModelSpec("maintenance.stage", "Maintenance Stage", {
        "name": name("Name"),
        "sequence": integer("Sequence", 20),
        "done": boolean("Request Done"),
    }, order="sequence, id", company_field=""),
    ModelSpec("maintenance.equipment", "Maintenance Equipment", {
        "name": char("Equipment Name", required=True),
        "serial_no": char("Serial Number"),
        "workcenter_id": m2o("mrp.workcenter", "Work Center"),
        "maintenance_team_id": m2o("maintenance.team", "Maintenance Team"),
        "company_id": _company(),
    }),
    ModelSpec("maintenance.request", "Maintenance Request", {
        "name": char("Subjects", required=True),
        "description": text("Description"),
        "equipment_id": m2o("maintenance.equipment", "Equipment"),
        "stage_id": m2o("maintenance.stage", "Stage"),
        "maintenance_team_id": m2o("maintenance.team", "Team"),
        "maintenance_type": sel("Maintenance Type", _sel("corrective", "preventive"),
                                "corrective"),
        "priority": sel("Priority", _sel("0", "1", "2", "3"), "0"),
        "request_date": date("Request Date"),
        "schedule_date": dt("Scheduled Date"),
        "close_date": date("Close Date"),
        "x_event_id": char("Event ID"),
        "company_id": _company(),
    }, order="id desc"),
]

_COMMON = {
    "display_name": char("Display Name"),
    "create_date": dt("Created on"),
    "write_date": dt("Last Updated on"),
    "create_uid": m2o("res.users", "Created by"),
    "write_uid": m2o("res.users", "Last Updated by"),
}

MODELS: dict[str, ModelSpec] = {
    spec.name: ModelSpec(
        spec.name, spec.description, {**spec.fields, **_COMMON}, spec.order,
        spec.rec_name, spec.company_field or "-", spec.company_default,
    )
    for spec in _SPECS
}
"""Every model by its technical name."""

# Fields the mock fills itself; clients cannot write them.
READONLY: dict[str, set[str]] = {
    "stock.quant": {"quantity", "reserved_quantity"},
    "mrp.workcenter.productivity": {"loss_type", "duration"},
}
AUTOMATIC = {"display_name", "create_date", "write_date", "create_uid", "write_uid"}
