"""Material documents as SAP keeps them: header, items, origin, cancellation.

``origin`` tells the oracle where a document came from: ``api`` (posted
through ``A_MaterialDocumentHeader``), ``confirmation`` (goods movements of a
``ProdnOrdConf2``, backflush included) or ``post_processing`` (a parked
movement worked off from the post-processing list, SAP's COGI).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from mocks.sap.goods_movements import Movement

Origin = Literal["api", "confirmation", "post_processing", "cancellation"]


@dataclass
class MaterialDocument:
    number: str
    year: str
    posting_date: datetime
    header_text: str
    movement_code: str
    origin: Origin
    user: str
    movements: list[Movement]
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    cancelled: bool = False
    reverses: tuple[str, str] | None = None  # (year, number) of the original
    posting_seq: int = 0  # arrival order across all postings, for the oracle

    def header_row(self) -> dict[str, Any]:
        return {
            "MaterialDocumentYear": self.year,
            "MaterialDocument": self.number,
            "InventoryTransactionType": "WA",
            "DocumentDate": self.posting_date,
            "PostingDate": self.posting_date,
            "CreationDate": self.received_at.replace(
                hour=0, minute=0, second=0, microsecond=0
            ),
            "CreationTime": self.received_at.time().replace(microsecond=0),
            "CreatedByUser": self.user[:12],
            "MaterialDocumentHeaderText": self.header_text,
            "GoodsMovementCode": self.movement_code,
        }

    def item_rows(self) -> list[dict[str, Any]]:
        rows = []
        for index, movement in enumerate(self.movements):
            row = movement.row()
            row.update(
                MaterialDocumentYear=self.year,
                MaterialDocument=self.number,
                MaterialDocumentItem=f"{index + 1:04d}",
                GoodsMovementIsCancelled=self.cancelled,
                FiscalYear=self.year,
            )
            if self.reverses:
                row.update(
                    ReversedMaterialDocumentYear=self.reverses[0],
                    ReversedMaterialDocument=self.reverses[1],
                    ReversedMaterialDocumentItem=f"{index + 1:04d}",
                )
            rows.append(row)
        return rows

    def snapshot(self) -> dict[str, Any]:
        """The document as the oracle reads it from ``/_mock/state``."""
        items = []
        for row in self.item_rows():
            items.append({
                key: row.get(key, "")
                for key in (
                    "MaterialDocumentItem", "GoodsMovementType", "Material",
                    "Plant", "StorageLocation", "Batch", "InventoryStockType",
                    "MaterialBaseUnit", "EntryUnit", "ManufacturingOrder",
                    "IssuingOrReceivingStorageLoc", "IssgOrRcvgBatch",
                    "GoodsMovementIsCancelled",
                )
            } | {
                "QuantityInBaseUnit": format(row["QuantityInBaseUnit"], "f"),
                "QuantityInEntryUnit": format(row["QuantityInEntryUnit"], "f"),
            })
        return {
            "MaterialDocument": self.number,
            "MaterialDocumentYear": self.year,
            "PostingDate": iso_date(self.posting_date),
            "MaterialDocumentHeaderText": self.header_text,
            "GoodsMovementCode": self.movement_code,
            "origin": self.origin,
            "received_at": self.received_at.isoformat(),
            "journal_seq": self.posting_seq,
            "cancelled": self.cancelled,
            "ReversedMaterialDocument": self.reverses[1] if self.reverses else "",
            "items": items,
        }


def iso_date(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return moment.date().isoformat()
    return moment.isoformat()
