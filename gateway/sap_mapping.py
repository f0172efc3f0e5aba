"""Plant events as SAP S/4HANA OData V2 postings.

Codes are mapped with the master data: plant → SAP plant (``WERKS``), material
→ SAP material number, storage location → SAP storage location (``LGORT``),
plant unit → SAP unit of measure.

Quantities: the gateway converts every quantity to the material's base unit
with ``MasterData.to_base`` and posts it in the base unit's SAP code (as
``EntryUnit`` / ``ConfirmationUnit``). A missing conversion is a master-data
gap and a permanent error (dead letter, reason named), never a guess. The
``ignore_unit_conversion`` defect posts the plant's number unchanged in the
base unit, the classic mistake.

Posting date: the plant's local calendar day, taken from the event's ``time``
(which carries the plant's UTC offset), as ``/Date(ms)/`` at 00:00 UTC; the
``utc_posting_date`` defect takes the UTC day instead.
"""

from __future__ import annotations

from calendar import timegm
from dataclasses import dataclass
from datetime import UTC, date
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
    UnknownMasterData,
)
from gateway.errors import PermanentError

CONFIRMATION_SERVICE = "API_PROD_ORDER_CONFIRMATION_2_SRV"
MATERIAL_DOCUMENT_SERVICE = "API_MATERIAL_DOCUMENT_SRV"
NOTIFICATION_SERVICE = "API_MAINTNOTIFICATION"
_MOVEMENT_CODE = {"101": "02", "261": "03", "551": "03", "311": "04"}


@dataclass(frozen=True)
class SapPosting:
    """One OData create: ``POST /sap/opu/odata/sap/<service>/<entity_set>``."""

    service: str
    entity_set: str
    body: dict[str, Any]


def odata_date(day: date) -> str:
    """SAP's ``/Date(ms)/`` for a calendar day at 00:00 UTC."""
    return f"/Date({timegm(day.timetuple()) * 1000})/"


def _text(quantity: Decimal) -> str:
    return format(quantity.normalize(), "f") if quantity else "0"


