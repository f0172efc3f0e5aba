"""Ordering per stream: events of one ``subject`` leave in ``sequence`` order.

Each subject keeps a *watermark*: the highest sequence up to which every event
has arrived. An event at or below the watermark is released to its
destinations; one above it waits for the missing ones. A gap that outlives the
configured timeout puts the stream *on hold*: it stays visible in
``/v1/status`` and its events stay waiting until the missing one arrives; they
are never skipped. Streams are independent, so a held stream never blocks
another.

These functions run inside the store's transaction on its connection (SQLite
or PostgreSQL; the SQL is common to both).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from gateway import sql

Stream = tuple[str, str]
"""(destination, subject)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS streams (
    subject TEXT PRIMARY KEY,
    watermark INTEGER NOT NULL DEFAULT 0,
    gap_since REAL,
    on_hold INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS streams_gap ON streams (gap_since)
    WHERE gap_since IS NOT NULL;
"""


def admit(
    conn: Any,
    arrivals: Mapping[str, Collection[int]],
    now: float,
    for_update: str = "",
) -> tuple[dict[str, int], set[Stream]]:
    """Record the sequences arriving on each subject; advance watermarks.

    Returns each subject's new watermark (the caller stores arriving events
    at or below it as released, the rest as waiting) and the streams
    (destination, subject) whose events waiting in the store were released.
    ``for_update`` locks the streams' rows where several writers share the
    store; rows are locked in subject order, so two writers never wait on
    each other in a circle.
    """
    subjects = sorted(arrivals)
    streams = _streams(conn, subjects, for_update)
    missing = [subject for subject in subjects if subject not in streams]
    if missing:
        sql.insert_rows(
            conn,
            "INSERT INTO streams (subject)",
            [(subject,) for subject in missing],
            "ON CONFLICT (subject) DO NOTHING",
        )
        streams.update(_streams(conn, missing, for_update))

    marks: dict[str, int] = {}
    updates: list[tuple[str, int, float | None, int]] = []
    released_stored: set[Stream] = set()
    for subject in subjects:
        watermark, gap_since, on_hold = streams[subject]
        pool = set(arrivals[subject])
        if gap_since is not None:  # events of this stream wait in the store
            pool.update(
                row[0]
                for row in conn.execute(
                    "SELECT DISTINCT sequence FROM events WHERE subject = ? "
                    "AND released = 0",
                    (subject,),
                ).fetchall()
            )
        mark = watermark
        while mark + 1 in pool:
            mark += 1
        waiting = any(sequence > mark for sequence in pool)
        if mark > watermark:
            if gap_since is not None:
                released_stored |= _release(conn, subject, mark)
            updates.append((subject, mark, now if waiting else None, 0))
        elif waiting and gap_since is None:
            updates.append((subject, mark, now, on_hold))
        marks[subject] = mark
    if updates:
        sql.insert_rows(
            conn,
            "INSERT INTO streams (subject, watermark, gap_since, on_hold)",
            updates,
            "ON CONFLICT (subject) DO UPDATE SET watermark = excluded.watermark, "
            "gap_since = excluded.gap_since, on_hold = excluded.on_hold",
        )
    return marks, released_stored


def _streams(
    conn: Any, subjects: Sequence[str], for_update: str
) -> dict[str, tuple[int, float | None, int]]:
    found: dict[str, tuple[int, float | None, int]] = {}
    for chunk in sql.chunks(subjects):
        rows = conn.execute(
            "SELECT subject, watermark, gap_since, on_hold FROM streams "
            f"WHERE subject IN ({sql.marks(len(chunk))}) ORDER BY subject{for_update}",
            chunk,
        ).fetchall()
        found.update((row[0], (int(row[1]), row[2], int(row[3]))) for row in rows)
    return found


def _release(conn: Any, subject: str, watermark: int) -> set[Stream]:
    """Release the stored events of ``subject`` up to ``watermark``; the
    streams (destination, subject) that got pending deliveries."""
    conn.execute(
        "UPDATE events SET released = 1 WHERE subject = ? AND released = 0 "
        "AND sequence <= ?",
        (subject, watermark),
    )
    destinations = conn.execute(
        "SELECT DISTINCT destination FROM deliveries WHERE subject = ? "
        "AND state = 'waiting' AND sequence <= ?",
        (subject, watermark),
    ).fetchall()
    conn.execute(
        "UPDATE deliveries SET state = 'pending' WHERE subject = ? "
        "AND state = 'waiting' AND sequence <= ?",
        (subject, watermark),
    )
    return {(row[0], subject) for row in destinations}


def hold_overdue(conn: Any, now: float, timeout_s: float) -> int:
    """Put streams whose gap is older than ``timeout_s`` on hold."""
    cursor = conn.execute(
        "UPDATE streams SET on_hold = 1 WHERE on_hold = 0 "
        "AND gap_since IS NOT NULL AND gap_since <= ?",
        (now - timeout_s,),
    )
    return int(cursor.rowcount)


def streams_on_hold(conn: Any, now: float) -> list[dict[str, Any]]:
    """The held streams, with the sequence each one waits for."""
    rows = conn.execute(
        "SELECT s.subject, s.watermark, s.gap_since, "
        "(SELECT COUNT(*) FROM events e WHERE e.subject = s.subject "
        " AND e.released = 0) FROM streams s "
        "WHERE s.gap_since IS NOT NULL AND s.on_hold = 1 "
        "ORDER BY s.gap_since"
    ).fetchall()
    return [
        {
            "subject": subject,
            "waiting_for_sequence": watermark + 1,
            "held_events": held,
            "held_for_s": round(now - (since or now), 3),
        }
        for subject, watermark, since, held in rows
    ]


def release_stream(conn: Any, subject: str) -> tuple[int, set[Stream]]:
    """An operator gives up on a gap: everything waiting is released.

    Returns how many events were released, and the streams (destination,
    subject) that got pending deliveries.
    """
    row = conn.execute(
        "SELECT MAX(sequence) FROM events WHERE subject = ?", (subject,)
    ).fetchone()
    if row is None or row[0] is None:
        return 0, set()
    released = conn.execute(
        "SELECT COUNT(*) FROM events WHERE subject = ? AND released = 0", (subject,)
    ).fetchone()[0]
    streams = _release(conn, subject, int(row[0]))
    conn.execute(
        "UPDATE streams SET watermark = ?, gap_since = NULL, on_hold = 0 "
        "WHERE subject = ?",
        (int(row[0]), subject),
    )
    return int(released), streams
