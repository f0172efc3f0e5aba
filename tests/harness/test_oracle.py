"""The oracle names each kind of finding from a known truth and a known SAP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from contracts import (
    MasterData,
    MaterialConsumed,
    OperationConfirmed,
    Order,
    OrderComponent,
    OrderOperation,
    PlantEvent,
    load_master_data,
    make_event,
)
from harness.oracle import Oracle, PathState, count_by_kind

SAMPLE = Path(__file__).parents[2] / "scenarios" / "masterdata" / "sample.yaml"
CET = timezone(timedelta(hours=1))
START = datetime(2026, 12, 3, 6, 0, tzinfo=CET)


@pytest.fixture
def master() -> MasterData:
    order = Order(
        order="1000001",
        plant="P100",
        material="PUMP-100",
        quantity="20",
        unit="PC",
        storage_location="QI",
        operations=[OrderOperation(operation="0010", work_center="FINAL")],
        components=[
            OrderComponent(
                component="GREASE",
                quantity_per_unit="0.05",
                unit="KG",
                storage_location="STG",
                backflush=True,
            )
        ],
    )
    return load_master_data(SAMPLE).with_plan([order], [])


def confirmation(sequence: int, yield_qty: str, final: bool = False) -> PlantEvent:
    return make_event(
        OperationConfirmed(
            order="1000001",
            operation="0010",
            work_center="FINAL",
            yield_qty=yield_qty,
            unit="PC",
            final=final,
        ),
        id=f"conf-{sequence}",
        source="/plants/P100/lines/FINAL",
        time=START + timedelta(minutes=30 * sequence),
        subject="order/1000001",
        sequence=sequence,
        plant="P100",
    )


def grease_issue(sequence: int, grams: str) -> PlantEvent:
    return make_event(
        MaterialConsumed(
            order="1000001",
            component="GREASE",
            quantity=grams,
            unit="G",
            lot=None,
            storage_location="STG",
        ),
        id=f"issue-{sequence}",
        source="/plants/P100/lines/FINAL",
        time=START + timedelta(minutes=30 * sequence),
        subject="order/1000001",
        sequence=sequence,
        plant="P100",
    )


def sap_confirmation(
    yield_qty: str, final: bool = False, day: str = "2026-12-03", seq: int = 0
) -> dict[str, Any]:
    return {
        "ConfirmationGroup": "1",
        "ConfirmationCount": str(seq),
        "OrderID": "1000001",
        "OrderOperation": "0010",
        "ConfirmationYieldQuantity": yield_qty,
        "ConfirmationScrapQuantity": "0",
        "ConfirmationReworkQuantity": "0",
        "ConfirmationUnit": "PC",
        "FinalConfirmationType": "1" if final else "",
        "PostingDate": day,
        "journal_seq": seq,
    }


def sap_issue(quantity: str, seq: int) -> dict[str, Any]:
    return {
        "MaterialDocument": f"49000000{seq}",
        "PostingDate": "2026-12-03",
        "origin": "api",
        "journal_seq": seq,
        "items": [
            {
                "GoodsMovementType": "261",
                "Material": "RM-GREASE",
                "Plant": "1010",
                "StorageLocation": "0002",
                "Batch": "",
                "QuantityInBaseUnit": quantity,
                "ManufacturingOrder": "1000001",
            }
        ],
    }


def judge(
    master: MasterData,
    events: list[PlantEvent],
    state: dict[str, Any],
    path: PathState | None = None,
) -> dict[str, int]:
    oracle = Oracle(master, events, {"orders": {}, "consumption": []})
    verdict = oracle.judge_sap(state, path or PathState())
    return count_by_kind(verdict.findings)


def test_exact_match_has_no_findings(master: MasterData) -> None:
    events = [
        confirmation(1, "10"),
        grease_issue(2, "250"),
        confirmation(3, "10", True),
    ]
    state = {
        "confirmations": [
            sap_confirmation("10", seq=1),
            sap_confirmation("10", True, seq=3),
        ],
        "material_documents": [sap_issue("0.25", 2)],
    }

    assert sum(judge(master, events, state).values()) == 0


def test_missing_confirmation_is_lost(master: MasterData) -> None:
    events = [confirmation(1, "10"), confirmation(2, "10", True)]
    state = {"confirmations": [sap_confirmation("10", seq=1)]}

    assert judge(master, events, state) == {
        "lost": 1,
        "duplicated": 0,
        "misordered": 0,
        "divergent": 0,
        "late": 0,
        "stuck": 0,
    }


def test_second_copy_is_duplicated(master: MasterData) -> None:
    events = [confirmation(1, "10")]
    state = {
        "confirmations": [sap_confirmation("10", seq=1), sap_confirmation("10", seq=2)]
    }

    counts = judge(master, events, state)

    assert counts["duplicated"] == 1
    assert counts["lost"] == 0


def test_grams_posted_as_kilograms_are_divergent(master: MasterData) -> None:
    events = [grease_issue(1, "250")]
    state = {"material_documents": [sap_issue("250", 1)]}

    oracle = Oracle(master, events, {})
    verdict = oracle.judge_sap(state, PathState())

    assert [f.kind for f in verdict.findings] == ["divergent"]
    assert "quantity: 0.25 → 250" in verdict.findings[0].detail


def test_utc_posting_date_is_divergent(master: MasterData) -> None:
    late_night = make_event(
        OperationConfirmed(
            order="1000001",
            operation="0010",
            work_center="FINAL",
            yield_qty="5",
            unit="PC",
        ),
        id="night",
        source="/plants/P100",
        subject="order/1000001",
        sequence=1,
        time=datetime(2026, 12, 4, 0, 30, tzinfo=CET),
        plant="P100",
    )
    state = {"confirmations": [sap_confirmation("5", day="2026-12-03", seq=1)]}

    verdict = Oracle(master, [late_night], {}).judge_sap(state, PathState())

    assert verdict.findings[0].kind == "divergent"
    assert "posting_date: 2026-12-04 → 2026-12-03" in verdict.findings[0].detail


def test_arrival_against_sequence_is_misordered(master: MasterData) -> None:
    events = [confirmation(1, "10"), confirmation(2, "5")]
    state = {
        "confirmations": [sap_confirmation("5", seq=1), sap_confirmation("10", seq=2)]
    }

    counts = judge(master, events, state)

    assert counts["misordered"] == 1
    assert counts["lost"] == counts["duplicated"] == 0


def test_dead_letter_is_stuck_not_lost(master: MasterData) -> None:
    events = [confirmation(1, "10")]

    counts = judge(
        master, events, {}, PathState(dead_letters={"conf-1": "M7/021 deficit"})
    )

    assert counts["stuck"] == 1
    assert counts["lost"] == 0


def test_never_delivered_is_lost_with_its_event_id(master: MasterData) -> None:
    events = [confirmation(1, "10")]

    verdict = Oracle(master, events, {}).judge_sap({}, PathState())

    assert [(f.kind, f.event_ids) for f in verdict.findings] == [("lost", ["conf-1"])]


def test_open_post_processing_is_stuck(master: MasterData) -> None:
    state = {
        "post_processing": [
            {
                "OrderID": "1000001",
                "Material": "RM-GREASE",
                "message": "M7/021 deficit of 0.5 KG",
            }
        ]
    }

    verdict = Oracle(master, [], {}).judge_sap(state, PathState())

    assert [f.kind for f in verdict.findings] == ["stuck"]
    assert "COGI" in verdict.findings[0].detail


def test_backflush_must_match_the_twins_consumption(master: MasterData) -> None:
    ledger = {
        "consumption": [
            {
                "order": "1000001",
                "component": "GREASE",
                "quantity": "500",
                "unit": "G",
                "backflush": True,
                "plant": "P100",
            }
        ]
    }
    backflushed = {**sap_issue("0.5", 1), "origin": "confirmation"}

    clean = Oracle(master, [], ledger).judge_sap(
        {"material_documents": [backflushed]}, PathState()
    )
    twice = Oracle(master, [], ledger).judge_sap(
        {"material_documents": [backflushed, backflushed]}, PathState()
    )

    assert clean.findings == []
    assert [f.kind for f in twice.findings] == ["duplicated"]


def test_latency_objective_marks_late_postings(master: MasterData) -> None:
    events = [confirmation(1, "10")]
    row = {**sap_confirmation("10", seq=1), "received_at": "2026-12-03T05:00:10+00:00"}
    sent = datetime(2026, 12, 3, 5, 0, 0, tzinfo=UTC).timestamp()

    verdict = Oracle(
        master,
        events,
        {},
        sent_at={"conf-1": sent},
        latency_objectives_ms={"confirmation": 5000},
    ).judge_sap({"confirmations": [row]}, PathState())

    assert [f.kind for f in verdict.findings] == ["late"]
    assert verdict.latencies_ms == [10000.0]
