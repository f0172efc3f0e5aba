"""The PostgreSQL store shared by two replicas: every delivery is claimed
once, each stream still leaves in order, and a repeated id is stored once
whichever replica takes it."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contracts import MasterData
from gateway import create_app
from gateway.postgres import PostgresStore
from tests.gateway.conftest import (
    EventFactory,
    confirmed_yields,
    gateway_config,
    incoming,
    post,
    sap_state,
    serve,
    status,
    wait_for,
)

pytestmark = pytest.mark.services


@pytest.fixture
def replicas(postgres_dsn: str) -> Iterator[tuple[PostgresStore, PostgresStore]]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    first = PostgresStore(postgres_dsn, schema=schema, replica="a")
    second = PostgresStore(postgres_dsn, schema=schema, replica="b")
    first.open()
    second.open()
    yield first, second
    first.close()
    second.close()
    first.drop()


async def drain(store: PostgresStore, taken: list[tuple[str, str, int]]) -> None:
    idle = 0
    while idle < 3:
        claimed = await store.claim("sap", 4)
        idle = 0 if claimed else idle + 1
        for delivery in claimed:
            taken.append((store.owner, delivery.subject, delivery.sequence))
            await store.delivered(delivery, 1)


def test_two_replicas_share_the_queue_without_double_claims(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = replicas
    events = [incoming(f"order/{n % 10}", n // 10 + 1) for n in range(200)]
    taken: list[tuple[str, str, int]] = []

    async def scenario() -> None:
        await first.ingest(events[:100])
        await second.ingest(events[100:])
        await asyncio.gather(drain(first, taken), drain(second, taken))

    asyncio.run(scenario())

    claims = Counter((subject, sequence) for _, subject, sequence in taken)
    assert len(claims) == 200 and max(claims.values()) == 1
    assert {owner for owner, _, _ in taken} == {"a", "b"}
    for subject in {subject for _, subject, _ in taken}:
        sequences = [seq for _, s, seq in taken if s == subject]
        assert sequences == sorted(sequences)


def test_a_repeated_id_is_stored_once_across_replicas(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = replicas

    async def scenario() -> tuple[str, str]:
        [one], _ = await first.ingest([incoming("order/1", 1)])
        [two], _ = await second.ingest([incoming("order/1", 1)])
        return one.status, two.status

    assert asyncio.run(scenario()) == ("accepted", "duplicate")


def test_a_gateway_on_postgres_acknowledges_and_deduplicates(
    tmp_path: Path,
    postgres_dsn: str,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    config = gateway_config(
        tmp_path, store={"kind": "postgres", "dsn": postgres_dsn, "schema_name": schema}
    )
    event = confirmation(1)
    try:
        with serve(create_app(config)) as gateway:
            url, body = f"{gateway}/v1/events", event.to_json()
            answers = [
                httpx.post(url, content=body, headers=plant_headers).status_code
                for _ in range(2)
            ]
            accepted = status(gateway)["accepted"]
    finally:
        PostgresStore(postgres_dsn, schema=schema).drop()

    assert answers == [202, 200]
    assert accepted == 1


def delivered_here(gateway: str) -> float:
    """Deliveries this replica made, from its own Prometheus metrics."""
    metric = 'planttwin_gateway_deliveries_total{destination="sap",outcome="delivered"}'
    for line in httpx.get(f"{gateway}/metrics").text.splitlines():
        if line.startswith(metric):
            return float(line.split()[-1])
    return 0.0


def test_two_gateway_replicas_on_one_schema_post_each_event_once_in_order(
    tmp_path: Path,
    postgres_dsn: str,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    store = {"kind": "postgres", "dsn": postgres_dsn, "schema_name": schema}
    streams = {
        f"line/{line}": [
            confirmation(n, subject=f"line/{line}", yield_qty=f"{line}.{n}")
            for n in range(1, 6)
        ]
        for line in range(1, 5)
    }
    configs = [
        gateway_config(tmp_path / name, sap_url=sap, store={**store, "replica": name})
        for name in ("a", "b")
    ]
    try:
        with serve(create_app(configs[0], master)) as first, serve(
            create_app(configs[1], master)
        ) as second:
            for index, event in enumerate(zip(*streams.values(), strict=True)):
                post(first if index % 2 else second, list(event), plant_headers)
            wait_for(lambda: len(confirmed_yields(sap)) >= 20, timeout=30)
            wait_for(lambda: delivered_here(first) + delivered_here(second) == 20)
            shared = status(first)
    finally:
        PostgresStore(postgres_dsn, schema=schema).drop()

    rows = sap_state(sap)["confirmations"]
    posted = Counter(row["ConfirmationText"] for row in rows)
    assert set(posted) == {e.id for events in streams.values() for e in events}
    assert max(posted.values()) == 1
    for line in range(1, 5):
        yields = [
            row["ConfirmationYieldQuantity"]
            for row in rows
            if row["ConfirmationYieldQuantity"].startswith(f"{line}.")
        ]
        assert yields == [f"{line}.{n}" for n in range(1, 6)]
    assert shared["accepted"] == 20 and shared["destinations"]["sap"]["delivered"] == 20
