"""Fault rules and the write journal behind ``/_mock/faults`` and
``/_mock/journal``.

A rule has a ``kind`` — ``latency`` (``latency_ms`` before answering),
``outage`` (HTTP 503, nothing applied), ``lost_ack`` (the write is applied,
the answer is lost as HTTP 504), ``serialization_failure`` (nothing applied,
Odoo's answer to PostgreSQL's "could not serialize access due to concurrent
update"), ``error`` (an Odoo server error, nothing applied) — a ``rate``
(0..1, drawn from a random generator seeded with ``seed``) and optional
filters ``service`` (``*``, ``xmlrpc``, ``jsonrpc``, ``json2``, ``web``),
``model`` and ``method``.  Outage and latency apply to every call;
the others to write calls only.  ``status`` and ``material`` are accepted for
the harness's sake (the SAP mock's rules carry them) and not used here.

The journal keeps every write call in arrival order: ``seq``,
``received_at``, ``http_method``, ``path``, ``protocol``, ``model``,
``method`` (the ORM method), ``uid``, ``login``, ``request_id`` (the
``x_event_id`` or ``origin`` it carries), ``replayed`` (always false: Odoo
has no repeatability store), ``status`` (the HTTP status JSON-2 would answer:
200 when applied, also for a lost acknowledgement), ``outcome`` (``ok``,
``error``, ``outage``, ``lost_ack``), ``error`` (the exception's name),
``body`` and ``result``.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["latency", "outage", "lost_ack", "serialization_failure", "error"]


class FaultRule(BaseModel):
    """One fault rule as posted to ``/_mock/faults``."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    rate: float = Field(default=1.0, ge=0.0, le=1.0)
    seed: int = 0
    service: str = "*"
    model: str | None = None
    method: str | None = None
    latency_ms: int = Field(default=0, ge=0, le=120_000)
    status: int | None = None
    material: str | None = None


@dataclass
class _Active:
    id: int
    rule: FaultRule
    random: random.Random
    hits: int = 0


@dataclass
class Faults:
    """The active rules; thread-safe."""

    _rules: dict[int, _Active] = field(default_factory=dict)
    _next: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rule: FaultRule) -> int:
        with self._lock:
            rule_id = self._next
            self._next += 1
            self._rules[rule_id] = _Active(rule_id, rule, random.Random(rule.seed))
            return rule_id

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            return self._rules.pop(rule_id, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"id": item.id, "hits": item.hits, **item.rule.model_dump()}
                for item in self._rules.values()
            ]

    def draw(
        self, protocol: str, model: str | None, method: str | None, writes: bool
    ) -> list[FaultRule]:
        """The rules that fire for this call, in the order they were added."""
        fired = []
        with self._lock:
            for item in self._rules.values():
                rule = item.rule
                if rule.kind not in ("latency", "outage") and not writes:
                    continue
                if rule.service not in ("*", protocol):
                    continue
                if rule.model and rule.model != model:
                    continue
                if rule.method and rule.method != method:
                    continue
                if item.random.random() < rule.rate:
                    item.hits += 1
                    fired.append(rule)
        return fired


@dataclass
class Journal:
    """Every write call in arrival order."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, **entry: Any) -> dict[str, Any]:
        with self._lock:
            item = {
                "seq": len(self.entries) + 1,
                "received_at": datetime.now(UTC).isoformat(),
                **entry,
            }
            self.entries.append(item)
            return item

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self.entries]


def summarize(value: Any, depth: int = 0) -> Any:
    """A short, JSON-safe picture of call arguments for the journal."""
    if isinstance(value, dict):
        if depth > 3:
            return "{...}"
        return {str(k): summarize(v, depth + 1) for k, v in list(value.items())[:40]}
    if isinstance(value, list | tuple):
        if depth > 3:
            return "[...]"
        return [summarize(v, depth + 1) for v in list(value)[:40]]
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "..."
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
