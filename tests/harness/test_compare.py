"""``--compare-clean``: what differs between two final SAP states."""

from __future__ import annotations

from typing import Any

from harness.compare import diff, summarize


def _state(stock: str, yield_qty: str, reversed_too: bool = False) -> dict[str, Any]:
    confirmations = [
        {
            "OrderID": "1000001",
            "OrderOperation": "0010",
            "ConfirmationYieldQuantity": yield_qty,
            "ConfirmationScrapQuantity": "1",
        },
    ]
    if reversed_too:
        confirmations.append(
            {
                "OrderID": "1000001",
                "OrderOperation": "0010",
                "IsReversal": True,
                "ConfirmationYieldQuantity": yield_qty,
                "ConfirmationScrapQuantity": "1",
            }
        )
    return {
        "stock": [
            {
                "Material": "RM-BOLT-M8",
                "Plant": "1010",
                "StorageLocation": "0002",
                "Batch": "",
                "Quantity": stock,
            }
        ],
        "confirmations": confirmations,
        "material_documents": [
            {"cancelled": False, "items": [{"GoodsMovementType": "261"}]},
            {"cancelled": True, "items": [{"GoodsMovementType": "261"}]},
        ],
        "post_processing": [],
    }


def test_equal_business_state_has_no_differences() -> None:
    # Document numbers and times differ between runs; the business does not.
    assert diff(summarize(_state("40.000", "8")), summarize(_state("40", "8.0"))) == []


def test_stock_and_confirmation_differences_are_named_with_both_values() -> None:
    rows = diff(summarize(_state("32", "16")), summarize(_state("40", "8")))

    assert {row["what"]: (row["with_faults"], row["clean"]) for row in rows} == {
        "stock RM-BOLT-M8 1010/0002 batch - type -": ("32", "40"),
        "confirmed yield order 1000001 operation 0010": ("16", "8"),
    }


def test_a_reversal_cancels_its_confirmation_and_cancelled_documents_do_not_count() -> (
    None
):
    summary = summarize(_state("40", "8", reversed_too=True))

    assert summary["confirmed yield order 1000001 operation 0010"] == "0"
    assert summary["documents movement type 261"] == "1"
