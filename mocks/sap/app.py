"""``create_app``: the SAP S/4HANA mock as one FastAPI application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from contracts import MasterData
from mocks.sap.confirmations import reprocess
from mocks.sap.control import control_router
from mocks.sap.edge import ODataEdge, log_request
from mocks.sap.faults import Faults
from mocks.sap.journal import Journal
from mocks.sap.openapi import openapi_document
from mocks.sap.resources import ROOT, Resources
from mocks.sap.security import Gatekeeper
from mocks.sap.state import SapState

log = logging.getLogger("mocks.sap")


class SapMockApp(FastAPI):
    """FastAPI for ``/_mock`` and the OpenAPI document; the OData services are
    answered by ``edge`` before FastAPI's middleware stack, which they do not
    need (they are the hot path of every benchmark and scenario)."""

    edge: ODataEdge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if scope["path"].startswith(ROOT):
            await self.edge(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await super().__call__(scope, receive, watch)
        finally:
            log_request(scope["method"], scope["path"], status or 500, started)


def create_app(
    master_data: MasterData | None = None,
    *,
    users: dict[str, str] | None = None,
    reprocess_interval: float | None = 2.0,
    over_tolerance: Decimal = Decimal("0.10"),
    closed_before: date | None = None,
    page_size: int = 1000,
) -> SapMockApp:
    """The SAP mock, serving every modelled OData service and ``/_mock``.

    ``users`` maps user to password (default ``PLANTTWIN`` / ``planttwin``);
    ``reprocess_interval`` is the post-processing job's period in seconds
    (``None`` or ``0`` disables it); ``over_tolerance`` is the share of the
    order quantity a yield may exceed; postings dated before
    ``closed_before`` fall in a closed period; ``page_size`` is the server-side
    page after which reads answer ``__next``.
    """
    state = SapState(master_data, over_tolerance=over_tolerance,
                     closed_before=closed_before)
    journal = Journal()
    faults = Faults()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = None
        if reprocess_interval:
            task = asyncio.create_task(_post_processing_job(state, reprocess_interval))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = SapMockApp(title="PlantTwin SAP S/4HANA mock", version="0.1.0",
                     lifespan=lifespan)
    app.include_router(control_router(state, journal, faults))

    @app.get("/healthz", tags=["mock control"])
    def healthz() -> dict[str, str]:
        """Liveness for process supervisors and benchmarks."""
        return {"status": "ok"}

    app.edge = ODataEdge(state=state, journal=journal, faults=faults,
                         gate=Gatekeeper(users), resources=Resources(state, page_size))
    app.state.sap = state
    app.state.journal = journal
    app.state.faults = faults

    def custom_openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi_document(app)
        return app.openapi_schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
    return app


async def _post_processing_job(state: SapState, interval: float) -> None:
    """SAP's periodic background job that works off COGI."""
    while True:
        await asyncio.sleep(interval)
        if state.book.parked:
            outcome = reprocess(state)
            log.info("post-processing posted=%s open=%s",
                     outcome["posted"], outcome["open"])
