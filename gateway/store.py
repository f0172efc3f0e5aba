"""The durable queue in SQLite: events, deliveries, dead letters, audit.

The work of many concurrent callers is committed in one transaction, on the
event loop (group commit, ``gateway.transactions``). An operation's answer
comes only after that commit: an acknowledgement means durable.

WAL with ``synchronous=NORMAL`` survives a killed process (``kill -9``);
``store.synchronous: full`` also survives a power cut, at a disk flush per
commit (which the event loop waits for). The WAL is copied into the
database by a thread of its own, never inside a commit.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from gateway import admission, heads, ordering, oversight, sql
from gateway.records import (
    Acknowledgement,
    DeadLetter,
    Delivery,
    Incoming,
)
from gateway.transactions import GroupCommitter, LoopCommitter

_T = TypeVar("_T")
Connection = Any
"""A ``sqlite3.Connection``, or the PostgreSQL adapter of ``gateway.postgres``:
both take ``execute(sql, params)`` with ``?`` placeholders."""
_CHECKPOINT_S = 0.5

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
CREATE INDEX IF NOT EXISTS events_waiting ON events (subject) WHERE released = 0;
CREATE TABLE IF NOT EXISTS deliveries (
    position INTEGER NOT NULL,
    destination TEXT NOT NULL,
    subject TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    state TEXT NOT NULL,
    head INTEGER NOT NULL DEFAULT 0,
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
WHERE d.destination = ? AND d.state = 'pending' AND d.head = 1 AND d.next_at <= ?
ORDER BY d.position LIMIT ?{lock}
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
        self._committer: LoopCommitter | GroupCommitter = self._new_committer()
        self._checkpointer: threading.Thread | None = None
        self._stopping = threading.Event()
        self.owner = "local"
        self._next_position = 1
        self.for_update = ""
        self._claim_sql = _CLAIM.format(lock=self._claim_lock())

    def _new_committer(self) -> LoopCommitter | GroupCommitter:
        """SQLite commits on the event loop (see ``gateway.transactions``)."""
        return LoopCommitter()

    def _claim_lock(self) -> str:
        """How a claim locks its rows (SQLite: the one writer needs none)."""
        return ""

    def _schema(self) -> str:
        return SCHEMA + ordering.SCHEMA + heads.SCHEMA

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
        self._committer.start(conn)
        self._start_checkpoints()

    @property
    def on_commit(self) -> Callable[[int], None] | None:
        """Called (on the store's thread) with the size of each committed
        group, for the metrics."""
        return self._committer.on_commit

    @on_commit.setter
    def on_commit(self, hook: Callable[[int], None] | None) -> None:
        self._committer.on_commit = hook

    def close(self) -> None:
        self._committer.stop()
        if self._checkpointer is not None:
            self._stopping.set()
            self._checkpointer.join(timeout=10)
            self._checkpointer = None

    def _start_checkpoints(self) -> None:
        """Copy the WAL into the database from a thread of its own.

        SQLite would otherwise checkpoint inside a commit now and then, and
        that commit (and every request waiting on it) would wait for the
        checkpoint's disk flush.
        """
        self._stopping.clear()
        self._checkpointer = threading.Thread(
            target=self._checkpoint, name="gateway-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def _checkpoint(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            while not self._stopping.wait(_CHECKPOINT_S):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:  # a later checkpoint (or the next start) catches up
            pass
        finally:
            conn.close()

    def _connect(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous.upper()}")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA wal_autocheckpoint=0")  # see _start_checkpoints
        return conn

    async def run(self, work: Callable[[Connection], _T]) -> _T:
        """Run ``work`` in the store's next transaction; wait for its commit."""
        return await self._committer.run(work)

    # Ingest ------------------------------------------------------------------------

    async def ingest(
        self, events: Sequence[Incoming]
    ) -> tuple[list[Acknowledgement], bool]:
        """Store events; answer each with its acknowledgement (a repeat gets
        the original, a changed repeat ``conflict``). Also says whether any
        delivery became ready. Concurrent ingests are admitted together."""
        acks, ready = await self._committer.run_batched(self._admit, events)
        self.backlog += sum(
            len(event.destinations)
            for event, ack in zip(events, acks, strict=True)
            if ack.status == "accepted"
        )
        return acks, ready

    def _admit(
        self, conn: Connection, batches: list[Sequence[Incoming]]
    ) -> list[tuple[list[Acknowledgement], bool]]:
        events = [event for batch in batches for event in batch]
        acks, ready, _ = admission.admit(
            conn,
            events,
            time.time(),
            positions=self._positions,
            dedup=self.dedup,
            ordered=self.ordered,
            for_update=self.for_update,
        )
        answers = []
        start = 0
        for batch in batches:
            answers.append((acks[start : start + len(batch)], ready))
            start += len(batch)
        return answers

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
            for chunk in sql.chunks([row[0] for row in rows]):
                conn.execute(
                    "UPDATE deliveries SET state = 'in_flight', updated_at = ?, "
                    f"owner = ? WHERE destination = ? AND position IN "
                    f"({sql.marks(len(chunk))})",
                    (now, self.owner, destination, *chunk),
                )
            return [Delivery(*row) for row in rows]

        return await self.run(work)

    async def delivered(self, delivery: Delivery, attempts: int) -> None:
        await self._committer.run_batched(
            self._mark_delivered, (delivery, attempts, time.time())
        )
        self.backlog -= 1

    def _mark_delivered(
        self, conn: Connection, done: list[tuple[Delivery, int, float]]
    ) -> list[None]:
        sql.update_rows(
            conn,
            "UPDATE deliveries SET state = 'done', attempts = v.column3, "
            "updated_at = v.column4, error_code = NULL, error_message = NULL",
            [(d.position, d.destination, attempts, now) for d, attempts, now in done],
            "deliveries.position = v.column1 AND deliveries.destination = v.column2",
        )
        delivered = Counter(d.destination for d, _, _ in done)
        retries: Counter[str] = Counter()
        for d, attempts, _ in done:
            retries[d.destination] += _retries(d, attempts)
        for destination, count in delivered.items():
            _count(conn, destination, "delivered", count)
            _count(conn, destination, "retries", retries[destination])
        self._move_heads(conn, [d for d, _, _ in done])
        return [None] * len(done)

    def _move_heads(self, conn: Connection, finished: Sequence[Delivery]) -> None:
        """Finished deliveries hand their streams' turn to the next event."""
        if self.ordered:
            streams = [(d.destination, d.subject) for d in finished]
            heads.refresh(conn, streams, self.for_update)

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
            self._move_heads(conn, [delivery])

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

    async def refresh_backlog(self) -> int:
        """The open deliveries. This process is SQLite's only writer, so its
        own count is exact; PostgreSQL recounts (other replicas write too)."""
        return self.backlog

    # Operations ----------------------------------------------------------------------

    async def status(
        self, destinations: Sequence[str], stuck_after_s: float = 300.0
    ) -> dict[str, Any]:
        now = time.time()
        return await self.run(
            lambda conn: oversight.status(conn, destinations, now, stuck_after_s)
        )

    async def dead_letters(self, limit: int = 1000) -> list[DeadLetter]:
        return await self.run(lambda conn: oversight.dead_letters(conn, limit))

    async def inspect(self, event_id: str) -> dict[str, Any] | None:
        return await self.run(lambda conn: oversight.inspect(conn, event_id))

    async def resolve_dead(
        self,
        event_ids: Sequence[str],
        destination: str | None,
        action: oversight.Resolution,
        actor: str,
        reason: str,
    ) -> list[str]:
        """Replay (back to the queue) or discard dead letters; audit each.
        Returns the event ids acted on."""
        now = time.time()
        done = await self.run(
            lambda conn: oversight.resolve(
                conn, event_ids, destination, action, actor, reason, now,
                ordered=self.ordered, for_update=self.for_update,
            )
        )
        if action == "replay":
            self.backlog += len(done)
        return done

    async def release_stream(self, subject: str, actor: str, reason: str) -> int:
        now = time.time()
        return await self.run(
            lambda conn: oversight.release_stream(
                conn, subject, actor, reason, now, self.for_update
            )
        )

    async def audit(self, limit: int = 1000) -> list[dict[str, Any]]:
        return await self.run(lambda conn: oversight.audit(conn, limit))


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
