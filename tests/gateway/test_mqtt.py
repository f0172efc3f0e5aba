"""MQTT ingress against the broker on 127.0.0.1:1883: a published event is
stored once, however often the edge publishes it; another plant's event on a
plant's topic is refused. The foreign event is published last, so once it is
counted the valid ones before it have been handled (one subscription, in
order)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from gateway import create_app
from tests.gateway.conftest import (
    EventFactory,
    gateway_config,
    serve,
    status,
    wait_for,
)

pytestmark = pytest.mark.services


def publish(host: str, port: int, topic: str, payloads: list[str]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"edge-{uuid.uuid4()}")
    client.connect(host, port)
    client.loop_start()
    try:
        for payload in payloads:
            client.publish(topic, payload, qos=1).wait_for_publish(timeout=10)
    finally:
        client.disconnect()
        client.loop_stop()


def test_events_published_over_mqtt_are_stored_once(
    tmp_path: Path, mqtt_broker: tuple[str, int], confirmation: EventFactory
) -> None:
    host, port = mqtt_broker
    run = uuid.uuid4().hex[:8]
    topic_root = f"planttwin-test-{run}"
    config = gateway_config(
        tmp_path,
        mqtt={
            "enabled": True, "host": host, "port": port,
            "topic": f"{topic_root}/+/events", "client_id": f"gateway-{run}",
        },
    )
    first, second = confirmation(1), confirmation(2)
    foreign = confirmation(3, plant="P200")

    with serve(create_app(config)) as gateway:
        wait_for(lambda: httpx.get(f"{gateway}/readyz").status_code == 200)
        wait_for(lambda: _subscribed(gateway, host, port, topic_root), timeout=20)
        rejected_before = _rejected(gateway)
        publish(
            host, port, f"{topic_root}/P100/events",
            [first.to_json(), first.to_json(), second.to_json(), foreign.to_json()],
        )
        wait_for(lambda: _rejected(gateway) > rejected_before)
        accepted = status(gateway)["accepted"]

    assert accepted == 2


def _rejected(gateway: str) -> float:
    for line in httpx.get(f"{gateway}/metrics").text.splitlines():
        if line.startswith('planttwin_gateway_requests_rejected_total{status="mqtt"}'):
            return float(line.split()[-1])
    return 0.0


def _subscribed(gateway: str, host: str, port: int, topic_root: str) -> bool:
    """Publish a probe until the gateway has counted one (it is refused: not
    valid JSON), which proves the subscription is live."""
    publish(host, port, f"{topic_root}/P100/events", ["probe"])
    return _rejected(gateway) > 0


def test_events_published_while_the_gateway_is_down_arrive_when_it_returns(
    tmp_path: Path, mqtt_broker: tuple[str, int], confirmation: EventFactory
) -> None:
    host, port = mqtt_broker
    run = uuid.uuid4().hex[:8]
    topic_root = f"planttwin-test-{run}"
    config = gateway_config(
        tmp_path,
        mqtt={
            "enabled": True, "host": host, "port": port,
            "topic": f"{topic_root}/+/events", "client_id": f"gateway-{run}",
        },
    )
    with serve(create_app(config)) as gateway:
        wait_for(lambda: _subscribed(gateway, host, port, topic_root), timeout=20)

    batch = json.dumps([confirmation(n).to_wire() for n in (1, 2, 3)])
    publish(host, port, f"{topic_root}/P100/events", [batch])

    with serve(create_app(config)) as gateway:
        wait_for(lambda: status(gateway)["accepted"] == 3, timeout=20)
        accepted = status(gateway)["accepted"]

    assert accepted == 3
