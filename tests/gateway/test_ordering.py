"""Ordering per subject in the store: gaps hold, timeouts put streams on
hold (never skip), one held stream never blocks another."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.postgres import PostgresStore
from gateway.records import Incoming
from gateway.store import SqliteStore


def incoming(subject: str, sequence: int, event_id: str | None = None) -> Incoming:
    return Incoming(
        event_id=event_id or f"{subject}-{sequence}",
        plant="P100",
        subject=subject,
        sequence=sequence,
        type="io.planttwin.operation.confirmed.v1",
        body="{}",
        digest=f"digest-{subject}-{sequence}",
        destinations=("sap",),
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqliteStore]:
    """The same rules against each store kind."""
    if request.param == "postgres":
        dsn = request.getfixturevalue("postgres_dsn")
        store: SqliteStore = PostgresStore(dsn, schema=f"t_{uuid.uuid4().hex[:12]}")
    else:
        store = SqliteStore(tmp_path / "q.sqlite")
    store.open()
    yield store
    store.close()
    if isinstance(store, PostgresStore):
        store.drop()


async def drain(store: SqliteStore, destination: str = "sap") -> list[str]:
    """Claim and deliver one at a time, as one worker would; ids in order."""
    order: list[str] = []
    while claimed := await store.claim(destination, 10):
        for delivery in claimed:
            order.append(delivery.event_id)
            await store.delivered(delivery, 1)
    return order


def test_reordered_events_leave_in_sequence(store: SqliteStore) -> None:
    async def scenario() -> list[str]:
        await store.ingest([incoming("order/1", n) for n in (3, 1, 4, 2)])
        return await drain(store)

    assert asyncio.run(scenario()) == [f"order/1-{n}" for n in (1, 2, 3, 4)]


def test_a_gap_holds_later_events_until_the_missing_one_arrives(
    store: SqliteStore,
) -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        await store.ingest([incoming("order/1", n) for n in (1, 3, 4)])
        before = await drain(store)
        await store.ingest([incoming("order/1", 2)])
        return before, await drain(store)

    before, after = asyncio.run(scenario())

    assert before == ["order/1-1"]
    assert after == ["order/1-2", "order/1-3", "order/1-4"]


def test_a_gap_past_the_timeout_puts_the_stream_on_hold_not_skipped(
    store: SqliteStore,
) -> None:
    async def scenario() -> tuple[dict[str, object], list[str]]:
        await store.ingest([incoming("order/1", n) for n in (1, 3)])
        await drain(store)
        await store.hold_overdue(timeout_s=0.0)
        report = await store.status(["sap"])
        return report, await drain(store)

    report, delivered = asyncio.run(scenario())

    assert report["streams_on_hold"] == [
        {
            "subject": "order/1",
            "waiting_for_sequence": 2,
            "held_events": 1,
            "held_for_s": report["streams_on_hold"][0]["held_for_s"],  # type: ignore[index]
        }
    ]
    assert report["pending_ordering"] == 1
    assert delivered == []


def test_one_held_stream_never_blocks_another(store: SqliteStore) -> None:
    async def scenario() -> list[str]:
        await store.ingest([incoming("order/1", 2), incoming("order/2", 1)])
        await store.hold_overdue(timeout_s=0.0)
        await store.ingest([incoming("order/2", 2)])
        return await drain(store)

    assert asyncio.run(scenario()) == ["order/2-1", "order/2-2"]


def test_one_stream_is_claimed_one_event_at_a_time(store: SqliteStore) -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        await store.ingest(
            [incoming("order/1", 1), incoming("order/1", 2), incoming("order/2", 1)]
        )
        first = await store.claim("sap", 10)
        second = await store.claim("sap", 10)
        return [d.event_id for d in first], [d.event_id for d in second]

    first, second = asyncio.run(scenario())

    assert first == ["order/1-1", "order/2-1"]
    assert second == []


def test_without_ordering_events_leave_as_they_came(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "q.sqlite", ordered=False)
    store.open()

    async def scenario() -> list[str]:
        await store.ingest([incoming("order/1", n) for n in (3, 1, 2)])
        return await drain(store)

    try:
        assert asyncio.run(scenario()) == [f"order/1-{n}" for n in (3, 1, 2)]
    finally:
        store.close()


def test_an_operator_can_release_a_held_stream_and_it_is_audited(
    store: SqliteStore,
) -> None:
    async def scenario() -> tuple[int, list[str], list[dict[str, object]]]:
        await store.ingest([incoming("order/1", 1), incoming("order/1", 3)])
        await drain(store)
        released = await store.release_stream("order/1", "ops", "seq 2 lost at edge")
        return released, await drain(store), await store.audit()

    released, delivered, audit = asyncio.run(scenario())

    assert released == 1
    assert delivered == ["order/1-3"]
    assert audit[0]["action"] == "release_stream"
    assert audit[0]["reason"] == "seq 2 lost at edge"


def test_a_restart_gives_back_what_was_in_flight(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite"
    store = SqliteStore(path)
    store.open()

    async def claim_and_crash() -> None:
        await store.ingest([incoming("order/1", 1)])
        await store.claim("sap", 10)

    asyncio.run(claim_and_crash())
    store.close()
    restarted = SqliteStore(path)
    restarted.open()
    try:
        assert asyncio.run(drain(restarted)) == ["order/1-1"]
        assert restarted.backlog == 0
    finally:
        restarted.close()
