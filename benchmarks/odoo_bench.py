"""Benchmark of the Odoo mock, all in one run on this machine.

Closed-loop load (``CONCURRENCY`` keep-alive HTTP/1.1 clients) against two
servers, each a child process on a free loopback port:

- the Odoo mock answering ``execute_kw(..., 'stock.move', 'create', ...)``
  over XML-RPC with its real work (password check, XML parsing, field
  checks, company rules, move hooks, one transaction, journal);
- a bare FastAPI endpoint that reads the body and answers a fixed XML-RPC
  response (the floor of what this Python stack can serve).

It prints both rates, their p99 latencies and the ratio mock / bare.

    .venv/bin/python benchmarks/odoo_bench.py [--requests 3000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml
from fastapi import FastAPI, Request, Response

from contracts import load_master_data

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = 32
DB, LOGIN, PASSWORD = "planttwin", "integration", "planttwin"
XML = {"Content-Type": "text/xml"}
ANSWER = xmlrpc.client.dumps((1,), methodresponse=True).encode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.post("/xmlrpc/2/object")
    async def create(request: Request) -> Response:
        await request.body()
        return Response(ANSWER, media_type="text/xml")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def spawn(command: list[str], probe: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited; see {log}")
        try:
            httpx.get(probe, timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not start; see {log}")


def master_file(work: Path) -> Path:
    master = load_master_data(ROOT / "scenarios/masterdata/sample.yaml")
    path = work / "master.yaml"
    path.write_text(yaml.safe_dump(master.model_dump(mode="json")))
    return path


def move_request(uid: int, values: dict[str, Any], index: int) -> bytes:
    move = {**values, "name": f"bench {index}", "x_event_id": f"bench-{index}"}
    return xmlrpc.client.dumps(
        (DB, uid, PASSWORD, "stock.move", "create", [move], {}),
        "execute_kw").encode()


def closed_loop(url: str, bodies: list[bytes]) -> tuple[float, list[float]]:
    """Send ``bodies`` from ``CONCURRENCY`` keep-alive clients (threads with
    ``http.client``): requests/s and latencies.  A fault stops the run."""
    target = urlsplit(url)
    pending = list(reversed(bodies))
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        connection = http.client.HTTPConnection(
            target.hostname or "127.0.0.1", target.port, timeout=30)
        while True:
            with lock:
                if not pending or failures:
                    break
                body = pending.pop()
            began = time.perf_counter()
            connection.request("POST", target.path, body=body, headers=XML)
            answer = connection.getresponse()
            text = answer.read()
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                if answer.status != 200 or b"<fault>" in text:
                    failures.append(f"{answer.status}: {text[:300]!r}")
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(failures[0])
    return len(bodies) / (time.perf_counter() - began), latencies


def p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98] * 1000


def move_values(url: str) -> tuple[int, dict[str, Any]]:
    """The integration user's uid and a stock.move's product and locations."""
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
        DB, LOGIN, PASSWORD, {})
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")

    def one(model: str, domain: list[Any]) -> int:
        found = models.execute_kw(DB, uid, PASSWORD, model, "search", [domain],
                                  {"limit": 1})
        assert isinstance(found, list) and found, (model, domain)
        return int(found[0])

    return int(uid), {
        "product_id": one("product.product", [["default_code", "=", "BOLT-M8"]]),
        "product_uom_qty": 8.0,
        "location_id": one("stock.location", [["complete_name", "=",
                                               "WH/Stock/Raw"]]),
        "location_dest_id": one("stock.location", [["complete_name", "=",
                                                    "WH/Stock/Staging"]]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        import uvicorn

        uvicorn.run(bare_app(), port=args.bare_server, log_level="warning",
                    access_log=False)
        return

    results: dict[str, Any] = {"requests": args.requests, "concurrency": CONCURRENCY}
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        try:
            odoo_port, bare_port = free_port(), free_port()
            odoo = f"http://127.0.0.1:{odoo_port}"
            processes.append(spawn(
                [sys.executable, "-m", "harness", "serve", "odoo", "--port",
                 str(odoo_port), "--master-data", str(master_file(work))],
                f"{odoo}/web/version", work / "odoo.log"))
            processes.append(spawn(
                [sys.executable, __file__, "--bare-server", str(bare_port)],
                f"http://127.0.0.1:{bare_port}/healthz", work / "bare.log"))
            uid, values = move_values(odoo)
            bodies = [move_request(uid, values, i) for i in range(args.requests)]

            rate, lat = closed_loop(f"{odoo}/xmlrpc/2/object", bodies)
            results["odoo_mock"] = {"creates_per_s": round(rate),
                                    "p99_ms": round(p99(lat), 1)}
            count = xmlrpc.client.ServerProxy(f"{odoo}/xmlrpc/2/object").execute_kw(
                DB, uid, PASSWORD, "stock.move", "search_count",
                [[["x_event_id", "like", "bench-"]]])
            results["odoo_mock"]["moves_recorded"] = count

            rate, lat = closed_loop(f"http://127.0.0.1:{bare_port}/xmlrpc/2/object",
                                    bodies)
            results["bare_fastapi"] = {"posts_per_s": round(rate),
                                       "p99_ms": round(p99(lat), 1)}
            results["mock_vs_bare"] = round(
                results["odoo_mock"]["creates_per_s"]
                / results["bare_fastapi"]["posts_per_s"], 2)
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
