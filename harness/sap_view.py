"""What SAP shows, read from the SAP mock's state snapshot.

The snapshot (``GET /_mock/state``) speaks SAP's codes and property names;
this module turns its confirmations and material-document items into
``Document``s in the same terms as the truth (base-unit quantities, SAP
material numbers and storage locations, ISO posting dates).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from contracts import MasterData
from contracts.masterdata import UnknownMasterData
from harness.documents import Document, plain

_WORKFLOWS = {"261": "goods_issue", "101": "goods_receipt", "551": "scrap"}
_BACKFLUSH_ORIGINS = {"confirmation", "post_processing"}


def _decimal(value: Any) -> Decimal:
    try:
        return plain(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _date(value: Any) -> str:
    return str(value or "")[:10]


class SapView:
    """SAP's documents and stock in the oracle's terms."""

    def __init__(self, master: MasterData, state: dict[str, Any]) -> None:
        self.master = master
        self.state = state
        self._plant = {plant.sap_plant: plant.code for plant in master.plants}
        self._unit = {unit.sap: unit.code for unit in master.units}
        self._material = {m.sap_material: m.code for m in master.materials}
        self._order_material = {order.order: order.material for order in master.orders}
        self._order_plant = {order.order: order.plant for order in master.orders}

    def documents(self) -> list[Document]:
        """API-posted documents (confirmations, movements, notifications)."""
        return [
            *self._confirmations(),
            *self._movements(),
            *self._notifications(),
        ]

    def backflush_totals(self) -> dict[tuple[str, str], Decimal]:
        """Issued quantity per (order, SAP material) from confirmations and
        their reprocessed post-processing entries."""
        totals: dict[tuple[str, str], Decimal] = {}
        for document in self.state.get("material_documents", []):
            if document.get("origin") not in _BACKFLUSH_ORIGINS:
                continue
            for item in document.get("items", []):
                if item.get("GoodsMovementType") != "261" or _cancelled(item):
                    continue
                key = (str(item.get("ManufacturingOrder", "")), str(item["Material"]))
                totals[key] = totals.get(key, Decimal(0)) + _decimal(
                    item.get("QuantityInBaseUnit")
                )
        return totals

    def stock(self) -> dict[tuple[str, str, str, str], Decimal]:
        """Quantity in base unit per (SAP material, plant, location, batch)."""
        totals: dict[tuple[str, str, str, str], Decimal] = {}
        for row in self.state.get("stock", []):
            key = (
                str(row.get("Material", "")),
                str(row.get("Plant", "")),
                str(row.get("StorageLocation", "")),
                str(row.get("Batch", "") or ""),
            )
            quantity = row.get("Quantity", row.get("MatlWrhsStkQtyInMatlBaseUnit"))
            totals[key] = totals.get(key, Decimal(0)) + _decimal(quantity)
        return totals

    def open_post_processing(self) -> list[dict[str, Any]]:
        """SAP's post-processing list (COGI) as it stands."""
        entries: list[dict[str, Any]] = self.state.get("post_processing", [])
        return entries

    # Building documents --------------------------------------------------------

    def _to_base(self, material: str | None, quantity: Decimal, sap_unit: str) -> Any:
        unit = self._unit.get(sap_unit)
        if material is None or unit is None:
            return f"{quantity} {sap_unit}"
        try:
            return plain(self.master.to_base(material, quantity, unit))
        except UnknownMasterData:
            return f"{quantity} {sap_unit}"

    def _confirmations(self) -> list[Document]:
        documents = []
        for arrival, row in enumerate(self.state.get("confirmations", [])):
            if row.get("IsReversed") or row.get("IsReversal"):
                continue
            order = str(row.get("OrderID", ""))
            operation = str(row.get("OrderOperation", ""))
            material = self._order_material.get(order)
            unit = str(row.get("ConfirmationUnit", ""))

            def base(
                name: str,
                material: str | None = material,
                row: dict[str, Any] = row,
                unit: str = unit,
            ) -> Any:
                return self._to_base(material, _decimal(row.get(name, 0)), unit)

            fields = {
                "yield": base("ConfirmationYieldQuantity"),
                "scrap": base("ConfirmationScrapQuantity"),
                "rework": base("ConfirmationReworkQuantity"),
                "final": str(row.get("FinalConfirmationType", "")) in {"1", "X"},
                "posting_date": _date(row.get("PostingDate")),
            }
            documents.append(
                Document(
                    workflow="confirmation",
                    plant=self._order_plant.get(order, ""),
                    anchor=("confirmation", order, operation),
                    identity=("confirmation", order, operation, *fields.values()),
                    fields=fields,
                    arrival=_arrival(row, arrival),
                    received_at=row.get("received_at"),
                    reference=f"confirmation {row.get('ConfirmationGroup')}"
                    f"/{row.get('ConfirmationCount')}",
                )
            )
        return documents

    def _movements(self) -> list[Document]:
        documents = []
        for arrival, header in enumerate(self.state.get("material_documents", [])):
            if header.get("origin", "api") != "api":
                continue
            for item in header.get("items", []):
                document = self._movement(header, item, _arrival(header, arrival))
                if document is not None:
                    documents.append(document)
        return documents

    def _movement(
        self, header: dict[str, Any], item: dict[str, Any], arrival: int
    ) -> Document | None:
        movement_type = str(item.get("GoodsMovementType", ""))
        if _cancelled(item):
            return None
        material = str(item.get("Material", ""))
        location = str(item.get("StorageLocation", ""))
        batch = str(item.get("Batch", "") or "")
        quantity = _decimal(item.get("QuantityInBaseUnit"))
        posted = _date(header.get("PostingDate"))
        plant = self._plant.get(str(item.get("Plant", "")), "")
        reference = f"material document {header.get('MaterialDocument')}"
        if movement_type == "311":
            target = str(item.get("IssuingOrReceivingStorageLoc", "") or "")
            if not target or target == location:
                return None
            fields: dict[str, Any] = {
                "material": material,
                "from": location,
                "to": target,
                "batch": batch,
                "quantity": quantity,
                "posting_date": posted,
            }
            anchor: tuple[Any, ...] = ("311", material, location, target)
            workflow = "transfer"
        elif movement_type in _WORKFLOWS:
            order = str(item.get("ManufacturingOrder", "") or "")
            fields = {
                "material": material,
                "storage_location": location,
                "batch": batch,
                "quantity": quantity,
                "order": order,
                "posting_date": posted,
            }
            anchor = (movement_type, material, order or location)
            workflow = _WORKFLOWS[movement_type]
        else:
            return None
        return Document(
            workflow=workflow,
            plant=plant,
            anchor=anchor,
            identity=(movement_type, *fields.values()),
            fields=fields,
            arrival=arrival,
            received_at=header.get("received_at"),
            reference=reference,
        )

    def _notifications(self) -> list[Document]:
        documents = []
        for arrival, row in enumerate(self.state.get("notifications", [])):
            equipment = str(row.get("TechnicalObject") or row.get("Equipment") or "")
            fields = {"equipment": equipment, "priority": str(row.get("MaintPriority"))}
            plant = self._plant.get(str(row.get("MaintenancePlanningPlant", "")), "")
            documents.append(
                Document(
                    workflow="notification",
                    plant=plant,
                    anchor=("notification", equipment),
                    identity=("notification", *fields.values()),
                    fields=fields,
                    arrival=_arrival(row, arrival),
                    received_at=row.get("received_at"),
                    reference=f"notification {row.get('MaintenanceNotification')}",
                )
            )
        return documents


def _cancelled(item: dict[str, Any]) -> bool:
    return bool(item.get("GoodsMovementIsCancelled"))


def _arrival(row: dict[str, Any], position: int) -> int:
    seq = row.get("journal_seq", row.get("seq"))
    return int(seq) if isinstance(seq, int) else position
