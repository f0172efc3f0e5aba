"""What the store hands out: acknowledgements, deliveries and dead letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

IngestStatus = Literal["accepted", "duplicate", "conflict"]


@lru_cache(maxsize=256)
def utc_text(moment: float) -> str:
    """A Unix time as ISO 8601 UTC (``...Z``); a batch shares one moment."""
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Acknowledgement:
    """The gateway's answer to one event; a repeat gets the original one."""

    event_id: str
    position: int
    accepted_at: float
    status: IngestStatus = "accepted"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.event_id,
            "status": self.status,
            "position": self.position,
            "accepted_at": utc_text(self.accepted_at),
        }


@dataclass(frozen=True)
class Incoming:
    """One validated event on its way into the store."""

    event_id: str
    plant: str
    subject: str
    sequence: int
    type: str
    body: str
    digest: str
    destinations: tuple[str, ...]


@dataclass(frozen=True)
class Delivery:
    """One event claimed for one destination."""

    position: int
    destination: str
    event_id: str
    subject: str
    sequence: int
    attempts: int
    first_failed_at: float | None
    created_at: float
    body: str


@dataclass(frozen=True)
class DeadLetter:
    """A delivery that failed for good, with the ERP's own words."""

    position: int
    event_id: str
    type: str
    subject: str
    plant: str
    destination: str
    error_code: str
    error_message: str
    attempts: int
    dead_at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "event_id": self.event_id,
            "type": self.type,
            "subject": self.subject,
            "plant": self.plant,
            "destination": self.destination,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "attempts": self.attempts,
            "dead_at": utc_text(self.dead_at),
        }
