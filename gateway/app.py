"""The gateway as an ASGI app: ``create_app(config)``.

The app's lifespan starts the store and the delivery workers (and the MQTT
ingress when configured), so ``uvicorn`` runs ingest and delivery in one
process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from contracts import MasterData, __version__
from gateway.config import GatewayConfig
from gateway.ingress import router as ingress_router
from gateway.operations import probes
from gateway.operations import router as operations_router
from gateway.problems import Problem, problem_handler
from gateway.runtime import Gateway


def create_app(config: GatewayConfig, master: MasterData | None = None) -> FastAPI:
    """The gateway's FastAPI app; nothing starts until its lifespan runs."""
    gateway = Gateway(config, master)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await gateway.start()
        mqtt = None
        if config.mqtt.enabled:
            from gateway.mqtt import MqttIngress

            mqtt = MqttIngress(gateway)
            mqtt.start()
        try:
            yield
        finally:
            if mqtt is not None:
                mqtt.stop()
            await gateway.stop()

    app = FastAPI(
        title="PlantTwin reference integration gateway",
        version=__version__,
        description=(
            "Takes plant events (CloudEvents 1.0) from plant edges and delivers "
            "them to SAP S/4HANA and Odoo with idempotency, ordering per "
            "subject, a durable queue, retries and dead letters."
        ),
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    app.add_exception_handler(Problem, problem_handler)
    app.include_router(ingress_router)
    app.include_router(operations_router)
    app.include_router(probes)
    routes_document = app.openapi

    def openapi() -> dict[str, Any]:
        return with_security(routes_document())

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def with_security(document: dict[str, Any]) -> dict[str, Any]:
    """Declare the bearer keys: ``/v1/`` takes a plant or the operator key;
    the probes and ``/metrics`` take none."""
    components = document.setdefault("components", {})
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    for path, operations in document["paths"].items():
        needs_key = path.startswith("/v1/")
        for operation in operations.values():
            operation["security"] = [{"bearer": []}] if needs_key else []
    return document
