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

from gateway import create_app
from gateway.postgres import PostgresStore
from tests.gateway.conftest import EventFactory, gateway_config, serve, status
from tests.gateway.test_ordering import incoming

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
