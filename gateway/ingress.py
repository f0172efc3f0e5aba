"""HTTP ingress: ``POST /v1/events`` and ``POST /v1/events/batch``.

An event is answered 202 only after it is committed to the store. A repeated
``id`` gets 200 with the original acknowledgement and is not processed
again; the same ``id`` with different content gets 409. Schema errors get 400
as problem details naming each field; oversized bodies 413; a backlog above
the high-water mark 429 with ``Retry-After``. A plant's key may submit only
that plant's events (403).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from contracts import (
    BATCH_CONTENT_TYPE,
    CONTENT_TYPE,
    ContractError,
    PlantEvent,
    WireEnvelope,
)
from gateway.intake import BatchTooLarge, parse_many, parse_one
from gateway.problems import PROBLEM_TYPE, Problem, gateway_of, plant_of
from gateway.records import Acknowledgement

router = APIRouter(tags=["ingress"])
_SINGLE_TYPES = {CONTENT_TYPE, "application/json"}
_JSON = "application/json"
_BATCH_TYPES = {BATCH_CONTENT_TYPE, "application/json"}


class Ack(BaseModel):
    id: str
    status: str
    position: int
    accepted_at: str


class BatchAck(BaseModel):
    accepted: int
    duplicates: int
    conflicts: int
    results: list[Ack]


def _problem_schema() -> dict[str, Any]:
    return {"application/problem+json": {"schema": {"type": "object"}}}


def _body_spec(content_type: str, batch: bool) -> dict[str, Any]:
    envelope = WireEnvelope.model_json_schema()
    schema: dict[str, Any] = (
        {"type": "array", "items": envelope, "minItems": 1} if batch else envelope
    )
    return {
        "requestBody": {
            "required": True,
            "content": {content_type: {"schema": schema}},
        }
    }


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Schema error", "content": _problem_schema()},
    401: {"description": "No or unknown key", "content": _problem_schema()},
    403: {"description": "Another plant's event", "content": _problem_schema()},
    409: {"description": "Same id, other content", "content": _problem_schema()},
    413: {"description": "Body too large", "content": _problem_schema()},
    415: {"description": "Wrong content type", "content": _problem_schema()},
    429: {"description": "Backlog above high water", "content": _problem_schema()},
}


async def _read(request: Request, limit: int, allowed: set[str]) -> bytes:
    """The body, refused early when too large or of the wrong type."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in allowed:
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported content type",
            f"Content-Type: {media or '(none)'!r} is not one of "
            f"{', '.join(sorted(allowed))}",
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        if int(declared) > limit:
            raise _too_large(int(declared), limit)
        return await request.body()  # the server stops at the declared length
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int, limit: int) -> Problem:
    return Problem(
        413,
        "too-large",
        "Body too large",
        f"body: {size} bytes is more than the limit of {limit} bytes",
    )


def _invalid(exc: ContractError) -> Problem:
    errors = [{"path": path, "message": message} for path, message in exc.problems]
    return Problem(
        400, "invalid-event", "Event breaks the contract", str(exc), errors=errors
    )


def _guard(request: Request, events: list[PlantEvent], plant: str) -> None:
    for index, event in enumerate(events):
        if event.plant != plant:
            where = "plant" if len(events) == 1 else f"[{index}].plant"
            raise Problem(
                403,
                "wrong-plant",
                "Another plant's event",
                f"{where}: {event.plant!r} is not the plant of this key ({plant!r})",
            )
    gateway = gateway_of(request)
    if gateway.overloaded:
        retry = gateway.config.ingress.retry_after_s
        raise Problem(
            429,
            "backlog",
            "Backlog above high water",
            f"backlog: {gateway.store.backlog} deliveries waiting; "
            f"the high-water mark is {gateway.config.ingress.backlog_high_water}",
            headers={"Retry-After": str(retry)},
        )


@router.post(
    "/v1/events",
    status_code=202,
    response_model=Ack,
    responses={200: {"model": Ack, "description": "Repeat of an id"}, **_ERRORS},
    openapi_extra=_body_spec(CONTENT_TYPE, batch=False),
)
async def post_event(request: Request) -> Response:
    """Accept one CloudEvent (structured JSON mode)."""
    plant = plant_of(request)
    gateway = gateway_of(request)
    body = await _read(request, gateway.config.ingress.max_event_bytes, _SINGLE_TYPES)
    try:
        event = parse_one(body)
    except ContractError as exc:
        raise _invalid(exc) from None
    _guard(request, [event], plant)

    [ack] = await gateway.ingest([event])

    if ack.status == "conflict":
        raise _conflict(ack)
    original = Acknowledgement(ack.event_id, ack.position, ack.accepted_at)
    status = 202 if ack.status == "accepted" else 200
    return Response(
        json.dumps(original.to_json()), status_code=status, media_type=_JSON
    )


@router.post(
    "/v1/events/batch",
    status_code=202,
    response_model=BatchAck,
    responses={200: {"model": BatchAck, "description": "Only repeats"}, **_ERRORS},
    openapi_extra=_body_spec(BATCH_CONTENT_TYPE, batch=True),
)
async def post_batch(request: Request) -> JSONResponse:
    """Accept a batch (a JSON array of CloudEvents); all valid or none."""
    plant = plant_of(request)
    gateway = gateway_of(request)
    settings = gateway.config.ingress
    body = await _read(request, settings.max_batch_bytes, _BATCH_TYPES)
    try:
        events = parse_many(body, settings.max_batch_events)
    except BatchTooLarge as exc:
        raise Problem(413, "too-large", "Batch too large", str(exc)) from None
    except ContractError as exc:
        raise _invalid(exc) from None
    _guard(request, events, plant)

    acks = await gateway.ingest(events)

    counts = {"accepted": 0, "duplicate": 0, "conflict": 0}
    for ack in acks:
        counts[ack.status] += 1
    answer = {
        "accepted": counts["accepted"],
        "duplicates": counts["duplicate"],
        "conflicts": counts["conflict"],
        "results": [ack.to_json() for ack in acks],
    }
    if not counts["accepted"] and counts["conflict"]:
        conflicts = [ack for ack in acks if ack.status == "conflict"]
        problem = _conflict(conflicts[0])
        problem.errors = [
            {"path": f"[{index}].id", "message": f"[{index}].id: {ack.event_id!r} "
             "was accepted before with different content"}
            for index, ack in enumerate(acks)
            if ack.status == "conflict"
        ]
        raise problem
    return JSONResponse(answer, status_code=202 if counts["accepted"] else 200)


def _conflict(ack: Acknowledgement) -> Problem:
    return Problem(
        409,
        "conflict",
        "Same id, different event",
        f"id: {ack.event_id!r} was accepted at position {ack.position} with "
        f"different content; an event id may not be reused",
    )


__all__ = ["PROBLEM_TYPE", "router"]
