"""Stock by material, plant, storage location, batch and stock type.

SAP keeps stock per material (``MATNR``), plant (``WERKS``), storage location
(``LGORT``), batch (``CHARG``) and stock type (unrestricted, quality
inspection, blocked); Odoo calls the same thing a ``stock.quant``. Every
posting goes through ``StockLedger.apply``, which checks all changes of one
document before applying any: no stock ever goes negative.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from mocks.sap import errors

UNRESTRICTED = "01"
QUALITY = "02"
BLOCKED = "07"
STOCK_TYPE_NAMES = {
    UNRESTRICTED: "Unrestricted-use",
    QUALITY: "Quality inspection",
    BLOCKED: "Blocked",
}


class StockKey(NamedTuple):
    material: str
    plant: str
    storage_location: str
    batch: str
    stock_type: str


class StockLedger:
    """Quantities in base unit per ``StockKey``; batches remember arrival."""

    def __init__(self) -> None:
        self._quantity: dict[StockKey, Decimal] = {}
        self._arrival: dict[StockKey, int] = {}

    def quantity(self, key: StockKey) -> Decimal:
        return self._quantity.get(key, Decimal(0))

    def apply(
        self, changes: Iterable[tuple[StockKey, Decimal]], units: dict[str, str]
    ) -> None:
        """Apply all ``changes`` or none; a deficit raises SAP's M7/021."""
        net: dict[StockKey, Decimal] = {}
        for key, delta in changes:
            net[key] = net.get(key, Decimal(0)) + delta
        for key, delta in net.items():
            after = self.quantity(key) + delta
            if after < 0:
                raise deficit(key, -after, units.get(key.material, ""))
        for key, delta in net.items():
            if key not in self._arrival:
                self._arrival[key] = len(self._arrival)
            self._quantity[key] = self.quantity(key) + delta

    def batches_fifo(
        self, material: str, plant: str, location: str, stock_type: str = UNRESTRICTED
    ) -> list[tuple[str, Decimal]]:
        """Batches with stock in the order they first arrived (FIFO)."""
        found = [
            key for key, qty in self._quantity.items()
            if qty > 0 and key.material == material and key.plant == plant
            and key.storage_location == location and key.stock_type == stock_type
        ]
        found.sort(key=lambda key: self._arrival[key])
        return [(key.batch, self._quantity[key]) for key in found]

    def rows(self) -> list[tuple[StockKey, Decimal]]:
        """Every stock position that ever existed, in arrival order."""
        keys = sorted(self._quantity, key=lambda key: self._arrival[key])
        return [(key, self._quantity[key]) for key in keys]


def deficit(key: StockKey, shortfall: Decimal, unit: str) -> errors.ODataError:
    """M7/021 naming material, plant, storage location, batch and shortfall."""
    kind = STOCK_TYPE_NAMES.get(key.stock_type, key.stock_type)
    level = "BA" if key.batch else "SL"
    where = f"{key.material} {key.plant} {key.storage_location}"
    if key.batch:
        where += f" {key.batch}"
    return errors.business(
        errors.DEFICIT,
        f"Deficit of {level} {kind} {format(shortfall, 'f')} {unit} : {where}",
        "QuantityInEntryUnit",
    )
