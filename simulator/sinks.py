"""Where a plant edge sends events: a JSONL file, HTTP, or an MQTT broker.

A sink either takes a whole batch (and only then returns) or raises
``SinkUnavailable``; the edge then keeps the batch and sends it again later
with the same ids. A sink that answers but refuses events for good (an HTTP
4xx other than 401, 403, 408, 425 and 429) raises ``SinkRejected`` naming
them; the edge then finds the refused ones and sets them aside rather than
retrying forever. A refused key (401, 403) is a configuration fault, not a
fault of the events: they are kept until the key is fixed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import httpx

from contracts import BATCH_CONTENT_TYPE, CONTENT_TYPE, PlantEvent, dump_batch
from simulator.errors import EdgeError

_RETRYABLE = {401, 403, 408, 425, 429}


class SinkUnavailable(EdgeError):
    """The integration path cannot be reached or did not acknowledge."""


class SinkRejected(EdgeError):
    """The integration path refused events for good (e.g. HTTP 400)."""

    def __init__(self, event_ids: list[str], reason: str) -> None:
        self.event_ids = event_ids
        super().__init__(f"{len(event_ids)} event(s) refused: {reason}")


class Sink(Protocol):
    def send(self, events: list[PlantEvent]) -> None: ...

    def close(self) -> None: ...


class JsonlSink:
    """Appends each event as one JSON line to a file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")

    def send(self, events: list[PlantEvent]) -> None:
        self._file.write("".join(event.to_json() + "\n" for event in events))
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class HttpSink:
    """POSTs events to ``url``, one per request or as a CloudEvents batch.

    ``token`` goes in an ``Authorization: Bearer`` header.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        batched: bool = True,
        timeout: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url
        self.batched = batched
        self._client = client or httpx.Client(timeout=timeout, headers=headers)
        self._headers = headers

    def send(self, events: list[PlantEvent]) -> None:
        if self.batched:
            self._post(dump_batch(events), BATCH_CONTENT_TYPE, events)
            return
        for index, event in enumerate(events):
            try:
                self._post(event.to_json(), CONTENT_TYPE, [event])
            except SinkUnavailable as exc:
                if index:
                    raise SinkUnavailable(f"{exc} (after {index} sent)") from None
                raise

    def _post(self, body: str, content_type: str, events: list[PlantEvent]) -> None:
        try:
            response = self._client.post(
                self.url,
                content=body.encode("utf-8"),
                headers={**self._headers, "Content-Type": content_type},
            )
        except httpx.HTTPError as exc:
            raise SinkUnavailable(f"{self.url}: {type(exc).__name__}") from None
        status = response.status_code
        if status < 300:
            return
        if status >= 500 or status in _RETRYABLE:
            raise SinkUnavailable(f"{self.url}: HTTP {status}")
        raise SinkRejected(
            [e.id for e in events], f"HTTP {status} {response.text[:200]}"
        )

    def close(self) -> None:
        self._client.close()


class MqttSink:
    """Publishes each event (QoS 1) to ``topic``, e.g. ``plants/{plant}/events``.

    ``{plant}`` in the topic is replaced by the event's plant code. The sink
    connects (and reconnects) in the background; while the broker cannot be
    reached, ``send`` raises ``SinkUnavailable`` and the edge keeps the events.
    ``username``/``password`` log in; ``tls`` uses TLS with the system's CAs.
    """

    def __init__(
        self,
        host: str,
        port: int = 1883,
        *,
        topic: str = "planttwin/plants/{plant}/events",
        client_id: str = "",
        timeout: float = 5.0,
        username: str | None = None,
        password: str | None = None,
        tls: bool = False,
    ) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.topic = topic
        self.timeout = timeout
        self.address = f"mqtt://{host}:{port}"
        self._client: Any = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id
        )
        if username is not None:
            self._client.username_pw_set(username, password)
        if tls:
            self._client.tls_set()
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        self._client.connect_async(host, port, keepalive=30)
        self._client.loop_start()

    def send(self, events: list[PlantEvent]) -> None:
        if not self._client.is_connected():
            raise SinkUnavailable(f"{self.address}: not connected")
        infos = []
        for event in events:
            topic = self.topic.replace("{plant}", event.plant)
            infos.append(self._client.publish(topic, event.to_json(), qos=1))
        for info in infos:
            try:
                info.wait_for_publish(timeout=self.timeout)
            except (RuntimeError, ValueError) as exc:
                raise SinkUnavailable(f"mqtt: {exc}") from None
            if not info.is_published():
                raise SinkUnavailable("mqtt: publish not acknowledged in time")

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


def event_json(event: PlantEvent) -> dict[str, Any]:
    """The wire form of an event as a JSON object."""
    loaded: dict[str, Any] = json.loads(event.to_json())
    return loaded
