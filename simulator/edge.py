"""The plant edge: the part of the plant that sends, with store-and-forward.

The edge keeps every offered event in one first-in, first-out buffer: in
memory up to ``memory_limit`` events, in an SQLite file beyond that. Each
``pump`` sends the oldest events, in order, in batches; when the sink is
unreachable (or the WAN is cut, see ``partitioned``) the events stay and the
next pump tries again. A batch whose acknowledgement was lost is sent again
with the same ids: delivery is at least once, and nothing is dropped. A spill
file left by an earlier edge (``spill_path``) is sent first, in its order.

When the integration path refuses a batch for good (HTTP 400, 409, 413), the
edge sends that batch's events one at a time, so that only the events that
are refused on their own are set aside, in ``rejected_events``; every other
event is delivered in order.

Driving an edge::

    edge = PlantEdge(HttpSink(url, token=key), memory_limit=10_000)
    edge.offer(event)          # as the plant produces
    edge.pump()                # whenever convenient: sends what it can
    edge.partitioned = True    # a WAN outage: pumps send nothing
    edge.flush(timeout=30)     # pump until empty (or time out)
"""

from __future__ import annotations

import itertools
import sqlite3
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

from contracts import PlantEvent, parse_json
from simulator.errors import EdgeError
from simulator.sinks import Sink, SinkRejected, SinkUnavailable


class PlantEdge:
    def __init__(
        self,
        sink: Sink,
        *,
        memory_limit: int = 10_000,
        spill_path: str | Path | None = None,
        batch_size: int = 100,
    ) -> None:
        if memory_limit < 1:
            raise EdgeError(f"memory_limit: {memory_limit!r} must be at least 1")
        if batch_size < 1:
            raise EdgeError(f"batch_size: {batch_size!r} must be at least 1")
        self.sink = sink
        self.memory_limit = memory_limit
        self.batch_size = batch_size
        self.partitioned = False
        self.delivered = 0
        self.attempts = 0
        self.failures = 0
        self.rejected: list[str] = []
        """Ids of the events the integration path refused on their own."""
        self.rejected_events: list[PlantEvent] = []
        self.last_error: str | None = None
        self._memory: deque[PlantEvent] = deque()
        self._spilled = 0
        self._one_by_one = 0
        self._lock = threading.RLock()
        self._spill_path = Path(spill_path) if spill_path else None
        self._db: sqlite3.Connection | None = None
        self._owned_dir: tempfile.TemporaryDirectory[str] | None = None
        if self._spill_path is not None and self._spill_path.exists():
            self._database()

    # Offering and state ----------------------------------------------------------

    def offer(self, event: PlantEvent) -> None:
        """Keep ``event`` for sending, behind everything offered before."""
        with self._lock:
            if self._spilled or len(self._memory) >= self.memory_limit:
                self._spill(event)
            else:
                self._memory.append(event)

    @property
    def pending(self) -> int:
        """Events kept and not yet acknowledged."""
        with self._lock:
            return len(self._memory) + self._spilled

    @property
    def spilled(self) -> int:
        """Events currently kept in SQLite rather than memory."""
        return self._spilled

    def empty(self) -> bool:
        return self.pending == 0

    # Sending -------------------------------------------------------------------

    def pump(self, max_batches: int | None = None) -> int:
        """Send the oldest events in order; return how many were acknowledged.

        Stops at the first failure (the events stay, in order) or when the
        buffer is empty or ``max_batches`` batches went out.
        """
        sent = 0
        batches = 0
        with self._lock:
            while not self.partitioned and self.pending:
                if max_batches is not None and batches >= max_batches:
                    break
                self._refill()
                size = 1 if self._one_by_one else self.batch_size
                batch = list(itertools.islice(self._memory, size))
                self.attempts += 1
                try:
                    self.sink.send(batch)
                except SinkUnavailable as exc:
                    self.failures += 1
                    self.last_error = str(exc)
                    break
                except SinkRejected as exc:
                    self.last_error = str(exc)
                    if len(batch) > 1:
                        self._one_by_one = len(batch)
                        continue
                    self.rejected.append(batch[0].id)
                    self.rejected_events.append(batch[0])
                    sent -= 1
                for _ in batch:
                    self._memory.popleft()
                self._one_by_one = max(self._one_by_one - len(batch), 0)
                sent += len(batch)
                batches += 1
            self.delivered += sent
        return sent

    def flush(self, timeout: float = 30.0, pause: float = 0.05) -> bool:
        """Pump until nothing is pending; False if ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            if self.empty():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)

    def close(self) -> None:
        """Close the sink; with a ``spill_path``, keep every pending event there.

        Events still in memory are written to the spill file ahead of those
        already there, so an edge started on the same file sends them all, in
        order. Without a ``spill_path`` pending events are gone.
        """
        with self._lock:
            self.sink.close()
            if self._spill_path is not None and self._memory:
                self._persist_memory()
            if self._db is not None:
                self._db.close()
                self._db = None
            if self._owned_dir is not None:
                self._owned_dir.cleanup()

    # The spill file ------------------------------------------------------------

    def _database(self) -> sqlite3.Connection:
        if self._db is None:
            path = self._spill_path
            if path is None:
                self._owned_dir = tempfile.TemporaryDirectory(prefix="plantedge-")
                path = Path(self._owned_dir.name) / "spill.sqlite"
            self._db = sqlite3.connect(path, check_same_thread=False)
            # WAL without a sync per commit: survives a crash of the edge
            # process (not of the machine) at a fraction of the cost.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS spill "
                "(seq INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL)"
            )
            row = self._db.execute("SELECT COUNT(*) FROM spill").fetchone()
            self._spilled = int(row[0])
        return self._db

    def _spill(self, event: PlantEvent) -> None:
        db = self._database()
        with db:
            db.execute("INSERT INTO spill (event) VALUES (?)", (event.to_json(),))
        self._spilled += 1

    def _persist_memory(self) -> None:
        db = self._database()
        row = db.execute("SELECT MIN(seq) FROM spill").fetchone()
        first = int(row[0]) if row[0] is not None else 1
        start = first - len(self._memory)
        with db:
            db.executemany(
                "INSERT INTO spill (seq, event) VALUES (?, ?)",
                (
                    (start + offset, event.to_json())
                    for offset, event in enumerate(self._memory)
                ),
            )
        self._spilled += len(self._memory)
        self._memory.clear()

    def _refill(self) -> None:
        if self._memory or not self._spilled:
            return
        db = self._database()
        rows = db.execute(
            "SELECT seq, event FROM spill ORDER BY seq LIMIT ?", (self.memory_limit,)
        ).fetchall()
        for _, text in rows:
            self._memory.append(parse_json(text))
        with db:
            db.execute("DELETE FROM spill WHERE seq <= ?", (rows[-1][0],))
        self._spilled -= len(rows)
