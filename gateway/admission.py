"""Admitting events to the store: deduplication, positions, ordering.

Runs inside one of the store's transactions, for a whole batch at once: the
event ids are claimed in ``event_ids`` (whose primary key makes a claim
unique, also between replicas sharing PostgreSQL), repeats get the original
acknowledgement (``duplicate``, or ``conflict`` when the content differs),
new events get positions, and each subject's watermark decides which of
them are released to their destinations at once and which wait for a
missing sequence (``gateway.ordering``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gateway import heads, ordering, sql
from gateway.records import Acknowledgement, Incoming, IngestStatus

Connection = Any


def admit(
    conn: Connection,
    events: Sequence[Incoming],
    now: float,
    *,
    positions: Callable[[Connection, int], Sequence[int]],
    dedup: bool = True,
    ordered: bool = True,
    for_update: str = "",
) -> tuple[list[Acknowledgement], bool, int]:
    """Store ``events`` in the open transaction.

    Returns each event's acknowledgement, whether a delivery became ready,
    and how many deliveries were added. ``positions`` hands out positions
    for new events; ``for_update`` locks stream rows (PostgreSQL).
    """
    acks: list[Acknowledgement | None] = [None] * len(events)
    fresh, repeats = _fresh(conn, events, acks, dedup)
    numbers = positions(conn, len(fresh))

    released_stored: set[tuple[str, str]] = set()
    if ordered and fresh:
        arrivals: dict[str, list[int]] = {}
        for index in fresh:
            event = events[index]
            arrivals.setdefault(event.subject, []).append(event.sequence)
        watermarks, released_stored = ordering.admit(
            conn, arrivals, now, for_update
        )
        released = [
            events[index].sequence <= watermarks[events[index].subject]
            for index in fresh
        ]
    else:
        released = [True] * len(fresh)

    arriving = [events[index] for index in fresh]
    sql.insert_rows(
        conn,
        "INSERT INTO events (position, id, digest, plant, subject, sequence, "
        "type, body, accepted_at, released)",
        [
            (position, e.event_id, e.digest, e.plant, e.subject, e.sequence,
             e.type, e.body, now, int(free))
            for position, free, e in zip(numbers, released, arriving, strict=True)
        ],
    )
    head = 0 if ordered else 1  # see gateway.heads
    deliveries = [
        (position, name, e.subject, e.sequence,
         "pending" if free else "waiting", head if free else 0, now, now)
        for position, free, e in zip(numbers, released, arriving, strict=True)
        for name in e.destinations
    ]
    sql.insert_rows(
        conn,
        "INSERT INTO deliveries (position, destination, subject, sequence, state, "
        "head, created_at, updated_at)",
        deliveries,
    )
    if ordered:
        heads.refresh(
            conn,
            released_stored
            | {(row[1], row[2]) for row in deliveries if row[4] == "pending"},
        )

    if fresh:
        conn.execute(
            "INSERT INTO counters (destination, name, value) VALUES ('*', "
            "'accepted', ?) ON CONFLICT (destination, name) "
            "DO UPDATE SET value = counters.value + excluded.value",
            (len(fresh),),
        )
    for position, index in zip(numbers, fresh, strict=True):
        acks[index] = Acknowledgement(events[index].event_id, position, now)
    for index, first in repeats:
        original = acks[first]
        assert original is not None
        same = events[index].digest == events[first].digest
        acks[index] = Acknowledgement(
            original.event_id,
            original.position,
            original.accepted_at,
            "duplicate" if same else "conflict",
        )
    ready = bool(released_stored) or any(
        free and events[index].destinations
        for free, index in zip(released, fresh, strict=True)
    )
    answered = [ack for ack in acks if ack is not None]
    assert len(answered) == len(events), "every event is answered"
    return answered, ready, len(deliveries)

def _fresh(
    conn: Connection,
    events: Sequence[Incoming],
    acks: list[Acknowledgement | None],
    dedup: bool,
) -> tuple[list[int], list[tuple[int, int]]]:
    """Which events are new (indexes), and which repeat an earlier event
    of the same batch (index, first index). Events seen before get their
    original acknowledgement in ``acks``."""
    if not dedup:
        return list(range(len(events))), []
    first: dict[str, int] = {}
    repeats: list[tuple[int, int]] = []
    for index, event in enumerate(events):
        if event.event_id in first:
            repeats.append((index, first[event.event_id]))
        else:
            first[event.event_id] = index
    claimed = _claim_ids(conn, list(first))
    seen = [event_id for event_id in first if event_id not in claimed]
    for event_id, position, digest, accepted_at in _originals(conn, seen):
        index = first[event_id]
        status: IngestStatus = (
            "duplicate" if digest == events[index].digest else "conflict"
        )
        acks[index] = Acknowledgement(event_id, position, accepted_at, status)
    return [index for event_id, index in first.items() if event_id in claimed], (
        repeats
    )

def _claim_ids(conn: Connection, ids: Sequence[str]) -> set[str]:
    """Claim event ids in ``event_ids`` (its primary key makes a claim
    unique even between replicas); returns the ids newly claimed."""
    claimed: set[str] = set()
    for start in range(0, len(ids), sql.CHUNK):
        chunk = ids[start : start + sql.CHUNK]
        rows = conn.execute(
            "INSERT INTO event_ids (id) VALUES "
            + ", ".join(["(?)"] * len(chunk))
            + " ON CONFLICT (id) DO NOTHING RETURNING id",
            chunk,
        ).fetchall()
        claimed.update(row[0] for row in rows)
    return claimed

def _originals(
    conn: Connection, ids: Sequence[str]
) -> list[tuple[str, int, str, float]]:
    """(id, position, digest, accepted_at) of the first copy of each id."""
    found: dict[str, tuple[str, int, str, float]] = {}
    for start in range(0, len(ids), sql.CHUNK):
        chunk = ids[start : start + sql.CHUNK]
        rows = conn.execute(
            "SELECT id, position, digest, accepted_at FROM events "
            f"WHERE id IN ({sql.marks(len(chunk))}) ORDER BY position DESC",
            chunk,
        ).fetchall()
        found.update(
            (row[0], (row[0], int(row[1]), row[2], row[3])) for row in rows
        )
    return list(found.values())
