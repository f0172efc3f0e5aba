"""What operators see and do: status, stuck streams, dead letters, audit.

Plain functions on the store's connection (SQLite or PostgreSQL, the same
SQL), run inside one of the store's transactions. Every operator action on a
dead letter or a stream writes an audit row in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from gateway import heads, ordering
from gateway.records import DeadLetter

Connection = Any
Resolution = Literal["replay", "discard"]
_OPEN = "('waiting', 'pending', 'in_flight')"
_LETTER = (
    "SELECT d.position, e.id, e.type, e.subject, e.plant, d.destination, "
    "d.error_code, d.error_message, d.attempts, d.updated_at "
    "FROM deliveries d JOIN events e ON e.position = d.position "
)


def status(
    conn: Connection, destinations: Sequence[str], now: float, stuck_after_s: float
) -> dict[str, Any]:
    """Queue depth and oldest age per destination, retries, dead letters,
    streams on hold and streams stuck longer than ``stuck_after_s``."""
    report: dict[str, Any] = {}
    for name in destinations:
        counts = dict(
            conn.execute(
                "SELECT state, COUNT(*) FROM deliveries WHERE destination = ? "
                "AND state IN ('waiting', 'pending', 'in_flight', 'dead') "
                "GROUP BY state",
                (name,),
            ).fetchall()
        )
        oldest = conn.execute(
            "SELECT MIN(created_at) FROM deliveries WHERE destination = ? "
            "AND state IN ('pending', 'in_flight')",
            (name,),
        ).fetchone()[0]
        counters = dict(
            conn.execute(
                "SELECT name, value FROM counters WHERE destination = ?", (name,)
            ).fetchall()
        )
        report[name] = {
            "queue_depth": counts.get("pending", 0),
            "oldest_age_s": round(now - oldest, 3) if oldest else 0.0,
            "in_flight": counts.get("in_flight", 0),
            "waiting_for_order": counts.get("waiting", 0),
            "retries": counters.get("retries", 0),
            "delivered": counters.get("delivered", 0),
            "dead_letters": counts.get("dead", 0),
        }
    accepted = conn.execute(
        "SELECT value FROM counters WHERE destination = '*' AND name = 'accepted'"
    ).fetchone()
    waiting = conn.execute(
        "SELECT COUNT(*) FROM events WHERE released = 0"
    ).fetchone()[0]
    return {
        "destinations": report,
        "streams_on_hold": ordering.streams_on_hold(conn, now),
        "stuck": stuck(conn, now, stuck_after_s),
        "pending_ordering": waiting,
        "accepted": int(accepted[0]) if accepted else 0,
    }


def stuck(conn: Connection, now: float, after_s: float) -> list[dict[str, Any]]:
    """Streams (orders, handling units, ...) with a delivery still open after
    ``after_s``, oldest first, with the last error the ERP gave."""
    rows = conn.execute(
        "SELECT destination, subject, MIN(created_at), COUNT(*), MAX(attempts) "
        f"FROM deliveries WHERE state IN {_OPEN} AND created_at <= ? "
        "GROUP BY destination, subject ORDER BY MIN(created_at) LIMIT 100",
        (now - after_s,),
    ).fetchall()
    found = []
    for destination, subject, oldest, open_deliveries, attempts in rows:
        error = conn.execute(
            "SELECT error_code, error_message FROM deliveries WHERE destination = ? "
            f"AND subject = ? AND state IN {_OPEN} AND error_code IS NOT NULL "
            "ORDER BY updated_at DESC LIMIT 1",
            (destination, subject),
        ).fetchone()
        found.append(
            {
                "destination": destination,
                "subject": subject,
                "open_deliveries": int(open_deliveries),
                "oldest_age_s": round(now - oldest, 3),
                "attempts": int(attempts),
                "last_error": f"{error[0]}: {error[1]}" if error else None,
            }
        )
    return found


def backlog(conn: Connection) -> int:
    """Deliveries not yet finished, over every destination and replica."""
    return int(
        conn.execute(
            f"SELECT COUNT(*) FROM deliveries WHERE state IN {_OPEN}"
        ).fetchone()[0]
    )


def dead_letters(conn: Connection, limit: int) -> list[DeadLetter]:
    rows = conn.execute(
        _LETTER + "WHERE d.state = 'dead' ORDER BY d.position LIMIT ?", (limit,)
    ).fetchall()
    return [DeadLetter(*row) for row in rows]


def inspect(conn: Connection, event_id: str) -> dict[str, Any] | None:
    """One event's dead letters and the event itself, or None when the
    event has no dead letter."""
    rows = conn.execute(
        _LETTER + "WHERE e.id = ? AND d.state = 'dead' ORDER BY d.position",
        (event_id,),
    ).fetchall()
    if not rows:
        return None
    body = conn.execute(
        "SELECT body FROM events WHERE position = ?", (rows[0][0],)
    ).fetchone()[0]
    letters = [DeadLetter(*row).to_json() for row in rows]
    return {"event_id": event_id, "letters": letters, "event": json.loads(body)}


def resolve(
    conn: Connection,
    event_ids: Sequence[str],
    destination: str | None,
    action: Resolution,
    actor: str,
    reason: str,
    now: float,
    *,
    ordered: bool = True,
    for_update: str = "",
) -> list[str]:
    """Replay (back to the queue, attempts reset) or discard dead letters,
    auditing each; returns the event ids acted on. A replayed delivery
    queues behind what its stream still has open (``gateway.heads``)."""
    state = "pending" if action == "replay" else "discarded"
    done: list[str] = []
    reopened: set[tuple[str, str]] = set()
    for event_id in event_ids:
        rows = conn.execute(
            "SELECT d.position, d.destination, d.subject FROM deliveries d "
            "JOIN events e ON e.position = d.position "
            "WHERE e.id = ? AND d.state = 'dead' "
            "AND (CAST(? AS TEXT) IS NULL OR d.destination = ?)",
            (event_id, destination, destination),
        ).fetchall()
        for position, name, subject in rows:
            conn.execute(
                "UPDATE deliveries SET state = ?, attempts = 0, next_at = 0, "
                "first_failed_at = NULL, updated_at = ?, head = ? "
                "WHERE position = ? AND destination = ?",
                (state, now, int(not ordered), position, name),
            )
            record(conn, now, actor, action, event_id, name, reason)
            done.append(event_id)
            reopened.add((name, subject))
    if action == "replay" and ordered:
        heads.refresh(conn, reopened, for_update)
    return done


def release_stream(
    conn: Connection,
    subject: str,
    actor: str,
    reason: str,
    now: float,
    for_update: str = "",
) -> int:
    """An operator gives up on a stream's gap (audited); returns how many
    waiting events were released."""
    released, streams = ordering.release_stream(conn, subject)
    heads.refresh(conn, streams, for_update)
    record(conn, now, actor, "release_stream", subject, "", reason)
    return released


def record(
    conn: Connection,
    now: float,
    actor: str,
    action: str,
    event_id: str,
    destination: str,
    reason: str,
) -> None:
    conn.execute(
        "INSERT INTO audit (at, actor, action, event_id, destination, reason) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (now, actor, action, event_id, destination, reason),
    )


def audit(conn: Connection, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT at, actor, action, event_id, destination, reason FROM audit "
        "ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    keys = ("at", "actor", "action", "event_id", "destination", "reason")
    return [dict(zip(keys, row, strict=True)) for row in rows]
