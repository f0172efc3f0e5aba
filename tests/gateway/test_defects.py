"""The deliberate defects: each turns the gateway into the broken middleware
it names, against the real SAP mock, and says so loudly when it starts."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from contracts import MasterData
from gateway import DEFECTS, create_app
from tests.gateway.conftest import (
    BERLIN,
    EventFactory,
    confirmed_yields,
    fault,
    gateway_config,
    post,
    sap_figures,
    sap_state,
    serve,
    status,
    wait_for,
)


@contextmanager
def broken(
    tmp_path: Path, sap: str, master: MasterData, defect: str, **extra: Any
) -> Iterator[str]:
    config = gateway_config(tmp_path, sap_url=sap, defects=[defect], **extra)
    with serve(create_app(config, master)) as url:
        yield url


def test_without_deduplication_a_repeated_event_is_posted_twice(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    event = confirmation(1)
    with broken(tmp_path, sap, master, "no_dedup") as gateway:
        post(gateway, [event, event], plant_headers)
        wait_for(lambda: sap_figures(gateway)["delivered"] == 2)
        accepted = status(gateway)["accepted"]

    assert accepted == 2
    assert len(confirmed_yields(sap)) == 2


def test_without_ordering_events_reach_sap_as_they_arrived(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    events = [confirmation(n, yield_qty=str(n)) for n in (3, 1, 2)]
    single = {"sap": {"base_url": sap, "workers": 1}}
    config = gateway_config(tmp_path, destinations=single, defects=["no_ordering"])
    with serve(create_app(config, master)) as gateway:
        post(gateway, events, plant_headers)
        wait_for(lambda: sap_figures(gateway)["delivered"] == 3)

    assert [float(y) for y in confirmed_yields(sap)] == [3, 1, 2]


def test_without_retries_a_passing_outage_is_a_dead_letter(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    operator_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    fault(sap, kind="outage")
    with broken(tmp_path, sap, master, "no_retries") as gateway:
        post(gateway, [confirmation(1)], plant_headers)
        wait_for(lambda: sap_figures(gateway)["dead_letters"] == 1)
        figures = sap_figures(gateway)

    assert (figures["retries"], figures["delivered"]) == (0, 0)
    assert confirmed_yields(sap) == []


def test_retries_without_idempotency_post_twice_on_lost_acks(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    fault(sap, kind="lost_ack", rate=0.5, seed=7)
    events = [confirmation(n, yield_qty="1") for n in range(1, 9)]
    with broken(tmp_path, sap, master, "retries_without_idempotency") as gateway:
        post(gateway, events, plant_headers)
        wait_for(lambda: sap_figures(gateway)["delivered"] == 8)

    assert len(confirmed_yields(sap)) > 8


def test_utc_posting_dates_put_a_night_shift_on_the_day_before(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    confirmation: EventFactory,
) -> None:
    half_past_midnight = datetime(2026, 12, 3, 0, 30, tzinfo=BERLIN)
    event = confirmation(1, when=half_past_midnight)
    with broken(tmp_path, sap, master, "utc_posting_date") as gateway:
        post(gateway, [event], plant_headers)
        wait_for(lambda: sap_figures(gateway)["delivered"] == 1)

    [row] = sap_state(sap)["confirmations"]
    assert row["PostingDate"] == "2026-12-02"


def test_ignoring_unit_conversion_posts_boxes_as_pieces(
    tmp_path: Path,
    sap: str,
    master: MasterData,
    plant_headers: dict[str, str],
    consumption: EventFactory,
) -> None:
    with broken(tmp_path, sap, master, "ignore_unit_conversion") as gateway:
        post(gateway, [consumption(1, quantity="2", unit="BOX")], plant_headers)
        wait_for(lambda: sap_figures(gateway)["delivered"] == 1)

    [document] = [
        d for d in sap_state(sap)["material_documents"] if d.get("origin") == "api"
    ]
    assert float(document["items"][0]["QuantityInBaseUnit"]) == 2


@pytest.mark.parametrize("defect", DEFECTS)
def test_a_defect_is_announced_loudly(
    tmp_path: Path, defect: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = gateway_config(tmp_path, defects=[defect])

    with caplog.at_level(logging.WARNING, logger="gateway"):
        with serve(create_app(config)) as gateway:
            shown = status(gateway)["defects"]

    warnings = [
        record for record in caplog.records
        if record.levelno == logging.WARNING and "DEFECT ON" in record.getMessage()
    ]
    assert [getattr(record, "fields", {}).get("defect") for record in warnings] == [
        defect
    ]
    assert shown == [defect]
