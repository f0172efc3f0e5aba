"""Validating incoming events fast, with the contract's own words on failure.

The contract (``contracts.parse_event``) validates an event in three steps in
Python. Ingress takes thousands of events a second, so it validates a whole
body in one pass of pydantic-core instead: a tagged union of one model per
payload type, each a ``PlantEvent`` whose ``data`` is that payload class, fed
the raw JSON bytes. The models are built from the contract's classes, so
they accept exactly what the contract accepts. When that pass refuses a body,
the contract parses it again to name each broken field its usual way.

``Intake`` also gives each event its canonical body (compact JSON, fields in
the contract's order, no nulls): what the store keeps, what delivery parses
back, and what a repeated id is compared by.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal, Union

from pydantic import Field, TypeAdapter, ValidationError, create_model

from contracts import ContractError, PlantEvent, parse_batch, parse_event
from contracts.payloads import PAYLOADS


def _typed_event_union() -> Any:
    models = [
        create_model(
            f"{payload.__name__}Event",
            __base__=PlantEvent,
            type=(Literal[name], ...),  # type: ignore[arg-type]
            data=(payload, ...),
        )
        for name, payload in sorted(PAYLOADS.items())
    ]
    return Annotated[Union[tuple(models)], Field(discriminator="type")]  # noqa: UP007


_EVENT: Any = _typed_event_union()
_ONE: TypeAdapter[PlantEvent] = TypeAdapter(_EVENT)
_MANY: TypeAdapter[list[PlantEvent]] = TypeAdapter(list[_EVENT])


def canonical_body(event: PlantEvent) -> str:
    """The event as the gateway stores it."""
    return event.model_dump_json(exclude_none=True)


def digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def _not_json(exc: ValueError) -> ContractError:
    return ContractError([("(root)", f"(root): not valid JSON: {exc}")])


def parse_one(body: bytes) -> PlantEvent:
    """One structured-mode event from its JSON bytes.

    Raises ``ContractError`` naming every broken field.
    """
    try:
        return _ONE.validate_json(body)
    except ValidationError:
        pass
    try:
        raw = json.loads(body)
    except ValueError as exc:
        raise _not_json(exc) from None
    return parse_event(raw)


def parse_many(body: bytes, limit: int) -> list[PlantEvent]:
    """A batch (JSON array) from its bytes; more than ``limit`` events is a
    ``BatchTooLarge``. Raises ``ContractError`` naming ``[i].field``."""
    try:
        events = _MANY.validate_json(body)
    except ValidationError:
        try:
            raw = json.loads(body)
        except ValueError as exc:
            raise _not_json(exc) from None
        if isinstance(raw, list) and len(raw) > limit:
            raise BatchTooLarge(len(raw), limit) from None
        return parse_batch(raw)
    if len(events) > limit:
        raise BatchTooLarge(len(events), limit)
    if not events:
        raise ContractError(
            [("(root)", "(root): a batch must hold at least one event")]
        )
    return events


def parse_message(body: bytes) -> list[PlantEvent]:
    """An MQTT message: one event or a JSON array of them."""
    if body.lstrip()[:1] == b"[":
        return parse_many(body, limit=1_000_000)
    return [parse_one(body)]


class BatchTooLarge(ValueError):
    """A batch holds more events than ingress takes at once."""

    def __init__(self, count: int, limit: int) -> None:
        self.count, self.limit = count, limit
        super().__init__(
            f"(root): {count} events is more than the limit of {limit}"
        )
