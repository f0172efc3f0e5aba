"""Ingress over real HTTP: durable acknowledgement, idempotency, errors."""

from __future__ import annotations

import json
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
