"""The destinations the workers deliver to, built from the configuration."""

from __future__ import annotations

from contracts import MasterData, PlantEvent
from gateway.config import GatewayConfig
from gateway.delivery import Sender
from gateway.records import Delivery
from gateway.sap_client import SapClient, request_id
from gateway.sap_mapping import SapMapping


class SapSender:
    """Posts plant events to SAP S/4HANA.

    The ``RequestID`` is derived from the event id, so a resend after a lost
    answer is recognised by SAP. Without deduplication (a deliberate defect)
    each stored copy of an event gets its own ``RequestID``, as a middleware
    that mints a message id per received message would.
    """

    name = "sap"

    def __init__(self, config: GatewayConfig, master: MasterData) -> None:
        settings = config.destinations.sap
        assert settings is not None
        self.client = SapClient(settings)
        self.mapping = SapMapping(
            master,
            utc_posting_date=config.has("utc_posting_date"),
            ignore_unit_conversion=config.has("ignore_unit_conversion"),
        )
        self.per_copy_ids = config.has("no_dedup")

    async def send(
        self, event: PlantEvent, delivery: Delivery, idempotent: bool
    ) -> str:
        posting = self.mapping.posting(event)
        if posting is None:
            return "not for SAP"
        key = f"{event.id}#{delivery.position}" if self.per_copy_ids else event.id
        headers = (request_id(key), delivery.created_at) if idempotent else None
        result = await self.client.create(posting, headers)
        return _reference(result)

    async def close(self) -> None:
        await self.client.close()


def _reference(result: dict[str, object]) -> str:
    for key in (
        "MaterialDocument",
        "ConfirmationGroup",
        "MaintenanceNotification",
    ):
        if result.get(key):
            return f"{key} {result[key]}"
    return ""


def build_senders(config: GatewayConfig, master: MasterData) -> list[Sender]:
    """One sender per enabled destination."""
    senders: list[Sender] = []
    enabled = config.enabled_destinations()
    if "sap" in enabled:
        senders.append(SapSender(config, master))
    if "odoo" in enabled:
        from gateway.odoo import OdooSender

        senders.append(OdooSender(config, master))
    return senders
