"""Odoo's side of the comparison: what it must show and what it shows.

By the authority table, Odoo hears of warehouse moves (scans become internal
transfers), maintenance requests, quality checks and machine downtime (work
center productivity). ``ExpectedOdoo`` derives those records from the plant
events and the master data; ``OdooView`` reads them from the mock's
``/_mock/state``, whose rows carry the plant's codes beside Odoo's names.
Quantities are compared in the material's base unit, converted with the
master data only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from contracts import (
    DowntimeEnded,
    MaintenanceRequested,
    MasterData,
    PlantEvent,
    QualityInspected,
    ScanRecorded,
)
from contracts.masterdata import UnknownMasterData
from harness.documents import Document, plain


def _minute(moment: datetime | str | None) -> str:
    """A moment as UTC to the minute, the way Odoo stores datetimes."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        text = moment
        try:
            moment = datetime.fromisoformat(text.replace(" ", "T"))
        except ValueError:
            return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


class ExpectedOdoo:
    """What Odoo must show for the plant events, by the master data."""

    def __init__(self, master: MasterData) -> None:
        self.master = master

    def documents(self, events: list[PlantEvent]) -> list[Document]:
        documents = []
        for event in events:
            document = self.document(event)
            if document is not None:
                documents.append(document)
        return documents

    def document(self, event: PlantEvent) -> Document | None:
        data = event.data
        common: dict[str, Any] = {
            "plant": event.plant,
            "event_id": event.id,
            "subject": event.subject,
            "sequence": event.sequence,
        }
        try:
            if isinstance(data, ScanRecorded):
                if data.from_location == data.to_location:
                    return None
                quantity = plain(
                    self.master.to_base(data.material, data.quantity, data.unit)
                )
                anchor = (
                    "transfer",
                    event.plant,
                    data.material,
                    data.from_location,
                    data.to_location,
                )
                fields = {"lot": data.lot or None, "quantity": quantity}
                return Document(
                    workflow="transfer",
                    anchor=anchor,
                    identity=(*anchor, *fields.values()),
                    fields=fields,
                    reference=f"handling unit {data.handling_unit} "
                    f"{data.from_location}→{data.to_location}",
                    **common,
                )
        except UnknownMasterData:
            return None
        if isinstance(data, MaintenanceRequested):
            request = ("maintenance", event.plant, data.equipment)
            return Document(
                workflow="maintenance",
                anchor=request,
                identity=request,
                fields={"equipment": data.equipment},
                reference=f"equipment {data.equipment} ({data.failure_code})",
                **common,
            )
        if isinstance(data, QualityInspected):
            state = "pass" if data.decision == "accept" else "fail"
            return Document(
                workflow="quality",
                anchor=("quality", event.plant, data.material),
                identity=("quality", event.plant, data.material, state),
                fields={"result": state},
                reference=f"lot {data.lot} of {data.material}",
                **common,
            )
        if isinstance(data, DowntimeEnded):
            stop = ("downtime", event.plant, data.work_center)
            times = {
                "start": _minute(data.started_at),
                "end": _minute(event.time),
            }
            return Document(
                workflow="downtime",
                anchor=stop,
                identity=(*stop, *times.values()),
                fields=times,
                reference=f"downtime {data.downtime_id} on {data.equipment}",
                **common,
            )
        return None


class OdooView:
    """The mock's state as documents of the same shape."""

    def __init__(self, master: MasterData, state: dict[str, Any]) -> None:
        self.master = master
        self.state = state
        self._unit_by_odoo = {unit.odoo: unit.code for unit in master.units}

    def documents(self) -> list[Document]:
        return [
            *self._transfers(),
            *self._requests(),
            *self._checks(),
            *self._downtime(),
        ]

    def _base(self, material: str | None, quantity: str, uom: str | None) -> Any:
        try:
            amount = Decimal(str(quantity))
        except InvalidOperation:
            return quantity
        unit = self._unit_by_odoo.get(uom or "")
        if material is None or unit is None:
            return f"{quantity} {uom}"
        try:
            return plain(self.master.to_base(material, amount, unit))
        except UnknownMasterData:
            return f"{quantity} {uom}"

    def _transfers(self) -> list[Document]:
        documents = []
        for position, move in enumerate(self.state.get("moves", [])):
            if move.get("role") != "transfer" or move.get("state") != "done":
                continue
            anchor = (
                "transfer",
                move.get("plant") or "",
                move.get("material"),
                move.get("storage_location"),
                move.get("dest_storage_location"),
            )
            lots = move.get("lots") or []
            fields = {
                "lot": lots[0] if lots else None,
                "quantity": self._base(
                    move.get("material"), move.get("quantity", "0"), move.get("uom")
                ),
            }
            documents.append(
                Document(
                    workflow="transfer",
                    plant=move.get("plant") or "",
                    anchor=anchor,
                    identity=(*anchor, *fields.values()),
                    fields=fields,
                    arrival=position,
                    reference=f"stock.move {move.get('id')} "
                    f"({move.get('picking') or 'no picking'})",
                )
            )
        return documents

    def _requests(self) -> list[Document]:
        documents = []
        for position, row in enumerate(self.state.get("maintenance_requests", [])):
            anchor = ("maintenance", row.get("plant") or "", row.get("equipment"))
            documents.append(
                Document(
                    workflow="maintenance",
                    plant=row.get("plant") or "",
                    anchor=anchor,
                    identity=anchor,
                    fields={"equipment": row.get("equipment")},
                    arrival=position,
                    reference=f"maintenance.request {row.get('id')}",
                )
            )
        return documents

    def _checks(self) -> list[Document]:
        documents = []
        for position, row in enumerate(self.state.get("quality_checks", [])):
            plant = row.get("plant") or ""
            state = row.get("quality_state")
            documents.append(
                Document(
                    workflow="quality",
                    plant=plant,
                    anchor=("quality", plant, row.get("material")),
                    identity=("quality", plant, row.get("material"), state),
                    fields={"result": state},
                    arrival=position,
                    reference=f"quality.check {row.get('id')}",
                )
            )
        return documents

    def _downtime(self) -> list[Document]:
        documents = []
        for position, row in enumerate(self.state.get("productivity", [])):
            plant = row.get("plant") or ""
            anchor = ("downtime", plant, row.get("work_center"))
            fields = {
                "start": _minute(row.get("date_start")),
                "end": _minute(row.get("date_end")),
            }
            documents.append(
                Document(
                    workflow="downtime",
                    plant=plant,
                    anchor=anchor,
                    identity=(*anchor, *fields.values()),
                    fields=fields,
                    arrival=position,
                    reference=f"mrp.workcenter.productivity {row.get('id')}",
                )
            )
        return documents
