"""MQTT ingress for plant edges that publish (paho-mqtt).

The gateway subscribes to ``mqtt.topic`` (``planttwin/<plant>/events`` by
default; the second level names the plant). A message is one CloudEvent or a
JSON array of them. The gateway acknowledges a QoS 1 or 2 message itself,
after the events are committed, as over HTTP; a message it could not store
stays unacknowledged and the broker delivers it again (the session is
persistent). A message whose events are invalid, or name another plant than
its topic, is acknowledged and dropped with a log line and counted: MQTT has
no way to answer the edge, and a resend would not make it valid.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contracts import ContractError, PlantEvent
from gateway.intake import parse_message
from gateway.runtime import Gateway

LOG = logging.getLogger("gateway.mqtt")
_STORE_TIMEOUT_S = 30.0


class MqttIngress:
    """A subscription feeding the gateway's store."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.settings = gateway.config.mqtt
        self._loop = asyncio.get_running_loop()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.settings.client_id,
            clean_session=False,
            manual_ack=True,
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.received = 0
        self.rejected = 0

    def start(self) -> None:
        self.client.connect_async(self.settings.host, self.settings.port)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        client.subscribe(self.settings.topic, qos=self.settings.qos)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: Any) -> None:
        self.received += 1
        try:
            events = self._events(message.topic, message.payload)
        except ContractError as exc:
            self.rejected += 1
            self.gateway.metrics.rejected.labels("mqtt").inc()
            LOG.warning(
                "mqtt message rejected",
                extra={"fields": {"topic": message.topic, "problem": str(exc)[:500]}},
            )
            client.ack(message.mid, message.qos)
            return
        future = asyncio.run_coroutine_threadsafe(
            self.gateway.ingest(events), self._loop
        )
        try:
            future.result(timeout=_STORE_TIMEOUT_S)
        except Exception as exc:  # not stored: no acknowledgement, a resend
            LOG.error(
                "mqtt message not stored",
                extra={"fields": {"topic": message.topic, "error": repr(exc)[:300]}},
            )
            return
        client.ack(message.mid, message.qos)

    def _events(self, topic: str, payload: bytes) -> list[PlantEvent]:
        events = parse_message(payload)
        parts = topic.split("/")
        level = self.settings.plant_level
        plant = parts[level] if level is not None and level < len(parts) else None
        for event in events:
            if plant is not None and event.plant != plant:
                raise ContractError(
                    [("plant", f"plant: {event.plant!r} is not the topic's {plant!r}")]
                )
        return events
