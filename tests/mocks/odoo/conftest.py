"""Fixtures: the Odoo mock on a free loopback port, and real clients."""

from __future__ import annotations

import socket
import threading
import time
import xmlrpc.client
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import odoorpc
import pytest
import uvicorn

from contracts import MasterData, load_master_data
from mocks.odoo import create_app

SAMPLE = Path(__file__).parents[3] / "scenarios" / "masterdata" / "sample.yaml"
DB, LOGIN, PASSWORD, API_KEY = "planttwin", "integration", "planttwin", (
    "odoo-api-key-planttwin")


@dataclass
class OdooMock:
    url: str
    port: int
    http: httpx.Client
    """A keep-alive client on ``url`` (a new httpx client costs ~0.1 s)."""

    def common(self) -> xmlrpc.client.ServerProxy:
        return xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")

    def models(self) -> xmlrpc.client.ServerProxy:
        return xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object",
                                         allow_none=True)

    def uid(self) -> int:
        uid = self.common().authenticate(DB, LOGIN, PASSWORD, {})
        assert isinstance(uid, int)
        return uid


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def master() -> MasterData:
    """The sample plant with one released order and opening stock."""
    base = load_master_data(SAMPLE)
    raw = base.model_dump(mode="json")
    raw["orders"] = [{
        "order": "1000001", "plant": "P100", "material": "PUMP-100",
        "quantity": "10", "unit": "PC", "storage_location": "QI",
        "operations": [{"operation": "0010", "work_center": "FINAL"}],
        "components": [
            {"component": "HSG-100", "quantity_per_unit": "1", "unit": "PC",
             "storage_location": "STG"},
            {"component": "GREASE", "quantity_per_unit": "0.05", "unit": "KG",
             "storage_location": "STG"},
        ],
    }]
    raw["opening_stock"] = [
        {"plant": "P100", "material": "HSG-100", "storage_location": "STG",
         "lot": "H-1", "quantity": "20"},
        {"plant": "P100", "material": "GREASE", "storage_location": "STG",
         "quantity": "2"},
        {"plant": "P100", "material": "BOLT-M8", "storage_location": "RAW",
         "quantity": "500"},
    ]
    return MasterData.model_validate(raw)


@pytest.fixture(scope="module")
def odoo_server(master: MasterData) -> Iterator[tuple[OdooMock, object]]:
    app = create_app(master)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the Odoo mock did not start"
        time.sleep(0.01)
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=url, timeout=10) as http:
        yield OdooMock(url, port, http), app.state.odoo
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def odoo(odoo_server: tuple[OdooMock, object]) -> OdooMock:
    """A freshly reset Odoo mock."""
    mock, server = odoo_server
    server.reset()  # type: ignore[attr-defined]
    mock.http.cookies.clear()
    return mock


@pytest.fixture
def client(odoo: OdooMock) -> odoorpc.ODOO:
    """``odoorpc`` logged in as the integration user."""
    session = odoorpc.ODOO("127.0.0.1", port=odoo.port, timeout=10)
    session.login(DB, LOGIN, PASSWORD)
    return session


class Rpc:
    """``execute_kw`` through the standard library's ``xmlrpc.client``."""

    def __init__(self, odoo: OdooMock, login: str = LOGIN,
                 password: str = PASSWORD) -> None:
        common = odoo.common()
        self.uid = common.authenticate(DB, login, password, {})
        self.password = password
        self.proxy = odoo.models()

    def __call__(self, model: str, method: str, *args: object,
                 **kwargs: object) -> object:
        return self.proxy.execute_kw(DB, self.uid, self.password, model, method,
                                     list(args), kwargs)

    def one(self, model: str, domain: list[object]) -> int:
        ids = self(model, "search", domain)
        assert isinstance(ids, list) and len(ids) == 1, (model, domain, ids)
        return int(ids[0])


@pytest.fixture
def rpc(odoo: OdooMock) -> Rpc:
    """The integration user (the plant's company only)."""
    return Rpc(odoo)


@pytest.fixture
def admin(odoo: OdooMock) -> Rpc:
    """The admin user (YourCompany and the plant's company)."""
    return Rpc(odoo, "admin", "admin")


class Json2:
    """Odoo 19's JSON-2 API through httpx, with the integration user's key."""

    def __init__(self, odoo: OdooMock, key: str = API_KEY) -> None:
        self.http = odoo.http
        self.headers = {"Authorization": f"bearer {key}", "X-Odoo-Database": DB}

    def __call__(self, model: str, method: str, **body: object) -> httpx.Response:
        return self.http.post(f"/json/2/{model}/{method}", json=body,
                              headers=self.headers)


@pytest.fixture
def json2(odoo: OdooMock) -> Json2:
    return Json2(odoo)


def jsonrpc(odoo: OdooMock, service: str, method: str, *args: object) -> object:
    """One ``/jsonrpc`` call; the whole reply (``result`` or ``error``)."""
    body = {"jsonrpc": "2.0", "method": "call", "id": 1,
            "params": {"service": service, "method": method, "args": list(args)}}
    reply: object = odoo.http.post("/jsonrpc", json=body).json()
    return reply


def add_fault(odoo: OdooMock, **rule: object) -> int:
    """Switch a fault on through ``/_mock/faults``; its id."""
    answer = odoo.http.post("/_mock/faults", json=rule)
    answer.raise_for_status()
    return int(answer.json()["id"])
