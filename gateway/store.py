"""The durable queue in SQLite: events, deliveries, dead letters, audit.

One thread owns the connection. Every operation is queued to it; the thread
takes whatever is queued, runs it all in one transaction and commits once, so
that many concurrent requests share one commit (group commit). An operation's
future resolves only after that commit: an acknowledgement means durable.

WAL with ``synchronous=NORMAL`` survives a killed process (``kill -9``);
``store.synchronous: full`` also survives a power cut, at a cost per commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from pathlib import Path
from typing import Any, TypeVar

from gateway import ordering
from gateway.records import (
    Acknowledgement,
    DeadLetter,
    Delivery,
    Incoming,
    IngestStatus,
)

_T = TypeVar("_T")
Connection = Any
"""A ``sqlite3.Connection``, or the PostgreSQL adapter of ``gateway.postgres``:
both take ``execute(sql, params)`` with ``?`` placeholders."""
_Op = tuple[Callable[[Connection], Any], "Future[Any]"]
_MAX_GROUP = 512

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    digest TEXT NOT NULL,
    plant TEXT NOT NULL,
    subject TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    accepted_at REAL NOT NULL,
    released INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS events_id ON events (id);
CREATE TABLE IF NOT EXISTS event_ids (id TEXT PRIMARY KEY);
CREATE INDEX IF NOT EXISTS events_stream ON events (subject, released, sequence);
CREATE TABLE IF NOT EXISTS deliveries (
    position INTEGER NOT NULL,
    destination TEXT NOT NULL,
    subject TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    first_failed_at REAL,
    error_code TEXT,
    error_message TEXT,
    owner TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (position, destination)
);
CREATE INDEX IF NOT EXISTS deliveries_state
    ON deliveries (destination, state, position);
CREATE INDEX IF NOT EXISTS deliveries_open
    ON deliveries (destination, subject, sequence, position)
    WHERE state IN ('pending', 'in_flight');
CREATE TABLE IF NOT EXISTS counters (
    destination TEXT NOT NULL,
    name TEXT NOT NULL,
    value INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (destination, name)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    event_id TEXT NOT NULL,
    destination TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""

_CLAIM = """
SELECT d.position, d.destination, e.id, d.subject, d.sequence, d.attempts,
       d.first_failed_at, d.created_at, e.body
FROM deliveries d JOIN events e ON e.position = d.position
WHERE d.destination = ? AND d.state = 'pending' AND d.next_at <= ?
{ordered}
ORDER BY d.position LIMIT ?{lock}
"""
_IN_ORDER = """
AND NOT EXISTS (
    SELECT 1 FROM deliveries o
    WHERE o.destination = d.destination AND o.subject = d.subject
      AND o.state IN ('pending', 'in_flight')
      AND (o.sequence < d.sequence
           OR (o.sequence = d.sequence AND o.position < d.position)))
