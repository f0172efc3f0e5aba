"""The mock's control surface under ``/_mock`` (no authentication).

``GET /_mock/state`` and ``GET /_mock/journal`` are what the oracle reads;
``POST /_mock/master-data`` and ``POST /_mock/reset`` prepare a run;
``/_mock/faults`` switches faults on and off; ``GET /_mock/post-processing``
lists SAP's post-processing list (COGI) and ``POST
/_mock/post-processing/reprocess`` runs SAP's post-processing job once.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, HTTPException
from pydantic import ValidationError

from contracts import ContractError, parse_master_data
from mocks.sap.confirmations import reprocess
from mocks.sap.faults import FaultRule, Faults
from mocks.sap.journal import Journal
from mocks.sap.state import SapState


def control_router(state: SapState, journal: Journal, faults: Faults) -> APIRouter:
    router = APIRouter(prefix="/_mock", tags=["mock control"])

    @router.get("/state")
    def read_state() -> dict[str, Any]:
        """Stock, orders, confirmations, documents, COGI, notifications, lots."""
        return state.snapshot()

    @router.get("/journal")
    def read_journal() -> list[dict[str, Any]]:
        """Every write request in arrival order."""
        return journal.entries()

    @router.post("/reset")
    def reset() -> dict[str, str]:
        """Back to the loaded master data: no postings, journal or faults."""
        state.reset()
        journal.clear()
        faults.clear()
        return {"status": "reset"}

    @router.post("/master-data")
    def load_master_data(
        body: dict[str, Any] = Body(..., description="contracts.MasterData as JSON"),  # noqa: B008
    ) -> dict[str, Any]:
        """Replace master data, orders and opening stock; clears the journal."""
        try:
            master = parse_master_data(body, "master data")
        except ContractError as error:
            raise HTTPException(422, detail=str(error)) from None
        try:
            state.load(master)
        except Exception as error:  # noqa: BLE001 - report any load failure as 422
            raise HTTPException(422, detail=f"master data: {error}") from None
        journal.clear()
        return {"status": "loaded", "orders": len(master.orders),
                "materials": len(master.materials)}

    @router.get("/post-processing")
    def list_post_processing() -> list[dict[str, Any]]:
        """The post-processing list (COGI): movements parked by confirmations."""
        with state.lock:
            return [entry.snapshot() for entry in state.book.parked]

    @router.post("/post-processing/reprocess")
    def run_post_processing() -> dict[str, int]:
        """Work off the post-processing list (COGI) once."""
        return reprocess(state)

    @router.get("/faults")
    def list_faults() -> list[dict[str, Any]]:
        return faults.listing()

    @router.post("/faults")
    def add_fault(body: dict[str, Any] = Body(...)) -> dict[str, str]:  # noqa: B008
        try:
            rule = FaultRule.model_validate(body)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                for e in error.errors()
            )
            raise HTTPException(422, detail=f"fault rule: {problems}") from None
        return {"id": faults.add(rule)}

    @router.delete("/faults")
    def clear_faults() -> dict[str, str]:
        faults.clear()
        return {"status": "cleared"}

    @router.delete("/faults/{rule_id}")
    def delete_fault(rule_id: str) -> dict[str, str]:
        if not faults.remove(rule_id):
            raise HTTPException(404, detail=f"fault rule {rule_id!r} does not exist")
        return {"status": "deleted", "id": rule_id}

    return router
