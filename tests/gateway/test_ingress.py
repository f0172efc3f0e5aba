"""Ingress over real HTTP: durable acknowledgement, idempotency, errors."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contracts import BATCH_CONTENT_TYPE, dump_batch
from gateway import create_app
from tests.gateway.conftest import (
    OTHER_KEY,
    EventFactory,
    gateway_config,
    serve,
    status,
)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[str]:
    config = gateway_config(
        tmp_path, ingress={"max_event_bytes": 4096, "backlog_high_water": 1000}
    )
    with serve(create_app(config)) as url:
        yield url


def test_an_event_is_acknowledged_202_and_counted(
    gateway: str, plant_headers: dict[str, str], confirmation: EventFactory
) -> None:
    event = confirmation(1)

    response = httpx.post(
        f"{gateway}/v1/events", content=event.to_json(), headers=plant_headers
    )

    assert response.status_code == 202
    assert response.json()["id"] == event.id
    assert status(gateway)["accepted"] == 1


def test_a_repeat_gets_200_with_the_original_acknowledgement(
    gateway: str, plant_headers: dict[str, str], confirmation: EventFactory
) -> None:
    event = confirmation(1)
    first = httpx.post(
        f"{gateway}/v1/events", content=event.to_json(), headers=plant_headers
    )

    again = httpx.post(
        f"{gateway}/v1/events", content=event.to_json(), headers=plant_headers
    )

    assert again.status_code == 200
    assert again.json() == first.json()
    assert status(gateway)["accepted"] == 1


def test_same_id_with_other_content_is_a_409_conflict(
    gateway: str, plant_headers: dict[str, str], confirmation: EventFactory
) -> None:
    httpx.post(
        f"{gateway}/v1/events", content=confirmation(1).to_json(), headers=plant_headers
    )
    changed = confirmation(1, yield_qty="6")

    response = httpx.post(
        f"{gateway}/v1/events", content=changed.to_json(), headers=plant_headers
    )

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "conf-order/1000001-1" in response.json()["detail"]


def test_a_schema_error_is_a_400_problem_naming_the_field(
    gateway: str, plant_headers: dict[str, str], confirmation: EventFactory
) -> None:
    raw = confirmation(1).to_wire()
    raw["data"]["yield_qty"] = "-3"

    response = httpx.post(
        f"{gateway}/v1/events", content=json.dumps(raw), headers=plant_headers
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400
    assert [error["path"] for error in problem["errors"]] == ["data.yield_qty"]
    assert "'-3' must be >= 0" in problem["detail"]


def test_an_oversized_body_is_a_413(
    gateway: str, plant_headers: dict[str, str], confirmation: EventFactory
) -> None:
    raw = confirmation(1).to_wire()
    raw["source"] = "x" * 5000

    response = httpx.post(
        f"{gateway}/v1/events", content=json.dumps(raw), headers=plant_headers
    )

    assert response.status_code == 413


def test_a_plant_key_cannot_write_another_plants_events(
    gateway: str, confirmation: EventFactory
) -> None:
    headers = {
        "Authorization": f"Bearer {OTHER_KEY}",
        "Content-Type": "application/cloudevents+json",
    }

    response = httpx.post(
        f"{gateway}/v1/events", content=confirmation(1).to_json(), headers=headers
    )

    assert response.status_code == 403
    assert "plant: 'P100' is not the plant of this key" in response.json()["detail"]
    assert status(gateway)["accepted"] == 0


def test_without_a_key_ingress_answers_401(
    gateway: str, confirmation: EventFactory
) -> None:
    response = httpx.post(
        f"{gateway}/v1/events",
        content=confirmation(1).to_json(),
        headers={"Content-Type": "application/cloudevents+json"},
    )

    assert response.status_code == 401


def test_a_batch_is_stored_whole_and_repeats_are_flagged(
    gateway: str, plant_headers: dict[str, str], confirmation: EventFactory
) -> None:
    events = [confirmation(sequence) for sequence in range(1, 6)]
    headers = {**plant_headers, "Content-Type": BATCH_CONTENT_TYPE}
    httpx.post(
        f"{gateway}/v1/events", content=events[0].to_json(), headers=plant_headers
    )

    response = httpx.post(
        f"{gateway}/v1/events/batch", content=dump_batch(events), headers=headers
    )

    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["conflicts"]) == (4, 1, 0)
    assert status(gateway)["accepted"] == 5


def test_a_batch_with_one_bad_event_is_refused_whole(
    gateway: str, plant_headers: dict[str, str], confirmation: EventFactory
) -> None:
    raw = [confirmation(1).to_wire(), confirmation(2).to_wire()]
    del raw[1]["subject"]
    headers = {**plant_headers, "Content-Type": BATCH_CONTENT_TYPE}

    response = httpx.post(
        f"{gateway}/v1/events/batch", content=json.dumps(raw), headers=headers
    )

    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == ["[1].subject"]
    assert status(gateway)["accepted"] == 0


def test_above_the_backlog_high_water_mark_ingress_answers_429(
    tmp_path: Path, plant_headers: dict[str, str], confirmation: EventFactory
) -> None:
    config = gateway_config(
        tmp_path,
        sap_url="http://127.0.0.1:9",
        ingress={"backlog_high_water": 3, "retry_after_s": 7},
    )
    events = [confirmation(sequence) for sequence in range(1, 5)]
    with serve(create_app(config)) as url:
        answers = [
            httpx.post(f"{url}/v1/events", content=e.to_json(), headers=plant_headers)
            for e in events
        ]

    assert [answer.status_code for answer in answers] == [202, 202, 202, 429]
    assert answers[-1].headers["retry-after"] == "7"


def test_a_wrong_content_type_is_a_415(
    gateway: str, plant_headers: dict[str, str], confirmation: EventFactory
) -> None:
    headers = {**plant_headers, "Content-Type": "text/plain"}

    response = httpx.post(
        f"{gateway}/v1/events", content=confirmation(1).to_json(), headers=headers
    )

    assert response.status_code == 415
    assert "Content-Type: 'text/plain'" in response.json()["detail"]


def test_a_batch_with_too_many_events_is_a_413(
    tmp_path: Path, plant_headers: dict[str, str], confirmation: EventFactory
) -> None:
    config = gateway_config(tmp_path, ingress={"max_batch_events": 3})
    headers = {**plant_headers, "Content-Type": BATCH_CONTENT_TYPE}
    events = [confirmation(n) for n in range(1, 5)]
    with serve(create_app(config)) as url:
        response = httpx.post(
            f"{url}/v1/events/batch", content=dump_batch(events), headers=headers
        )
        accepted = status(url)["accepted"]

    assert response.status_code == 413
    assert "4 events is more than the limit of 3" in response.json()["detail"]
    assert accepted == 0


def test_a_batch_carrying_another_plants_event_is_refused_whole(
    gateway: str, plant_headers: dict[str, str], confirmation: EventFactory
) -> None:
    events = [confirmation(1), confirmation(2, plant="P200")]
    headers = {**plant_headers, "Content-Type": BATCH_CONTENT_TYPE}

    response = httpx.post(
        f"{gateway}/v1/events/batch", content=dump_batch(events), headers=headers
    )

    assert response.status_code == 403
    assert response.json()["detail"].startswith("[1].plant: 'P200'")
    assert status(gateway)["accepted"] == 0


def test_an_acknowledged_event_is_already_committed_to_the_store_file(
    tmp_path: Path, plant_headers: dict[str, str], confirmation: EventFactory
) -> None:
    config = gateway_config(tmp_path)
    event = confirmation(1)
    with serve(create_app(config)) as url:
        answer = httpx.post(
            f"{url}/v1/events", content=event.to_json(), headers=plant_headers
        )
        with sqlite3.connect(config.store.path) as reader:
            stored = reader.execute(
                "SELECT position FROM events WHERE id = ?", (event.id,)
            ).fetchall()
            journal_mode = reader.execute("PRAGMA journal_mode").fetchone()[0]

    assert answer.status_code == 202
    assert stored == [(answer.json()["position"],)]
    assert journal_mode == "wal"


def test_concurrent_requests_share_commits(
    gateway: str, plant_headers: dict[str, str], confirmation: EventFactory
) -> None:
    bodies = [
        confirmation(1, subject=f"line/{n}", event_id=f"c-{n}").to_json()
        for n in range(64)
    ]

    async def send_all() -> list[int]:
        async with httpx.AsyncClient(base_url=gateway) as client:
            answers = await asyncio.gather(
                *(client.post("/v1/events", content=body, headers=plant_headers)
                  for body in bodies)
            )
        return [answer.status_code for answer in answers]

    codes = asyncio.run(send_all())
    metrics = httpx.get(f"{gateway}/metrics").text

    assert codes == [202] * 64
    commits = _metric(metrics, "planttwin_gateway_store_commits_total")
    writes = _metric(metrics, "planttwin_gateway_store_writes_total")
    assert writes >= 64
    assert commits < writes


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} is not in /metrics")
