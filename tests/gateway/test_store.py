"""The durable queue itself, on SQLite and on PostgreSQL alike: grouped
commits, repeats inside one batch, positions that never repeat."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gateway.store import SqliteStore
from tests.gateway.conftest import incoming


def test_concurrent_writers_share_a_commit(store: SqliteStore) -> None:
    groups: list[int] = []
    store.on_commit = groups.append

    async def fifty_at_once() -> None:
        await asyncio.gather(
            *(store.ingest([incoming(f"line/{n}", 1)]) for n in range(50))
        )

    asyncio.run(fifty_at_once())

    assert sum(groups) == 50
    assert len(groups) <= 5


def test_a_repeat_inside_one_batch_gets_the_first_ones_acknowledgement(
    store: SqliteStore,
) -> None:
    batch = [
        incoming("order/1", 1, event_id="a"),
        incoming("order/1", 1, event_id="a"),
        incoming("order/1", 1, event_id="a", digest="changed"),
    ]

    async def scenario() -> list[tuple[str, int]]:
        acks, _ = await store.ingest(batch)
        return [(ack.status, ack.position) for ack in acks]

    [first, again, changed] = asyncio.run(scenario())

    assert first[0] == "accepted"
    assert again == ("duplicate", first[1])
    assert changed == ("conflict", first[1])


def test_positions_continue_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite"

    async def ingest(store: SqliteStore, subject: str) -> int:
        acks, _ = await store.ingest([incoming(subject, 1)])
        return acks[0].position

    first = SqliteStore(path)
    first.open()
    before = asyncio.run(ingest(first, "order/1"))
    first.close()
    second = SqliteStore(path)
    second.open()
    try:
        after = asyncio.run(ingest(second, "order/2"))
    finally:
        second.close()

    assert after == before + 1


def test_a_dead_letter_lets_its_stream_go_on(store: SqliteStore) -> None:
    async def scenario() -> list[str]:
        await store.ingest([incoming("order/1", n) for n in (1, 2, 3)])
        [first] = await store.claim("sap", 10)
        await store.dead(first, 1, "M7/053", "period closed")
        taken = []
        while claimed := await store.claim("sap", 10):
            for delivery in claimed:
                taken.append(delivery.event_id)
                await store.delivered(delivery, 1)
        return taken

    assert asyncio.run(scenario()) == ["order/1-2", "order/1-3"]


def test_a_replayed_dead_letter_goes_before_the_rest_of_its_stream(
    store: SqliteStore,
) -> None:
    async def scenario() -> list[str]:
        await store.ingest([incoming("order/1", 1)])
        [first] = await store.claim("sap", 10)
        await store.dead(first, 1, "M7/053", "period closed")
        await store.ingest([incoming("order/1", n) for n in (2, 3)])
        await store.resolve_dead(["order/1-1"], None, "replay", "ops", "reopened")
        taken = []
        while claimed := await store.claim("sap", 10):
            for delivery in claimed:
                taken.append(delivery.event_id)
                await store.delivered(delivery, 1)
        return taken

    assert asyncio.run(scenario()) == ["order/1-1", "order/1-2", "order/1-3"]


def test_a_deep_stream_still_gives_one_event_at_a_time(store: SqliteStore) -> None:
    async def scenario() -> tuple[int, list[int]]:
        await store.ingest([incoming("order/1", n) for n in range(1, 2001)])
        await store.ingest([incoming("order/2", 1)])
        first = await store.claim("sap", 100)
        await store.delivered(first[0], 1)
        second = await store.claim("sap", 100)
        return len(first), [d.sequence for d in second]

    claimed_at_once, next_ones = asyncio.run(scenario())

    assert claimed_at_once == 2  # the head of each stream
    assert next_ones == [2]
