"""Typed, versioned payloads of plant events.

Each payload class names its CloudEvents ``type`` (ending in ``.v1``). A change
that breaks a payload gets a new class with ``.v2``; the old one stays until
every plant edge has moved. Field names follow the floor's vocabulary; where an
ERP has its own word the docstring says so.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contracts.quantities import Measure, Qty, UnitCode

TYPE_PREFIX = "io.planttwin."

Code = Annotated[str, Field(min_length=1, max_length=40)]
"""An identifier as the plant writes it (order number, material code, lot)."""

Decision = Literal["accept", "hold", "reject"]


class Payload(BaseModel):
    """Base of every payload: strict, immutable, no unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str] = ""


class OrderStarted(Payload):
    """A production order starts on its line (SAP: order status REL → in
    process; Odoo: ``mrp.production`` confirmed → progress)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "order.started.v1"

    order: Code
    material: Code
    planned_qty: Qty
    unit: UnitCode
    line: Code


class OperationConfirmed(Payload):
    """Yield, scrap and rework reported for one operation of an order.

    SAP posts it as a confirmation (``ProdnOrdConf2``, yield in
    ``ConfirmationYieldQuantity``); Odoo as produced quantity on the
    ``mrp.workorder``.
    """

    event_type: ClassVar[str] = TYPE_PREFIX + "operation.confirmed.v1"

    order: Code
    operation: Annotated[str, Field(pattern=r"^\d{4}$")]
    work_center: Code
    yield_qty: Qty
    scrap_qty: Qty = Decimal(0)
    rework_qty: Qty = Decimal(0)
    unit: UnitCode
    final: bool = False
    variance_reason: Code | None = None
    handling_unit: Code | None = None


class MaterialConsumed(Payload):
    """A component issued to an order (SAP movement type 261; Odoo raw
    ``stock.move`` of the ``mrp.production``)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "material.consumed.v1"

    order: Code
    component: Code
    quantity: Qty
    unit: UnitCode
    lot: Code | None = None
    storage_location: Code


class OutputReceived(Payload):
    """Finished output received from an order (SAP movement type 101; Odoo
    finished ``stock.move`` with its ``stock.lot``)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "output.received.v1"

    order: Code
    material: Code
    quantity: Qty
    unit: UnitCode
    lot: Code | None = None
    storage_location: Code
    serial_numbers: list[Code] = Field(default_factory=list)


class ScrapDeclared(Payload):
    """Material scrapped with a reason code (SAP movement type 551 when stock
    is scrapped; Odoo ``stock.scrap``)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "scrap.declared.v1"

    order: Code | None = None
    operation: Annotated[str, Field(pattern=r"^\d{4}$")] | None = None
    material: Code
    quantity: Qty
    unit: UnitCode
    reason_code: Code
    lot: Code | None = None
    storage_location: Code | None = None


class DowntimeStarted(Payload):
    """A machine stops (Odoo ``mrp.workcenter.productivity`` with a loss)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "downtime.started.v1"

    downtime_id: Code
    work_center: Code
    equipment: Code
    reason: Code
    planned: bool = False


class DowntimeEnded(Payload):
    """A machine runs again after a stop."""

    event_type: ClassVar[str] = TYPE_PREFIX + "downtime.ended.v1"

    downtime_id: Code
    work_center: Code
    equipment: Code
    reason: Code
    planned: bool = False
    started_at: AwareDatetime


class ScanRecorded(Payload):
    """A barcode scan that moves a handling unit between locations (SAP
    movement type 311 between storage locations; Odoo internal transfer)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "scan.recorded.v1"

    barcode: Code
    handling_unit: Code
    material: Code
    lot: Code | None = None
    from_location: Code
    to_location: Code
    quantity: Qty
    unit: UnitCode
    order: Code | None = None

    @model_validator(mode="after")
    def _moves_somewhere(self) -> ScanRecorded:
        if self.from_location == self.to_location:
            raise ValueError("to_location must differ from from_location")
        return self


class Characteristic(BaseModel):
    """One measured characteristic of an inspection, with its limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Code
    value: Measure
    lower_limit: Measure | None = None
    upper_limit: Measure | None = None
    target: Measure | None = None
    unit: UnitCode | None = None

    @property
    def within_limits(self) -> bool:
        low_ok = self.lower_limit is None or self.value >= self.lower_limit
        high_ok = self.upper_limit is None or self.value <= self.upper_limit
        return low_ok and high_ok


class QualityInspected(Payload):
    """A usage decision on an output lot (SAP inspection lot usage decision;
    Odoo ``quality.check`` pass / fail)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "quality.inspected.v1"

    lot: Code
    material: Code
    order: Code | None = None
    quantity: Qty
    unit: UnitCode
    characteristics: list[Characteristic] = Field(min_length=1)
    decision: Decision


class MaintenanceRequested(Payload):
    """A maintenance request (SAP maintenance notification; Odoo
    ``maintenance.request``). Priority 1 is very high, 4 is low, as in SAP."""

    event_type: ClassVar[str] = TYPE_PREFIX + "maintenance.requested.v1"

    request_id: Code
    equipment: Code
    work_center: Code
    failure_code: Code
    priority: Literal[1, 2, 3, 4]
    machine_down: bool
    description: Annotated[str, Field(max_length=40)] = ""


class ShiftStarted(Payload):
    """A shift starts: a crew takes over the plant or a line."""

    event_type: ClassVar[str] = TYPE_PREFIX + "shift.started.v1"

    shift: Code
    crew: Code
    planned_end: AwareDatetime


class ShiftEnded(Payload):
    """A shift ends and hands over."""

    event_type: ClassVar[str] = TYPE_PREFIX + "shift.ended.v1"

    shift: Code
    crew: Code


PAYLOAD_TYPES: tuple[type[Payload], ...] = (
    OrderStarted,
    OperationConfirmed,
    MaterialConsumed,
    OutputReceived,
    ScrapDeclared,
    DowntimeStarted,
    DowntimeEnded,
    ScanRecorded,
    QualityInspected,
    MaintenanceRequested,
    ShiftStarted,
    ShiftEnded,
)

PAYLOADS: dict[str, type[Payload]] = {
    model.event_type: model for model in PAYLOAD_TYPES
}
"""Every payload model by its CloudEvents ``type``."""
