"""Delivery to Odoo over its external API.

Every record the gateway creates carries the event id in ``x_event_id``, and
the gateway searches for it before it creates, so a resend after a lost
answer finds the first record instead of making a second. A step that
changes a record (validating a transfer, closing a downtime) first reads
whether it already happened.

What Odoo hears of (``gateway.routing``):

- a scan between two locations: an internal transfer (``stock.picking``)
  whose move line carries the scanned quantity and lot, confirmed and
  validated. The scan is a fact of the floor, so the quantity is set as
  done rather than reserved;
- a maintenance request: ``maintenance.request``;
- a usage decision: ``quality.check`` pass / fail on the lot;
- downtime: a ``mrp.workcenter.productivity`` line opened when the machine
  stops and closed when it runs again (Odoo's block / unblock).

Quantities go in the plant unit's Odoo ``uom.uom`` (Odoo converts to the
product's unit itself), rounded as that unit rounds.

Known gap (issue 6): confirmations, consumption, output and scrap reach Odoo
through its manufacturing orders (``mrp.workorder`` produced quantity, raw
and finished moves, ``stock.scrap``). The Odoo mock gives ``mrp.workorder``
no reference field for the event id and offers no way to post one raw move
on its own, so they cannot yet be written exactly once; SAP gets them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contracts import (
    DowntimeEnded,
    DowntimeStarted,
    MaintenanceRequested,
    MasterData,
    PlantEvent,
    QualityInspected,
    ScanRecorded,
    UnknownMasterData,
)
from gateway.config import GatewayConfig
from gateway.errors import PermanentError
from gateway.odoo_rpc import OdooRpc
from gateway.records import Delivery

_PRIORITY = {1: "3", 2: "2", 3: "1", 4: "0"}


@dataclass(frozen=True)
class Reference:
    """What a write stamps into ``x_event_id`` (the event id), and whether
    to search for it first (always, unless retries without idempotency are
    the deliberate defect)."""

    key: str
    search: bool = True
Domain = list[tuple[str, str, Any]]


def odoo_datetime(moment: datetime) -> str:
    """Odoo's datetime text: UTC, no offset."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


