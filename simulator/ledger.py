"""The ground-truth ledger: every physical fact of a run, as JSON.

The oracle holds the ERPs against this ledger, so it records what happened
on the floor, not what was reported: good, scrap and rework per order and
operation; each consumption by component and lot (backflushed components
the way SAP posts them, at the confirmation of the order's last operation);
each stock move with a signed quantity in the material's base unit; every
downtime interval, inspection decision and maintenance request; and OEE per
work center and shift. Quantities are decimal strings in ``to_dict()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass
class OperationTruth:
    work_center: str
    confirmed: bool
    good: int = 0
    scrap: int = 0
    rework: int = 0
    scrap_reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class OrderTruth:
    plant: str
    material: str
    line: str
    planned_qty: int
    unit: str
    released_at: datetime
    operations: dict[str, OperationTruth]
    started_at: datetime | None = None
    finished_at: datetime | None = None
    output: Decimal = Decimal(0)

    @property
    def status(self) -> str:
        if self.finished_at is not None:
            return "finished"
        return "started" if self.started_at is not None else "released"


@dataclass
class Ledger:
    """Append-only facts of one or more plants' runs."""

    orders: dict[str, OrderTruth] = field(default_factory=dict)
    consumption: list[dict[str, Any]] = field(default_factory=list)
    stock_moves: list[dict[str, Any]] = field(default_factory=list)
    downtime: list[dict[str, Any]] = field(default_factory=list)
    inspections: list[dict[str, Any]] = field(default_factory=list)
    maintenance: list[dict[str, Any]] = field(default_factory=list)
    oee: list[dict[str, Any]] = field(default_factory=list)
    opening_stock: list[dict[str, Any]] = field(default_factory=list)
    shifts: list[dict[str, Any]] = field(default_factory=list)
    crews: dict[str, Any] = field(default_factory=dict)

    def merge(self, other: Ledger) -> None:
        """Append ``other``'s facts (another plant's run) to this ledger."""
        self.orders.update(other.orders)
        for name in (
            "consumption",
            "stock_moves",
            "downtime",
            "inspections",
            "maintenance",
            "oee",
            "opening_stock",
            "shifts",
        ):
            getattr(self, name).extend(getattr(other, name))
        self.crews.update(other.crews)

    def stock(self) -> dict[tuple[str, str, str, str | None], Decimal]:
        """Closing stock by (plant, material, location, lot): opening + moves."""
        balances: dict[tuple[str, str, str, str | None], Decimal] = {}
        for row in [*self.opening_stock, *self.stock_moves]:
            key = (row["plant"], row["material"], row["location"], row["lot"])
            balances[key] = balances.get(key, Decimal(0)) + Decimal(row["quantity"])
        return balances

    def to_dict(self) -> dict[str, Any]:
        """The ledger as JSON-able data, quantities as decimal strings."""
        orders = {
            number: {
                "plant": truth.plant,
                "material": truth.material,
                "line": truth.line,
                "planned_qty": str(truth.planned_qty),
                "unit": truth.unit,
                "status": truth.status,
                "released_at": truth.released_at.isoformat(),
                "started_at": _iso(truth.started_at),
                "finished_at": _iso(truth.finished_at),
                "output": _text(truth.output),
                "operations": {
                    key: {
                        "work_center": op.work_center,
                        "confirmed": op.confirmed,
                        "good": str(op.good),
                        "scrap": str(op.scrap),
                        "rework": str(op.rework),
                        "processed": str(op.good + op.scrap),
                        "scrap_reasons": dict(sorted(op.scrap_reasons.items())),
                    }
                    for key, op in truth.operations.items()
                },
            }
            for number, truth in self.orders.items()
        }
        stock = [
            {
                "plant": plant,
                "material": material,
                "location": location,
                "lot": lot,
                "quantity": _text(quantity),
            }
            for (plant, material, location, lot), quantity in sorted(
                self.stock().items(), key=lambda item: tuple(map(str, item[0]))
            )
        ]
        document: dict[str, Any] = _jsonable(
            {
                "orders": orders,
                "consumption": self.consumption,
                "stock_moves": self.stock_moves,
                "downtime": self.downtime,
                "inspections": self.inspections,
                "maintenance": self.maintenance,
                "oee": self.oee,
                "opening_stock": self.opening_stock,
                "closing_stock": stock,
                "shifts": self.shifts,
                "crews": self.crews,
            }
        )
        return document


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _text(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value
