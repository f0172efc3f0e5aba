"""The plant edge keeps events through outages and replays them in order."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from contracts import PlantEvent
from simulator import (
    HttpSink,
    JsonlSink,
    MqttSink,
    PlantEdge,
    SinkRejected,
    SinkUnavailable,
    TwinRun,
)


class _Path:
    """An integration path that can be down or lose acknowledgements."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.down = False
        self.lose_next_ack = False

    def send(self, events: list[PlantEvent]) -> None:
        if self.down:
            raise SinkUnavailable("path down")
        self.received.extend(event.id for event in events)
        if self.lose_next_ack:
            self.lose_next_ack = False
            raise SinkUnavailable("acknowledgement lost")

    def close(self) -> None:
        pass


def test_a_wan_partition_spills_to_sqlite_and_replays_in_order(
    day_run: TwinRun, tmp_path: Path
) -> None:
    path = _Path()
    edge = PlantEdge(path, memory_limit=50, batch_size=40, spill_path=tmp_path / "s.db")
    events = day_run.events[:300]

    edge.partitioned = True
    for event in events:
        edge.offer(event)
        edge.pump()
    assert path.received == [] and edge.pending == 300 and edge.spilled == 250

    edge.partitioned = False
    path.down = True
    assert edge.pump() == 0 and edge.pending == 300
    path.down = False
    assert edge.flush(timeout=5)

    assert path.received == [event.id for event in events]
    edge.close()


def test_a_lost_acknowledgement_resends_the_same_ids(day_run: TwinRun) -> None:
    path = _Path()
    edge = PlantEdge(path, batch_size=10)
    events = day_run.events[:30]
    for event in events:
        edge.offer(event)

    path.lose_next_ack = True
    edge.pump()
    edge.flush(timeout=5)

    ids = [event.id for event in events]
    assert path.received == ids[:10] + ids
    assert list(dict.fromkeys(path.received)) == ids


def test_the_jsonl_sink_writes_one_event_per_line(
    day_run: TwinRun, tmp_path: Path
) -> None:
    edge = PlantEdge(JsonlSink(tmp_path / "out.jsonl"))
    for event in day_run.events[:20]:
        edge.offer(event)

    edge.flush(timeout=5)
    edge.close()

    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert lines == [event.to_json() for event in day_run.events[:20]]


@pytest.fixture
def ingest() -> Iterator[tuple[str, dict[str, object]]]:
    """A bearer-protected HTTP ingest on a free loopback port."""
    state: dict[str, object] = {
        "ids": [],
        "down": False,
        "auth": [],
        "keys": {"Bearer plant-key"},
    }

    async def single(request: Request) -> JSONResponse:
        return await _accept(request, [json.loads(await request.body())])

    async def batch(request: Request) -> JSONResponse:
        return await _accept(request, json.loads(await request.body()))

    async def _accept(
        request: Request, events: list[dict[str, object]]
    ) -> JSONResponse:
        state["auth"].append(request.headers.get("authorization"))  # type: ignore[attr-defined]
        if request.headers.get("authorization") not in state["keys"]:  # type: ignore[operator]
            return JSONResponse({"error": "unknown key"}, status_code=401)
        if state["down"]:
            return JSONResponse({"error": "down"}, status_code=503)
        state["ids"].extend(e["id"] for e in events)  # type: ignore[attr-defined]
        return JSONResponse({"accepted": len(events)}, status_code=202)

    app = Starlette(
        routes=[
            Route("/v1/events", single, methods=["POST"]),
            Route("/v1/events/batch", batch, methods=["POST"]),
        ]
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}", state
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("batched", [True, False])
def test_http_delivery_survives_an_outage_in_order(
    day_run: TwinRun, ingest: tuple[str, dict[str, object]], batched: bool
) -> None:
    base, state = ingest
    url = f"{base}/v1/events/batch" if batched else f"{base}/v1/events"
    edge = PlantEdge(HttpSink(url, token="plant-key", batched=batched), batch_size=25)
    events = day_run.events[:60]

    state["down"] = True
    for event in events:
        edge.offer(event)
    assert edge.pump() == 0 and edge.pending == 60
    state["down"] = False
    assert edge.flush(timeout=10)
    edge.close()

    assert state["ids"] == [event.id for event in events]
    assert set(state["auth"]) == {"Bearer plant-key"}  # type: ignore[arg-type]


def test_an_unknown_key_keeps_the_events_until_the_key_is_known(
    day_run: TwinRun, ingest: tuple[str, dict[str, object]]
) -> None:
    base, state = ingest
    edge = PlantEdge(HttpSink(f"{base}/v1/events/batch", token="new-key"))
    events = day_run.events[:30]
    for event in events:
        edge.offer(event)

    assert edge.pump() == 0 and edge.pending == 30
    assert edge.last_error is not None and "HTTP 401" in edge.last_error
    state["keys"] = {"Bearer plant-key", "Bearer new-key"}
    assert edge.flush(timeout=10)
    edge.close()

    assert state["ids"] == [event.id for event in events] and edge.rejected == []


