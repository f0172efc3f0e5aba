"""The running gateway: configuration, master data, store, workers, metrics.

``Gateway`` is what the HTTP routes and the MQTT ingress share. Its
``start()`` opens the store (recovering what a crash left in flight) and
starts one delivery worker per enabled destination plus the ordering
watchdog; ``stop()`` ends them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Sequence

from contracts import MasterData, PlantEvent, load_master_data
from gateway.config import DEFECT_EFFECTS, GatewayConfig
from gateway.delivery import DestinationWorker
from gateway.destinations import build_senders
from gateway.intake import canonical_body, digest
from gateway.metrics import GatewayMetrics
from gateway.records import Acknowledgement, Incoming
from gateway.routing import destinations_for
from gateway.store import SqliteStore

LOG = logging.getLogger("gateway")
_WATCHDOG_S = 0.5


class Gateway:
    """One gateway process's moving parts."""

    def __init__(self, config: GatewayConfig, master: MasterData | None = None) -> None:
        self.config = config
        self.master = master or load_master_data(config.master_data)
        self.metrics = GatewayMetrics()
        self.destinations = config.enabled_destinations()
        self.store = _store(config)
        self.store.on_commit = self.metrics.committed
        self.keys = {access.key: plant for plant, access in config.plants.items()}
        self.workers: list[DestinationWorker] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.ready = False

    async def start(self) -> None:
        for defect in self.config.defects:
            LOG.warning(
                "DEFECT ON: this gateway is deliberately broken",
                extra={"fields": {"defect": defect, "effect": DEFECT_EFFECTS[defect]}},
            )
        self.store.open()
        for sender in build_senders(self.config, self.master):
            settings = getattr(self.config.destinations, sender.name)
            worker = DestinationWorker(
                sender,
                self.store,
                settings,
                self.config.retry,
                self.metrics,
                retries=not self.config.has("no_retries"),
                idempotent_retries=not self.config.has("retries_without_idempotency"),
            )
            self.workers.append(worker)
            self._tasks.append(asyncio.create_task(worker.run()))
        self._tasks.append(asyncio.create_task(self._watch()))
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for worker in self.workers:
            await worker.sender.close()
        self.store.close()

    async def _watch(self) -> None:
        """Put streams whose gap outlived the timeout on hold; recount the
        backlog (other replicas change it too)."""
        timeout = self.config.ordering.gap_timeout_s
        while True:
            await asyncio.sleep(_WATCHDOG_S)
            held = await self.store.hold_overdue(timeout)
            if held:
                LOG.warning("streams on hold", extra={"fields": {"held": held}})
            await self.store.refresh_backlog()

    # Ingest ----------------------------------------------------------------------

    def incoming(self, event: PlantEvent) -> Incoming:
        body = canonical_body(event)
        return Incoming(
            event_id=event.id,
            plant=event.plant,
            subject=event.subject,
            sequence=event.sequence,
            type=event.type,
            body=body,
            digest=digest(body),
            destinations=destinations_for(event.type, self.destinations),
        )

    async def ingest(self, events: Sequence[PlantEvent]) -> list[Acknowledgement]:
        """Store events durably; wake the workers if anything became due."""
        acks, ready = await self.store.ingest([self.incoming(e) for e in events])
        if len(events) == 1:
            self.metrics.count_ingested(events[0].plant, acks[0].status, 1)
        else:
            outcomes = Counter(
                (e.plant, ack.status) for e, ack in zip(events, acks, strict=True)
            )
            for (plant, outcome), count in outcomes.items():
                self.metrics.count_ingested(plant, outcome, count)
        if ready:
            for worker in self.workers:
                worker.wake.set()
        return acks

    @property
    def overloaded(self) -> bool:
        return self.store.backlog >= self.config.ingress.backlog_high_water


def _store(config: GatewayConfig) -> SqliteStore:
    dedup, ordered = not config.has("no_dedup"), not config.has("no_ordering")
    settings = config.store
    if settings.kind == "postgres":
        from gateway.postgres import PostgresStore

        assert settings.dsn is not None
        return PostgresStore(
            settings.dsn,
            schema=settings.schema_name,
            replica=settings.replica,
            lease_s=settings.lease_s,
            dedup=dedup,
            ordered=ordered,
        )
    return SqliteStore(
        settings.path, dedup=dedup, ordered=ordered, synchronous=settings.synchronous
    )