class SapMapping:
    """Turns plant events into SAP postings with the master data."""

    def __init__(
        self,
        master: MasterData,
        *,
        utc_posting_date: bool = False,
        ignore_unit_conversion: bool = False,
    ) -> None:
        self.master = master
        self.utc_posting_date = utc_posting_date
        self.ignore_unit_conversion = ignore_unit_conversion

    def posting(self, event: PlantEvent) -> SapPosting | None:
        """The SAP posting for ``event``, or None when SAP need not hear of it.

        Raises ``PermanentError`` (code ``MASTER_DATA``) for a master-data gap.
        """
        data = event.data
        try:
            if isinstance(data, OperationConfirmed):
                return self._confirmation(event, data)
            if isinstance(data, MaterialConsumed):
                return self._movement(
                    event, "261", data.component, data.quantity, data.unit,
                    data.storage_location, data.lot, data.order,
                )
            if isinstance(data, OutputReceived):
                return self._movement(
                    event, "101", data.material, data.quantity, data.unit,
                    data.storage_location, data.lot, data.order,
                )
            if isinstance(data, ScrapDeclared) and data.storage_location:
                return self._movement(
                    event, "551", data.material, data.quantity, data.unit,
                    data.storage_location, data.lot, None,
                )
            if isinstance(data, ScanRecorded):
                return self._transfer(event, data)
            if isinstance(data, MaintenanceRequested):
                return self._notification(event, data)
        except UnknownMasterData as exc:
            raise PermanentError("MASTER_DATA", str(exc)) from None
        return None

    # Quantities and dates ---------------------------------------------------

    def posting_date(self, event: PlantEvent) -> str:
        moment = event.time.astimezone(UTC) if self.utc_posting_date else event.time
        return odata_date(moment.date())

    def base_quantity(
        self, material: str, quantity: Decimal, unit: str
    ) -> tuple[Decimal, str]:
        """``quantity`` in ``unit`` as (quantity, SAP unit) in the base unit."""
        item = self.master.material(material)
        base_unit = self.master.unit(item.base_unit).sap
        if self.ignore_unit_conversion:
            return quantity, base_unit
        return self.master.to_base(material, quantity, unit), base_unit

    # Postings ---------------------------------------------------------------

    def _confirmation(self, event: PlantEvent, data: OperationConfirmed) -> SapPosting:
        material = self._order_material(data.order)
        quantities = [data.yield_qty, data.scrap_qty, data.rework_qty]
        if material is None:
            unit = self.master.unit(data.unit).sap
        else:
            converted = [
                self.base_quantity(material, quantity, data.unit)
                for quantity in quantities
            ]
            quantities = [quantity for quantity, _ in converted]
            unit = converted[0][1]
        body = {
            "OrderID": data.order,
            "OrderOperation": data.operation,
            "ConfirmationUnit": unit,
            "ConfirmationYieldQuantity": _text(quantities[0]),
            "ConfirmationScrapQuantity": _text(quantities[1]),
            "ConfirmationReworkQuantity": _text(quantities[2]),
            "FinalConfirmationType": "1" if data.final else "",
            "VarianceReasonCode": self._variance_reason(data.variance_reason),
            "PostingDate": self.posting_date(event),
            "ConfirmationText": event.id[:40],
        }
        return SapPosting(CONFIRMATION_SERVICE, "ProdnOrdConf2", body)

    def _variance_reason(self, code: str | None) -> str:
        """The plant's reason as SAP's four-character variance reason key."""
        if code is None:
            return ""
        return self.master.reason(code).sap

    def _order_material(self, order: str) -> str | None:
        for known in self.master.orders:
            if known.order == order:
                return known.material
        return None

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
        to_location: str = "",
    ) -> SapPosting:
        material = self.master.material(material_code)
        plant = self.master.plant(event.plant)
        storage = self.master.storage_location(event.plant, location)
        amount, sap_unit = self.base_quantity(material_code, quantity, unit)
        item = {
            "Material": material.sap_material,
            "Plant": plant.sap_plant,
            "StorageLocation": storage.sap,
            "Batch": lot or "",
            "GoodsMovementType": movement_type,
            "EntryUnit": sap_unit,
            "QuantityInEntryUnit": _text(amount),
            "ManufacturingOrder": order or "",
            "IssuingOrReceivingStorageLoc": to_location,
            "IssgOrRcvgBatch": (lot or "") if to_location else "",
        }
        body = {
            "GoodsMovementCode": _MOVEMENT_CODE[movement_type],
            "PostingDate": self.posting_date(event),
            "DocumentDate": self.posting_date(event),
            "MaterialDocumentHeaderText": event.id[:25],
            "to_MaterialDocumentItem": {"results": [item]},
        }
        return SapPosting(MATERIAL_DOCUMENT_SERVICE, "A_MaterialDocumentHeader", body)

    def _transfer(self, event: PlantEvent, data: ScanRecorded) -> SapPosting | None:
        source = self.master.storage_location(event.plant, data.from_location)
        target = self.master.storage_location(event.plant, data.to_location)
        if source.sap == target.sap:
            return None
        return self._movement(
            event, "311", data.material, data.quantity, data.unit,
            data.from_location, data.lot, None, to_location=target.sap,
        )

    def _notification(
        self, event: PlantEvent, data: MaintenanceRequested
    ) -> SapPosting:
        plant = self.master.plant(event.plant)
        center = self.master.work_center(event.plant, data.work_center)
        text = data.description or f"{data.failure_code} on {data.equipment}"
        body = {
            "NotificationType": "M2",
            "NotificationText": text[:40],
            "MaintPriority": str(data.priority),
            "TechnicalObject": data.equipment,
            "TechObjIsEquipOrFuncnlLoc": "EAMS_EQUI",
            "MaintenancePlanningPlant": plant.sap_plant,
            "MainWorkCenter": center.sap,
            "MaintenanceObjectIsDown": data.machine_down,
            "MaintNotifExtReferenceNumber": event.id[:20],
        }
        return SapPosting(NOTIFICATION_SERVICE, "MaintenanceNotification", body)
