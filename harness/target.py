"""The system under test as the harness sees it: addresses and keys.

``EmbeddedTarget`` starts the SAP mock, the Odoo mock and the reference
gateway as ``plantwin serve`` processes on free loopback ports with a
temporary SQLite store; ``ExternalTarget`` uses the addresses a scenario
gives (a team's own middleware). Both load the master data into the mocks,
say whether the path has drained and what it still holds at the end.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from contracts import MasterData
from harness.oracle import PathState
from harness.scenario import Scenario
from harness.services import Service, ServiceError, free_port

OPERATOR_KEY = "operator-key-planttwin"
SAP_USER, SAP_PASSWORD = "PLANTTWIN", "planttwin"
ODOO_DB, ODOO_LOGIN, ODOO_PASSWORD = "planttwin", "integration", "planttwin"
ODOO_API_KEY = "odoo-api-key-planttwin"


def plant_key(plant: str) -> str:
    return f"plant-key-{plant.lower()}"


class Target:
    """Addresses and keys of a running integration path and its ERP mocks."""

    gateway_url: str
    sap_url: str
    odoo_url: str | None
    operator_key: str | None
    plant_keys: dict[str, str]

    def __init__(self, scenario: Scenario, master: MasterData, work_dir: Path) -> None:
        self.scenario = scenario
        self.master = master
        self.work_dir = work_dir
        self.queue_samples: list[tuple[float, int]] = []
        self._started = time.monotonic()

    # Lifecycle (embedded targets override) ------------------------------------

    def start(self) -> None:
        self.load_master_data()

    def stop(self) -> None:
        """Nothing to stop for an external target."""

    def crash_gateway(self) -> None:
        raise ServiceError("an external gateway cannot be crashed by the harness")

    def restart_gateway(self) -> None:
        raise ServiceError("an external gateway cannot be restarted by the harness")

    # Master data and state ------------------------------------------------------

    def erp_urls(self) -> dict[str, str]:
        urls = {"sap": self.sap_url}
        if self.odoo_url:
            urls["odoo"] = self.odoo_url
        return urls

    def load_master_data(self) -> None:
        body = self.master.model_dump(mode="json")
        for name, url in self.erp_urls().items():
            response = httpx.post(f"{url}/_mock/master-data", json=body, timeout=60)
            if response.status_code >= 400:
                raise ServiceError(
                    f"{name} mock refused the master data: {response.text[:300]}"
                )

    def sap_state(self) -> dict[str, Any]:
        state: dict[str, Any] = httpx.get(
            f"{self.sap_url}/_mock/state", timeout=60
        ).json()
        journal = httpx.get(f"{self.sap_url}/_mock/journal", timeout=60).json()
        state["journal"] = (
            journal if isinstance(journal, list) else journal.get("entries", [])
        )
        return state

    def odoo_state(self) -> dict[str, Any] | None:
        if not self.odoo_url:
            return None
        state: dict[str, Any] = httpx.get(
            f"{self.odoo_url}/_mock/state", timeout=60
        ).json()
        return state

    def work_off_post_processing(self) -> None:
        """Run SAP's post-processing job once more, as its schedule would."""
        httpx.post(f"{self.sap_url}/_mock/post-processing/reprocess", timeout=60)

    # The integration path ---------------------------------------------------------

    def _operator(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.operator_key}"}

    def status(self) -> dict[str, Any] | None:
        if not self.operator_key:
            return None
        try:
            response = httpx.get(
                f"{self.gateway_url}/v1/status", headers=self._operator(), timeout=10
            )
        except httpx.TransportError:
            return None
        if response.status_code != 200:
            return None
        status: dict[str, Any] = response.json()
        return status

    def backlog(self) -> int | None:
        """Events the path still has to deliver (None when it cannot say)."""
        status = self.status()
        if status is None:
            return None
        pending = 0
        for destination in status.get("destinations", {}).values():
            pending += int(destination.get("queue_depth", 0))
            pending += int(destination.get("in_flight", 0))
        pending += int(status.get("pending_ordering", 0))
        self.queue_samples.append((time.monotonic() - self._started, pending))
        return pending

    def wait_drained(self, timeout: float, edges_empty: Any) -> bool:
        """Poll until the edges and the path are empty and SAP is quiet."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        last_journal = -1
        while time.monotonic() < deadline:
            backlog = self.backlog()
            if backlog is None:  # a path without a status API: watch SAP instead
                journal = len(
                    httpx.get(f"{self.sap_url}/_mock/journal", timeout=30).json()
                )
            else:
                journal = 0
            idle = edges_empty() and (backlog in (0, None)) and journal == last_journal
            last_journal = journal
            if idle:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= (0.6 if backlog == 0 else 2.0):
                    return True
            else:
                quiet_since = None
            time.sleep(0.2)
        return False

    def path_state(self) -> PathState:
        if not self.operator_key:
            return PathState()
        try:
            response = httpx.get(
                f"{self.gateway_url}/v1/dead-letters",
                headers=self._operator(),
                timeout=30,
            )
        except httpx.TransportError:
            return PathState()
        if response.status_code != 200:
            return PathState()
        body = response.json()
        items = body if isinstance(body, list) else body.get("items", [])
        letters = {
            str(item.get("event_id", item.get("id"))): _reason(item) for item in items
        }
        held: dict[str, str] = {}
        status = self.status() or {}
        for stream in status.get("stuck", []):
            held[str(stream.get("subject"))] = (
                f"{stream.get('open_deliveries')} open deliveries to "
                f"{stream.get('destination')} after {stream.get('attempts')} "
                f"attempts; last error: {stream.get('last_error')}"
            )
        for stream in status.get("streams_on_hold", []):
            held[str(stream.get("subject"))] = (
                f"on hold waiting for sequence {stream.get('waiting_for_sequence')}"
            )
        return PathState(dead_letters=letters, held_streams=held)


def _reason(item: dict[str, Any]) -> str:
    code = item.get("error_code") or item.get("code") or ""
    message = item.get("error_message") or item.get("message") or item.get("reason")
    return f"{code} {message}".strip()


class ExternalTarget(Target):
    """A team's own integration path, and mocks already running."""

    def __init__(self, scenario: Scenario, master: MasterData, work_dir: Path) -> None:
        super().__init__(scenario, master, work_dir)
        target = scenario.target
        assert target.gateway_url and target.sap_url
        self.gateway_url = target.gateway_url.rstrip("/")
        self.sap_url = target.sap_url.rstrip("/")
        self.odoo_url = target.odoo_url.rstrip("/") if target.odoo_url else None
        self.operator_key = target.operator_key
        self.plant_keys = dict(target.plant_keys)


