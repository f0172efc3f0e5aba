"""Operating the gateway over HTTP: status (queues, holds, stuck streams),
dead letters (list, inspect, replay one or many, discard, audit), probes,
Prometheus metrics, the OpenAPI document it serves, and its delivery log."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contracts import MasterData
from gateway import create_app
from gateway.cli import OPENAPI_PATH
from gateway.metrics import JsonLogFormatter
from tests.gateway.conftest import (
    EventFactory,
    confirmed_yields,
    fault,
    gateway_config,
    post,
    sap_figures,
    serve,
    status,
    wait_for,
)


def test_status_shows_queue_age_and_streams_stuck_on_an_unreachable_erp(
    tmp_path: Path,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    config = gateway_config(
        tmp_path, sap_url="http://127.0.0.1:9", monitoring={"stuck_after_s": 0.3}
    )
    with serve(create_app(config, master)) as gateway:
        post(gateway, [confirmation(1), confirmation(2)], plant_headers)
        wait_for(lambda: bool(status(gateway)["stuck"]))
        report = status(gateway)

    sap = report["destinations"]["sap"]
    assert sap["queue_depth"] + sap["in_flight"] + sap["waiting_for_order"] == 2
    assert sap["oldest_age_s"] >= 0.3
    [stuck] = report["stuck"]
    assert (stuck["destination"], stuck["subject"]) == ("sap", "order/1000001")
    assert stuck["open_deliveries"] == 2
    assert stuck["last_error"].startswith("CONNECTION")
    assert report["backlog"] == 2


@pytest.fixture
def dead_letters(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> Iterator[str]:
    """A gateway with three confirmations dead-lettered by a closed period."""
    fault(sap, kind="closed_period")
    streams = [confirmation(1, subject=f"line/{n}") for n in range(3)]
    with serve(create_app(gateway_config(tmp_path, sap_url=sap), master)) as url:
        post(url, streams, plant_headers)
        wait_for(lambda: sap_figures(url)["dead_letters"] == 3)
        httpx.delete(f"{sap}/_mock/faults").raise_for_status()
        yield url


def test_a_dead_letter_can_be_inspected_with_the_event_and_sap_words(
    dead_letters: str, operator_headers: dict[str, str]
) -> None:
    listed = httpx.get(f"{dead_letters}/v1/dead-letters", headers=operator_headers)
    event_id = listed.json()["items"][0]["event_id"]

    one = httpx.get(
        f"{dead_letters}/v1/dead-letters/{event_id}", headers=operator_headers
    )
    missing = httpx.get(
        f"{dead_letters}/v1/dead-letters/nothing-here", headers=operator_headers
    )

    assert listed.json()["count"] == 3
    body = one.json()
    assert body["event"]["id"] == event_id
    assert body["event"]["data"]["yield_qty"] == "5"
    [letter] = body["letters"]
    assert letter["error_code"] == "M7/053" and letter["error_message"]
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_dead_letters_are_replayed_many_at_once_and_discarded_with_an_audit(
    dead_letters: str, sap: str, operator_headers: dict[str, str]
) -> None:
    ids = [
        item["event_id"]
        for item in httpx.get(
            f"{dead_letters}/v1/dead-letters", headers=operator_headers
        ).json()["items"]
    ]

    replayed = httpx.post(
        f"{dead_letters}/v1/dead-letters/replay",
        json={"event_ids": ids[:2], "reason": "period reopened", "actor": "ana"},
        headers=operator_headers,
    )
    discarded = httpx.post(
        f"{dead_letters}/v1/dead-letters/discard",
        json={"event_ids": ids[2:], "reason": "posted by hand in SAP", "actor": "ben"},
        headers=operator_headers,
    )
    wait_for(lambda: sap_figures(dead_letters)["delivered"] == 2)
    audit = httpx.get(f"{dead_letters}/v1/audit", headers=operator_headers).json()
    remaining = sap_figures(dead_letters)["dead_letters"]

    assert replayed.json()["event_ids"] == ids[:2]
    assert discarded.json()["event_ids"] == ids[2:]
    assert remaining == 0
    assert len(confirmed_yields(sap)) == 2
    assert sorted(
        (entry["action"], entry["event_id"], entry["actor"], entry["reason"])
        for entry in audit
    ) == sorted(
        [("replay", ids[0], "ana", "period reopened"),
         ("replay", ids[1], "ana", "period reopened"),
         ("discard", ids[2], "ben", "posted by hand in SAP")]
    )


def test_resolving_needs_a_reason(
    dead_letters: str, operator_headers: dict[str, str]
) -> None:
    answer = httpx.post(
        f"{dead_letters}/v1/dead-letters/discard",
        json={"event_ids": ["x"]},
        headers=operator_headers,
    )

    assert answer.status_code == 422


@pytest.fixture
def idle_gateway(tmp_path: Path) -> Iterator[str]:
    with serve(create_app(gateway_config(tmp_path))) as url:
        yield url


def test_probes_answer_without_a_key(idle_gateway: str) -> None:
    health = httpx.get(f"{idle_gateway}/healthz")
    ready = httpx.get(f"{idle_gateway}/readyz")

    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


def test_metrics_count_ingest_and_group_commits(
    idle_gateway: str, plant_headers: dict[str, str], confirmation: EventFactory
) -> None:
    post(idle_gateway, [confirmation(1), confirmation(1)], plant_headers)

    text = httpx.get(f"{idle_gateway}/metrics").text

    assert (
        'planttwin_gateway_events_ingested_total{outcome="accepted",plant="P100"} 1.0'
        in text
    )
    assert (
        'planttwin_gateway_events_ingested_total{outcome="duplicate",plant="P100"} 1.0'
        in text
    )
    assert "planttwin_gateway_store_commits_total" in text


def test_the_served_openapi_document_is_the_committed_one(idle_gateway: str) -> None:
    served = httpx.get(f"{idle_gateway}/openapi.json").json()

    assert served == json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def test_one_log_line_per_delivery_without_secrets_or_payload(
    tmp_path: Path,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from mocks.sap import create_app as sap_app

    secret = "s3cret-Pa55word"
    events = [confirmation(n, yield_qty="7.25") for n in (1, 2, 3)]
    with serve(
        sap_app(master, users={"INTEGRATOR": secret}, reprocess_interval=None)
    ) as sap:
        destination = {"base_url": sap, "user": "INTEGRATOR", "password": secret}
        config = gateway_config(tmp_path, destinations={"sap": destination})
        with caplog.at_level(logging.INFO, logger="gateway.delivery"):
            with serve(create_app(config, master)) as gateway:
                post(gateway, events, plant_headers)
                wait_for(lambda: sap_figures(gateway)["delivered"] == 3)

    formatter = JsonLogFormatter()
    lines = [
        formatter.format(record)
        for record in caplog.records
        if record.name == "gateway.delivery"
    ]
    parsed = [json.loads(line) for line in lines]
    assert sorted(entry["event_id"] for entry in parsed) == sorted(
        event.id for event in events
    )
    assert {entry["outcome"] for entry in parsed} == {"delivered"}
    assert all(
        {"destination", "subject", "sequence", "attempts", "duration_ms"} <= set(entry)
        for entry in parsed
    )
    assert not any(secret in line or "7.25" in line for line in lines)
