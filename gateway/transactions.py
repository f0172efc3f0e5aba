"""Group commit: the writes of many concurrent callers in one transaction.

Callers queue work and await its commit; the committer takes whatever is
queued, runs it all in one transaction and commits once, so that an answer
(an acknowledgement, a claim) always follows a commit. Work of the same
*batch* kind (say, every ingest queued meanwhile) runs as one call over all
its items, so that a hundred concurrent requests cost one set of
statements, not a hundred. A failing piece of work is rolled back to its
savepoint and handed its error; the rest of the group commits.

Two committers share that logic:

- ``LoopCommitter`` (SQLite) commits on the event loop itself, once per
  turn of the loop, for everything queued during that turn. An SQLite
  commit in WAL mode writes to the page cache and the log without waiting
  for the disk, so it is short, and no thread has to win Python's GIL back
  from a busy loop for every statement, which costs more than the
  statement.
- ``GroupCommitter`` (PostgreSQL) gives the connection a thread of its own,
  since each statement waits for the network; answers reach each caller's
  loop in one hop per group.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

_T = TypeVar("_T")
_R = TypeVar("_R")
Connection = Any
"""A ``sqlite3.Connection``, or the PostgreSQL adapter of ``gateway.postgres``:
both take ``execute(sql, params)`` with ``?`` placeholders."""
Work = Callable[[Connection], Any]
BatchWork = Callable[[Connection, list[Any]], Sequence[Any]]
_MAX_GROUP = 1024


@dataclass
class _Op:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    work: Work | None = None
    batch: BatchWork | None = None
    item: Any = None


_Outcome = tuple[_Op, Any, BaseException | None]


class LoopCommitter:
    """Commits on the event loop, once per turn, what the turn queued.

    The loop waits while a commit runs: a few milliseconds for a group of
    single events, some tens for a batch of thousands.
    """

    def __init__(self, on_commit: Callable[[int], None] | None = None) -> None:
        self.on_commit = on_commit
        self._conn: Connection | None = None
        self._pending: dict[asyncio.AbstractEventLoop, list[_Op]] = {}
        self._lock = threading.Lock()  # tests may use one store from two loops

    def start(self, conn: Connection, name: str = "gateway-store") -> None:
        self._conn = conn

    def stop(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    async def run(self, work: Callable[[Connection], _T]) -> _T:
        """Run ``work`` in this turn's transaction; its result after the
        commit."""
        loop = asyncio.get_running_loop()
        op = _Op(loop, loop.create_future(), work=work)
        self._queue(op)
        result: _T = await op.future
        return result

    async def run_batched(
        self, batch: Callable[[Connection, list[Any]], Sequence[_R]], item: Any
    ) -> _R:
        """Run ``batch`` over ``item`` and every other item queued for the
        same ``batch`` this turn; this item's result after the commit."""
        loop = asyncio.get_running_loop()
        op = _Op(loop, loop.create_future(), batch=batch, item=item)
        self._queue(op)
        result: _R = await op.future
        return result

    def _queue(self, op: _Op) -> None:
        with self._lock:
            pending = self._pending.setdefault(op.loop, [])
            if not pending:
                # One more turn lets the requests that arrived with this one
                # reach the store too: fewer, larger commits.
                op.loop.call_soon(op.loop.call_soon, self._flush, op.loop)
            pending.append(op)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            group = self._pending.pop(loop, [])
            if self._conn is None:
                error = RuntimeError("the store is closed")
                outcomes: list[_Outcome] = [(op, None, error) for op in group]
            else:
                outcomes = commit(self._conn, group, self.on_commit)
        _settle(outcomes)


