"""The durable queue in PostgreSQL, shared by several gateway replicas.

Same tables, same SQL and same behaviour as the SQLite store (this class
only changes the connection, the column types and the locks). Replicas
share the queue safely:

- a claim takes rows ``FOR UPDATE SKIP LOCKED``, so two replicas never take
  the same delivery, and the per-stream check sees another replica's claim
  (``in_flight``) once it commits;
- a stream's row is locked while an event is admitted to it, so concurrent
  ingests of one subject cannot lose a release;
- the event id is claimed in a primary-keyed table, so two replicas taking
  the same id at once store it once.

A restarted replica takes back its own in-flight claims at start; claims of
a replica that never returns go back to the queue when their lease runs out
(checked at every start).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import psycopg

from gateway import oversight
from gateway.store import SqliteStore
from gateway.transactions import GroupCommitter, LoopCommitter

_TYPES = (
    ("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"),
    ("REAL", "DOUBLE PRECISION"),
    ("position INTEGER NOT NULL", "position BIGINT NOT NULL"),
)


class _Connection:
    """psycopg behind the ``execute(sql, params)`` face with ``?`` marks."""

    def __init__(self, dsn: str, schema: str) -> None:
        self._conn = psycopg.connect(dsn, autocommit=True)
        self._conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        self._conn.execute(f"SET search_path TO {schema}")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        if sql == "BEGIN IMMEDIATE":
            sql = "BEGIN"
        return self._conn.execute(sql.replace("?", "%s"), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = [tuple(row) for row in rows]
        if batch:
            with self._conn.cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), batch)

    def executescript(self, script: str) -> None:
        for statement in script.split(";"):
            if statement.strip():
                self._conn.execute(statement)

    def close(self) -> None:
        self._conn.close()


class PostgresStore(SqliteStore):
    """The gateway's durable queue in a PostgreSQL schema."""

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "planttwin_gateway",
        replica: str = "gateway-1",
        lease_s: float = 120.0,
        dedup: bool = True,
        ordered: bool = True,
    ) -> None:
        self.dsn = dsn
        self.schema = schema
        self.lease_s = lease_s
        super().__init__(Path(f"postgres:{schema}"), dedup=dedup, ordered=ordered)
        self.owner = replica
        self.for_update = " FOR UPDATE"

    def _claim_lock(self) -> str:
        return " FOR UPDATE OF d SKIP LOCKED"

    def _schema(self) -> str:
        script = super()._schema()
        for sqlite_type, postgres_type in _TYPES:
            script = script.replace(sqlite_type, postgres_type)
        return script

    def _connect(self) -> _Connection:
        return _Connection(self.dsn, self.schema)

    def _new_committer(self) -> LoopCommitter | GroupCommitter:
        """Statements wait for the network: a thread of its own."""
        return GroupCommitter()

    async def refresh_backlog(self) -> int:
        """Recount the open deliveries: other replicas change them too."""
        self.backlog = await self.run(oversight.backlog)
        return self.backlog

    def _start_checkpoints(self) -> None:
        """PostgreSQL checkpoints by itself."""

    def _last_position(self, conn: Any) -> int:
        return 0  # positions come from the events table's sequence

    def _positions(self, conn: Any, count: int) -> Sequence[int]:
        if not count:
            return []
        rows = conn.execute(
            "SELECT nextval(pg_get_serial_sequence('events', 'position')) "
            "FROM generate_series(1, ?)",
            (count,),
        ).fetchall()
        return [int(row[0]) for row in rows]

    def _recover(self, conn: Any) -> None:
        conn.execute(
            "UPDATE deliveries SET state = 'pending' WHERE state = 'in_flight' "
            "AND (owner = ? OR updated_at < ?)",
            (self.owner, time.time() - self.lease_s),
        )

    def drop(self) -> None:
        """Remove the whole schema (tests and resets)."""
        conn = psycopg.connect(self.dsn, autocommit=True)
        try:
            conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
        finally:
            conn.close()

