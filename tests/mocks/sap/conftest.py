"""Fixtures: the SAP mock on a free loopback port, and a session logged on."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyodata
import pytest
import requests
import uvicorn
from fastapi import FastAPI

from contracts import MasterData, Order, StockBalance, load_master_data
from contracts.masterdata import OrderComponent, OrderOperation
from mocks.sap import create_app

SAMPLE = Path(__file__).parents[3] / "scenarios" / "masterdata" / "sample.yaml"
ROOT = "/sap/opu/odata/sap"
AUTH = ("PLANTTWIN", "planttwin")


def pump_plant() -> MasterData:
    """The sample plant with one released pump order and opening stock."""
    order = Order(
        order="1000001", plant="P100", material="PUMP-100", quantity=Decimal(10),
        unit="PC", storage_location="QI",
        operations=[OrderOperation(operation="0010", work_center="FINAL"),
                    OrderOperation(operation="0020", work_center="FINAL")],
        components=[
            OrderComponent(component="BOLT-M8", quantity_per_unit=Decimal(8),
                           unit="PC", storage_location="STG", backflush=True),
            OrderComponent(component="GREASE", quantity_per_unit=Decimal(50),
                           unit="G", storage_location="STG", backflush=True),
            OrderComponent(component="HSG-100", quantity_per_unit=Decimal(1),
                           unit="PC", storage_location="STG", backflush=True),
            OrderComponent(component="MOTOR-1K5", quantity_per_unit=Decimal(1),
                           unit="PC", storage_location="STG"),
        ],
    )
    stock = [
        StockBalance(plant="P100", material="BOLT-M8", storage_location="STG",
                     quantity=Decimal(200)),
        StockBalance(plant="P100", material="GREASE", storage_location="STG",
                     quantity=Decimal("2")),
        StockBalance(plant="P100", material="HSG-100", storage_location="STG",
                     lot="H-OLD", quantity=Decimal(3)),
        StockBalance(plant="P100", material="HSG-100", storage_location="STG",
                     lot="H-NEW", quantity=Decimal(20)),
        StockBalance(plant="P100", material="MOTOR-1K5", storage_location="RAW",
                     lot="M-1", quantity=Decimal(5)),
    ]
    return load_master_data(SAMPLE).with_plan([order], stock)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Running:
    """A mock served by uvicorn in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                log_level="critical", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the SAP mock did not start within 10 s")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def state(self) -> dict[str, Any]:
        answer = requests.get(f"{self.url}/_mock/state", timeout=10)
        result: dict[str, Any] = answer.json()
        return result


@pytest.fixture(scope="module")
def sap_server() -> Iterator[Running]:
    with Running(create_app(pump_plant(), reprocess_interval=None)) as running:
        yield running


@pytest.fixture
def sap(sap_server: Running) -> Running:
    """The mock, reset to the pump plant before each test."""
    requests.post(f"{sap_server.url}/_mock/reset", timeout=10).raise_for_status()
    return sap_server


def logged_on(url: str, service: str) -> requests.Session:
    """A session with Basic auth and a CSRF token, as a gateway holds one."""
    session = requests.Session()
    session.auth = AUTH
    response = session.get(f"{url}{ROOT}/{service}/", headers={"x-csrf-token": "Fetch"},
                           timeout=10)
    response.raise_for_status()
    session.headers["x-csrf-token"] = response.headers["x-csrf-token"]
    return session


def pyodata_client(sap: Running, service: str) -> pyodata.Client:
    """SAP's pyodata client, set up as its documentation shows: a requests
    session with Basic auth whose CSRF token is fetched with a HEAD."""
    session = requests.Session()
    session.auth = AUTH
    url = f"{sap.url}{ROOT}/{service}/"
    token = session.head(url, headers={"x-csrf-token": "fetch"}, timeout=10)
    session.headers.update({"x-csrf-token": token.headers["x-csrf-token"]})
    return pyodata.Client(url, session)


def stock_of(state: dict[str, Any], material: str, location: str,
             batch: str = "") -> Decimal:
    return sum(
        (Decimal(row["Quantity"]) for row in state["stock"]
         if row["Material"] == material and row["StorageLocation"] == location
         and row["Batch"] == batch),
        Decimal(0),
    )
