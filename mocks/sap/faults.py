"""Fault injection (``/_mock/faults``): seeded, per service or entity set.

Kinds:

- ``latency``: delay the answer (``distribution`` fixed, uniform, normal or
  exponential around ``latency_ms`` with ``jitter_ms``);
- ``error``: answer ``status`` in SAP's error shape without doing anything;
- ``outage``: 503, the service is down;
- ``hang``: hold the request for ``hang_ms`` (bounded) and answer 504;
- ``reset``: drop the connection without doing anything;
- ``lost_ack``: make the posting, journal it, then drop the connection;
- ``locked``: refuse writes with SAP's M3/897 (material locked by a user),
  only for ``material`` (the plant's code or SAP's) when given;
- ``closed_period``: refuse writes with M7/053.

A rule holds until it is deleted or, with ``duration_ms``, for that window
from when it was added (an outage window). Each rule draws from its own
``random.Random(seed)``, so a run repeats.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FaultKind = Literal[
    "latency", "error", "outage", "hang", "reset", "lost_ack", "locked",
    "closed_period",
]
WRITE_ONLY = {"lost_ack", "locked", "closed_period"}
WRITES = {"POST", "PUT", "PATCH", "MERGE", "DELETE"}


class FaultRule(BaseModel):
    """One fault rule as posted to ``/_mock/faults``."""

    model_config = ConfigDict(extra="forbid")

    service: str = "*"
    entity_set: str | None = None
    kind: FaultKind
    rate: float | None = Field(default=1.0, ge=0, le=1)
    status: int | None = Field(default=500, ge=400, le=599)
    latency_ms: float | None = Field(default=0, ge=0, le=600_000)
    distribution: Literal["fixed", "uniform", "normal", "exponential"] = "fixed"
    jitter_ms: float = Field(default=0, ge=0, le=600_000)
    hang_ms: float = Field(default=30_000, ge=0, le=600_000)
    duration_ms: float | None = Field(default=None, gt=0, le=86_400_000)
    material: str | None = Field(default=None, min_length=1, max_length=40)
    user: str = Field(default="BATCHJOB", min_length=1, max_length=12)
    seed: int = 0


@dataclass
class Decision:
    """What the faults decided for one request."""

    delay_s: float = 0.0
    kind: str | None = None
    rule: FaultRule | None = None
    rule_ids: list[str] = field(default_factory=list)


@dataclass
class _Active:
    rule: FaultRule
    rng: random.Random
    until: float  # clock reading after which the rule no longer applies


class Faults:
    """The active fault rules of one mock; ``clock`` is monotonic seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._rules: dict[str, _Active] = {}
        self._next = 0
        self._lock = threading.Lock()
        self._clock = clock

    def add(self, rule: FaultRule) -> str:
        until = float("inf")
        if rule.duration_ms is not None:
            until = self._clock() + rule.duration_ms / 1000
        with self._lock:
            self._next += 1
            rule_id = str(self._next)
            self._rules[rule_id] = _Active(rule, random.Random(rule.seed), until)
            return rule_id

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            return self._rules.pop(rule_id, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def listing(self) -> list[dict[str, object]]:
        now = self._clock()
        with self._lock:
            return [{"id": rid, **active.rule.model_dump(),
                     "active": now < active.until}
                    for rid, active in self._rules.items()]

    def decide(
        self, service: str, entity_set: str, method: str, body: bytes,
        sap_material: Callable[[str], str] = str,
    ) -> Decision:
        """Draw every matching rule once; the first terminal fault wins.

        ``sap_material`` turns a plant's material code into SAP's, so that
        a ``locked`` rule may name either.
        """
        decision = Decision()
        if not self._rules:
            return decision
        now = self._clock()
        with self._lock:
            for rule_id, active in self._rules.items():
                rule, rng = active.rule, active.rng
                if now >= active.until:
                    continue
                if not _matches(rule, service, entity_set, method, body,
                                sap_material):
                    continue
                rate = 1.0 if rule.rate is None else rule.rate
                if rng.random() >= rate:
                    continue
                decision.rule_ids.append(rule_id)
                if rule.kind == "latency":
                    decision.delay_s += _latency(rule, rng) / 1000
                elif decision.kind is None:
                    decision.kind, decision.rule = rule.kind, rule
        return decision


def _matches(
    rule: FaultRule, service: str, entity_set: str, method: str, body: bytes,
    sap_material: Callable[[str], str],
) -> bool:
    if rule.service not in ("*", service):
        return False
    if rule.entity_set and rule.entity_set != entity_set:
        return False
    if rule.kind in WRITE_ONLY and method not in WRITES:
        return False
    if rule.kind == "locked" and rule.material:
        names = {rule.material, sap_material(rule.material)}
        return any(f'"{name}"'.encode() in body for name in names)
    return True


def _latency(rule: FaultRule, rng: random.Random) -> float:
    mean = rule.latency_ms or 0.0
    if rule.distribution == "uniform":
        return max(0.0, rng.uniform(mean - rule.jitter_ms, mean + rule.jitter_ms))
    if rule.distribution == "normal":
        return max(0.0, rng.gauss(mean, rule.jitter_ms))
    if rule.distribution == "exponential":
        return rng.expovariate(1 / mean) if mean > 0 else 0.0
    return mean
