"""The plant-event envelope: CloudEvents 1.0 in structured JSON mode.

``id`` is the idempotency key, ``subject`` names the stream whose order
matters (a production order, a handling unit, a piece of equipment),
``sequence`` counts up from 1 within a subject, ``plant`` is an extension
attribute naming the plant, and ``time`` is when it happened on the floor, in
the plant's local time with its UTC offset.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
)

from contracts.errors import ContractError, problems_from
from contracts.payloads import PAYLOADS, Payload

SPECVERSION: Literal["1.0"] = "1.0"
CONTENT_TYPE = "application/cloudevents+json"
BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"

PlantCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,10}$")]
TraceParent = Annotated[
    str, Field(pattern=r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
]


class _EnvelopeFields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: Literal["1.0"] = SPECVERSION
    id: Annotated[str, Field(min_length=1, max_length=128)]
    source: Annotated[str, Field(min_length=1, max_length=256)]
    type: Annotated[str, Field(pattern=r"^[a-z0-9.]+\.v\d+$")]
    time: AwareDatetime
    subject: Annotated[str, Field(min_length=1, max_length=128)]
    sequence: Annotated[int, Field(ge=1)]
    datacontenttype: Literal["application/json"] = "application/json"
    plant: PlantCode
    traceparent: TraceParent | None = None


class WireEnvelope(_EnvelopeFields):
    """The envelope as it travels, before its payload is typed."""

    data: dict[str, Any]


class PlantEvent(_EnvelopeFields):
    """A plant event whose ``data`` is the payload model named by ``type``."""

    data: SerializeAsAny[Payload]

    def to_wire(self) -> dict[str, Any]:
        """The structured-mode JSON object, with decimals as strings."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_json(self) -> str:
        """Compact JSON with sorted keys: the same event gives the same bytes."""
        return json.dumps(self.to_wire(), sort_keys=True, separators=(",", ":"))


def make_event(payload: Payload, **envelope: Any) -> PlantEvent:
    """Wrap ``payload`` in an envelope whose ``type`` is the payload's own."""
    return PlantEvent(type=payload.event_type, data=payload, **envelope)


def parse_event(raw: Any, path: str = "") -> PlantEvent:
    """Validate one structured-mode event, typing its payload by ``type``.

    Raises ``ContractError`` naming every broken rule with its JSON path.
    """
    if not isinstance(raw, Mapping):
        where = path or "(root)"
        raise ContractError([(where, f"{where}: must be a JSON object")])
    problems: list[tuple[str, str]] = []
    try:
        WireEnvelope.model_validate(raw)
    except ValidationError as exc:
        problems.extend(problems_from(exc, path))

    kind = raw.get("type")
    model = PAYLOADS.get(kind) if isinstance(kind, str) else None
    payload: Payload | None = None
    type_path = f"{path}.type" if path else "type"
    if isinstance(kind, str) and model is None and not _has(problems, type_path):
        known = ", ".join(sorted(PAYLOADS))
        problems.append((type_path, f"{type_path}: {kind!r} is not one of {known}"))
    data = raw.get("data")
    if model is not None and isinstance(data, Mapping):
        try:
            payload = model.model_validate(data)
        except ValidationError as exc:
            problems.extend(problems_from(exc, f"{path}.data" if path else "data"))

    if problems or payload is None:
        raise ContractError(problems)
    fields = {key: value for key, value in raw.items() if key != "data"}
    return PlantEvent.model_validate({**fields, "data": payload})


def parse_batch(raw: Any) -> list[PlantEvent]:
    """Validate a batch (a JSON array of events); errors name ``[i].path``."""
    if not isinstance(raw, list):
        raise ContractError([("(root)", "(root): a batch must be a JSON array")])
    if not raw:
        raise ContractError(
            [("(root)", "(root): a batch must hold at least one event")]
        )
    events: list[PlantEvent] = []
    problems: list[tuple[str, str]] = []
    for index, item in enumerate(raw):
        try:
            events.append(parse_event(item, path=f"[{index}]"))
        except ContractError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ContractError(problems)
    return events


def parse_json(text: str | bytes) -> PlantEvent:
    """Parse and validate one event from JSON text."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContractError(
            [("(root)", f"(root): not valid JSON: {exc.msg}")]
        ) from None
    return parse_event(raw)


def dump_batch(events: Iterable[PlantEvent]) -> str:
    """Serialise events as one ``application/cloudevents-batch+json`` body."""
    return "[" + ",".join(event.to_json() for event in events) + "]"


def _has(problems: list[tuple[str, str]], path: str) -> bool:
    return any(where == path for where, _ in problems)
