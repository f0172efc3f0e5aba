"""Ordering per subject in the store: gaps hold, timeouts put streams on
hold (never skip), one held stream never blocks another."""

from __future__ import annotations

import asyncio
from pathlib import Path

from contracts import MasterData
from gateway import create_app
from gateway.store import SqliteStore
from tests.gateway.conftest import (
    EventFactory,
    confirmed_yields,
    gateway_config,
    incoming,
    post,
    sap_figures,
    serve,
    status,
    wait_for,
)


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


def test_over_http_a_gap_holds_its_stream_while_other_streams_flow(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    held = [confirmation(n, subject="line/A", yield_qty=str(n)) for n in (1, 3)]
    flowing = [confirmation(n, subject="line/B", yield_qty="9") for n in (1, 2)]
    config = gateway_config(tmp_path, sap_url=sap)  # gap timeout 0.5 s
    with serve(create_app(config, master)) as gateway:
        post(gateway, held + flowing, plant_headers)
        wait_for(
            lambda: bool(status(gateway)["streams_on_hold"])
            and sap_figures(gateway)["delivered"] == 3
        )
        on_hold = status(gateway)["streams_on_hold"]
        post(gateway, [confirmation(2, subject="line/A", yield_qty="2")], plant_headers)
        wait_for(lambda: sap_figures(gateway)["delivered"] == 5)
        after = status(gateway)

    [stream] = on_hold
    assert (stream["subject"], stream["waiting_for_sequence"]) == ("line/A", 2)
    assert stream["held_events"] == 1 and stream["held_for_s"] >= 0
    assert after["streams_on_hold"] == [] and after["pending_ordering"] == 0
    line_a = [float(y) for y in confirmed_yields(sap) if float(y) != 9]
    assert line_a == [1, 2, 3]
