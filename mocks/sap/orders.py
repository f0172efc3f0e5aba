"""Production orders (``API_PRODUCTION_ORDER_2_SRV``) and their status.

SAP's system status runs CRTD (created) -> REL (released) -> PCNF (partially
confirmed) -> CNF (confirmed) -> TECO (technically completed); Odoo's
``mrp.production`` states draft / confirmed / progress / done play the same
part. Orders from the master data arrive released; orders created through
``A_ProductionOrder_2`` start as CRTD and take the routing and components of
the master data's order for the same material and plant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from contracts import Order
from contracts.masterdata import OrderOperation
from mocks.sap import errors
from mocks.sap.masterdata import SapMaster

STATUS_NAMES = {
    "CRTD": "Created",
    "REL": "Released",
    "PCNF": "Partially confirmed",
    "CNF": "Confirmed",
    "TECO": "Technically completed",
}
_STATUS_CODES = {"CRTD": "I0001", "REL": "I0002", "PCNF": "I0010", "CNF": "I0009",
                 "TECO": "I0045"}


@dataclass
class Operation:
    operation: str
    work_center: str
    confirmed_yield: Decimal = Decimal(0)  # base unit of the order's material
    confirmed_scrap: Decimal = Decimal(0)
    final: bool = False
    confirmable: bool = True  # False: the plant never confirms it


@dataclass
class Component:
    reservation: str
    item: str
    material: str
    plant: str
    storage_location: str
    quantity_per_unit: Decimal  # in ``unit`` per one order unit
    unit: str
    base_unit: str
    required: Decimal
    backflush: bool
    withdrawn: Decimal = Decimal(0)


@dataclass
class ProductionOrder:
    order: str
    material: str
    plant: str
    storage_location: str
    quantity: Decimal
    unit: str
    status: str = "REL"
    operations: list[Operation] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    created: datetime = field(default_factory=lambda: datetime.now(UTC).replace(
        hour=0, minute=0, second=0, microsecond=0))
    confirmed_yield: Decimal = Decimal(0)  # base unit of the order's material
    confirmation_group: dict[str, str] = field(default_factory=dict)
    base_per_unit: Decimal = Decimal(1)  # base units in one order unit

    def operation(self, number: str) -> Operation:
        for item in self.operations:
            if item.operation == number:
                return item
        raise errors.business(
            errors.UNKNOWN_OPERATION,
            f"Operation {number} does not exist in order {self.order}",
            "OrderOperation",
        )

    @property
    def last_operation(self) -> str:
        """The last operation the plant confirms: it backflushes components."""
        confirmable = [op for op in self.operations if op.confirmable]
        return (confirmable or self.operations)[-1].operation

    def release(self) -> None:
        if self.status == "TECO":
            raise errors.business(
                errors.TECHNICALLY_COMPLETED,
                f"Order {self.order} is technically completed (TECO)",
                "ManufacturingOrder",
            )
        if self.status == "CRTD":
            self.status = "REL"

    def complete_technically(self) -> None:
        if self.status == "CRTD":
            raise errors.business(
                errors.NOT_RELEASED,
                f"Order {self.order} is not released (status CRTD)",
                "ManufacturingOrder",
            )
        self.status = "TECO"

    def check_confirmable(self) -> None:
        if self.status == "CRTD":
            raise errors.business(
                errors.NOT_RELEASED,
                f"Order {self.order} is not released (status CRTD); "
                "confirmation is not possible",
                "OrderID",
            )
        if self.status == "TECO":
            raise errors.business(
                errors.TECHNICALLY_COMPLETED,
                f"Order {self.order} is technically completed (status TECO); "
                "confirmation is not possible",
                "OrderID",
            )
        if self.status == "CNF":
            raise errors.business(
                errors.ALREADY_CONFIRMED,
                f"Order {self.order} is finally confirmed (status CNF); "
                "confirmation is not possible",
                "OrderID",
            )

    def update_status(self) -> None:
        """REL -> PCNF on a confirmation, CNF once every operation is final."""
        if self.status not in ("REL", "PCNF", "CNF"):
            return
        confirmed = any(op.confirmed_yield or op.confirmed_scrap or op.final
                        for op in self.operations)
        if all(op.final for op in self.operations if op.confirmable):
            self.status = "CNF"
        elif confirmed:
            self.status = "PCNF"
        else:
            self.status = "REL"

    # rows as the service shows them -------------------------------------------

    def status_codes(self) -> list[str]:
        """The active system statuses, as SAP lists them (REL stays active
        beside PCNF or CNF and TECO)."""
        if self.status == "CRTD":
            return ["CRTD"]
        codes = ["REL"]
        if all(op.final for op in self.operations if op.confirmable):
            codes.append("CNF")
        elif any(op.confirmed_yield or op.confirmed_scrap or op.final
                 for op in self.operations):
            codes.append("PCNF")
        if self.status == "TECO":
            codes.append("TECO")
        return codes

    def in_order_unit(self, base: Decimal) -> Decimal:
        return base / self.base_per_unit

    def header_row(self) -> dict[str, Any]:
        active = self.status_codes()
        flag = {s: "X" if s in active else "" for s in STATUS_NAMES}
        return {
            "ManufacturingOrder": self.order,
            "ManufacturingOrderCategory": "10",
            "ManufacturingOrderType": "PP01",
            "OrderIsCreated": "X",
            "OrderIsReleased": "X" if self.status != "CRTD" else "",
            "OrderIsPartiallyConfirmed": flag["PCNF"],
            "OrderIsConfirmed": flag["CNF"],
            "OrderIsTechnicallyCompleted": flag["TECO"],
            "MfgOrderCreationDate": self.created,
            "Material": self.material,
            "StorageLocation": self.storage_location,
            "ProductionPlant": self.plant,
            "Plant": self.plant,
            "OrderInternalBillOfOperations": self.routing,
            "ProductionUnit": self.unit,
            "ProductionUnitSAPCode": self.unit,
            "TotalQuantity": self.quantity,
            "MfgOrderConfirmedYieldQty": self.in_order_unit(self.confirmed_yield),
        }

    @property
    def routing(self) -> str:
        return self.order[-10:].rjust(10, "0")

    def operation_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "OrderInternalBillOfOperations": self.routing,
                "OrderIntBillOfOperationsItem": f"{index + 1:08d}",
                "ManufacturingOrder": self.order,
                "ManufacturingOrderSequence": "0",
                "ManufacturingOrderOperation": op.operation,
                "ManufacturingOrderCategory": "10",
                "ManufacturingOrderType": "PP01",
                "OperationIsReleased": "X" if self.status != "CRTD" else "",
                "OperationIsConfirmed": "X" if op.final else "",
                "OperationIsPartiallyConfirmed": "X"
                if op.confirmed_yield and not op.final else "",
                "ProductionPlant": self.plant,
                "WorkCenter": op.work_center,
                "OperationUnit": self.unit,
                "OpPlannedTotalQuantity": self.quantity,
                "OpTotalConfirmedYieldQty": self.in_order_unit(op.confirmed_yield),
            }
            for index, op in enumerate(self.operations)
        ]

    def component_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "Reservation": c.reservation,
                "ReservationItem": c.item,
                "Material": c.material,
                "Plant": c.plant,
                "ManufacturingOrder": self.order,
                "ManufacturingOrderCategory": "10",
                "ManufacturingOrderType": "PP01",
                "ManufacturingOrderOperation": self.operations[0].operation,
                "ProductionPlant": self.plant,
                "OrderInternalBillOfOperations": self.routing,
                "MatlCompIsMarkedForBackflush": c.backflush,
                "StorageLocation": c.storage_location,
                "GoodsMovementType": "261",
                "BaseUnit": c.base_unit,
                "BaseUnitSAPCode": c.base_unit,
                "RequiredQuantity": c.required,
                "WithdrawnQuantity": c.withdrawn,
                "ReservationIsFinallyIssued": c.withdrawn >= c.required,
            }
            for c in self.components
        ]

    def status_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "ManufacturingOrder": self.order,
                "StatusCode": _STATUS_CODES[code],
                "IsUserStatus": False,
                "StatusShortName": code,
                "StatusName": STATUS_NAMES[code],
            }
            for code in self.status_codes()
        ]


def order_from_master(
    master: SapMaster, order: Order, reservation: str
) -> ProductionOrder:
    """A released order in SAP codes from the plant's master data."""
    plant = master.sap_plant(order.plant)
    material = master.sap_material(order.material)
    unit = master.sap_unit(order.unit)
    base_per_unit = Decimal(1)
    if material in master.materials:
        base_per_unit = master.to_base(material, Decimal(1), unit, "ProductionUnit")
    components = []
    for index, comp in enumerate(order.components):
        sap_material = master.sap_material(comp.component)
        item = master.materials.get(sap_material)
        base_unit = item.base_unit if item else master.sap_unit(comp.unit)
        per_unit_base = master.to_base(
            sap_material, comp.quantity_per_unit, master.sap_unit(comp.unit),
            "components",
        ) if item else comp.quantity_per_unit
        components.append(
            Component(
                reservation=reservation,
                item=f"{index + 1:04d}",
                material=sap_material,
                plant=plant,
                storage_location=master.sap_location(
                    order.plant, comp.storage_location
                ),
                quantity_per_unit=comp.quantity_per_unit,
                unit=master.sap_unit(comp.unit),
                base_unit=base_unit,
                required=per_unit_base * order.quantity,
                backflush=comp.backflush,
            )
        )
    return ProductionOrder(
        order=order.order,
        material=material,
        plant=plant,
        storage_location=master.sap_location(order.plant, order.storage_location),
        quantity=order.quantity,
        unit=unit,
        base_per_unit=base_per_unit,
        operations=[
            Operation(op.operation,
                      master.sap_work_center(order.plant, op.work_center),
                      confirmable=op.confirmed)
            for op in order.operations
        ],
        components=components,
    )


def planned_order(
    master: SapMaster, number: str, material: str, plant: str, quantity: Decimal,
    unit: str, location: str,
) -> Order:
    """A new order in the plant's codes (what CO01 would create): the routing
    and components of the master data's last order for the same material and
    plant, else one operation 0010 without work center or components."""
    plant_code = master.plants[plant].code
    material_code = master.materials[material].material.code
    unit_code = master.units.get(unit, unit)
    changes = {"order": number, "quantity": quantity, "unit": unit_code}
    if location:
        changes["storage_location"] = location
    for template in reversed(master.master.orders):
        if template.plant == plant_code and template.material == material_code:
            return template.model_copy(update=changes)
    return Order(order=number, plant=plant_code, material=material_code,
                 quantity=quantity, unit=unit_code, storage_location=location,
                 operations=[OrderOperation(operation="0010", work_center="")])
