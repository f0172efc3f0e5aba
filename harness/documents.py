"""Business documents as the oracle compares them.

Both sides of the comparison become ``Document``s: what the twin's truth says
SAP must show (built from the plant events and the master data, never from
gateway code) and what SAP shows (built from the mock's state). A document's
``identity`` must match exactly; its ``anchor`` names the business object it
belongs to (an order operation, a lot's move), so that a document present
with the wrong quantity, unit, lot or date is *divergent*, not lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from contracts import (
    MaintenanceRequested,
    MasterData,
    MaterialConsumed,
    OperationConfirmed,
    OutputReceived,
    PlantEvent,
    ScanRecorded,
    ScrapDeclared,
)
from contracts.masterdata import UnknownMasterData

Identity = tuple[Any, ...]


@dataclass(frozen=True)
class Document:
    """One business document in one ERP, expected or actual."""

    workflow: str
    plant: str
    anchor: Identity
    identity: Identity
    fields: dict[str, Any]
    event_id: str | None = None
    subject: str | None = None
    sequence: int | None = None
    arrival: int | None = None
    received_at: str | None = None
    reference: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def differences(self, other: Document) -> list[str]:
        """``name: expected → actual`` for each field that differs."""
        return [
            f"{name}: {self.fields[name]} → {other.fields.get(name)}"
            for name in self.fields
            if self.fields[name] != other.fields.get(name)
        ]


def plain(quantity: Decimal) -> Decimal:
    """The same value without trailing zeros or exponent: ``2.50`` → ``2.5``,
    ``2.5E+2`` → ``250``, so equal quantities compare and print alike."""
    return Decimal(format(quantity.normalize(), "f")) if quantity else Decimal(0)


def posting_date(event: PlantEvent) -> date:
    """SAP's posting date for a floor event: the plant's local calendar day."""
    return event.time.date()


class ExpectedSap:
    """What SAP must show for the plant events, by the master data."""

    def __init__(self, master: MasterData) -> None:
        self.master = master
        self._order_material = {order.order: order.material for order in master.orders}

    def documents(self, events: list[PlantEvent]) -> list[Document]:
        documents = []
        for event in events:
            document = self.document(event)
            if document is not None:
                documents.append(document)
        return documents

    def document(self, event: PlantEvent) -> Document | None:
        data = event.data
        try:
            if isinstance(data, OperationConfirmed):
                return self._confirmation(event, data)
            if isinstance(data, MaterialConsumed):
                return self._movement(
                    event,
                    "261",
                    data.component,
                    data.quantity,
                    data.unit,
                    data.storage_location,
                    data.lot,
                    data.order,
                )
            if isinstance(data, OutputReceived):
                return self._movement(
                    event,
                    "101",
                    data.material,
                    data.quantity,
                    data.unit,
                    data.storage_location,
                    data.lot,
                    data.order,
                )
            if isinstance(data, ScrapDeclared) and data.storage_location:
                return self._movement(
                    event,
                    "551",
                    data.material,
                    data.quantity,
                    data.unit,
                    data.storage_location,
                    data.lot,
                    None,
                )
            if isinstance(data, ScanRecorded):
                return self._transfer(event, data)
            if isinstance(data, MaintenanceRequested):
                return self._notification(event, data)
        except UnknownMasterData:
            return None
        return None

    def _common(self, event: PlantEvent) -> dict[str, Any]:
        return {
            "event_id": event.id,
            "subject": event.subject,
            "sequence": event.sequence,
            "plant": event.plant,
        }

    def _confirmation(self, event: PlantEvent, data: OperationConfirmed) -> Document:
        material = self._order_material.get(data.order)

        def base(quantity: Decimal) -> Decimal:
            if material is None:
                return plain(quantity)
            return plain(self.master.to_base(material, quantity, data.unit))

        fields = {
            "yield": base(data.yield_qty),
            "scrap": base(data.scrap_qty),
            "rework": base(data.rework_qty),
            "final": data.final,
            "posting_date": posting_date(event).isoformat(),
        }
        return Document(
            workflow="confirmation",
            anchor=("confirmation", data.order, data.operation),
            identity=("confirmation", data.order, data.operation, *fields.values()),
            fields=fields,
            reference=f"order {data.order} operation {data.operation}",
            **self._common(event),
        )

    def _movement(
        self,
        event: PlantEvent,
        movement_type: str,
        material_code: str,
        quantity: Decimal,
        unit: str,
        location: str,
        lot: str | None,
        order: str | None,
    ) -> Document:
        material = self.master.material(material_code)
        storage = self.master.storage_location(event.plant, location)
        fields = {
            "material": material.sap_material,
            "storage_location": storage.sap,
            "batch": lot or "",
            "quantity": plain(self.master.to_base(material_code, quantity, unit)),
            "order": order or "",
            "posting_date": posting_date(event).isoformat(),
        }
        workflow = {"261": "goods_issue", "101": "goods_receipt", "551": "scrap"}
        return Document(
            workflow=workflow[movement_type],
            anchor=(movement_type, material.sap_material, order or storage.sap),
            identity=(movement_type, *fields.values()),
            fields=fields,
            reference=f"{material_code} lot {lot or '-'}"
            + (f" order {order}" if order else ""),
            **self._common(event),
        )

    def _transfer(self, event: PlantEvent, data: ScanRecorded) -> Document | None:
        source = self.master.storage_location(event.plant, data.from_location)
        target = self.master.storage_location(event.plant, data.to_location)
        if source.sap == target.sap:
            return None
        material = self.master.material(data.material)
        fields = {
            "material": material.sap_material,
            "from": source.sap,
            "to": target.sap,
            "batch": data.lot or "",
            "quantity": plain(
                self.master.to_base(data.material, data.quantity, data.unit)
            ),
            "posting_date": posting_date(event).isoformat(),
        }
        return Document(
            workflow="transfer",
            anchor=("311", material.sap_material, source.sap, target.sap),
            identity=("311", *fields.values()),
            fields=fields,
            reference=f"handling unit {data.handling_unit} lot {data.lot or '-'}",
            **self._common(event),
        )

    def _notification(self, event: PlantEvent, data: MaintenanceRequested) -> Document:
        fields = {"equipment": data.equipment, "priority": str(data.priority)}
        return Document(
            workflow="notification",
            anchor=("notification", data.equipment),
            identity=("notification", *fields.values()),
            fields=fields,
            reference=f"equipment {data.equipment} request {data.request_id}",
            **self._common(event),
        )
