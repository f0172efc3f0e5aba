"""Prometheus metrics and the structured log lines of the gateway.

Each app has its own registry, so that several gateways (in tests) do not
collide. The delivery log is one line per delivery outcome with fixed text
(``delivery``) and structured fields; it never carries a secret or a payload.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

DELIVERY_LOG = logging.getLogger("gateway.delivery")


class GatewayMetrics:
    """The gateway's counters, gauges and histograms in one registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._ingested: dict[tuple[str, str], Any] = {}
        self.ingested = Counter(
            "planttwin_gateway_events_ingested",
            "Events accepted by ingress, by plant and outcome.",
            ["plant", "outcome"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "planttwin_gateway_requests_rejected",
            "Ingress requests refused, by HTTP status.",
            ["status"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            "planttwin_gateway_deliveries",
            "Delivery outcomes, by destination.",
            ["destination", "outcome"],
            registry=self.registry,
        )
        self.attempts = Counter(
            "planttwin_gateway_delivery_attempts",
            "Attempts to write to a destination, by destination.",
            ["destination"],
            registry=self.registry,
        )
        self.delivery_seconds = Histogram(
            "planttwin_gateway_delivery_seconds",
            "Time from claim to outcome of one delivery.",
            ["destination"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "planttwin_gateway_queue_depth",
            "Deliveries waiting to be sent, by destination.",
            ["destination"],
            registry=self.registry,
        )
        self.dead_letters = Gauge(
            "planttwin_gateway_dead_letters",
            "Dead letters, by destination.",
            ["destination"],
            registry=self.registry,
        )
        self.streams_on_hold = Gauge(
            "planttwin_gateway_streams_on_hold",
            "Streams held by a sequence gap past the timeout.",
            registry=self.registry,
        )
        self.store_commits = Counter(
            "planttwin_gateway_store_commits",
            "Transactions committed by the store (each holds a group of writes).",
            registry=self.registry,
        )
        self.store_writes = Counter(
            "planttwin_gateway_store_writes",
            "Store operations committed (ingests, claims, outcomes, ...).",
            registry=self.registry,
        )
        self.circuit_open = Gauge(
            "planttwin_gateway_circuit_open",
            "1 while a destination's circuit breaker is open.",
            ["destination"],
            registry=self.registry,
        )

    def count_ingested(self, plant: str, outcome: str, count: int) -> None:
        """Events answered by ingress (the labelled child is kept: looking it
        up costs more than counting)."""
        key = (plant, outcome)
        child = self._ingested.get(key)
        if child is None:
            child = self._ingested[key] = self.ingested.labels(plant, outcome)
        child.inc(count)

    def committed(self, operations: int) -> None:
        """One group commit of ``operations`` store operations."""
        self.store_commits.inc()
        self.store_writes.inc(operations)

    def observe_status(self, status: dict[str, Any]) -> None:
        """Update the gauges from a ``/v1/status`` report."""
        for name, figures in status["destinations"].items():
            self.queue_depth.labels(name).set(figures["queue_depth"])
            self.dead_letters.labels(name).set(figures["dead_letters"])
        self.streams_on_hold.set(len(status["streams_on_hold"]))


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        return json.dumps(line, default=str)


def log_delivery(**fields: Any) -> None:
    """The one log line of a delivery outcome."""
    level = logging.WARNING if fields.get("outcome") == "dead" else logging.INFO
    DELIVERY_LOG.log(level, "delivery", extra={"fields": fields})
