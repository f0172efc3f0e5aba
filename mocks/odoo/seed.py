"""Load ``contracts.MasterData`` into the mock's database.

Plant codes become Odoo names: a plant is a ``res.company``
(``Plant.odoo_company``), a unit a ``uom.uom`` (``Unit.odoo``), a material a
``product.product`` whose ``default_code`` is ``Material.odoo_product``, a
storage location a ``stock.location`` whose ``complete_name`` is
``StorageLocation.odoo``, a work center a ``mrp.workcenter`` named
``WorkCenter.odoo``.  Released orders become confirmed ``mrp.production``
records named (and with ``origin``) by the SAP order number; opening stock
becomes quants.

Units: a material's base unit is the reference of its category; a unit that
only appears in a material's conversions joins the base unit's category with
Odoo's ``factor`` (how many of it make one reference unit).  Odoo's units are
global, so the first material that names a conversion unit sets its factor.

Company 1 (``YourCompany``) is Odoo's main company; plants get the next ids.
"""

from __future__ import annotations

from decimal import Decimal

from contracts import MasterData
from mocks.odoo import stock
from mocks.odoo.fields import MODELS
from mocks.odoo.orm import Database, Env

LOSSES = (
    ("Material Availability", "availability"), ("Equipment Failure", "availability"),
    ("Setup and Adjustments", "availability"), ("Reduced Speed", "performance"),
    ("Process Defect", "quality"), ("Reduced Yield", "quality"),
    ("Productive", "productive"), ("Performance", "performance"),
)
STAGES = (("New Request", 1, False), ("In Progress", 2, False),
          ("Repaired", 3, True), ("Scrap", 4, True))


class Seeded:
    """The ids the seed gave to master-data codes (for ``/_mock/state``)."""

    def __init__(self) -> None:
        self.companies: dict[str, int] = {}
        self.products: dict[str, int] = {}
        self.uoms: dict[str, int] = {}
        self.locations: dict[tuple[str, str], int] = {}
        self.workcenters: dict[tuple[str, str], int] = {}


def seed(db: Database, master: MasterData | None) -> Seeded:
    ids = Seeded()
    for name in MODELS:
        db.insert("ir.model", {"model": name, "name": MODELS[name].description})
    main = db.insert("res.company", {"name": "YourCompany"})
    for name, loss_type in LOSSES:
        db.insert("mrp.workcenter.productivity.loss",
                  {"name": name, "loss_type": loss_type})
    for name, sequence, done in STAGES:
        db.insert("maintenance.stage", {"name": name, "sequence": sequence,
                                        "done": done})
    _company_locations(db, main, "YourCompany")
    if master is not None:
        _load(db, master, ids)
    return ids


def _company_locations(db: Database, company: int, name: str) -> dict[str, int]:
    view = db.insert("stock.location", {"name": "WH", "complete_name": "WH",
                                        "usage": "view", "company_id": company})
    stock_id = db.insert("stock.location", {
        "name": "Stock", "complete_name": "WH/Stock", "location_id": view,
        "company_id": company})
    virtual = {}
    for usage, label, scrap in (("production", "Production", False),
                                ("inventory", "Inventory adjustment", False),
                                ("inventory", "Scrap", True)):
        virtual[label] = db.insert("stock.location", {
            "name": label, "complete_name": f"Virtual Locations/{label}",
            "usage": usage, "scrap_location": scrap, "company_id": company})
    db.insert("stock.picking.type", {
        "name": "Internal Transfers", "code": "internal", "sequence_code": "INT",
        "default_location_src_id": stock_id, "default_location_dest_id": stock_id,
        "company_id": company})
    db.insert("maintenance.team", {"name": f"{name} maintenance",
                                   "company_id": company})
    return {"WH": view, "WH/Stock": stock_id, **virtual}


def _load(db: Database, master: MasterData, ids: Seeded) -> None:
    for plant in master.plants:
        company = db.insert("res.company", {"name": plant.odoo_company,
                                            "x_plant_code": plant.code})
        ids.companies[plant.code] = company
        _company_locations(db, company, plant.odoo_company)
    _units(db, master, ids)
    for material in master.materials:
        ids.products[material.code] = db.insert("product.product", {
            "name": material.description or material.code,
            "default_code": material.odoo_product, "tracking": material.tracking,
            "uom_id": ids.uoms[material.base_unit], "company_id": False})
    for location in master.storage_locations:
        company = ids.companies[location.plant]
        parent = db.find("stock.location", complete_name="WH/Stock",
                         company_id=company)[0]["id"]
        ids.locations[(location.plant, location.code)] = db.insert("stock.location", {
            "name": location.odoo.rsplit("/", 1)[-1], "complete_name": location.odoo,
            "location_id": parent, "usage": "internal", "company_id": company})
    for center in master.work_centers:
        company = ids.companies[center.plant]
        team = db.find("maintenance.team", company_id=company)[0]["id"]
        workcenter = db.insert("mrp.workcenter", {
            "name": center.odoo, "code": center.code, "company_id": company})
        ids.workcenters[(center.plant, center.code)] = workcenter
        for equipment in center.equipment:
            db.insert("maintenance.equipment", {
                "name": equipment, "serial_no": equipment, "workcenter_id": workcenter,
                "maintenance_team_id": team, "company_id": company})
    _opening_stock(db, master, ids)
    _orders(db, master, ids)


