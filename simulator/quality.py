"""Quality inspection and put-away of output lots.

Each output lot waits in quality inspection (QI) for its inspection; the
inspector samples units, measures each characteristic and decides: no
sampled unit out of limits accepts the lot, up to ``hold_max`` holds it,
more rejects it. After the put-away delay an accepted lot is scanned to
finished goods, a held lot to blocked stock, and a rejected lot is scrapped
from QI. (SAP: inspection lot and usage decision, 311 and 551; Odoo:
``quality.check`` and internal or scrap moves.)
"""

from __future__ import annotations

from collections.abc import Generator
from decimal import Decimal
from typing import Any

from contracts import Characteristic, QualityInspected, ScanRecorded, ScrapDeclared
from simulator.floor import Floor, construct
from simulator.model import InspectionPlan, Product

REJECT_REASON = "QI-REJECT"
_DEFAULT_PUTAWAY = 600.0


def inspect_lot(
    floor: Floor, order: str, product: Product, lot: str, quantity: Decimal
) -> Generator[Any, Any, None]:
    """SimPy process: inspect ``lot`` in QI, decide, then put it away."""
    plan = product.inspection
    unit = floor.stock.base_unit(product.material)
    storage = floor.spec.storage
    decision = "accept"
    if plan is not None:
        yield floor.env.timeout(plan.delay)
        decision, measured = _measure(floor, plan)
        event = floor.emit(
            construct(
                QualityInspected,
                lot=lot,
                material=product.material,
                order=order,
                quantity=quantity,
                unit=unit,
                characteristics=measured,
                decision=decision,
            ),
            f"lot/{lot}",
        )
        floor.ledger.inspections.append(
            {
                "plant": floor.plant,
                "lot": lot,
                "order": order,
                "material": product.material,
                "quantity": quantity,
                "unit": unit,
                "decision": decision,
                "characteristics": [c.model_dump(mode="json") for c in measured],
                "time": event.time,
                "event_id": event.id,
            }
        )
    yield floor.env.timeout(plan.putaway if plan is not None else _DEFAULT_PUTAWAY)

    # Known gap: a rejected lot is always scrapped; sending it to rework needs
    # a disposition the contract's quality.inspected.v1 does not carry yet.
    if decision == "reject":
        event = floor.emit(
            construct(
                ScrapDeclared,
                order=order,
                material=product.material,
                quantity=quantity,
                unit=unit,
                reason_code=REJECT_REASON,
                lot=lot,
                storage_location=storage.quality,
            ),
            f"lot/{lot}",
        )
        floor.stock.move(
            product.material,
            lot,
            storage.quality,
            -quantity,
            "scrap",
            order,
            event.id,
            event.time,
        )
        return
    target = storage.finished if decision == "accept" else storage.blocked
    unit_hu = f"HU{lot}"
    event = floor.emit(
        construct(
            ScanRecorded,
            barcode=unit_hu,
            handling_unit=unit_hu,
            material=product.material,
            lot=lot,
            from_location=storage.quality,
            to_location=target,
            quantity=quantity,
            unit=unit,
            order=order,
        ),
        f"hu/{unit_hu}",
    )
    for location, signed in ((storage.quality, -quantity), (target, quantity)):
        floor.stock.move(
            product.material,
            lot,
            location,
            signed,
            "transfer",
            order,
            event.id,
            event.time,
        )


def _measure(floor: Floor, plan: InspectionPlan) -> tuple[str, list[Characteristic]]:
    rng = floor.rng
    nonconforming = 0
    sums = [0.0] * len(plan.characteristics)
    for _ in range(plan.sample_size):
        bad = False
        for index, spec in enumerate(plan.characteristics):
            value = rng.gauss(float(spec.target), spec.sd)
            sums[index] += value
            if not float(spec.lower) <= value <= float(spec.upper):
                bad = True
        nonconforming += bad
    if nonconforming == 0:
        decision = "accept"
    elif nonconforming <= plan.hold_max:
        decision = "hold"
    else:
        decision = "reject"
    measured = []
    for index, spec in enumerate(plan.characteristics):
        exponent = spec.target.as_tuple().exponent
        places = Decimal(1).scaleb((exponent if isinstance(exponent, int) else 0) - 1)
        mean = Decimal(repr(sums[index] / plan.sample_size)).quantize(places)
        measured.append(
            construct(
                Characteristic,
                name=spec.name,
                value=mean,
                lower_limit=spec.lower,
                upper_limit=spec.upper,
                target=spec.target,
                unit=spec.unit,
            )
        )
    return decision, measured