class OdooSender:
    """Writes plant events to Odoo, searching by event id before creating."""

    name = "odoo"

    def __init__(self, config: GatewayConfig, master: MasterData) -> None:
        settings = config.destinations.odoo
        assert settings is not None
        secret = settings.api_key or settings.password or ""
        self.rpc = OdooRpc(
            settings.url, settings.db, settings.login, secret, settings.timeout_s
        )
        self.master = master
        self.ignore_unit_conversion = config.has("ignore_unit_conversion")
        # Without deduplication each stored copy of an event is a write of
        # its own (as with SAP's RequestID, see ``gateway.destinations``).
        self.per_copy = config.has("no_dedup")
        self._cache: dict[tuple[str, str], int] = {}

    async def close(self) -> None:
        await self.rpc.close()

    async def send(
        self, event: PlantEvent, delivery: Delivery, idempotent: bool
    ) -> str:
        data = event.data
        key = f"{event.id}#{delivery.position}" if self.per_copy else event.id
        ref = Reference(key, search=idempotent)
        try:
            if isinstance(data, ScanRecorded):
                return await self._transfer(event, data, ref)
            if isinstance(data, MaintenanceRequested):
                return await self._request(event, data, ref)
            if isinstance(data, QualityInspected):
                return await self._check(event, data, ref)
            if isinstance(data, DowntimeStarted):
                return await self._downtime_started(event, data, ref)
            if isinstance(data, DowntimeEnded):
                return await self._downtime_ended(event, data, ref)
        except UnknownMasterData as exc:
            raise PermanentError("MASTER_DATA", str(exc)) from None
        return "not for Odoo"

    # Lookups ----------------------------------------------------------------

    async def _find(self, model: str, domain: Domain, what: str) -> int:
        """The id of the one record ``domain`` names; cached, since master
        records do not move."""
        key = (model, repr(domain))
        if key not in self._cache:
            found = await self.rpc.execute(
                model, "search", [[list(term) for term in domain]], limit=1
            )
            if not found:
                raise PermanentError("MASTER_DATA", f"{model} {what} is not in Odoo")
            self._cache[key] = int(found[0])
        return self._cache[key]

    async def _company(self, plant: str) -> int:
        name = self.master.plant(plant).odoo_company
        return await self._find("res.company", [("name", "=", name)], repr(name))

    async def _location(self, plant: str, code: str, company: int) -> int:
        name = self.master.storage_location(plant, code).odoo
        domain: Domain = [("complete_name", "=", name), ("company_id", "=", company)]
        return await self._find("stock.location", domain, repr(name))

    async def _product(self, material: str) -> int:
        code = self.master.material(material).odoo_product
        return await self._find(
            "product.product", [("default_code", "=", code)], repr(code)
        )

    async def _uom(self, unit: str) -> int:
        name = self.master.unit(unit).odoo
        return await self._find("uom.uom", [("name", "=", name)], repr(name))

    async def _lot(self, name: str, product: int, company: int) -> int:
        """The ``stock.lot`` of the plant's lot, created when Odoo has not
        seen it yet (a lot made on the floor). Name, product and company are
        unique in Odoo, so a resend finds the lot instead of adding one."""
        domain: Domain = [("name", "=", name), ("product_id", "=", product)]
        key = ("stock.lot", repr(domain))
        if key in self._cache:
            return self._cache[key]
        found = await self.rpc.execute(
            "stock.lot", "search", [[list(term) for term in domain]], limit=1
        )
        if found:
            lot = int(found[0])
        else:
            values = {"name": name, "product_id": product, "company_id": company}
            lot = int(await self.rpc.execute("stock.lot", "create", [values]))
        self._cache[key] = lot
        return lot

    async def _existing(self, model: str, ref: Reference) -> int | None:
        if not ref.search:
            return None
        found = await self.rpc.execute(
            model, "search", [[["x_event_id", "=", ref.key]]], limit=1
        )
        return int(found[0]) if found else None

    async def _create_once(
        self, model: str, values: dict[str, Any], ref: Reference
    ) -> str:
        record = await self._existing(model, ref)
        if record is None:
            record = int(
                await self.rpc.execute(
                    model, "create", [{**values, "x_event_id": ref.key}]
                )
            )
        return f"{model} {record}"

    # Records ----------------------------------------------------------------

    async def _transfer(
        self, event: PlantEvent, data: ScanRecorded, ref: Reference
    ) -> str:
        picking = await self._existing("stock.picking", ref)
        if picking is None:
            picking = await self._create_transfer(event, data, ref.key)
        [row] = await self.rpc.execute(
            "stock.picking", "read", [[picking]], fields=["state", "name"]
        )
        if row["state"] == "cancel":
            raise PermanentError(
                "CANCELLED", f"transfer {row['name']} was cancelled in Odoo"
            )
        if row["state"] != "done":
            if row["state"] == "draft":
                await self.rpc.execute("stock.picking", "action_confirm", [[picking]])
            answer = await self.rpc.execute(
                "stock.picking", "button_validate", [[picking]]
            )
            if answer is not True:
                raise PermanentError(
                    "NOT_VALIDATED",
                    f"transfer {row['name']} was not validated: Odoo asked "
                    f"{_wizard(answer)}",
                )
        return f"stock.picking {picking}"

    async def _create_transfer(
        self, event: PlantEvent, data: ScanRecorded, key: str
    ) -> int:
        company = await self._company(event.plant)
        source = await self._location(event.plant, data.from_location, company)
        target = await self._location(event.plant, data.to_location, company)
        product = await self._product(data.material)
        unit, amount = data.unit, data.quantity
        base_unit = self.master.material(data.material).base_unit
        if self.ignore_unit_conversion:
            unit = base_unit
        elif self.master.round_for(unit, amount) != amount:
            # Odoo would round 4.48 boxes to 4: an opened box goes in the
            # material's base unit when it is exact there (448 pieces).
            base = self.master.to_base(data.material, amount, data.unit)
            if self.master.round_for(base_unit, base) == base:
                unit, amount = base_unit, base
        quantity = float(self.master.round_for(unit, amount))
        uom = await self._uom(unit)
        line: dict[str, Any] = {
            "product_id": product,
            "product_uom_id": uom,
            "quantity": quantity,
            "location_id": source,
            "location_dest_id": target,
        }
        if data.lot:
            line["lot_id"] = await self._lot(data.lot, product, company)
        move = {
            "name": f"scan {data.barcode}",
            "x_event_id": key,
            "product_id": product,
            "product_uom_qty": quantity,
            "product_uom": uom,
            "location_id": source,
            "location_dest_id": target,
            "picked": True,
            "company_id": company,
            "move_line_ids": [[0, 0, line]],
        }
        kind = await self._find(
            "stock.picking.type",
            [("code", "=", "internal"), ("company_id", "=", company)],
            f"internal transfer type of company {company}",
        )
        values = {
            "picking_type_id": kind,
            "location_id": source,
            "location_dest_id": target,
            "origin": data.handling_unit,
            "x_event_id": key,
            "company_id": company,
            "move_ids": [[0, 0, move]],
        }
        return int(await self.rpc.execute("stock.picking", "create", [values]))

    async def _request(
        self, event: PlantEvent, data: MaintenanceRequested, ref: Reference
    ) -> str:
        company = await self._company(event.plant)
        equipment = await self._find(
            "maintenance.equipment",
            [("name", "=", data.equipment), ("company_id", "=", company)],
            repr(data.equipment),
        )
        values = {
            "name": data.description or f"{data.failure_code} on {data.equipment}",
            "equipment_id": equipment,
            "maintenance_type": "corrective",
            "priority": _PRIORITY[data.priority],
            "request_date": event.time.date().isoformat(),
            "company_id": company,
        }
        return await self._create_once("maintenance.request", values, ref)

    async def _check(
        self, event: PlantEvent, data: QualityInspected, ref: Reference
    ) -> str:
        company = await self._company(event.plant)
        product = await self._product(data.material)
        values = {
            "product_id": product,
            "lot_id": await self._lot(data.lot, product, company),
            "quality_state": "pass" if data.decision == "accept" else "fail",
            "control_date": odoo_datetime(event.time),
            "note": f"usage decision {data.decision} on lot {data.lot}",
            "company_id": company,
        }
        return await self._create_once("quality.check", values, ref)

    async def _workcenter(self, plant: str, code: str) -> tuple[int, int]:
        company = await self._company(plant)
        name = self.master.work_center(plant, code).odoo
        workcenter = await self._find(
            "mrp.workcenter",
            [("name", "=", name), ("company_id", "=", company)],
            repr(name),
        )
        return workcenter, company

    async def _loss(self) -> int:
        """A machine standing still is an availability loss for OEE."""
        return await self._find(
            "mrp.workcenter.productivity.loss",
            [("loss_type", "=", "availability")],
            "loss reason of type 'availability'",
        )

    async def _downtime_started(
        self, event: PlantEvent, data: DowntimeStarted, ref: Reference
    ) -> str:
        workcenter, company = await self._workcenter(event.plant, data.work_center)
        values: dict[str, Any] = {
            "workcenter_id": workcenter,
            "loss_id": await self._loss(),
            "description": _downtime_text(data),
            "date_start": odoo_datetime(event.time),
            "company_id": company,
        }
        return await self._create_once("mrp.workcenter.productivity", values, ref)

    async def _downtime_ended(
        self, event: PlantEvent, data: DowntimeEnded, ref: Reference
    ) -> str:
        """Close the open line of this downtime; a resend finds it closed.
        When the start never reached Odoo, the whole interval is logged."""
        workcenter, company = await self._workcenter(event.plant, data.work_center)
        model = "mrp.workcenter.productivity"
        lines = await self.rpc.execute(
            model,
            "search_read",
            [[
                ["workcenter_id", "=", workcenter],
                ["description", "like", f"({data.downtime_id})"],
            ]],
            fields=["date_end"],
            limit=1,
        )
        end = odoo_datetime(event.time)
        if lines and not lines[0]["date_end"]:
            await self.rpc.execute(
                model, "write", [[lines[0]["id"]], {"date_end": end}]
            )
            return f"{model} {lines[0]['id']} closed"
        if lines and ref.search:
            return f"{model} {lines[0]['id']} closed before"
        values: dict[str, Any] = {
            "workcenter_id": workcenter,
            "loss_id": await self._loss(),
            "description": _downtime_text(data),
            "date_start": odoo_datetime(data.started_at),
            "date_end": end,
            "company_id": company,
        }
        return await self._create_once(model, values, ref)


def _downtime_text(data: DowntimeStarted | DowntimeEnded) -> str:
    """The line's description; the downtime id in parentheses finds it again."""
    return f"{data.reason} on {data.equipment} ({data.downtime_id})"


def _wizard(answer: Any) -> str:
    if isinstance(answer, dict):
        return repr(answer.get("name") or answer.get("res_model") or "a question")
    return repr(answer)
