"""Delivery to the Odoo mock over JSON-RPC: records carry the event id, a
resend after a lost answer finds the first record instead of making a
second, serialization failures are retried, Odoo's business errors are dead
letters with Odoo's message."""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts import (
    Characteristic,
    DowntimeEnded,
    DowntimeStarted,
    MaintenanceRequested,
    MasterData,
    PlantEvent,
    QualityInspected,
    ScanRecorded,
    make_event,
)
from gateway import create_app
from tests.gateway.conftest import (
    BERLIN,
    OPERATOR_KEY,
    gateway_config,
    serve,
    status,
    wait_for,
)

odoo_mock = pytest.importorskip("mocks.odoo")
WHEN = datetime(2026, 12, 3, 9, 0, tzinfo=BERLIN)
DB, LOGIN, API_KEY = "planttwin", "integration", "odoo-api-key-planttwin"


@pytest.fixture
def odoo(master: MasterData) -> Iterator[str]:
    with serve(odoo_mock.create_app(master)) as url:
        yield url


def event(payload: Any, name: str, subject: str, sequence: int = 1) -> PlantEvent:
    return make_event(
        payload, id=name, source="plant/P100/edge",
        time=WHEN + timedelta(minutes=sequence), subject=subject,
        sequence=sequence, plant="P100",
    )


def scan(name: str = "scan-1", quantity: str = "3") -> PlantEvent:
    return event(
        ScanRecorded(
            barcode="B1", handling_unit="HU1", material="CAST-100", lot="L1",
            from_location="RAW", to_location="STG", quantity=Decimal(quantity),
            unit="PC",
        ),
        name, "hu/HU1",
    )


def floor_events() -> list[PlantEvent]:
    return [
        event(
            MaintenanceRequested(
                request_id="MR-1", equipment="CNC-01", work_center="MACH",
                failure_code="SPINDLE", priority=2, machine_down=True,
            ),
            "maint-1", "equipment/CNC-01",
        ),
        event(
            DowntimeStarted(
                downtime_id="DT-1", work_center="MACH", equipment="CNC-02",
                reason="jam",
            ),
            "down-1", "equipment/CNC-02",
        ),
        event(
            DowntimeEnded(
                downtime_id="DT-1", work_center="MACH", equipment="CNC-02",
                reason="jam", started_at=WHEN + timedelta(minutes=1),
            ),
            "up-1", "equipment/CNC-02", sequence=2,
        ),
        event(
            QualityInspected(
                lot="LOT-9", material="PUMP-100", quantity=Decimal(5), unit="PC",
                characteristics=[Characteristic(name="PRESSURE", value=Decimal(9))],
                decision="accept",
            ),
            "qual-1", "lot/LOT-9",
        ),
        scan(),
    ]


def odoo_destination(odoo: str, **extra: Any) -> dict[str, Any]:
    return {"odoo": {"url": odoo, "db": DB, "login": LOGIN, "api_key": API_KEY,
                     **extra}}


def post_all(gateway: str, events: list[PlantEvent], headers: dict[str, str]) -> None:
    for item in events:
        answer = httpx.post(
            f"{gateway}/v1/events", content=item.to_json(), headers=headers
        )
        assert answer.status_code == 202, answer.text


def settled(gateway: str, count: int) -> bool:
    figures = status(gateway)["destinations"]["odoo"]
    return bool(figures["delivered"] + figures["dead_letters"] == count)


