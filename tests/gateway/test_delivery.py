"""Delivery to the SAP mock over real HTTP: order, idempotent retries,
dead letters with SAP's message, replay with audit, defects on purpose."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts import MasterData, PlantEvent
from gateway import create_app
from tests.gateway.conftest import (
    OPERATOR_KEY,
    EventFactory,
    gateway_config,
    serve,
    status,
    wait_for,
)

sap_mock = pytest.importorskip("mocks.sap")


@pytest.fixture
def sap(master: MasterData) -> Iterator[str]:
    with serve(sap_mock.create_app(master, reprocess_interval=None)) as url:
        yield url


def start_gateway(
    tmp_path: Path, sap: str, master: MasterData, **extra: Any
) -> Any:
    return serve(create_app(gateway_config(tmp_path, sap_url=sap, **extra), master))


def post(url: str, events: list[PlantEvent], headers: dict[str, str]) -> None:
    for event in events:
        response = httpx.post(
            f"{url}/v1/events", content=event.to_json(), headers=headers
        )
        assert response.status_code in (200, 202), response.text


def drained(url: str) -> bool:
    sap = status(url)["destinations"]["sap"]
    return sap["queue_depth"] == 0 and sap["in_flight"] == 0


def sap_state(sap: str) -> dict[str, Any]:
    state: dict[str, Any] = httpx.get(f"{sap}/_mock/state").json()
    return state


def fault(sap: str, **rule: Any) -> str:
    response = httpx.post(f"{sap}/_mock/faults", json=rule)
    response.raise_for_status()
    body = response.json()
    return str(body.get("id", ""))


def confirmed_yields(sap: str) -> list[str]:
    rows = sap_state(sap)["confirmations"]
    return [row["ConfirmationYieldQuantity"] for row in rows]


def test_events_reach_sap_in_order_converted_and_dated_locally(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
    consumption: EventFactory,
) -> None:
    events = [confirmation(n, yield_qty=str(n)) for n in (3, 1, 4, 2)]
    with start_gateway(tmp_path, sap, master) as gateway:
        post(gateway, events, plant_headers)
        post(gateway, [confirmation(5, yield_qty="5")], plant_headers)
        wait_for(lambda: status(gateway)["destinations"]["sap"]["delivered"] == 5)
        assert drained(gateway)

    assert [float(y) for y in confirmed_yields(sap)] == [1, 2, 3, 4, 5]


def test_a_consumption_in_boxes_posts_pieces(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    consumption: EventFactory,
) -> None:
    with start_gateway(tmp_path, sap, master) as gateway:
        post(gateway, [consumption(1, quantity="2", unit="BOX")], plant_headers)
        wait_for(lambda: status(gateway)["destinations"]["sap"]["delivered"] == 1)

    [document] = [
        document
        for document in sap_state(sap)["material_documents"]
        if document.get("origin") == "api"
    ]
    [item] = document["items"]
    assert item["GoodsMovementType"] == "261"
    assert float(item["QuantityInBaseUnit"]) == 200
    assert document["PostingDate"] == "2026-12-03"


def test_lost_acknowledgements_are_retried_without_posting_twice(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    fault(sap, kind="lost_ack", rate=0.5, seed=7)
    events = [confirmation(n, yield_qty="1") for n in range(1, 9)]
    with start_gateway(tmp_path, sap, master) as gateway:
        post(gateway, events, plant_headers)
        wait_for(lambda: status(gateway)["destinations"]["sap"]["delivered"] == 8)
        figures = status(gateway)["destinations"]["sap"]

    assert figures["retries"] > 0
    assert len(confirmed_yields(sap)) == 8


def test_retries_without_idempotency_post_twice_on_lost_acks(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    fault(sap, kind="lost_ack", rate=0.5, seed=7)
    events = [confirmation(n, yield_qty="1") for n in range(1, 9)]
    with start_gateway(
        tmp_path, sap, master, defects=["retries_without_idempotency"]
    ) as gateway:
        post(gateway, events, plant_headers)
        wait_for(lambda: status(gateway)["destinations"]["sap"]["delivered"] == 8)

    assert len(confirmed_yields(sap)) > 8


def test_a_business_error_is_a_dead_letter_with_sap_message_and_replayable(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    operator_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    rule = fault(sap, kind="closed_period")
    with start_gateway(tmp_path, sap, master) as gateway:
        post(gateway, [confirmation(1)], plant_headers)
        wait_for(lambda: status(gateway)["destinations"]["sap"]["dead_letters"] == 1)
        letters = httpx.get(f"{gateway}/v1/dead-letters", headers=operator_headers)
        httpx.delete(f"{sap}/_mock/faults/{rule}")
        httpx.delete(f"{sap}/_mock/faults")
        replay = httpx.post(
            f"{gateway}/v1/dead-letters/replay",
            json={"event_ids": [confirmation(1).id], "reason": "period reopened"},
            headers=operator_headers,
        )
        wait_for(lambda: status(gateway)["destinations"]["sap"]["delivered"] == 1)
        audit = httpx.get(f"{gateway}/v1/audit", headers=operator_headers).json()

    [letter] = letters.json()["items"]
    assert letter["event_id"] == confirmation(1).id
    assert letter["error_code"] == "M7/053"
    assert letter["error_message"]
    assert replay.json()["event_ids"] == [confirmation(1).id]
    assert audit[0]["action"] == "replay" and audit[0]["reason"] == "period reopened"
    assert len(confirmed_yields(sap)) == 1


def test_a_locked_material_is_retried_until_it_is_free(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    consumption: EventFactory,
) -> None:
    fault(sap, kind="locked")
    with start_gateway(tmp_path, sap, master) as gateway:
        post(gateway, [consumption(1)], plant_headers)
        wait_for(lambda: status(gateway)["destinations"]["sap"]["retries"] >= 2)
        httpx.delete(f"{sap}/_mock/faults")
        wait_for(lambda: status(gateway)["destinations"]["sap"]["delivered"] == 1)
        figures = status(gateway)["destinations"]["sap"]

    assert figures["dead_letters"] == 0


def test_an_outage_is_ridden_out_and_nothing_is_lost(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    fault(sap, kind="outage")
    events = [confirmation(n, yield_qty="1") for n in range(1, 6)]
    with start_gateway(tmp_path, sap, master) as gateway:
        post(gateway, events, plant_headers)
        wait_for(lambda: status(gateway)["destinations"]["sap"]["retries"] >= 3)
        assert status(gateway)["destinations"]["sap"]["delivered"] == 0
        httpx.delete(f"{sap}/_mock/faults")
        wait_for(lambda: status(gateway)["destinations"]["sap"]["delivered"] == 5)

    assert len(confirmed_yields(sap)) == 5


def test_a_master_data_gap_is_a_dead_letter_naming_the_gap(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    operator_headers: dict[str, str],
    consumption: EventFactory,
) -> None:
    with start_gateway(tmp_path, sap, master) as gateway:
        post(gateway, [consumption(1, unit="BOX", component="GREASE")], plant_headers)
        wait_for(lambda: status(gateway)["destinations"]["sap"]["dead_letters"] == 1)
        body = httpx.get(f"{gateway}/v1/dead-letters", headers=operator_headers).json()

    [letter] = body["items"]
    assert letter["error_code"] == "MASTER_DATA"
    assert "no conversion from 'BOX'" in letter["error_message"]
    assert sap_state(sap)["confirmations"] == []


def test_status_and_dead_letters_need_the_operator_key(
    tmp_path: Path, sap: str, master: MasterData, plant_headers: dict[str, str]
) -> None:
    with start_gateway(tmp_path, sap, master) as gateway:
        as_plant = httpx.get(f"{gateway}/v1/status", headers=plant_headers)
        as_nobody = httpx.get(f"{gateway}/v1/dead-letters")
        as_operator = httpx.get(
            f"{gateway}/v1/status", headers={"Authorization": f"Bearer {OPERATOR_KEY}"}
        )

    assert (as_plant.status_code, as_nobody.status_code) == (403, 401)
    assert as_operator.status_code == 200