"""


class SqliteStore:
    """The gateway's durable queue in one SQLite file."""

    def __init__(
        self,
        path: Path,
        *,
        dedup: bool = True,
        ordered: bool = True,
        synchronous: str = "normal",
    ) -> None:
        self.path = path
        self.dedup = dedup
        self.ordered = ordered
        self.synchronous = synchronous
        self.backlog = 0
        self._ops: queue.SimpleQueue[_Op | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.owner = "local"
        self._next_position = 1
        self.for_update = ""
        self._claim_sql = _CLAIM.format(
            ordered=_IN_ORDER if ordered else "", lock=self._claim_lock()
        )

    def _claim_lock(self) -> str:
        """How a claim locks its rows (SQLite: the one writer needs none)."""
        return ""

    def _schema(self) -> str:
        return SCHEMA + ordering.SCHEMA

    def _last_position(self, conn: Any) -> int:
        row = conn.execute(
            "SELECT MAX(seq) FROM (SELECT MAX(position) AS seq FROM events "
            "UNION ALL SELECT seq FROM sqlite_sequence WHERE name = 'events')"
        ).fetchone()
        return int(row[0] or 0)

    def _recover(self, conn: Any) -> None:
        """Give back what a crashed run of this store left in flight."""
        conn.execute(
            "UPDATE deliveries SET state = 'pending' WHERE state = 'in_flight'"
        )

    # Lifecycle -------------------------------------------------------------------

    def open(self) -> None:
        """Create the schema, recover claims a crash left behind, start."""
        conn = self._connect()
        conn.executescript(self._schema())
        conn.execute("BEGIN")
        self._recover(conn)
        conn.execute("COMMIT")
        self._next_position = self._last_position(conn) + 1
        self.backlog = conn.execute(
            "SELECT COUNT(*) FROM deliveries WHERE state IN "
            "('waiting', 'pending', 'in_flight')"
        ).fetchone()[0]
        self._thread = threading.Thread(
            target=self._run, args=(conn,), name="gateway-store", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        if self._thread is not None:
            self._ops.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _connect(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous.upper()}")
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    def _run(self, conn: Any) -> None:
        while True:
            first = self._ops.get()
            if first is None:
                break
            group = [first]
            stop = False
            while len(group) < _MAX_GROUP:
                try:
                    item = self._ops.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                group.append(item)
            self._commit_group(conn, group)
            if stop:
                break
        conn.close()

    def _commit_group(self, conn: Any, group: list[_Op]) -> None:
        results: list[tuple[Future[Any], Any, BaseException | None]] = []
        conn.execute("BEGIN IMMEDIATE")
        for work, future in group:
            conn.execute("SAVEPOINT op")
            try:
                value = work(conn)
            except BaseException as exc:  # handed to the caller, not swallowed
                conn.execute("ROLLBACK TO op")
                results.append((future, None, exc))
            else:
                results.append((future, value, None))
            conn.execute("RELEASE op")
        try:
            conn.execute("COMMIT")
        except Exception as exc:  # the commit failed: every caller hears of it
            conn.execute("ROLLBACK")
            results = [(future, None, exc) for future, _, _ in results]
        for future, value, error in results:
            # A caller that went away (cancelled) misses the answer; the
            # work itself stands.
            with contextlib.suppress(InvalidStateError):
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(value)

    async def run(self, work: Callable[[Connection], _T]) -> _T:
        """Run ``work`` in the store's next transaction; wait for its commit."""
        future: Future[_T] = Future()
        self._ops.put((work, future))
        return await asyncio.wrap_future(future)

    # Ingest ------------------------------------------------------------------------

    async def ingest(
        self, events: Sequence[Incoming]
    ) -> tuple[list[Acknowledgement], bool]:
        """Store events; answer each with its acknowledgement (a repeat gets
        the original, a changed repeat ``conflict``). Also says whether any
        delivery became ready."""
        now = time.time()
        acks, ready, added = await self.run(
            lambda conn: self._ingest(conn, events, now)
        )
        self.backlog += added
        return acks, ready

    def _ingest(
        self, conn: Connection, events: Sequence[Incoming], now: float
    ) -> tuple[list[Acknowledgement], bool, int]:
        acks: list[Acknowledgement | None] = [None] * len(events)
        fresh, repeats = self._fresh(conn, events, acks)
        positions = self._positions(conn, len(fresh))

        released_stored = False
        if self.ordered and fresh:
            arrivals: dict[str, list[int]] = {}
            for index in fresh:
                event = events[index]
                arrivals.setdefault(event.subject, []).append(event.sequence)
            watermarks, released_stored = ordering.admit(
                conn, arrivals, now, self.for_update
            )
            released = [
                events[index].sequence <= watermarks[events[index].subject]
                for index in fresh
            ]
        else:
            released = [True] * len(fresh)

        conn.executemany(
            "INSERT INTO events (position, id, digest, plant, subject, sequence, "
            "type, body, accepted_at, released) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (position, e.event_id, e.digest, e.plant, e.subject, e.sequence,
                 e.type, e.body, now, int(free))
                for position, free, e in zip(
                    positions, released, (events[i] for i in fresh), strict=True
                )
            ],
        )
        deliveries = [
            (position, name, e.subject, e.sequence,
             "pending" if free else "waiting", now, now)
            for position, free, e in zip(
                positions, released, (events[i] for i in fresh), strict=True
            )
            for name in e.destinations
        ]
        conn.executemany(
            "INSERT INTO deliveries (position, destination, subject, sequence, state, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            deliveries,
        )

        for position, index in zip(positions, fresh, strict=True):
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
        ready = released_stored or any(
            free and events[index].destinations
            for free, index in zip(released, fresh, strict=True)
        )
        answered = [ack for ack in acks if ack is not None]
        assert len(answered) == len(events), "every event is answered"
        return answered, ready, len(deliveries)

    def _fresh(
        self,
        conn: Connection,
        events: Sequence[Incoming],
        acks: list[Acknowledgement | None],
    ) -> tuple[list[int], list[tuple[int, int]]]:
        """Which events are new (indexes), and which repeat an earlier event
        of the same batch (index, first index). Events seen before get their
        original acknowledgement in ``acks``."""
        if not self.dedup:
            return list(range(len(events))), []
        first: dict[str, int] = {}
        repeats: list[tuple[int, int]] = []
        for index, event in enumerate(events):
            if event.event_id in first:
                repeats.append((index, first[event.event_id]))
            else:
                first[event.event_id] = index
        claimed = self._claim_ids(conn, list(first))
        seen = [event_id for event_id in first if event_id not in claimed]
        for event_id, position, digest, accepted_at in self._originals(conn, seen):
            index = first[event_id]
            status: IngestStatus = (
                "duplicate" if digest == events[index].digest else "conflict"
            )
            acks[index] = Acknowledgement(event_id, position, accepted_at, status)
        return [index for event_id, index in first.items() if event_id in claimed], (
            repeats
        )

    def _claim_ids(self, conn: Connection, ids: Sequence[str]) -> set[str]:
        """Claim event ids in ``event_ids`` (its primary key makes a claim
        unique even between replicas); returns the ids newly claimed."""
        claimed: set[str] = set()
        for start in range(0, len(ids), ordering.CHUNK):
            chunk = ids[start : start + ordering.CHUNK]
            rows = conn.execute(
                "INSERT INTO event_ids (id) VALUES "
                + ", ".join(["(?)"] * len(chunk))
                + " ON CONFLICT (id) DO NOTHING RETURNING id",
                chunk,
            ).fetchall()
            claimed.update(row[0] for row in rows)
        return claimed

    def _originals(
        self, conn: Connection, ids: Sequence[str]
    ) -> list[tuple[str, int, str, float]]:
        """(id, position, digest, accepted_at) of the first copy of each id."""
        found: dict[str, tuple[str, int, str, float]] = {}
        for start in range(0, len(ids), ordering.CHUNK):
            chunk = ids[start : start + ordering.CHUNK]
            rows = conn.execute(
                "SELECT id, position, digest, accepted_at FROM events "
                f"WHERE id IN ({ordering.marks(len(chunk))}) ORDER BY position DESC",
                chunk,
            ).fetchall()
            found.update(
                (row[0], (row[0], int(row[1]), row[2], row[3])) for row in rows
            )
        return list(found.values())

    def _positions(self, conn: Connection, count: int) -> Sequence[int]:
        """Positions for ``count`` new events. The store's one writer hands
        them out in order; PostgreSQL takes them from its sequence."""
        start = self._next_position
        self._next_position += count
        return range(start, start + count)

    # Delivery ----------------------------------------------------------------------

    async def claim(self, destination: str, limit: int) -> list[Delivery]:
        """Take up to ``limit`` deliveries that are due, at most one per
        stream (the lowest sequence) unless ordering is off."""
        now = time.time()

        def work(conn: Connection) -> list[Delivery]:
            rows = conn.execute(self._claim_sql, (destination, now, limit)).fetchall()
            conn.executemany(
                "UPDATE deliveries SET state = 'in_flight', updated_at = ?, owner = ? "
                "WHERE position = ? AND destination = ?",
                [(now, self.owner, row[0], destination) for row in rows],
            )
            return [Delivery(*row) for row in rows]

        return await self.run(work)

    async def delivered(self, delivery: Delivery, attempts: int) -> None:
        now = time.time()

        def work(conn: Connection) -> None:
            conn.execute(
                "UPDATE deliveries SET state = 'done', attempts = ?, updated_at = ?, "
                "error_code = NULL, error_message = NULL "
                "WHERE position = ? AND destination = ?",
                (attempts, now, delivery.position, delivery.destination),
            )
            _count(conn, delivery.destination, "delivered", 1)
            _count(conn, delivery.destination, "retries", _retries(delivery, attempts))

        await self.run(work)
        self.backlog -= 1

    async def dead(
        self, delivery: Delivery, attempts: int, code: str, message: str
    ) -> None:
        now = time.time()

        def work(conn: Connection) -> None:
            conn.execute(
                "UPDATE deliveries SET state = 'dead', attempts = ?, updated_at = ?, "
                "error_code = ?, error_message = ? "
                "WHERE position = ? AND destination = ?",
                (attempts, now, code, message, delivery.position, delivery.destination),
            )
            _count(conn, delivery.destination, "retries", _retries(delivery, attempts))

        await self.run(work)
        self.backlog -= 1

    async def park(
        self,
        delivery: Delivery,
        attempts: int,
        code: str,
        message: str,
        retry_at: float,
        first_failed_at: float,
    ) -> None:
        """Give a delivery back to the queue, due again at ``retry_at``."""
        now = time.time()

        def work(conn: Connection) -> None:
            conn.execute(
                "UPDATE deliveries SET state = 'pending', attempts = ?, next_at = ?, "
                "first_failed_at = ?, error_code = ?, error_message = ?, "
                "updated_at = ? WHERE position = ? AND destination = ?",
                (
                    attempts,
                    retry_at,
                    first_failed_at,
                    code,
                    message,
                    now,
                    delivery.position,
                    delivery.destination,
                ),
            )
            _count(conn, delivery.destination, "retries", _retries(delivery, attempts))

        await self.run(work)

    async def hold_overdue(self, timeout_s: float) -> int:
        now = time.time()
        return await self.run(lambda conn: ordering.hold_overdue(conn, now, timeout_s))

    # Operations ----------------------------------------------------------------------

    async def status(self, destinations: Sequence[str]) -> dict[str, Any]:
        now = time.time()

        def work(conn: Connection) -> dict[str, Any]:
            return _status(conn, destinations, now)

        return await self.run(work)

    async def dead_letters(self, limit: int = 1000) -> list[DeadLetter]:
        def work(conn: Connection) -> list[DeadLetter]:
            rows = conn.execute(
                "SELECT d.position, e.id, e.type, e.subject, e.plant, d.destination, "
                "d.error_code, d.error_message, d.attempts, d.updated_at "
                "FROM deliveries d JOIN events e ON e.position = d.position "
                "WHERE d.state = 'dead' ORDER BY d.position LIMIT ?",
                (limit,),
            ).fetchall()
            return [DeadLetter(*row) for row in rows]

        return await self.run(work)

    async def resolve_dead(
        self,
        event_ids: Sequence[str],
        destination: str | None,
        action: str,
        actor: str,
        reason: str,
    ) -> list[str]:
        """Replay (back to the queue) or discard dead letters; audit each.

        Returns the event ids acted on.
        """
        now = time.time()
        state = "pending" if action == "replay" else "discarded"

        def work(conn: Connection) -> list[str]:
            done: list[str] = []
            for event_id in event_ids:
                rows = conn.execute(
                    "SELECT d.position, d.destination FROM deliveries d "
                    "JOIN events e ON e.position = d.position "
                    "WHERE e.id = ? AND d.state = 'dead' "
                    "AND (? IS NULL OR d.destination = ?)",
                    (event_id, destination, destination),
                ).fetchall()
                for position, name in rows:
                    conn.execute(
                        "UPDATE deliveries SET state = ?, attempts = 0, next_at = 0, "
                        "first_failed_at = NULL, updated_at = ? "
                        "WHERE position = ? AND destination = ?",
                        (state, now, position, name),
                    )
                    conn.execute(
                        "INSERT INTO audit (at, actor, action, event_id, destination, "
                        "reason) VALUES (?, ?, ?, ?, ?, ?)",
                        (now, actor, action, event_id, name, reason),
                    )
                    done.append(event_id)
            return done

        done = await self.run(work)
        if action == "replay":
            self.backlog += len(done)
        return done

    async def release_stream(self, subject: str, actor: str, reason: str) -> int:
        now = time.time()

        def work(conn: Connection) -> int:
            released = ordering.release_stream(conn, subject)
            conn.execute(
                "INSERT INTO audit (at, actor, action, event_id, destination, reason) "
                "VALUES (?, ?, 'release_stream', ?, '', ?)",
                (now, actor, subject, reason),
            )
            return released

        return await self.run(work)

    async def audit(self, limit: int = 1000) -> list[dict[str, Any]]:
        def work(conn: Connection) -> list[dict[str, Any]]:
            rows = conn.execute(
                "SELECT at, actor, action, event_id, destination, reason FROM audit "
                "ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
            keys = ("at", "actor", "action", "event_id", "destination", "reason")
            return [dict(zip(keys, row, strict=True)) for row in rows]

        return await self.run(work)


def _retries(delivery: Delivery, attempts: int) -> int:
    """Attempts in this claim that were retries of an earlier attempt."""
    return attempts - max(delivery.attempts, 1)


def _count(conn: Connection, destination: str, name: str, delta: int) -> None:
    if delta <= 0:
        return
    conn.execute(
        "INSERT INTO counters (destination, name, value) VALUES (?, ?, ?) "
        "ON CONFLICT (destination, name) "
        "DO UPDATE SET value = counters.value + excluded.value",
        (destination, name, delta),
    )


def _status(
    conn: Connection, destinations: Sequence[str], now: float
) -> dict[str, Any]:
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
    accepted = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    waiting = conn.execute(
        "SELECT COUNT(*) FROM events WHERE released = 0"
    ).fetchone()[0]
    return {
        "destinations": report,
        "streams_on_hold": ordering.streams_on_hold(conn, now),
        "pending_ordering": waiting,
        "accepted": accepted,
    }
