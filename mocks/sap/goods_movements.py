"""Goods movements and material documents (``API_MATERIAL_DOCUMENT_SRV``).

A material document (SAP ``MKPF``/``MSEG``; Odoo: done ``stock.move`` lines)
has a header and items; each item is one goods movement of a movement type:

| type | meaning | stock change |
|---|---|---|
| 101 | receipt from an order | + location (unrestricted or the item's stock type) |
| 261 | goods issue to a production order | - unrestricted |
| 311 | transfer between storage locations | - from, + to (unrestricted) |
| 321 | release from quality inspection | quality -> unrestricted |
| 350 | quality inspection to blocked | quality -> blocked |
| 551 | scrapping | - unrestricted |
| 561 | initial entry (opening stock) | + unrestricted |

Cancelling a document posts the reverse movements (102, 262, 312, 322, 349,
552, 562) and is refused like any other posting when stock would go negative.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from mocks.sap import errors
from mocks.sap.masterdata import SapMaster
from mocks.sap.stock import BLOCKED, QUALITY, UNRESTRICTED, StockKey

SUPPORTED = ("101", "261", "311", "321", "350", "551", "561")
REVERSAL = {
    "101": "102", "261": "262", "311": "312", "321": "322",
    "350": "349", "551": "552", "561": "562",
}
_STOCK_TYPES = {
    "": UNRESTRICTED, "01": UNRESTRICTED, "1": UNRESTRICTED, " ": UNRESTRICTED,
    "02": QUALITY, "2": QUALITY, "X": QUALITY,
    "07": BLOCKED, "3": BLOCKED, "S": BLOCKED,
}


@dataclass(frozen=True)
class Movement:
    """One goods movement, quantities in the material's base unit."""

    movement_type: str
    material: str
    plant: str
    storage_location: str
    batch: str
    quantity: Decimal
    base_unit: str
    entry_quantity: Decimal
    entry_unit: str
    order: str = ""
    receiving_location: str = ""
    receiving_batch: str = ""
    stock_type: str = UNRESTRICTED
    reverses: bool = False

    def changes(self) -> list[tuple[StockKey, Decimal]]:
        """Stock changes of this movement (negated for a reversal)."""
        qty = -self.quantity if self.reverses else self.quantity

        def at(location: str, batch: str, stock_type: str) -> StockKey:
            return StockKey(self.material, self.plant, location, batch, stock_type)

        here = self.storage_location
        kind = self.movement_type
        if kind in ("101", "561"):
            return [(at(here, self.batch, self.stock_type), qty)]
        if kind in ("261", "551"):
            return [(at(here, self.batch, UNRESTRICTED), -qty)]
        if kind == "311":
            there = self.receiving_location or here
            batch = self.receiving_batch or self.batch
            return [
                (at(here, self.batch, UNRESTRICTED), -qty),
                (at(there, batch, UNRESTRICTED), qty),
            ]
        target = UNRESTRICTED if kind == "321" else BLOCKED
        return [
            (at(here, self.batch, QUALITY), -qty),
            (at(here, self.batch, target), qty),
        ]

    def reversed(self) -> Movement:
        return replace(self, reverses=not self.reverses)

    @property
    def shown_type(self) -> str:
        return REVERSAL[self.movement_type] if self.reverses else self.movement_type

    def row(self) -> dict[str, Any]:
        """The item as ``A_MaterialDocumentItem`` shows it."""
        return {
            "Material": self.material,
            "Plant": self.plant,
            "StorageLocation": self.storage_location,
            "Batch": self.batch,
            "GoodsMovementType": self.shown_type,
            "InventoryStockType": self.stock_type,
            "ManufacturingOrder": self.order,
            "MaterialBaseUnit": self.base_unit,
            "QuantityInBaseUnit": self.quantity,
            "EntryUnit": self.entry_unit,
            "QuantityInEntryUnit": self.entry_quantity,
            "IssuingOrReceivingPlant": self.plant if self.receiving_location else "",
            "IssuingOrReceivingStorageLoc": self.receiving_location,
            "IssgOrRcvgMaterial": self.material if self.receiving_location else "",
            "IssgOrRcvgBatch": self.receiving_batch,
            "GoodsMovementIsCancelled": False,
        }


def movement_from_item(
    master: SapMaster, item: dict[str, Any], path: str
) -> Movement:
    """Check one posted item against master data and build its movement."""
    for name in ("GoodsMovementType", "Material", "Plant", "StorageLocation"):
        if not item.get(name):
            raise errors.required(f"{path}.{name}")
    kind = str(item["GoodsMovementType"])
    if kind not in SUPPORTED:
        raise errors.business(
            errors.MOVEMENT_TYPE,
            f"Movement type '{kind}' is not supported; use one of "
            f"{', '.join(SUPPORTED)}",
            f"{path}.GoodsMovementType",
        )
    sap_material = str(item.get("Material") or "")
    material = master.material(sap_material, f"{path}.Material")
    plant = str(item.get("Plant") or "")
    location = str(item.get("StorageLocation") or "")
    master.check_location(plant, location, f"{path}.StorageLocation")
    batch = str(item.get("Batch") or "")
    if material.batch_managed and not batch:
        raise errors.business(
            errors.BATCH_REQUIRED,
            f"Enter a batch for material {sap_material} "
            f"(plant {plant}, storage location {location}): it is batch-managed",
            f"{path}.Batch",
        )
    receiving = str(item.get("IssuingOrReceivingStorageLoc") or "")
    if kind == "311":
        if not receiving:
            raise errors.business(
                errors.UNKNOWN_LOCATION,
                "Enter the receiving storage location for movement type 311",
                f"{path}.IssuingOrReceivingStorageLoc",
            )
        master.check_location(plant, receiving, f"{path}.IssuingOrReceivingStorageLoc")
    entry_quantity = item.get("QuantityInEntryUnit")
    entry_unit = str(item.get("EntryUnit") or material.base_unit)
    if entry_quantity is None:
        entry_quantity = item.get("QuantityInBaseUnit")
        entry_unit = material.base_unit
    if not isinstance(entry_quantity, Decimal) or entry_quantity <= 0:
        raise errors.bad_input(
            f"{path}.QuantityInEntryUnit", f"{entry_quantity!r} must be above zero"
        )
    stock_type = str(item.get("InventoryStockType") or "")
    return Movement(
        movement_type=kind,
        material=sap_material,
        plant=plant,
        storage_location=location,
        batch=batch,
        quantity=master.to_base(
            sap_material, entry_quantity, entry_unit, f"{path}.EntryUnit"
        ),
        base_unit=material.base_unit,
        entry_quantity=entry_quantity,
        entry_unit=entry_unit,
        order=str(item.get("ManufacturingOrder") or ""),
        receiving_location=receiving,
        receiving_batch=str(item.get("IssgOrRcvgBatch") or ""),
        stock_type=_STOCK_TYPES.get(stock_type, UNRESTRICTED),
    )
