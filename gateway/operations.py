"""Operations endpoints (operator key): status, dead letters, audit, holds;
and the unauthenticated probes ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field

from gateway import oversight
from gateway.problems import Problem, gateway_of, require_operator

router = APIRouter(tags=["operations"])
probes = APIRouter(tags=["probes"])
Operator = Annotated[None, Depends(require_operator)]
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or unknown key"},
    403: {"description": "Not the operator key"},
}


class DestinationStatus(BaseModel):
    queue_depth: int
    oldest_age_s: float
    in_flight: int
    waiting_for_order: int
    retries: int
    delivered: int
    dead_letters: int


class StreamHold(BaseModel):
    subject: str
    waiting_for_sequence: int
    held_events: int
    held_for_s: float


class StuckStream(BaseModel):
    destination: str
    subject: str
    open_deliveries: int
    oldest_age_s: float
    attempts: int
    last_error: str | None


class Status(BaseModel):
    destinations: dict[str, DestinationStatus]
    streams_on_hold: list[StreamHold]
    stuck: list[StuckStream]
    pending_ordering: int
    accepted: int
    backlog: int
    circuits: dict[str, str]
    defects: list[str]


class DeadLetterItem(BaseModel):
    position: int
    event_id: str
    type: str
    subject: str
    plant: str
    destination: str
    error_code: str
    error_message: str
    attempts: int
    dead_at: str


class DeadLetters(BaseModel):
    count: int
    items: list[DeadLetterItem]


class Inspection(BaseModel):
    """One event's dead letters (one per destination that gave up) and the
    event as the gateway stored it."""

    event_id: str
    letters: list[DeadLetterItem]
    event: dict[str, Any]


class Resolution(BaseModel):
    """Which dead letters to replay or discard, and why (audited)."""

    model_config = ConfigDict(extra="forbid")

    event_ids: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    destination: str | None = None
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    actor: Annotated[str, Field(min_length=1, max_length=100)] = "operator"


class Resolved(BaseModel):
    action: str
    event_ids: list[str]


class StreamRelease(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Annotated[str, Field(min_length=1, max_length=128)]
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    actor: Annotated[str, Field(min_length=1, max_length=100)] = "operator"


class StreamReleased(BaseModel):
    subject: str
    released_events: int


class AuditEntry(BaseModel):
    at: float
    actor: str
    action: str
    event_id: str
    destination: str
    reason: str


@router.get("/v1/status", response_model=Status, responses=_AUTH_ERRORS)
async def status(request: Request, _: Operator) -> dict[str, Any]:
    """Queue depth and age per destination, streams on hold, totals."""
    gateway = gateway_of(request)
    report = await gateway.store.status(
        gateway.destinations, gateway.config.monitoring.stuck_after_s
    )
    gateway.metrics.observe_status(report)
    report["backlog"] = gateway.store.backlog
    report["circuits"] = {w.name: w.breaker.state for w in gateway.workers}
    report["defects"] = list(gateway.config.defects)
    return report


@router.get("/v1/dead-letters", response_model=DeadLetters, responses=_AUTH_ERRORS)
async def dead_letters(request: Request, _: Operator) -> dict[str, Any]:
    """Deliveries that failed for good, with the ERP's code and message."""
    letters = await gateway_of(request).store.dead_letters()
    return {"count": len(letters), "items": [letter.to_json() for letter in letters]}


@router.get(
    "/v1/dead-letters/{event_id:path}",
    response_model=Inspection,
    responses={**_AUTH_ERRORS, 404: {"description": "No dead letter for that id"}},
)
async def inspect(request: Request, event_id: str, _: Operator) -> dict[str, Any]:
    """One dead letter in full: the ERP's words and the stored event."""
    found = await gateway_of(request).store.inspect(event_id)
    if found is None:
        raise Problem(
            404,
            "not-found",
            "No such dead letter",
            f"event_id: {event_id!r} has no dead letter",
        )
    return found


@router.post(
    "/v1/dead-letters/replay", response_model=Resolved, responses=_AUTH_ERRORS
)
async def replay(request: Request, body: Resolution, _: Operator) -> dict[str, Any]:
    """Put dead letters back in the queue (audited)."""
    return await _resolve(request, body, "replay")


@router.post(
    "/v1/dead-letters/discard", response_model=Resolved, responses=_AUTH_ERRORS
)
async def discard(request: Request, body: Resolution, _: Operator) -> dict[str, Any]:
    """Give up on dead letters with a reason (audited)."""
    return await _resolve(request, body, "discard")


async def _resolve(
    request: Request, body: Resolution, action: oversight.Resolution
) -> dict[str, Any]:
    gateway = gateway_of(request)
    done = await gateway.store.resolve_dead(
        body.event_ids, body.destination, action, body.actor, body.reason
    )
    if action == "replay":
        for worker in gateway.workers:
            worker.wake.set()
    return {"action": action, "event_ids": done}


@router.post(
    "/v1/streams/release", response_model=StreamReleased, responses=_AUTH_ERRORS
)
async def release_stream(
    request: Request, body: StreamRelease, _: Operator
) -> dict[str, Any]:
    """Give up on a stream's gap: release its waiting events (audited)."""
    gateway = gateway_of(request)
    released = await gateway.store.release_stream(body.subject, body.actor, body.reason)
    for worker in gateway.workers:
        worker.wake.set()
    return {"subject": body.subject, "released_events": released}


@router.get("/v1/audit", response_model=list[AuditEntry], responses=_AUTH_ERRORS)
async def audit(request: Request, _: Operator) -> list[dict[str, Any]]:
    """Every operator action on dead letters and streams, newest first."""
    return await gateway_of(request).store.audit()


@probes.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@probes.get("/readyz", responses={503: {"description": "Not ready"}})
async def readyz(request: Request) -> JSONResponse:
    """The store is open and the delivery workers run."""
    ready = gateway_of(request).ready
    return JSONResponse(
        {"status": "ready" if ready else "starting"}, status_code=200 if ready else 503
    )


@probes.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus metrics."""
    registry = gateway_of(request).metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


__all__ = ["Problem", "probes", "router"]
