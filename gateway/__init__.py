"""The reference integration gateway: the system under test, in the box.

It takes plant events over HTTP (and MQTT), stores them durably, orders them
per subject, maps them with the master data and delivers them to SAP and Odoo
with retries and dead letters. It imports nothing from the twin, the mocks or
the harness.
"""

from gateway.app import create_app
from gateway.config import DEFECTS, GatewayConfig, load_config, parse_config
from gateway.errors import (
    ConfigError,
    DeficitError,
    DeliveryError,
    GatewayError,
    PermanentError,
    TransientError,
)
from gateway.runtime import Gateway
from gateway.sap_client import request_id

__all__ = [
    "DEFECTS",
    "ConfigError",
    "DeficitError",
    "DeliveryError",
    "Gateway",
    "GatewayConfig",
    "GatewayError",
    "PermanentError",
    "TransientError",
    "create_app",
    "load_config",
    "parse_config",
    "request_id",
]
