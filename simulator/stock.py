"""Material flow of one plant: lots by storage location, and the moves
between them, written to the ledger with signed base-unit quantities.

Raw material comes from opening stock. The twin does not know ahead of the
run how much it will need, so a raw lot is opened (as opening stock) the
first time staging finds too little in the raw location; the run's opening
stock is therefore exactly enough, in lots of the plant's ``raw_lot_size``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from contracts import MasterData, StockBalance
from simulator.ledger import Ledger

Chunk = tuple[str | None, Decimal]
"""A lot (``None`` for materials that are not lot-tracked) and a quantity."""


class Stock:
    def __init__(
        self,
        plant: str,
        plant_index: int,
        master: MasterData,
        ledger: Ledger,
        raw_location: str,
        raw_lot_size: Decimal,
    ) -> None:
        self.plant = plant
        self.master = master
        self.ledger = ledger
        self.raw_location = raw_location
        self.raw_lot_size = raw_lot_size
        self.balances: dict[tuple[str, str, str | None], Decimal] = {}
        self.opening: list[StockBalance] = []
        self._raw_lots: dict[str, list[list[object]]] = {}
        self._lot_prefix = f"R{plant_index % 100:02d}"
        self._lot_count = 0
        self._material_index = {
            material.code: index for index, material in enumerate(master.materials)
        }
        self._units = {m.code: m.base_unit for m in master.materials}
        self._tracked = {m.code: m.tracking != "none" for m in master.materials}

        self._factors: dict[tuple[str, str], Decimal | None] = {}

    def base_unit(self, material: str) -> str:
        return self._units[material]

    def to_base(self, material: str, quantity: Decimal, unit: str) -> Decimal:
        """``quantity`` in ``unit`` in the material's base unit (master data's
        conversion, looked up once per material and unit)."""
        key = (material, unit)
        if key not in self._factors:
            one = self.master.to_base(material, Decimal(1), unit)
            self._factors[key] = None if unit == self._units[material] else one
        factor = self._factors[key]
        return quantity if factor is None else quantity * factor

    def tracked(self, material: str) -> bool:
        return self._tracked[material]

    def take_raw(self, material: str, quantity: Decimal) -> list[Chunk]:
        """Chunks of raw lots (oldest first) that make up ``quantity``."""
        lots = self._raw_lots.setdefault(material, [])
        chunks: list[Chunk] = []
        missing = quantity
        while missing > 0:
            if not lots:
                self._open_lot(material, missing)
            lot, left = lots[0]
            assert isinstance(left, Decimal)
            taken = min(left, missing)
            chunks.append((lot if isinstance(lot, str) else None, taken))
            missing -= taken
            if taken == left:
                lots.pop(0)
            else:
                lots[0][1] = left - taken
        return chunks

    def _open_lot(self, material: str, needed: Decimal) -> None:
        size = max(self.raw_lot_size, needed)
        lot: str | None = None
        if self.tracked(material):
            self._lot_count += 1
            index = self._material_index[material] % 1000
            lot = f"{self._lot_prefix}{index:03d}{self._lot_count:04d}"
        self._raw_lots[material].append([lot, size])
        self.opening.append(
            StockBalance(
                plant=self.plant,
                material=material,
                storage_location=self.raw_location,
                lot=lot,
                quantity=size,
            )
        )
        key = (self.raw_location, material, lot)
        self.balances[key] = self.balances.get(key, Decimal(0)) + size
        self.ledger.opening_stock.append(
            {
                "plant": self.plant,
                "material": material,
                "location": self.raw_location,
                "lot": lot,
                "quantity": size,
                "unit": self.base_unit(material),
            }
        )

    def move(
        self,
        material: str,
        lot: str | None,
        location: str,
        quantity: Decimal,
        kind: str,
        order: str | None,
        event_id: str,
        time: datetime,
    ) -> None:
        """Book ``quantity`` (signed, base unit) into or out of ``location``."""
        key = (location, material, lot)
        balance = self.balances.get(key, Decimal(0)) + quantity
        if balance < 0:
            raise AssertionError(
                f"stock of {material} lot {lot} in {location} would go negative"
            )
        self.balances[key] = balance
        self.ledger.stock_moves.append(
            {
                "plant": self.plant,
                "material": material,
                "location": location,
                "lot": lot,
                "quantity": quantity,
                "unit": self.base_unit(material),
                "kind": kind,
                "order": order,
                "event_id": event_id,
                "time": time,
            }
        )
