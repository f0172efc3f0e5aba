"""Staging an order's components and closing its pallets.

Staging scans every component of the order, lot by lot, from the raw to the
staging location (SAP 311). A closed pallet is reported in the order the
floor does it: the non-backflushed components it used are issued from
staging (SAP 261), each confirmed operation gets its yield, scrap and rework
(the confirmation of the last confirmed operation backflushes the flagged
components in SAP, ``quantity_per_unit × (yield + scrap)``; the ledger
records that consumption), and the good units are received as one lot into
quality inspection (SAP 101), where inspection picks them up.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from contracts import MaterialConsumed, OperationConfirmed, OutputReceived, ScanRecorded
from simulator.floor import Floor, construct
from simulator.quality import inspect_lot

if TYPE_CHECKING:
    from simulator.line import ReleasedOrder


class Outcome(NamedTuple):
    """One unit's fate: the routing step where it was scrapped (if any), the
    scrap reason, and the steps where it needed rework."""

    scrapped_at: int | None
    reason: str | None
    rework: tuple[int, ...]


GOOD = Outcome(None, None, ())
"""A unit that went through every step without scrap or rework."""


def stage_components(floor: Floor, order: ReleasedOrder) -> None:
    """Scan the order's whole component need from raw to staging.

    The scan counts in the unit the bill of material uses (grease in grams,
    bolts by the box) when that is exact to three places, as the label on the
    staged container would; the ledger books base units.
    """
    stock = floor.stock
    storage = floor.spec.storage
    for index, item in enumerate(order.product.bom):
        need = floor.stock.to_base(
            item.component, item.quantity_per_unit * order.quantity, item.unit
        )
        staged = order.staged.setdefault(index, [])
        for part, (lot, quantity) in enumerate(stock.take_raw(item.component, need)):
            unit_hu = f"HU{order.number}{index:02d}{part:02d}"
            label, unit = _label(floor, item.component, quantity, item.unit)
            event = floor.emit(
                construct(
                    ScanRecorded,
                    barcode=unit_hu,
                    handling_unit=unit_hu,
                    material=item.component,
                    lot=lot,
                    from_location=storage.raw,
                    to_location=storage.staging,
                    quantity=label,
                    unit=unit,
                    order=order.number,
                ),
                f"hu/{unit_hu}",
            )
            for location, signed in (
                (storage.raw, -quantity),
                (storage.staging, quantity),
            ):
                stock.move(
                    item.component,
                    lot,
                    location,
                    signed,
                    "transfer",
                    order.number,
                    event.id,
                    event.time,
                )
            staged.append([lot, quantity])


def close_pallet(
    floor: Floor,
    order: ReleasedOrder,
    pallet: int,
    outcomes: list[Outcome],
    final: bool,
) -> None:
    """Report one pallet: issues, confirmations, backflush and receipt."""
    product = order.product
    started = len(outcomes)
    for index, item in enumerate(product.bom):
        if not item.backflush:
            _consume(floor, order, index, item.quantity_per_unit * started, None)

    confirmed = [i for i, op in enumerate(product.routing) if op.confirmed]
    last = confirmed[-1] if confirmed else None
    reaching = started
    for step, operation in enumerate(product.routing):
        scrap = [o for o in outcomes if o.scrapped_at == step]
        rework = sum(1 for o in outcomes if step in o.rework)
        good = reaching - len(scrap)
        truth = order.truth.operations[operation.operation]
        truth.good += good
        truth.scrap += len(scrap)
        truth.rework += rework
        reasons: dict[str, int] = {}
        for outcome in scrap:
            assert outcome.reason is not None
            reasons[outcome.reason] = reasons.get(outcome.reason, 0) + 1
            truth.scrap_reasons[outcome.reason] = (
                truth.scrap_reasons.get(outcome.reason, 0) + 1
            )
        if operation.confirmed:
            event = floor.emit(
                construct(
                    OperationConfirmed,
                    order=order.number,
                    operation=operation.operation,
                    work_center=operation.work_center,
                    yield_qty=Decimal(good),
                    scrap_qty=Decimal(len(scrap)),
                    rework_qty=Decimal(rework),
                    unit=order.truth.unit,
                    final=final,
                    variance_reason=max(reasons, key=reasons.__getitem__)
                    if reasons
                    else None,
                    handling_unit=f"HU{order.number}{pallet:02d}",
                ),
                f"order/{order.number}",
            )
            if step == last:
                for index, item in enumerate(product.bom):
                    if item.backflush:
                        quantity = item.quantity_per_unit * reaching
                        _consume(floor, order, index, quantity, event.id)
        reaching = good

    if reaching > 0:
        _receive(floor, order, pallet, reaching)


def _consume(
    floor: Floor,
    order: ReleasedOrder,
    index: int,
    quantity: Decimal,
    backflush_event: str | None,
) -> None:
    item = order.product.bom[index]
    stock = floor.stock
    unit = stock.base_unit(item.component)
    remaining = floor.stock.to_base(item.component, quantity, item.unit)
    staged = order.staged[index]
    location = floor.spec.storage.staging
    while remaining > 0:
        lot, left = staged[0]
        taken = min(left, remaining)
        remaining -= taken
        if taken == left:
            staged.pop(0)
        else:
            staged[0][1] = left - taken
        if backflush_event is None:
            event = floor.emit(
                construct(
                    MaterialConsumed,
                    order=order.number,
                    component=item.component,
                    quantity=taken,
                    unit=unit,
                    lot=lot,
                    storage_location=location,
                ),
                f"order/{order.number}",
            )
            event_id, when = event.id, event.time
        else:
            event_id, when = backflush_event, floor.clock()
        row_quantity = (
            taken
            if backflush_event is None
            else _in_unit(floor, item.component, taken, item.unit)
        )
        floor.ledger.consumption.append(
            {
                "plant": floor.plant,
                "order": order.number,
                "component": item.component,
                "lot": lot,
                "quantity": row_quantity,
                "unit": unit if backflush_event is None else item.unit,
                "storage_location": location,
                "backflush": backflush_event is not None,
                "event_id": event_id,
                "time": when,
            }
        )
        kind = "issue" if backflush_event is None else "backflush"
        stock.move(
            item.component, lot, location, -taken, kind, order.number, event_id, when
        )


def _in_unit(floor: Floor, material: str, base: Decimal, unit: str) -> Decimal:
    factor = floor.stock.to_base(material, Decimal(1), unit)
    return (base / factor).normalize() + Decimal(0)


def _label(
    floor: Floor, material: str, base: Decimal, unit: str
) -> tuple[Decimal, str]:
    """``base`` in ``unit`` if that is exact to three places, else in base."""
    base_unit = floor.stock.base_unit(material)
    if unit == base_unit:
        return base, base_unit
    quantity = _in_unit(floor, material, base, unit)
    exponent = quantity.as_tuple().exponent
    exact = floor.stock.to_base(material, quantity, unit) == base
    if exact and isinstance(exponent, int) and exponent >= -3:
        return quantity, unit
    return base, base_unit


def _receive(floor: Floor, order: ReleasedOrder, pallet: int, good: int) -> None:
    product = order.product
    lot = f"{order.number}{pallet:02d}"
    first = order.good_done + 1
    order.good_done += good
    serials = (
        [f"SN{order.number}{n:04d}" for n in range(first, first + good)]
        if product.serials
        else []
    )
    quantity = Decimal(good)
    location = floor.spec.storage.quality
    event = floor.emit(
        construct(
            OutputReceived,
            order=order.number,
            material=product.material,
            quantity=quantity,
            unit=order.truth.unit,
            lot=lot,
            storage_location=location,
            serial_numbers=serials,
        ),
        f"order/{order.number}",
    )
    order.truth.output += quantity
    floor.stock.move(
        product.material,
        lot,
        location,
        quantity,
        "receipt",
        order.number,
        event.id,
        event.time,
    )
    floor.env.process(inspect_lot(floor, order.number, product, lot, quantity))