class GroupCommitter:
    """The thread that owns one connection and commits groups of work.

    Each piece of work, and each batch of one kind, gets a transaction of
    its own: every transaction then takes its row locks in one sorted pass,
    so transactions of two replicas never wait on each other in a circle.
    """

    def __init__(self, on_commit: Callable[[int], None] | None = None) -> None:
        self.on_commit = on_commit
        self._ops: queue.SimpleQueue[_Op | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self, conn: Connection, name: str = "gateway-store") -> None:
        self._thread = threading.Thread(
            target=self._serve, args=(conn,), name=name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._ops.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    async def run(self, work: Callable[[Connection], _T]) -> _T:
        """Run ``work`` in the next transaction; its result after the commit."""
        loop = asyncio.get_running_loop()
        op = _Op(loop, loop.create_future(), work=work)
        self._ops.put(op)
        result: _T = await op.future
        return result

    async def run_batched(
        self, batch: Callable[[Connection, list[Any]], Sequence[_R]], item: Any
    ) -> _R:
        """Run ``batch`` over ``item`` and every other item queued for the
        same ``batch`` meanwhile; this item's result after the commit."""
        loop = asyncio.get_running_loop()
        op = _Op(loop, loop.create_future(), batch=batch, item=item)
        self._ops.put(op)
        result: _R = await op.future
        return result

    # The thread ---------------------------------------------------------------

    def _commit_units(self, conn: Connection, group: list[_Op]) -> list[_Outcome]:
        units: list[list[_Op]] = []
        batches: dict[BatchWork, list[_Op]] = {}
        for op in group:
            if op.batch is None:
                units.append([op])
            elif op.batch in batches:
                batches[op.batch].append(op)
            else:
                batches[op.batch] = [op]
                units.append(batches[op.batch])
        outcomes: list[_Outcome] = []
        for unit in units:
            outcomes.extend(commit(conn, unit, self.on_commit))
        return outcomes

    def _serve(self, conn: Connection) -> None:
        try:
            while True:
                first = self._ops.get()
                if first is None:
                    return
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
                _answer(self._commit_units(conn, group))
                if stop:
                    return
        finally:
            conn.close()


def commit(
    conn: Connection,
    group: list[_Op],
    on_commit: Callable[[int], None] | None = None,
) -> list[_Outcome]:
    """Run ``group`` in one transaction; each op's outcome."""
    outcomes: list[_Outcome] = []
    batches: dict[BatchWork, list[_Op]] = {}
    conn.execute("BEGIN IMMEDIATE")
    for op in group:
        if op.batch is not None:
            batches.setdefault(op.batch, []).append(op)
        else:
            assert op.work is not None
            outcomes.append(_isolated(conn, op, op.work))
    for batch, ops in batches.items():
        outcomes.extend(_batched(conn, batch, ops))
    try:
        conn.execute("COMMIT")
    except Exception as exc:  # the commit failed: every caller hears of it
        conn.execute("ROLLBACK")
        return [(op, None, exc) for op, _, _ in outcomes]
    if on_commit is not None:
        on_commit(len(group))
    return outcomes


def _isolated(conn: Connection, op: _Op, work: Work) -> _Outcome:
    conn.execute("SAVEPOINT op")
    try:
        value = work(conn)
    except BaseException as exc:  # handed to the caller, not swallowed
        conn.execute("ROLLBACK TO op")
        conn.execute("RELEASE op")
        return op, None, exc
    conn.execute("RELEASE op")
    return op, value, None


def _batched(conn: Connection, batch: BatchWork, ops: list[_Op]) -> list[_Outcome]:
    if len(ops) == 1:
        return [_isolated(conn, ops[0], _alone(batch, ops[0].item))]
    conn.execute("SAVEPOINT batch")
    try:
        values = batch(conn, [op.item for op in ops])
    except Exception:  # find the culprit: each item on its own
        conn.execute("ROLLBACK TO batch")
        conn.execute("RELEASE batch")
        return [_isolated(conn, op, _alone(batch, op.item)) for op in ops]
    conn.execute("RELEASE batch")
    return [(op, value, None) for op, value in zip(ops, values, strict=True)]


def _alone(batch: BatchWork, item: Any) -> Work:
    """``batch`` over one item, as plain work."""

    def work(conn: Connection) -> Any:
        return batch(conn, [item])[0]

    return work


def _answer(outcomes: list[_Outcome]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].loop, []).append(outcome)
    for loop, answers in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed
            loop.call_soon_threadsafe(_settle, answers)


def _settle(answers: list[_Outcome]) -> None:
    """On the caller's loop: a caller that went away (cancelled) misses its
    answer; the work itself stands."""
    for op, value, error in answers:
        if op.future.done():
            continue
        if error is not None:
            op.future.set_exception(error)
        else:
            op.future.set_result(value)
