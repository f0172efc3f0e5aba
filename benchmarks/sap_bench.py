"""Benchmark of the SAP mock, all in one run on this machine.

Closed-loop load (``CONCURRENCY`` keep-alive HTTP/1.1 connections) against
three servers, each a child process on a free loopback port:

- the SAP mock, started as users start it (``plantwin serve sap``, one log
  line per request), creating ``ProdnOrdConf2`` confirmations with their real
  work: Basic auth, session and CSRF token, ``RequestID`` repeatability
  store, business rules, backflush of a component into a material document,
  journal;
- a bare FastAPI endpoint under uvicorn that reads the body and answers 201
  (the floor of what this Python stack serves);
- static Mountebank stubs answering 201 (``npm install mountebank`` into
  ``benchmarks/.node``, git-ignored, or ``$MOUNTEBANK_DIR``; skipped with the
  reason when npm or node is missing), twice: as Mountebank answers by
  default (``Connection: close``, a TCP handshake per request, which is what
  a user's stub does unless told otherwise) and told to keep connections
  alive (``mountebank_keepalive``, its best case).

The load generator writes prepared requests on raw sockets from threads, so
that the servers, not the client, are what is measured. The three targets
take turns for ``--rounds`` rounds after a warm-up; each figure is the
median round, p99 is over every measured request.

    .venv/bin/python benchmarks/sap_bench.py [--requests 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import yaml
from fastapi import FastAPI, Request, Response

from contracts import load_master_data
from contracts.masterdata import Order, OrderComponent, OrderOperation, StockBalance

ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = Path(__file__).resolve().parent / ".node"
CONCURRENCY = 16
WARM_UP = 300
CONFIRMATIONS = "/sap/opu/odata/sap/API_PROD_ORDER_CONFIRMATION_2_SRV/"
CREATION = "Thu, 03 Dec 2026 10:00:00 GMT"

Build = Callable[[int], bytes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.post("/ProdnOrdConf2")
    async def create(request: Request) -> Response:
        await request.body()
        return Response(b'{"d":{}}', status_code=201,
                        media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def wait_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited; see {log}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not start; see {log}")


def spawn(command: list[str], probe: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    wait_up(probe, process, log)
    return process


def master_file(work: Path) -> Path:
    order = Order(
        order="9000001", plant="P100", material="PUMP-100",
        quantity=Decimal(1_000_000), unit="PC", storage_location="FG",
        operations=[OrderOperation(operation="0010", work_center="FINAL")],
        components=[OrderComponent(component="BOLT-M8", quantity_per_unit=Decimal(8),
                                   unit="PC", storage_location="STG", backflush=True)],
    )
    stock = [StockBalance(plant="P100", material="BOLT-M8", storage_location="STG",
                          quantity=Decimal(100_000_000))]
    master = load_master_data(ROOT / "scenarios/masterdata/sample.yaml")
    path = work / "master.yaml"
    path.write_text(yaml.safe_dump(
        master.with_plan([order], stock).model_dump(mode="json")))
    return path


def confirmation(index: int) -> bytes:
    return json.dumps({
        "OrderID": "9000001", "OrderOperation": "0010", "ConfirmationUnit": "PC",
        "ConfirmationYieldQuantity": "1", "ConfirmationScrapQuantity": "0",
        "ConfirmationReworkQuantity": "0", "FinalConfirmationType": "",
        "PostingDate": "/Date(1764720000000)/", "ConfirmationText": f"bench-{index}",
    }).encode()


def requests_for(port: int, path: str, headers: dict[str, str],
                 repeatable: bool) -> Build:
    """Request number ``index`` as bytes on the wire (a fresh RequestID each)."""
    fixed = "".join(f"{name}: {value}\r\n" for name, value in headers.items())

    def build(index: int) -> bytes:
        body = confirmation(index)
        extra = ""
        if repeatable:
            extra = (f"RequestID: {uuid.uuid4().hex.upper()}\r\n"
                     f"RepeatabilityCreation: {CREATION}\r\n")
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{fixed}{extra}"
                f"Content-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n")
        return head.encode() + body

    return build


class _Connection:
    """One keep-alive HTTP/1.1 connection that reads just enough of an answer."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = self._connect()
        self.pending = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def exchange(self, request: bytes) -> tuple[int, bytes]:
        self.sock.sendall(request)
        data = self.pending
        while b"\r\n\r\n" not in data:
            data += self._recv()
        head, _, rest = data.partition(b"\r\n\r\n")
        status = int(head[9:12])
        headers = dict(line.partition(b":")[::2]
                       for line in head.lower().split(b"\r\n")[1:])
        if headers.get(b"transfer-encoding", b"").strip() == b"chunked":
            while b"0\r\n\r\n" not in rest:
                rest += self._recv()
            body, _, self.pending = rest.partition(b"0\r\n\r\n")
        else:
            length = int(headers[b"content-length"])
            while len(rest) < length:
                rest += self._recv()
            body, self.pending = rest[:length], rest[length:]
        if headers.get(b"connection", b"").strip() == b"close":
            self.sock.close()
            self.sock, self.pending = self._connect(), b""
        return status, body

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

    def close(self) -> None:
        self.sock.close()


def closed_loop(port: int, build: Build, first: int, count: int
                ) -> tuple[float, list[float]]:
    """``count`` requests from ``CONCURRENCY`` connections: requests/s and
    latencies (seconds)."""
    pending = list(range(first + count - 1, first - 1, -1))
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        connection = _Connection(port)
        while True:
            with lock:
                if not pending or failures:
                    break
                index = pending.pop()
            request = build(index)
            began = time.perf_counter()
            status, body = connection.exchange(request)
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                if status != 201:
                    failures.append(f"{status}: {body[:300]!r}")
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(failures[0])
    return count / (time.perf_counter() - began), latencies


