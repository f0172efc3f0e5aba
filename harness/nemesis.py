"""The nemesis: faults switched on and off on the plant's clock.

Faults act where they happen in the field: ERP faults through the mocks'
control surface (``/_mock/faults``), WAN partitions, duplicates and
reordering at the plant edge, crashes on the gateway's process. The feeder
asks the nemesis, as plant time passes, which faults start and end.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from harness.scenario import Fault

_ERP_RULES: dict[str, tuple[str, str]] = {
    "sap_outage": ("sap", "outage"),
    "sap_slowness": ("sap", "latency"),
    "sap_error_rate": ("sap", "error"),
    "sap_lost_ack": ("sap", "lost_ack"),
    "sap_locked_material": ("sap", "locked"),
    "sap_closed_period": ("sap", "closed_period"),
    "odoo_outage": ("odoo", "outage"),
    "odoo_serialization_failure": ("odoo", "serialization_failure"),
    "odoo_lost_ack": ("odoo", "lost_ack"),
}


@dataclass
class EdgeFaults:
    """What the plant edge should do to the events it sends right now."""

    partitioned: set[str] = field(default_factory=set)
    duplicate: bool = False
    reorder_window: int = 0
    skew: dict[str, timedelta] = field(default_factory=dict)


@dataclass
class Nemesis:
    """Applies a scenario's faults as the plant clock passes their times."""

    faults: list[Fault]
    start: datetime
    erp_urls: dict[str, str]
    seed: int
    crash_gateway: Callable[[], None] = lambda: None
    restart_gateway: Callable[[], None] = lambda: None
    send_poison: Callable[[Fault], None] = lambda fault: None
    edge: EdgeFaults = field(default_factory=EdgeFaults)
    log: list[dict[str, Any]] = field(default_factory=list)
    _active: dict[int, str | None] = field(default_factory=dict)
    _done: set[int] = field(default_factory=set)

    def boundaries(self) -> list[datetime]:
        """Plant times at which a fault starts or ends, in order."""
        times = set()
        for fault in self.faults:
            times.add(self.start + fault.at)
            if fault.duration:
                times.add(self.start + fault.at + fault.duration)
        return sorted(times)

    def advance(self, now: datetime) -> None:
        """Start and end faults whose times have come."""
        for index, fault in enumerate(self.faults):
            begins = self.start + fault.at
            ends = begins + fault.duration
            if index not in self._active and index not in self._done and now >= begins:
                self._active[index] = self._begin(index, fault)
                self._record("start", fault, now)
            if index in self._active and now >= ends:
                self._end(fault, self._active.pop(index))
                self._done.add(index)
                self._record("end", fault, now)

    def finish(self, now: datetime) -> None:
        """End whatever is still active (the run is over)."""
        for index, rule in list(self._active.items()):
            fault = self.faults[index]
            self._end(fault, rule)
            self._done.add(index)
            self._record("end", fault, now)
        self._active.clear()

    def _record(self, what: str, fault: Fault, now: datetime) -> None:
        self.log.append({"at": now.isoformat(), "what": what, "kind": fault.kind})

    def _begin(self, index: int, fault: Fault) -> str | None:
        if fault.kind in _ERP_RULES:
            erp, kind = _ERP_RULES[fault.kind]
            return self._add_erp_rule(erp, kind, fault, index)
        if fault.kind == "wan_partition":
            self.edge.partitioned.add(fault.plant or "*")
        elif fault.kind == "duplicate_delivery":
            self.edge.duplicate = True
        elif fault.kind == "reordered_delivery":
            self.edge.reorder_window = fault.window
        elif fault.kind == "clock_skew":
            self.edge.skew[fault.plant or "*"] = fault.skew
        elif fault.kind == "gateway_crash":
            self.crash_gateway()
        elif fault.kind == "poison_events":
            self.send_poison(fault)
        return None

    def _end(self, fault: Fault, rule: str | None) -> None:
        if fault.kind in _ERP_RULES and rule is not None:
            erp, _ = _ERP_RULES[fault.kind]
            if erp in self.erp_urls:
                httpx.delete(f"{self.erp_urls[erp]}/_mock/faults/{rule}", timeout=10)
        elif fault.kind == "wan_partition":
            self.edge.partitioned.discard(fault.plant or "*")
        elif fault.kind == "duplicate_delivery":
            self.edge.duplicate = False
        elif fault.kind == "reordered_delivery":
            self.edge.reorder_window = 0
        elif fault.kind == "clock_skew":
            self.edge.skew.pop(fault.plant or "*", None)
        elif fault.kind == "gateway_crash":
            self.restart_gateway()

    def _add_erp_rule(
        self, erp: str, kind: str, fault: Fault, index: int
    ) -> str | None:
        if erp not in self.erp_urls:
            return None
        rule: dict[str, Any] = {
            "service": "*",
            "kind": kind,
            "rate": fault.rate,
            "seed": random.Random(self.seed + index).randrange(2**31),
        }
        if kind == "latency":
            rule["latency_ms"] = fault.latency_ms
        if kind == "error":
            rule["status"] = fault.status
        if fault.material:
            rule["material"] = fault.material
        response = httpx.post(
            f"{self.erp_urls[erp]}/_mock/faults", json=rule, timeout=10
        )
        response.raise_for_status()
        identifier = response.json().get("id")
        return str(identifier) if identifier is not None else None
