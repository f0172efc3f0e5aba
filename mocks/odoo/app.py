"""The Odoo mock as an ASGI application, with its control surface.

``create_app(master_data)`` serves Odoo's external API (see ``rpc``) and the
mock's own routes: ``/_mock/master-data``, ``/_mock/reset``, ``/_mock/state``,
``/_mock/journal`` and ``/_mock/faults`` (docs/INTERFACES.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import ValidationError

from contracts import ContractError, MasterData, parse_master_data
from mocks.odoo.errors import OdooMockError
from mocks.odoo.faults import FaultRule
from mocks.odoo.rpc import router
from mocks.odoo.server import OdooServer
from mocks.odoo.state import snapshot

log = logging.getLogger("mocks.odoo")
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Message, Receive, Send], Awaitable[None]]


class RequestLog:
    """One log line per request: fixed text, structured fields, no
    credentials (no headers, no body).  ``call`` and ``error`` come from the
    RPC routes through ``request.state``."""

    def __init__(self, app: Asgi) -> None:
        self.app = app

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            notes = scope.get("state") or {}
            log.info("request method=%s path=%s status=%s ms=%.1f call=%s error=%s",
                     scope["method"], scope["path"], status[0],
                     (time.perf_counter() - started) * 1000, notes.get("call", "-"),
                     notes.get("error", "-"))


def create_app(
    master_data: MasterData | None = None, server: OdooServer | None = None
) -> FastAPI:
    """An Odoo mock loaded with ``master_data`` (database ``planttwin``)."""
    odoo = server or OdooServer(master_data)
    app = FastAPI(title="PlantTwin Odoo mock", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.odoo = odoo
    app.add_middleware(RequestLog)
    app.include_router(router(odoo))

    @app.post("/_mock/master-data")
    def load_master_data(body: dict[str, Any]) -> dict[str, Any]:
        try:
            master = parse_master_data(body, source="master data")
            odoo.reset(master)
        except (ContractError, OdooMockError) as exc:
            raise HTTPException(422, detail=str(exc)) from None
        return {"loaded": True, "plants": [plant.code for plant in master.plants]}

    @app.post("/_mock/reset")
    def reset() -> dict[str, Any]:
        odoo.reset()
        return {"reset": True}

    @app.get("/_mock/state")
    def state() -> dict[str, Any]:
        with odoo.lock:
            return snapshot(odoo.db, odoo.ids)

    @app.get("/_mock/journal")
    def journal() -> list[dict[str, Any]]:
        return odoo.journal.snapshot()

    @app.get("/_mock/faults")
    def faults() -> list[dict[str, Any]]:
        return odoo.faults.listing()

    @app.post("/_mock/faults")
    def add_fault(body: dict[str, Any]) -> dict[str, Any]:
        try:
            rule = FaultRule.model_validate(body)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']} "
                f"(got {e.get('input')!r})" for e in exc.errors()
            )
            raise HTTPException(422, detail=f"fault rule: {problems}") from None
        return {"id": odoo.faults.add(rule), **rule.model_dump()}

    @app.delete("/_mock/faults")
    def clear_faults() -> dict[str, Any]:
        odoo.faults.clear()
        return {"cleared": True}

    @app.delete("/_mock/faults/{rule_id}")
    def remove_fault(rule_id: int) -> dict[str, Any]:
        if not odoo.faults.remove(rule_id):
            raise HTTPException(404, detail=f"fault {rule_id} is not active")
        return {"removed": rule_id}

    return app
