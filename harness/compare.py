"""``--compare-clean``: the final ERP state of a faulty run beside a clean one.

Both runs use the same seed, so the twin produced the same events; with a
correct integration path the ERPs must end in the same business state. The
summary keeps what a tester compares (stock per material, location, batch
and stock type; confirmed quantities per order operation; documents per
movement type; open post-processing entries; notifications per equipment),
never document numbers or timestamps, which differ between any two runs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any


def summarize(state: dict[str, Any]) -> dict[str, str]:
    """The comparable business state of SAP, as flat ``key → value`` text."""
    summary: dict[str, Decimal] = defaultdict(Decimal)
    for row in state.get("stock", []):
        key = (
            f"stock {row.get('Material')} {row.get('Plant')}/"
            f"{row.get('StorageLocation')} batch {row.get('Batch') or '-'} "
            f"type {row.get('InventoryStockType') or '-'}"
        )
        summary[key] += Decimal(str(row.get("Quantity", "0")))
    for row in state.get("confirmations", []):
        sign = Decimal(-1) if row.get("IsReversal") else Decimal(1)
        where = f"order {row.get('OrderID')} operation {row.get('OrderOperation')}"
        for name in ("Yield", "Scrap", "Rework"):
            value = row.get(f"Confirmation{name}Quantity", "0") or "0"
            summary[f"confirmed {name.lower()} {where}"] += sign * Decimal(str(value))
    counts: Counter[str] = Counter()
    for document in state.get("material_documents", []):
        if document.get("cancelled"):
            continue
        for item in document.get("items", []):
            counts[f"documents movement type {item.get('GoodsMovementType')}"] += 1
    counts["post-processing entries open"] += len(state.get("post_processing", []))
    for row in state.get("notifications", []):
        counts[
            f"notifications {row.get('TechnicalObject') or row.get('Equipment')}"
        ] += 1
    for key, count in counts.items():
        summary[key] += count
    return {
        key: format(value.normalize(), "f") if value else "0"
        for key, value in sorted(summary.items())
    }


def diff(faulty: dict[str, str], clean: dict[str, str]) -> list[dict[str, str]]:
    """Every key whose value differs, with both values (``-`` when absent)."""
    rows = []
    for key in sorted(set(faulty) | set(clean)):
        left, right = faulty.get(key, "-"), clean.get(key, "-")
        if left != right and {left, right} != {"0", "-"}:
            rows.append({"what": key, "with_faults": left, "clean": right})
    return rows
