"""Delivery to the SAP mock over real HTTP: order, idempotent retries,
dead letters with SAP's message, replay with audit, defects on purpose."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from contracts import MasterData
from gateway import create_app, request_id
from tests.gateway.conftest import (
    OPERATOR_KEY,
    EventFactory,
    confirmed_yields,
    fault,
    gateway_config,
    post,
    sap_figures,
    sap_journal,
    sap_state,
    serve,
    status,
    wait_for,
)


def start_gateway(
    tmp_path: Path, sap: str, master: MasterData, **extra: Any
) -> Any:
    return serve(create_app(gateway_config(tmp_path, sap_url=sap, **extra), master))


def drained(url: str) -> bool:
    figures = sap_figures(url)
    return bool(figures["queue_depth"] == 0 and figures["in_flight"] == 0)


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


def test_each_sap_write_carries_the_events_repeatable_request_headers(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    events = [confirmation(n) for n in (1, 2)]
    with start_gateway(tmp_path, sap, master) as gateway:
        post(gateway, events, plant_headers)
        wait_for(lambda: sap_figures(gateway)["delivered"] == 2)

    writes = [entry for entry in sap_journal(sap) if entry["method"] == "POST"]
    assert [entry["request_id"] for entry in writes] == [
        request_id(event.id) for event in events
    ]
    assert all(entry["headers"].get("RepeatabilityCreation") for entry in writes)


def test_a_timeout_is_retried_and_posts_once(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    fault(sap, kind="latency", latency_ms=600)
    slow = {"base_url": sap, "workers": 2, "timeout_s": 0.2}
    with serve(
        create_app(
            gateway_config(tmp_path, destinations={"sap": slow}), master
        )
    ) as gateway:
        post(gateway, [confirmation(1)], plant_headers)
        wait_for(lambda: sap_figures(gateway)["retries"] >= 2)
        httpx.delete(f"{sap}/_mock/faults").raise_for_status()
        wait_for(lambda: sap_figures(gateway)["delivered"] == 1)

        figures = sap_figures(gateway)

    assert figures["retries"] >= 2 and figures["dead_letters"] == 0
    assert len(confirmed_yields(sap)) == 1


def test_server_errors_are_retried_until_sap_answers(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    fault(sap, kind="error", status=502)
    with start_gateway(tmp_path, sap, master) as gateway:
        post(gateway, [confirmation(1)], plant_headers)
        wait_for(lambda: sap_figures(gateway)["retries"] >= 2)
        httpx.delete(f"{sap}/_mock/faults").raise_for_status()
        wait_for(lambda: sap_figures(gateway)["delivered"] == 1)
        figures = sap_figures(gateway)

    assert figures["dead_letters"] == 0
    assert len(confirmed_yields(sap)) == 1


def attempts(gateway: str) -> float:
    """Writes tried against SAP, from the gateway's Prometheus metrics."""
    metric = 'planttwin_gateway_delivery_attempts_total{destination="sap"}'
    for line in httpx.get(f"{gateway}/metrics").text.splitlines():
        if line.startswith(metric):
            return float(line.split()[-1])
    return 0.0


def test_the_circuit_opens_on_an_outage_and_closes_when_sap_is_back(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    fault(sap, kind="outage")
    destination = {
        "base_url": sap, "workers": 2,
        "circuit_breaker": {"failures": 3, "reset_s": 2.0},
    }
    events = [confirmation(1, subject=f"line/{n}") for n in range(6)]
    with serve(
        create_app(gateway_config(tmp_path, destinations={"sap": destination}), master)
    ) as gateway:
        post(gateway, events, plant_headers)
        wait_for(lambda: status(gateway)["circuits"]["sap"] == "open")
        tried_when_opened = attempts(gateway)
        time.sleep(0.5)  # a window well inside reset_s: nothing may be tried
        tried_while_open = attempts(gateway) - tried_when_opened
        httpx.delete(f"{sap}/_mock/faults").raise_for_status()
        wait_for(lambda: sap_figures(gateway)["delivered"] == 6)
        circuit = status(gateway)["circuits"]["sap"]

    assert tried_when_opened <= 3 + 2  # the failures that opened it, in flight
    assert tried_while_open == 0
    assert circuit == "closed"
    assert len(confirmed_yields(sap)) == 6


def test_the_rate_limit_spaces_writes_to_one_destination(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    destination = {
        "base_url": sap, "workers": 8, "rate_limit": {"per_second": 10, "burst": 1},
    }
    events = [confirmation(1, subject=f"line/{n}") for n in range(12)]
    with serve(
        create_app(gateway_config(tmp_path, destinations={"sap": destination}), master)
    ) as gateway:
        post(gateway, events, plant_headers)
        wait_for(lambda: sap_figures(gateway)["delivered"] == 12)

    moments = sorted(
        datetime.fromisoformat(entry["received_at"])
        for entry in sap_journal(sap)
        if entry["method"] == "POST"
    )
    assert (moments[-1] - moments[0]).total_seconds() >= 11 / 10 * 0.9