class EmbeddedTarget(Target):
    """Mocks and the reference gateway as child processes on loopback."""

    def __init__(
        self,
        scenario: Scenario,
        master: MasterData,
        work_dir: Path,
        gateway_master: MasterData | None = None,
    ) -> None:
        super().__init__(scenario, master, work_dir)
        self.operator_key = OPERATOR_KEY
        self.plant_keys = {plant.code: plant_key(plant.code) for plant in master.plants}
        self.gateway_master = gateway_master or master
        self.services: list[Service] = []
        self.odoo_url = None

    def start(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        master_file = self.work_dir / "masterdata.json"
        master_file.write_text(json.dumps(self.master.model_dump(mode="json")))
        gateway_master_file = self.work_dir / "gateway-masterdata.yaml"
        gateway_master_file.write_text(
            yaml.safe_dump(self.gateway_master.model_dump(mode="json"), sort_keys=False)
        )

        sap = self._service(
            "sap", ["sap", "--master-data", str(master_file)], "/_mock/state"
        )
        self.sap_url = sap.url
        erps = {"sap": sap.url}
        if "odoo" in self.scenario.erps:
            odoo = self._service(
                "odoo", ["odoo", "--master-data", str(master_file)], "/_mock/state"
            )
            self.odoo_url = odoo.url
            erps["odoo"] = odoo.url

        config = self.work_dir / "gateway.yaml"
        port = free_port()
        config.write_text(
            yaml.safe_dump(self._gateway_config(port, gateway_master_file, erps))
        )
        self.gateway = Service(
            "gateway",
            ["gateway", "--config", str(config)],
            port,
            self.work_dir,
            ready_path="/healthz",
        )
        self.gateway.start()
        self.services.append(self.gateway)
        self.gateway_url = self.gateway.url
        self.load_master_data()

    def _service(self, name: str, args: list[str], ready: str) -> Service:
        port = free_port()
        service = Service(
            name, [*args, "--port", str(port)], port, self.work_dir, ready
        )
        service.start()
        self.services.append(service)
        return service

    def _gateway_config(
        self, port: int, master_file: Path, erps: dict[str, str]
    ) -> dict[str, Any]:
        settings = self.scenario.gateway
        destinations: dict[str, Any] = {
            "sap": {
                "enabled": True,
                "base_url": erps["sap"],
                "user": SAP_USER,
                "password": SAP_PASSWORD,
            }
        }
        if "odoo" in erps:
            destinations["odoo"] = {
                "enabled": True,
                "url": erps["odoo"],
                "db": ODOO_DB,
                "login": ODOO_LOGIN,
                "password": ODOO_PASSWORD,
            }
        return {
            "listen": {"host": "127.0.0.1", "port": port},
            "store": {"kind": "sqlite", "path": str(self.work_dir / "gateway.sqlite")},
            "master_data": str(master_file),
            "plants": {code: {"key": key} for code, key in self.plant_keys.items()},
            "operator_key": OPERATOR_KEY,
            "destinations": destinations,
            "ordering": {"gap_timeout_s": settings.gap_timeout.total_seconds()},
            "defects": list(settings.defects),
            # anything still open when the harness looks is reported as stuck
            "monitoring": {"stuck_after_s": 1.0},
        }

    def crash_gateway(self) -> None:
        self.gateway.kill()

    def restart_gateway(self) -> None:
        self.gateway.start()

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