def execute(odoo: str, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
    common = xmlrpc.client.ServerProxy(f"{odoo}/xmlrpc/2/common")
    uid = common.authenticate(DB, LOGIN, API_KEY, {})
    proxy = xmlrpc.client.ServerProxy(f"{odoo}/xmlrpc/2/object", allow_none=True)
    return proxy.execute_kw(DB, uid, API_KEY, model, method, list(args), kwargs)


def records_of(odoo: str, model: str, event_id: str) -> int:
    count: int = execute(
        odoo, model, "search_count", [["x_event_id", "=", event_id]]
    )
    return count


def on_hand(odoo: str, location: str) -> float:
    quants = execute(
        odoo, "stock.quant", "search_read",
        [["location_id.complete_name", "=", location]], fields=["quantity", "lot_id"],
    )
    return float(sum(q["quantity"] for q in quants if q["lot_id"]))


def test_odoo_gets_each_record_once_despite_lost_answers(
    tmp_path: Path, odoo: str, master: MasterData, plant_headers: dict[str, str]
) -> None:
    httpx.post(
        f"{odoo}/_mock/faults", json={"kind": "lost_ack", "rate": 0.5, "seed": 3}
    ).raise_for_status()
    config = gateway_config(tmp_path, destinations=odoo_destination(odoo))
    raw_before = on_hand(odoo, "WH/Stock/Raw")

    with serve(create_app(config, master)) as gateway:
        post_all(gateway, floor_events(), plant_headers)
        wait_for(lambda: settled(gateway, 5))
        figures = status(gateway)["destinations"]["odoo"]
        letters = httpx.get(
            f"{gateway}/v1/dead-letters",
            headers={"Authorization": f"Bearer {OPERATOR_KEY}"},
        ).json()

    assert figures["dead_letters"] == 0, str(letters)
    assert figures["retries"] > 0
    assert records_of(odoo, "maintenance.request", "maint-1") == 1
    assert records_of(odoo, "quality.check", "qual-1") == 1
    assert records_of(odoo, "stock.picking", "scan-1") == 1
    [picking] = execute(
        odoo, "stock.picking", "search_read", [["x_event_id", "=", "scan-1"]],
        fields=["state"],
    )
    assert picking["state"] == "done"
    assert on_hand(odoo, "WH/Stock/Raw") == raw_before - 3
    [downtime] = execute(
        odoo, "mrp.workcenter.productivity", "search_read",
        [["description", "like", "(DT-1)"]], fields=["date_start", "date_end"],
    )
    assert (downtime["date_start"], downtime["date_end"]) == (
        "2026-12-03 08:01:00", "2026-12-03 08:02:00"
    )


def test_a_transfer_carries_the_scanned_lot_and_quantity(
    tmp_path: Path, odoo: str, master: MasterData, plant_headers: dict[str, str]
) -> None:
    config = gateway_config(tmp_path, destinations=odoo_destination(odoo))

    with serve(create_app(config, master)) as gateway:
        post_all(gateway, [scan(quantity="4")], plant_headers)
        wait_for(lambda: settled(gateway, 1))

    state = httpx.get(f"{odoo}/_mock/state").json()
    [move] = [m for m in state["moves"] if m["x_event_id"] == "scan-1"]
    assert (move["state"], move["lots"], float(move["quantity"])) == (
        "done", ["L1"], 4.0
    )
    assert (move["storage_location"], move["dest_storage_location"]) == ("RAW", "STG")


def test_serialization_failures_are_retried_until_odoo_takes_the_write(
    tmp_path: Path, odoo: str, master: MasterData, plant_headers: dict[str, str]
) -> None:
    httpx.post(
        f"{odoo}/_mock/faults", json={"kind": "serialization_failure"}
    ).raise_for_status()
    config = gateway_config(tmp_path, destinations=odoo_destination(odoo))

    with serve(create_app(config, master)) as gateway:
        post_all(gateway, floor_events()[:1], plant_headers)
        wait_for(lambda: status(gateway)["destinations"]["odoo"]["retries"] >= 2)
        httpx.delete(f"{odoo}/_mock/faults").raise_for_status()
        wait_for(lambda: settled(gateway, 1))
        figures = status(gateway)["destinations"]["odoo"]

    assert (figures["delivered"], figures["dead_letters"]) == (1, 0)
    assert records_of(odoo, "maintenance.request", "maint-1") == 1


def test_an_odoo_business_error_is_a_dead_letter_with_odoos_message(
    tmp_path: Path,
    odoo: str,
    master: MasterData,
    plant_headers: dict[str, str],
    operator_headers: dict[str, str],
) -> None:
    without_lot = event(
        ScanRecorded(
            barcode="B2", handling_unit="HU2", material="CAST-100",
            from_location="RAW", to_location="STG", quantity=Decimal(1), unit="PC",
        ),
        "scan-2", "hu/HU2",
    )
    config = gateway_config(tmp_path, destinations=odoo_destination(odoo))

    with serve(create_app(config, master)) as gateway:
        post_all(gateway, [without_lot], plant_headers)
        wait_for(lambda: settled(gateway, 1))
        body = httpx.get(f"{gateway}/v1/dead-letters", headers=operator_headers).json()

    [letter] = body["items"]
    assert (letter["event_id"], letter["error_code"]) == ("scan-2", "UserError")
    assert "You need to supply a Lot/Serial number" in letter["error_message"]
    assert letter["attempts"] == 1


def test_a_master_data_gap_in_odoo_is_a_dead_letter_naming_it(
    tmp_path: Path,
    odoo: str,
    master: MasterData,
    plant_headers: dict[str, str],
    operator_headers: dict[str, str],
) -> None:
    unknown = event(
        MaintenanceRequested(
            request_id="MR-2", equipment="PRESS-99", work_center="MACH",
            failure_code="LEAK", priority=3, machine_down=False,
        ),
        "maint-2", "equipment/PRESS-99",
    )
    config = gateway_config(tmp_path, destinations=odoo_destination(odoo))

    with serve(create_app(config, master)) as gateway:
        post_all(gateway, [unknown], plant_headers)
        wait_for(lambda: settled(gateway, 1))
        body = httpx.get(f"{gateway}/v1/dead-letters", headers=operator_headers).json()

    [letter] = body["items"]
    assert letter["error_code"] == "MASTER_DATA"
    assert "'PRESS-99' is not in Odoo" in letter["error_message"]
    assert records_of(odoo, "maintenance.request", "maint-2") == 0


def test_a_transfer_goes_in_the_plant_unit_rounded_as_that_unit_rounds(
    tmp_path: Path, odoo: str, master: MasterData, plant_headers: dict[str, str]
) -> None:
    grease = event(
        ScanRecorded(
            barcode="B3", handling_unit="HU3", material="GREASE",
            from_location="RAW", to_location="STG", quantity=Decimal("1500.4"),
            unit="G",
        ),
        "scan-3", "hu/HU3",
    )
    config = gateway_config(tmp_path, destinations=odoo_destination(odoo))

    with serve(create_app(config, master)) as gateway:
        post_all(gateway, [grease], plant_headers)
        wait_for(lambda: settled(gateway, 1))

    state = httpx.get(f"{odoo}/_mock/state").json()
    [move] = [m for m in state["moves"] if m["x_event_id"] == "scan-3"]
    assert (move["state"], move["uom"], float(move["quantity"])) == ("done", "g", 1500)
    staged = [
        float(q["quantity"]) for q in state["quants"]
        if q["material"] == "GREASE" and q["storage_location"] == "STG"
    ]
    assert staged == [100000 + 1.5]


def test_retries_without_idempotency_make_odoo_records_twice(
    tmp_path: Path, odoo: str, master: MasterData, plant_headers: dict[str, str]
) -> None:
    httpx.post(
        f"{odoo}/_mock/faults",
        json={
            "kind": "lost_ack", "rate": 0.5, "seed": 3, "model": "maintenance.request"
        },
    ).raise_for_status()
    requests = [
        event(
            MaintenanceRequested(
                request_id=f"MR-{n}", equipment="CNC-01", work_center="MACH",
                failure_code="SPINDLE", priority=2, machine_down=True,
            ),
            f"maint-{n}", f"equipment/CNC-01/{n}",
        )
        for n in range(1, 7)
    ]
    config = gateway_config(
        tmp_path,
        destinations=odoo_destination(odoo),
        defects=["retries_without_idempotency"],
    )

    with serve(create_app(config, master)) as gateway:
        post_all(gateway, requests, plant_headers)
        wait_for(lambda: settled(gateway, 6))

    made = [records_of(odoo, "maintenance.request", f"maint-{n}") for n in range(1, 7)]
    assert sum(made) > 6
