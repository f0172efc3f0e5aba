"""Fixtures: a gateway served by uvicorn on a free loopback port, plant
events, and (when it exists) the SAP mock as a real server."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from contracts import (
    MasterData,
    MaterialConsumed,
    OperationConfirmed,
    PlantEvent,
    load_master_data,
    make_event,
)
from contracts.masterdata import Order, OrderOperation, StockBalance
from gateway import GatewayConfig, parse_config
from gateway.postgres import PostgresStore
from gateway.records import Incoming
from gateway.store import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
PLANT_KEY = "plant-key-p100"
OTHER_KEY = "plant-key-p200"
OPERATOR_KEY = "operator-key-test"
BERLIN = timezone(timedelta(hours=1))


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread on a free port; yield its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


@pytest.fixture(scope="session")
def master() -> MasterData:
    """The sample master data with one released order and opening stock."""
    sample = load_master_data(ROOT / "scenarios/masterdata/sample.yaml")
    order = Order(
        order="1000001",
        plant="P100",
        material="PUMP-100",
        quantity=Decimal(100),
        unit="PC",
        storage_location="QI",
        operations=[
            OrderOperation(operation="0010", work_center="MACH"),
            OrderOperation(operation="0020", work_center="FINAL"),
        ],
    )
    stock = [
        StockBalance(
            plant="P100",
            material=material,
            storage_location=location,
            lot="L1" if material != "BOLT-M8" and material != "GREASE" else None,
            quantity=Decimal(100000),
        )
        for material in ("CAST-100", "BOLT-M8", "GREASE", "IMP-100")
        for location in ("RAW", "STG")
    ]
    return sample.with_plan([order], stock)


def gateway_config(
    tmp_path: Path, sap_url: str | None = None, **extra: Any
) -> GatewayConfig:
    raw: dict[str, Any] = {
        "store": {"kind": "sqlite", "path": str(tmp_path / "gateway.sqlite")},
        "master_data": str(ROOT / "scenarios/masterdata/sample.yaml"),
        "plants": {"P100": {"key": PLANT_KEY}, "P200": {"key": OTHER_KEY}},
        "operator_key": OPERATOR_KEY,
        "ordering": {"gap_timeout_s": 0.5},
        "retry": {"attempts": 3, "backoff_base_s": 0.01, "backoff_max_s": 0.05,
                  "deficit_window_s": 1.0},
    }
    if sap_url is not None:
        raw["destinations"] = {"sap": {"base_url": sap_url, "workers": 4}}
    raw.update(extra)
    return parse_config(raw)


@pytest.fixture
def plant_headers() -> dict[str, str]:
    return {
        "Authorization": f"Bearer {PLANT_KEY}",
        "Content-Type": "application/cloudevents+json",
    }


@pytest.fixture
def operator_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {OPERATOR_KEY}"}


EventFactory = Callable[..., PlantEvent]


@pytest.fixture
def confirmation() -> EventFactory:
    """Operation confirmations of order 1000001, one per sequence."""

    def build(
        sequence: int,
        yield_qty: str = "5",
        subject: str = "order/1000001",
        event_id: str | None = None,
        plant: str = "P100",
        when: datetime | None = None,
        order: str = "1000001",
    ) -> PlantEvent:
        payload = OperationConfirmed(
            order=order,
            operation="0010",
            work_center="MACH",
            yield_qty=Decimal(yield_qty),
            unit="PC",
        )
        return make_event(
            payload,
            id=event_id or f"conf-{subject}-{sequence}",
            source="plant/P100/mes",
            time=when or datetime(2026, 12, 3, 6, 0, tzinfo=BERLIN)
            + timedelta(minutes=sequence),
            subject=subject,
            sequence=sequence,
            plant=plant,
        )

    return build


@pytest.fixture
def consumption() -> EventFactory:
    def build(
        sequence: int,
        quantity: str = "2",
        unit: str = "BOX",
        component: str = "BOLT-M8",
        when: datetime | None = None,
    ) -> PlantEvent:
        payload = MaterialConsumed(
            order="1000001",
            component=component,
            quantity=Decimal(quantity),
            unit=unit,
            storage_location="STG",
        )
        return make_event(
            payload,
            id=f"cons-{sequence}",
            source="plant/P100/mes",
            time=when or datetime(2026, 12, 3, 6, 0, tzinfo=BERLIN),
            subject="order/1000001",
            sequence=sequence,
            plant="P100",
        )

    return build


def wait_for(check: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll ``check`` until it holds (a condition, not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s")


def status(url: str) -> dict[str, Any]:
    response = httpx.get(
        f"{url}/v1/status", headers={"Authorization": f"Bearer {OPERATOR_KEY}"}
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def sap_figures(url: str) -> dict[str, Any]:
    """The gateway's figures for its SAP destination."""
    figures: dict[str, Any] = status(url)["destinations"]["sap"]
    return figures


def post(url: str, events: list[PlantEvent], headers: dict[str, str]) -> None:
    """POST each event; each must be acknowledged (202, or 200 for a repeat)."""
    for event in events:
        response = httpx.post(
            f"{url}/v1/events", content=event.to_json(), headers=headers
        )
        assert response.status_code in (200, 202), response.text


@pytest.fixture
def sap(master: MasterData) -> Iterator[str]:
    """The SAP mock as a real server (its post-processing job off)."""
    from mocks.sap import create_app as sap_app

    with serve(sap_app(master, reprocess_interval=None)) as url:
        yield url


def sap_state(sap: str) -> dict[str, Any]:
    state: dict[str, Any] = httpx.get(f"{sap}/_mock/state").json()
    return state


def sap_journal(sap: str) -> list[dict[str, Any]]:
    journal: list[dict[str, Any]] = httpx.get(f"{sap}/_mock/journal").json()
    return journal


def fault(sap: str, **rule: Any) -> str:
    """Add a fault rule to the SAP mock; its id."""
    response = httpx.post(f"{sap}/_mock/faults", json=rule)
    response.raise_for_status()
    return str(response.json().get("id", ""))


def confirmed_yields(sap: str) -> list[str]:
    rows = sap_state(sap)["confirmations"]
    return [row["ConfirmationYieldQuantity"] for row in rows]


def incoming(
    subject: str, sequence: int, event_id: str | None = None, digest: str = ""
) -> Incoming:
    """An event as the store takes it (store tests need no real payload)."""
    return Incoming(
        event_id=event_id or f"{subject}-{sequence}",
        plant="P100",
        subject=subject,
        sequence=sequence,
        type="io.planttwin.operation.confirmed.v1",
        body="{}",
        digest=digest or f"digest-{subject}-{sequence}",
        destinations=("sap",),
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqliteStore]:
    """The same rules against each store kind."""
    if request.param == "postgres":
        dsn = request.getfixturevalue("postgres_dsn")
        store: SqliteStore = PostgresStore(dsn, schema=f"t_{uuid.uuid4().hex[:12]}")
    else:
        store = SqliteStore(tmp_path / "q.sqlite")
    store.open()
    yield store
    store.close()
    if isinstance(store, PostgresStore):
        store.drop()