def _units(db: Database, master: MasterData, ids: Seeded) -> None:
    names = {"PC": "Unit", "KG": "Weight", "G": "Weight", "L": "Volume"}
    factors: dict[str, tuple[str, Decimal]] = {}
    bases = {material.base_unit for material in master.materials}
    for material in master.materials:
        for conversion in material.conversions:
            if conversion.unit not in bases and conversion.unit not in factors:
                factors[conversion.unit] = (material.base_unit, conversion.factor)
    categories: dict[str, int] = {}
    for unit in master.units:
        if unit.code in factors:
            continue
        categories[unit.code] = db.insert("uom.category", {
            "name": f"{names.get(unit.code, unit.odoo)} ({unit.odoo})"})
        ids.uoms[unit.code] = db.insert("uom.uom", {
            "name": unit.odoo, "category_id": categories[unit.code], "factor": 1.0,
            "rounding": float(unit.rounding), "uom_type": "reference"})
    for unit in master.units:
        if unit.code not in factors:
            continue
        base, factor = factors[unit.code]
        ids.uoms[unit.code] = db.insert("uom.uom", {
            "name": unit.odoo, "category_id": categories[base],
            "factor": float(Decimal(1) / factor), "rounding": float(unit.rounding),
            "uom_type": "bigger" if factor > 1 else "smaller"})


def _opening_stock(db: Database, master: MasterData, ids: Seeded) -> None:
    for balance in master.opening_stock:
        product = ids.products[balance.material]
        location = ids.locations[(balance.plant, balance.storage_location)]
        company = ids.companies[balance.plant]
        lot: int | bool = False
        if balance.lot:
            found = [row for row in db.find("stock.lot", name=balance.lot,
                                            product_id=product)
                     if row["company_id"] == company]
            lot = found[0]["id"] if found else db.insert("stock.lot", {
                "name": balance.lot, "product_id": product, "company_id": company})
        stock.update_quant(db, _system(company), product, location, lot,
                           quantity=float(balance.quantity))


def _orders(db: Database, master: MasterData, ids: Seeded) -> None:
    for order in master.orders:
        company = ids.companies[order.plant]
        production_location = db.find("stock.location", usage="production",
                                      company_id=company)[0]["id"]
        dest = ids.locations.get((order.plant, order.storage_location), False)
        mo = db.insert("mrp.production", {
            "name": order.order, "origin": order.order,
            "product_id": ids.products[order.material],
            "product_qty": float(order.quantity),
            "product_uom_id": ids.uoms[order.unit],
            "state": "confirmed", "location_dest_id": dest, "company_id": company})
        for component in order.components:
            source = ids.locations.get((order.plant, component.storage_location), False)
            db.insert("stock.move", {
                "name": order.order, "reference": order.order, "origin": order.order,
                "product_id": ids.products[component.component],
                "product_uom_qty": float(component.quantity_per_unit * order.quantity),
                "product_uom": ids.uoms[component.unit], "location_id": source,
                "location_dest_id": production_location, "state": "confirmed",
                "raw_material_production_id": mo, "company_id": company})
            if source and not db.row("mrp.production", mo)["location_src_id"]:
                db.update("mrp.production", mo, {"location_src_id": source})
        db.insert("stock.move", {
            "name": order.order, "reference": order.order, "origin": order.order,
            "product_id": ids.products[order.material],
            "product_uom_qty": float(order.quantity),
            "product_uom": ids.uoms[order.unit],
            "location_id": production_location, "location_dest_id": dest,
            "state": "confirmed", "production_id": mo, "company_id": company})
        for sequence, operation in enumerate(order.operations, start=1):
            workcenter = ids.workcenters.get((order.plant, operation.work_center))
            if workcenter is None:
                continue
            db.insert("mrp.workorder", {
                "name": operation.operation, "sequence": sequence * 10,
                "production_id": mo, "workcenter_id": workcenter,
                "product_id": ids.products[order.material],
                "qty_production": float(order.quantity), "state": "ready",
                "company_id": company})


def _system(company: int) -> Env:
    return Env(uid=1, company_ids=[company], company_id=company)
