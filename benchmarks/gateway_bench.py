"""Benchmark of the reference gateway, all in one run on this machine.

- single-event durable ingest (events/s) beside POSTs/s against a bare
  FastAPI endpoint served the same way (uvicorn), and their ratio
  (target >= 0.6); the median of three interleaved rounds each;
- p99 ingest latency at half the maximum single-event rate (open loop: a
  request's latency counts from when it was due, so queueing shows);
- batch ingest (events/s, target >= 20,000);
- end-to-end drain into the SAP mock (events/s, target >= 2,000), beside
  the SAP mock's own rate for the same confirmations posted straight to it,
  which bounds what any integration path can reach.

Every server is a child process (``plantwin serve ...`` or uvicorn) on a free
loopback port. The load comes from this process over plain keep-alive
HTTP/1.1 connections on asyncio streams: a general-purpose client such as
httpx costs more CPU per request than the servers measured here, and would
measure itself.

    .venv/bin/python benchmarks/gateway_bench.py [--events 4000]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from email.utils import formatdate
from pathlib import Path
from statistics import median
from typing import Any

import httpx
import yaml
from fastapi import FastAPI, Request, Response

from contracts import (
    BATCH_CONTENT_TYPE,
    CONTENT_TYPE,
    MasterData,
    OperationConfirmed,
    PlantEvent,
    dump_batch,
    load_master_data,
    make_event,
)
from contracts.masterdata import Order, OrderOperation

ROOT = Path(__file__).resolve().parents[1]
PLANT_KEY, OPERATOR_KEY = "plant-key-p100", "operator-key-bench"
ZONE = timezone(timedelta(hours=1))
CONCURRENCY = 32
STREAMS = 64
BATCH = 500
ROUNDS = 3
SAP_AUTH = "Basic " + base64.b64encode(b"PLANTTWIN:planttwin").decode()
CONFIRMATIONS = "/sap/opu/odata/sap/API_PROD_ORDER_CONFIRMATION_2_SRV"


# Servers -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def bare_app() -> Any:
    """A FastAPI endpoint that reads the body and answers 202: the baseline."""
    app = FastAPI()

    @app.post("/v1/events")
    async def accept(request: Request) -> Response:
        await request.body()
        return Response(b'{"status":"accepted"}', status_code=202)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def spawn(command: list[str], url: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/healthz", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{command} did not start; see {log}")


# The load generator's client -------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cookie = ""

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                "127.0.0.1", self.port
            )
        assert self.reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if self.cookie:
            lines.append(f"Cookie: {self.cookie}")
        lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status = int((await self.reader.readline()).split()[1])
        answer: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            answer[name.strip().lower()] = value.strip()
        if "set-cookie" in answer:
            self.cookie = answer["set-cookie"].split(";")[0]
        content = await self.reader.readexactly(int(answer.get("content-length", 0)))
        return status, answer, content

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def ingest_headers(content_type: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {PLANT_KEY}", "Content-Type": content_type}


async def closed_loop(port: int, path: str, bodies: Sequence[bytes],
                      headers: dict[str, str], connections: int) -> float:
    """``connections`` clients, each sending the next body when answered;
    returns requests per second."""
    queue = list(reversed(bodies))
    pool = [Connection(port) for _ in range(connections)]

    async def client(connection: Connection) -> None:
        while queue:
            status, _, content = await connection.request(
                "POST", path, headers, queue.pop()
            )
            assert status in (200, 202), content[:300]

    began = time.perf_counter()
    try:
        await asyncio.gather(*(client(connection) for connection in pool))
    finally:
        for connection in pool:
            connection.close()
    return len(bodies) / (time.perf_counter() - began)


async def open_loop_p99(port: int, bodies: Sequence[bytes], rate: float) -> float:
    """Requests due at ``rate`` per second whether or not earlier ones were
    answered; the p99 latency (ms) from when each was due."""
    due: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    latencies: list[float] = []
    headers = ingest_headers(CONTENT_TYPE)

    async def client() -> None:
        connection = Connection(port)
        try:
            while (item := await due.get()) is not None:
                when, body = item
                status, _, _ = await connection.request(
                    "POST", "/v1/events", headers, body
                )
                assert status in (200, 202)
                latencies.append(time.perf_counter() - when)
        finally:
            connection.close()

    clients = [asyncio.create_task(client()) for _ in range(CONCURRENCY * 2)]
    began = time.perf_counter()
    for index, body in enumerate(bodies):
        when = began + index / rate
        await asyncio.sleep(max(0.0, when - time.perf_counter()))
        due.put_nowait((when, body))
    for _ in clients:
        due.put_nowait(None)
    await asyncio.gather(*clients)
    latencies.sort()
    return latencies[int(len(latencies) * 0.99) - 1] * 1000


async def sap_direct(port: int, events: Sequence[PlantEvent]) -> float:
    """The confirmations posted straight to the SAP mock, as the gateway
    posts them (CSRF session, repeatable-request headers); posts/s."""
    bodies = [
        json.dumps({
            "OrderID": e.data.order,  # type: ignore[attr-defined]
            "OrderOperation": "0010",
            "ConfirmationUnit": "PC",
            "ConfirmationYieldQuantity": "1",
            "ConfirmationScrapQuantity": "0",
            "ConfirmationReworkQuantity": "0",
            "FinalConfirmationType": "",
            "VarianceReasonCode": "",
            "PostingDate": "/Date(1796256000000)/",
            "ConfirmationText": e.id,
        }).encode()
        for e in events
    ]
    queue = list(reversed(bodies))
    created = formatdate(usegmt=True)

    async def client() -> None:
        connection = Connection(port)
        try:
            status, head, _ = await connection.request(
                "GET", f"{CONFIRMATIONS}/",
                {"Authorization": SAP_AUTH, "x-csrf-token": "Fetch"},
            )
            token = head["x-csrf-token"]
            while queue:
                status, _, content = await connection.request(
                    "POST", f"{CONFIRMATIONS}/ProdnOrdConf2",
                    {"x-csrf-token": token, "Content-Type": "application/json",
                     "Accept": "application/json",
                     "RequestID": uuid.uuid4().hex.upper(),
                     "RepeatabilityCreation": created},
                    queue.pop(),
                )
                assert status == 201, content[:300]
        finally:
            connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    return len(bodies) / (time.perf_counter() - began)


# Events and configuration -----------------------------------------------------------


def events(count: int, tag: str, first_order: int = 9000000) -> list[PlantEvent]:
    """Confirmations spread over ``STREAMS`` orders, in sequence per order."""
    start = datetime(2026, 12, 3, 6, 0, tzinfo=ZONE)
    made = []
    for index in range(count):
        order = f"{first_order + index % STREAMS}"
        sequence = index // STREAMS + 1
        payload = OperationConfirmed(
            order=order, operation="0010", work_center="MACH",
            yield_qty=Decimal(1), unit="PC",
        )
        made.append(
            make_event(
                payload, id=f"{tag}-{order}-{sequence}", source="bench",
                time=start + timedelta(seconds=index), subject=f"order/{order}",
                sequence=sequence, plant="P100",
            )
        )
    return made


def batches(made: Sequence[PlantEvent]) -> list[bytes]:
    return [
        dump_batch(made[start : start + BATCH]).encode()
        for start in range(0, len(made), BATCH)
    ]


def bench_master() -> MasterData:
    master = load_master_data(ROOT / "scenarios/masterdata/sample.yaml")
    orders = [
        Order(order=f"{first + i}", plant="P100", material="PUMP-100",
              quantity=Decimal(10**7), unit="PC", storage_location="QI",
              operations=[OrderOperation(operation="0010", work_center="MACH")])
        for first in (9000000, 9100000)
        for i in range(STREAMS)
    ]
    return master.with_plan(orders, [])


def gateway_config(work: Path, name: str, sap: str | None, port: int) -> Path:
    config: dict[str, Any] = {
        "listen": {"host": "127.0.0.1", "port": port},
        "store": {"kind": "sqlite", "path": f"{name}.sqlite"},
        "master_data": "masterdata.yaml",
        "plants": {"P100": {"key": PLANT_KEY}},
        "operator_key": OPERATOR_KEY,
        "ingress": {"backlog_high_water": 10_000_000},
    }
    if sap:
        config["destinations"] = {
            "sap": {
                "base_url": sap, "workers": CONCURRENCY,
                "rate_limit": {"per_second": 100000, "burst": 1000},
            }
        }
    path = work / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def drained(url: str, expected: int) -> bool:
    status = httpx.get(
        f"{url}/v1/status", headers={"Authorization": f"Bearer {OPERATOR_KEY}"}
    ).json()["destinations"]["sap"]
    done = status["delivered"] + status["dead_letters"]
    return bool(done >= expected and status["queue_depth"] == 0
                and status["in_flight"] == 0)


# The run -----------------------------------------------------------------------------


class Bench:
    def __init__(self, count: int) -> None:
        self.count = count
        self.work = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
        master_text = yaml.safe_dump(bench_master().model_dump(mode="json"))
        (self.work / "masterdata.yaml").write_text(master_text)
        self.processes: list[subprocess.Popen[bytes]] = []
        self.results: dict[str, Any] = {"events": count, "concurrency": CONCURRENCY}

    def start(self, name: str, command: list[str]) -> int:
        port = free_port()
        self.processes.append(
            spawn([*command, "--port", str(port)], f"http://127.0.0.1:{port}",
                  self.work / f"{name}.log")
        )
        return port

    def start_gateway(self, name: str, sap_port: int | None) -> int:
        port = free_port()
        sap = f"http://127.0.0.1:{sap_port}" if sap_port else None
        config = gateway_config(self.work, name, sap, port)
        command = [sys.executable, "-m", "harness", "serve", "gateway",
                   "--config", str(config)]
        self.processes.append(
            spawn(command, f"http://127.0.0.1:{port}", self.work / f"{name}.log")
        )
        return port

    def run(self) -> None:
        bare = self.start("bare", [sys.executable, __file__, "--bare-server"])
        durable = self.start_gateway("ingest", None)
        headers = ingest_headers(CONTENT_TYPE)

        bare_rates, single_rates = [], []
        for round_ in range(ROUNDS):  # interleaved, so that both see the same load
            singles = [
                e.to_json().encode() for e in events(self.count, f"single{round_}")
            ]
            bare_rates.append(asyncio.run(
                closed_loop(bare, "/v1/events", singles, headers, CONCURRENCY)
            ))
            single_rates.append(asyncio.run(
                closed_loop(durable, "/v1/events", singles, headers, CONCURRENCY)
            ))
        bare_rate, single_rate = median(bare_rates), median(single_rates)
        self.results["bare_fastapi_posts_per_s"] = round(bare_rate)
        self.results["single_ingest_events_per_s"] = round(single_rate)
        self.results["single_vs_bare_ratio"] = round(single_rate / bare_rate, 2)

        paced = [e.to_json().encode() for e in events(self.count // 2, "paced")]
        self.results["p99_ingest_ms_at_half_max_rate"] = round(
            asyncio.run(open_loop_p99(durable, paced, single_rate / 2)), 1
        )
        bulk = events(self.count * 5, "batch")
        rate = asyncio.run(
            closed_loop(durable, "/v1/events/batch", batches(bulk),
                        ingest_headers(BATCH_CONTENT_TYPE), 4)
        )
        self.results["batch_ingest_events_per_s"] = round(rate * BATCH)

        sap_command = [sys.executable, "-m", "harness", "serve", "sap",
                       "--master-data", str(self.work / "masterdata.yaml"),
                       "--reprocess-interval", "0"]
        direct_sap = self.start("sap-direct", sap_command)
        self.results["sap_mock_direct_posts_per_s"] = round(
            asyncio.run(sap_direct(direct_sap, events(self.count, "direct")))
        )
        sap = self.start("sap", sap_command)
        gateway = self.start_gateway("e2e", sap)
        flow = events(self.count, "e2e", first_order=9100000)
        url = f"http://127.0.0.1:{gateway}"
        began = time.perf_counter()
        asyncio.run(
            closed_loop(gateway, "/v1/events/batch", batches(flow),
                        ingest_headers(BATCH_CONTENT_TYPE), 4)
        )
        while not drained(url, len(flow)):
            time.sleep(0.05)
        elapsed = time.perf_counter() - began
        self.results["end_to_end_events_per_s"] = round(len(flow) / elapsed)
        self.results["end_to_end_vs_sap_direct_ratio"] = round(
            self.results["end_to_end_events_per_s"]
            / self.results["sap_mock_direct_posts_per_s"], 2
        )

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
            process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        import uvicorn

        uvicorn.run(bare_app(), port=args.port, log_level="warning",
                    access_log=False)
        return

    bench = Bench(args.events)
    try:
        bench.run()
    finally:
        bench.stop()
    results = bench.results
    results["targets_met"] = {
        "single_vs_bare_ratio >= 0.6": results["single_vs_bare_ratio"] >= 0.6,
        "batch_ingest >= 20000/s": results["batch_ingest_events_per_s"] >= 20_000,
        "end_to_end >= 2000/s": results["end_to_end_events_per_s"] >= 2_000,
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