def p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98] * 1000


def mountebank(work: Path) -> tuple[subprocess.Popen[bytes] | None, int, int, str]:
    """Start Mountebank with two static 201 stubs (its default answer and one
    that keeps the connection alive), if npm can install it."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        return None, 0, 0, "node/npm not found"
    folder = Path(os.environ.get("MOUNTEBANK_DIR", NODE_DIR))
    binary = folder / "node_modules/.bin/mb"
    if not binary.exists():
        folder.mkdir(parents=True, exist_ok=True)
        installed = subprocess.run(
            [npm, "install", "mountebank", "--no-audit", "--no-fund"], cwd=folder,
            capture_output=True, timeout=600, check=False)
        if installed.returncode != 0 or not binary.exists():
            tail = installed.stderr[-300:]
            return None, 0, 0, f"npm install mountebank failed: {tail!r}"
    admin, default_port, alive_port = free_port(), free_port(), free_port()
    log = work / "mb.log"
    process = spawn([str(binary), "--port", str(admin), "--loglevel", "warn",
                     "--pidfile", str(work / "mb.pid"), "--logfile", str(log)],
                    f"http://127.0.0.1:{admin}/", log)
    body = '{"d":{}}'
    for port, extra in ((default_port, {}), (alive_port, {
            "Connection": "keep-alive", "Content-Length": str(len(body))})):
        stub = {"port": port, "protocol": "http", "stubs": [{"responses": [{"is": {
            "statusCode": 201, "body": body,
            "headers": {"Content-Type": "application/json", **extra}}}]}]}
        httpx.post(f"http://127.0.0.1:{admin}/imposters", json=stub,
                   timeout=10).raise_for_status()
    return process, default_port, alive_port, ""


def logon(url: str) -> dict[str, str]:
    """Headers of a logged-on gateway: Basic auth, session cookie, CSRF token."""
    basic = "Basic " + base64.b64encode(b"PLANTTWIN:planttwin").decode()
    answer = httpx.get(url, headers={"Authorization": basic, "x-csrf-token": "Fetch"},
                       timeout=10)
    answer.raise_for_status()
    cookie = "; ".join(f"{k}={v}" for k, v in answer.cookies.items())
    return {"Authorization": basic, "x-csrf-token": answer.headers["x-csrf-token"],
            "Cookie": cookie}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        import uvicorn

        uvicorn.run(bare_app(), port=args.bare_server, log_level="warning",
                    access_log=False)
        return

    results: dict[str, Any] = {"requests_per_round": args.requests,
                               "rounds": args.rounds, "concurrency": CONCURRENCY}
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        try:
            sap_port, bare_port = free_port(), free_port()
            sap = f"http://127.0.0.1:{sap_port}"
            processes.append(spawn(
                [sys.executable, "-m", "harness", "serve", "sap", "--port",
                 str(sap_port), "--master-data", str(master_file(work))],
                f"{sap}/healthz", work / "sap.log"))
            processes.append(spawn(
                [sys.executable, __file__, "--bare-server", str(bare_port)],
                f"http://127.0.0.1:{bare_port}/healthz", work / "bare.log"))
            targets: dict[str, tuple[int, Build]] = {
                "sap_mock": (sap_port, requests_for(
                    sap_port, CONFIRMATIONS + "ProdnOrdConf2",
                    logon(sap + CONFIRMATIONS), repeatable=True)),
                "bare_fastapi": (bare_port, requests_for(
                    bare_port, "/ProdnOrdConf2", {}, repeatable=False)),
            }
            mb, default_port, alive_port, why = mountebank(work)
            if mb is not None:
                processes.append(mb)
                for name, port in (("mountebank", default_port),
                                   ("mountebank_keepalive", alive_port)):
                    targets[name] = (port, requests_for(
                        port, "/ProdnOrdConf2", {}, repeatable=False))
            else:
                results["mountebank"] = {"skipped": why}

            rates: dict[str, list[float]] = {name: [] for name in targets}
            latencies: dict[str, list[float]] = {name: [] for name in targets}
            for port, build in targets.values():
                closed_loop(port, build, 1, WARM_UP)
            for round_number in range(args.rounds):
                first = WARM_UP + 1 + round_number * args.requests
                for name, (port, build) in targets.items():
                    rate, measured = closed_loop(port, build, first, args.requests)
                    rates[name].append(rate)
                    latencies[name] += measured
            for name in targets:
                results[name] = {"per_s": round(statistics.median(rates[name])),
                                 "rounds_per_s": [round(r) for r in rates[name]],
                                 "p99_ms": round(p99(latencies[name]), 1)}
            state = httpx.get(f"{sap}/_mock/state", timeout=60).json()
            results["sap_mock"]["confirmations_recorded"] = len(state["confirmations"])
            results["sap_mock"]["confirmations_sent"] = (
                WARM_UP + args.rounds * args.requests)
            mock = results["sap_mock"]["per_s"]
            results["mock_vs_bare"] = round(mock / results["bare_fastapi"]["per_s"], 2)
            for name in ("mountebank", "mountebank_keepalive"):
                if name in targets:
                    results[f"mock_vs_{name}"] = round(
                        mock / results[name]["per_s"], 2)
        finally:
            for process in processes:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
    json.dump(results, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