def test_mqtt_publishes_every_event_on_the_plants_topic(
    day_run: TwinRun, mqtt_broker: tuple[str, int]
) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    host, port = mqtt_broker
    topic = f"planttwin-test/{time.monotonic_ns()}/{{plant}}"
    received: list[str] = []
    ready = threading.Event()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2)
    listener.on_message = lambda c, u, m: received.append(json.loads(m.payload)["id"])
    listener.on_subscribe = lambda *args: ready.set()
    listener.connect(host, port)
    listener.loop_start()
    listener.subscribe(topic.replace("{plant}", "P100"), qos=1)
    assert ready.wait(5)
    edge = PlantEdge(MqttSink(host, port, topic=topic))
    events = day_run.events[:40]

    for event in events:
        edge.offer(event)
    assert edge.flush(timeout=10)
    deadline = time.monotonic() + 10
    while len(received) < len(events) and time.monotonic() < deadline:
        time.sleep(0.02)
    edge.close()
    listener.loop_stop()
    listener.disconnect()

    assert received == [event.id for event in events]


class _Refusing(_Path):
    """An integration path that refuses any batch holding a poison event."""

    def __init__(self, poison: set[str]) -> None:
        super().__init__()
        self.poison = poison

    def send(self, events: list[PlantEvent]) -> None:
        bad = [event.id for event in events if event.id in self.poison]
        if bad:
            raise SinkRejected(bad, "HTTP 400 invalid-event")
        super().send(events)


def test_a_refused_batch_sets_aside_only_the_refused_events(
    day_run: TwinRun,
) -> None:
    events = day_run.events[:50]
    poison = {events[7].id, events[31].id}
    path = _Refusing(poison)
    edge = PlantEdge(path, batch_size=20)
    for event in events:
        edge.offer(event)

    assert edge.flush(timeout=5)

    good = [event.id for event in events if event.id not in poison]
    assert path.received == good
    assert edge.rejected == [events[7].id, events[31].id]
    assert [event.id for event in edge.rejected_events] == edge.rejected
    assert edge.delivered == 48


def test_an_edge_restarted_on_its_spill_file_sends_everything_in_order(
    day_run: TwinRun, tmp_path: Path
) -> None:
    spill = tmp_path / "edge.sqlite"
    events = day_run.events[:130]
    first = PlantEdge(_Path(), memory_limit=50, spill_path=spill)
    first.partitioned = True
    for event in events[:120]:
        first.offer(event)
    first.close()

    path = _Path()
    second = PlantEdge(path, memory_limit=50, batch_size=30, spill_path=spill)
    pending = second.pending
    for event in events[120:]:
        second.offer(event)
    assert second.flush(timeout=5)
    second.close()

    assert pending == 120
    assert path.received == [event.id for event in events]


class _Wan:
    """A TCP relay from a loopback port to the broker that can be cut."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._links: list[socket.socket] = []
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self.restore()

    def restore(self) -> None:
        self._stop.clear()
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen()
        server.settimeout(0.05)
        self._listener = threading.Thread(target=self._accept, args=(server,))
        self._listener.start()

    def cut(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=5)
        for link in self._links:
            with contextlib.suppress(OSError):
                link.shutdown(socket.SHUT_RDWR)
            link.close()
        self._links.clear()

    def _accept(self, server: socket.socket) -> None:
        with server:
            while not self._stop.is_set():
                try:
                    client, _ = server.accept()
                except TimeoutError:
                    continue
                upstream = socket.create_connection(self.target)
                self._links += [client, upstream]
                for source, target in ((client, upstream), (upstream, client)):
                    threading.Thread(
                        target=self._pipe, args=(source, target), daemon=True
                    ).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_RDWR)


def test_mqtt_delivery_survives_a_wan_cut_in_order(
    day_run: TwinRun, mqtt_broker: tuple[str, int]
) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    host, port = mqtt_broker
    topic = f"planttwin-test/{time.monotonic_ns()}/{{plant}}"
    received: list[str] = []
    ready = threading.Event()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2)
    listener.on_message = lambda c, u, m: received.append(json.loads(m.payload)["id"])
    listener.on_subscribe = lambda *args: ready.set()
    listener.connect(host, port)
    listener.loop_start()
    listener.subscribe(topic.replace("{plant}", "P100"), qos=1)
    assert ready.wait(5)
    wan = _Wan((host, port))
    edge = PlantEdge(MqttSink("127.0.0.1", wan.port, topic=topic, timeout=1.0))
    events = day_run.events[:40]
    assert edge.flush(timeout=10)

    wan.cut()
    for event in events:
        edge.offer(event)
    assert edge.pump() == 0 and edge.pending == 40
    assert received == []
    wan.restore()
    assert edge.flush(timeout=20)
    deadline = time.monotonic() + 10
    while len(set(received)) < len(events) and time.monotonic() < deadline:
        time.sleep(0.02)
    edge.close()
    wan.cut()
    listener.loop_stop()
    listener.disconnect()

    assert list(dict.fromkeys(received)) == [event.id for event in events]
