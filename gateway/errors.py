"""Errors of the gateway: bad configuration and failed deliveries.

Delivery errors say what the worker must do next: a ``TransientError`` is
retried with backoff, a ``DeficitError`` is retried only within the deficit
window, a ``PermanentError`` goes to the dead letters with the ERP's message.
"""

from __future__ import annotations

from contracts.errors import PlantTwinError


class GatewayError(PlantTwinError):
    """Base of every error the gateway raises."""


class ConfigError(GatewayError, ValueError):
    """The gateway configuration breaks a rule; the message names the path."""


class DeliveryError(GatewayError):
    """A destination did not take an event; ``code`` is the ERP's own code."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class TransientError(DeliveryError):
    """Timeouts, connection errors, 5xx, locked material: try again later."""


class DeficitError(TransientError):
    """A stock deficit (SAP ``M7/021``): retried within a bounded window,
    because the receipt that covers it may still be on its way."""


class PermanentError(DeliveryError):
    """A business error the ERP will repeat on every try: dead letter."""
