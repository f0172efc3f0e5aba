"""Crash safety: ``kill -9`` of ``plantwin serve gateway`` mid-run loses
nothing it acknowledged and posts nothing twice after the restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from contracts import BATCH_CONTENT_TYPE, MasterData, dump_batch
from tests.gateway.conftest import (
    OPERATOR_KEY,
    PLANT_KEY,
    EventFactory,
    serve,
    wait_for,
)

sap_mock = pytest.importorskip("mocks.sap")
EVENTS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class GatewayProcess:
    """``plantwin serve gateway`` as a child process."""

    def __init__(self, config: Path, port: int, log: Path) -> None:
        self.command = [
            sys.executable, "-m", "harness", "serve", "gateway", "--config", str(config)
        ]
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        wait_for(self._answers, timeout=30)

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"gateway exited; see {self.log.read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def sap(master: MasterData) -> Iterator[str]:
    with serve(sap_mock.create_app(master, reprocess_interval=None)) as url:
        httpx.post(
            f"{url}/_mock/faults", json={"kind": "latency", "latency_ms": 15}
        ).raise_for_status()
        yield url


@pytest.fixture
def gateway(tmp_path: Path, sap: str, master: MasterData) -> Iterator[GatewayProcess]:
    master_file = tmp_path / "masterdata.yaml"
    master_file.write_text(yaml.safe_dump(master.model_dump(mode="json")))
    port = free_port()
    config = {
        "listen": {"host": "127.0.0.1", "port": port},
        "store": {"kind": "sqlite", "path": "gateway.sqlite"},
        "master_data": "masterdata.yaml",
        "plants": {"P100": {"key": PLANT_KEY}},
        "operator_key": OPERATOR_KEY,
        "destinations": {"sap": {"base_url": sap, "workers": 4}},
    }
    config_file = tmp_path / "gateway.yaml"
    config_file.write_text(yaml.safe_dump(config))
    process = GatewayProcess(config_file, port, tmp_path / "gateway.log")
    process.start()
    yield process
    process.stop()


def sap_status(url: str) -> dict[str, int]:
    response = httpx.get(
        f"{url}/v1/status", headers={"Authorization": f"Bearer {OPERATOR_KEY}"}
    )
    figures: dict[str, int] = response.json()["destinations"]["sap"]
    return figures


def test_kill_9_mid_run_loses_nothing_and_posts_nothing_twice(
    gateway: GatewayProcess, sap: str, confirmation: EventFactory
) -> None:
    events = [confirmation(n, yield_qty="0.5") for n in range(1, EVENTS + 1)]
    headers = {
        "Authorization": f"Bearer {PLANT_KEY}",
        "Content-Type": BATCH_CONTENT_TYPE,
    }
    for start in range(0, EVENTS, 30):
        answer = httpx.post(
            f"{gateway.url}/v1/events/batch",
            content=dump_batch(events[start : start + 30]),
            headers=headers,
        )
        assert answer.status_code == 202

    wait_for(lambda: sap_status(gateway.url)["delivered"] >= 20)
    before_crash = sap_status(gateway.url)["delivered"]
    gateway.kill()
    gateway.start()
    wait_for(
        lambda: sap_status(gateway.url)["queue_depth"] == 0
        and sap_status(gateway.url)["in_flight"] == 0,
        timeout=60,
    )

    assert before_crash < EVENTS
    confirmations = httpx.get(f"{sap}/_mock/state").json()["confirmations"]
    posted = Counter(row["ConfirmationText"] for row in confirmations)
    assert set(posted) == {event.id for event in events}
    assert max(posted.values()) == 1
