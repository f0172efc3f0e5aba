"""Stream heads: the one delivery of each stream that may go next.

For each destination and subject, the open delivery (pending or in flight)
with the lowest sequence is the stream's *head* (``head = 1``). A claim takes
pending heads only, so a stream sends one event at a time and in sequence,
while different streams go in parallel; and a claim reads only heads, never
the deliveries queued behind them, however long the queue grows during an
outage. With ordering off every released delivery is a head.

A stream's head moves when its deliveries change: new ones released, one
delivered or dead-lettered, one replayed. ``refresh`` recomputes it from the
open deliveries; where several replicas share PostgreSQL it first locks the
streams' rows (in subject order, so two writers never wait in a circle).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gateway import sql

Connection = Any
Stream = tuple[str, str]
"""(destination, subject)."""

SCHEMA = """
CREATE INDEX IF NOT EXISTS deliveries_heads
    ON deliveries (destination, position) WHERE head = 1 AND state = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_stream_head
    ON deliveries (destination, subject) WHERE head = 1;
CREATE INDEX IF NOT EXISTS deliveries_waiting
    ON deliveries (subject, sequence) WHERE state = 'waiting';
"""


def refresh(conn: Connection, streams: Iterable[Stream], for_update: str = "") -> None:
    """Make the lowest open delivery of each stream its only head."""
    ordered = sorted(set(streams))
    if not ordered:
        return
    if for_update:
        subjects = sorted({subject for _, subject in ordered})
        for chunk in sql.chunks(subjects):
            conn.execute(
                f"SELECT subject FROM streams WHERE subject IN "
                f"({sql.marks(len(chunk))}) ORDER BY subject{for_update}",
                chunk,
            ).fetchall()
    for destination, subject in ordered:
        row = conn.execute(
            "SELECT position FROM deliveries WHERE destination = ? AND subject = ? "
            "AND state IN ('pending', 'in_flight') ORDER BY sequence, position "
            "LIMIT 1",
            (destination, subject),
        ).fetchone()
        first = int(row[0]) if row else -1
        conn.execute(
            "UPDATE deliveries SET head = 0 WHERE destination = ? AND subject = ? "
            "AND head = 1 AND position <> ?",
            (destination, subject, first),
        )
        if row:
            conn.execute(
                "UPDATE deliveries SET head = 1 WHERE position = ? "
                "AND destination = ? AND head = 0",
                (first, destination),
            )
