"""Shared fixtures: reachable services, skipped with a reason or required.

Tests that need PostgreSQL or an MQTT broker skip when the service is not
reachable on 127.0.0.1, except under ``PLANTWIN_REQUIRE_SERVICES=1`` (CI),
where an unreachable service fails the test instead.
"""

from __future__ import annotations

import os
import socket

import pytest

POSTGRES_DSN = os.environ.get(
    "PLANTWIN_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
MQTT_HOST, MQTT_PORT = "127.0.0.1", 1883


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or, in CI, fail) when ``name`` does not answer on host:port."""
    if _reachable(host, port):
        return
    reason = f"{name} is not reachable on {host}:{port}"
    if os.environ.get("PLANTWIN_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} and PLANTWIN_REQUIRE_SERVICES=1")
    pytest.skip(reason)


@pytest.fixture
def postgres_dsn() -> str:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return POSTGRES_DSN


@pytest.fixture
def mqtt_broker() -> tuple[str, int]:
    require_service("the MQTT broker", MQTT_HOST, MQTT_PORT)
    return MQTT_HOST, MQTT_PORT
