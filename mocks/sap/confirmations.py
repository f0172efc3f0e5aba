"""Order confirmations (``ProdnOrdConf2``), backflush and post-processing.

A confirmation (SAP ``AFRU``; Odoo: a ``mrp.workorder``'s produced quantity)
reports yield, scrap and rework for one operation. It is numbered by
confirmation group (one per order operation) and counter. Its goods
movements are posted with it: those sent inline in
``to_ProdnOrdConfMatlDocItm`` or, when none are sent and the order's last
operation is confirmed, the backflushed components
(``quantity_per_unit × (yield + scrap)``, FIFO over batches). A movement that
fails does not reject the confirmation: it is parked in the post-processing
list (SAP's COGI) and posted later by ``reprocess``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from mocks.sap import errors
from mocks.sap.goods_movements import Movement, movement_from_item
from mocks.sap.orders import ProductionOrder
from mocks.sap.state import ParkedMovement, SapState
from mocks.sap.stock import StockKey, deficit

_ZERO = Decimal(0)


def confirm(state: SapState, data: dict[str, Any], user: str) -> dict[str, Any]:
    """Check and record one confirmation; returns its ``ProdnOrdConf2`` row."""
    master = state.require_master()
    for name in ("OrderID", "OrderOperation"):
        if not data.get(name):
            raise errors.required(name)
    order = state.order(data["OrderID"])
    order.check_confirmable()
    operation = order.operation(data["OrderOperation"])
    unit = str(data.get("ConfirmationUnit") or order.unit)
    reason = data.get("VarianceReasonCode")
    if reason and master.variance_reasons and reason not in master.variance_reasons:
        raise errors.business(
            errors.UNKNOWN_VARIANCE_REASON,
            f"Reason for variance {reason} is not defined for plant {order.plant}",
            "VarianceReasonCode")
    quantities = {
        name: data.get(name) or _ZERO
        for name in ("ConfirmationYieldQuantity", "ConfirmationScrapQuantity",
                     "ConfirmationReworkQuantity")
    }
    for name, value in quantities.items():
        if value < 0:
            raise errors.bad_input(name, f"'{value}' must not be negative")
    base = {
        name: master.to_base(order.material, value, unit, "ConfirmationUnit")
        for name, value in quantities.items()
    }
    posting_date = data.get("PostingDate") or _today()
    state.check_period(posting_date)
    _check_over_confirmation(state, order, operation.confirmed_yield,
                             base["ConfirmationYieldQuantity"])

    final = data.get("FinalConfirmationType") == "1" or bool(
        data.get("IsFinalConfirmation"))
    group = order.confirmation_group.get(operation.operation)
    if group is None:
        group = f"{state.book.next('confirmation_group'):010d}"
        order.confirmation_group[operation.operation] = group
    count = f"{state.book.next('count:' + group):08d}"
    operation.confirmed_yield += base["ConfirmationYieldQuantity"]
    operation.confirmed_scrap += base["ConfirmationScrapQuantity"]
    operation.final = operation.final or final
    if operation.operation == order.last_operation:
        order.confirmed_yield += base["ConfirmationYieldQuantity"]
    order.update_status()

    now = datetime.now(UTC)
    row: dict[str, Any] = {
        key: value for key, value in data.items()
        if key != "to_ProdnOrdConfMatlDocItm"
    }
    row.update(
        ConfirmationGroup=group, ConfirmationCount=count, OrderID=order.order,
        OrderOperation=operation.operation, Material=order.material,
        Plant=order.plant, WorkCenter=operation.work_center,
        OrderPlannedTotalQty=order.quantity, ProductionUnit=order.unit,
        ConfirmationUnit=unit, FinalConfirmationType="1" if final else "",
        IsFinalConfirmation=final, IsReversed=False, IsReversal=False,
        PostingDate=posting_date, ConfirmationEntryDate=_midnight(now),
        ConfirmationEntryTime=now.time().replace(microsecond=0),
        EnteredByUser=user[:12], received_at=now.isoformat(),
        material_documents=[], **quantities,
    )
    row["journal_seq"] = state.book.next("posting")
    movements = _movements(state, order, data, base)
    row["material_documents"] = _post_or_park(state, movements, row, user)
    state.book.confirmations.append(row)
    return row


def _check_over_confirmation(
    state: SapState, order: ProductionOrder, confirmed: Decimal, new: Decimal
) -> None:
    limit = order.quantity * order.base_per_unit * (1 + state.over_tolerance)
    if confirmed + new > limit:
        total = (confirmed + new) / order.base_per_unit
        raise errors.business(
            errors.OVER_CONFIRMATION,
            f"Confirmed yield {format(total, 'f')} exceeds the order "
            f"quantity {format(order.quantity, 'f')} {order.unit} of order "
            f"{order.order} by more than the tolerance "
            f"({format(state.over_tolerance * 100, 'f')}%)",
            "ConfirmationYieldQuantity",
        )


def _movements(
    state: SapState, order: ProductionOrder, data: dict[str, Any],
    base: dict[str, Decimal],
) -> list[Movement | ParkedCause]:
    master = state.require_master()
    inline = data.get("to_ProdnOrdConfMatlDocItm") or []
    result: list[Movement | ParkedCause] = []
    if inline:
        for index, item in enumerate(inline):
            item = {"ManufacturingOrder": order.order, **item}
            path = f"to_ProdnOrdConfMatlDocItm[{index}]"
            result.append(movement_from_item(master, item, path))
        return result
    if data.get("APIConfHasNoGoodsMovements"):
        return result
    if data.get("OrderOperation") != order.last_operation:
        return result
    produced = base["ConfirmationYieldQuantity"] + base["ConfirmationScrapQuantity"]
    order_units = produced / order.base_per_unit
    for component in order.components:
        if not component.backflush:
            continue
        need = master.to_base(component.material,
                              component.quantity_per_unit * order_units,
                              component.unit, "components")
        if need > 0:
            result.extend(_allocate(state, order, component.material,
                                    component.storage_location, need))
    return result


class ParkedCause:
    """A backflush that cannot be allocated now, with SAP's reason."""

    def __init__(self, movement: Movement, message: str) -> None:
        self.movement = movement
        self.message = message


def _allocate(
    state: SapState, order: ProductionOrder, material: str, location: str,
    need: Decimal,
) -> list[Movement | ParkedCause]:
    """Split ``need`` over batches FIFO; park it whole when stock is short."""
    master = state.require_master()
    item = master.material(material)

    def issue(batch: str, quantity: Decimal) -> Movement:
        return Movement("261", material, order.plant, location, batch, quantity,
                        item.base_unit, quantity, item.base_unit, order.order)

    if not item.batch_managed:
        return [issue("", need)]
    batches = state.book.ledger.batches_fifo(material, order.plant, location)
    if sum((qty for _, qty in batches), _ZERO) < need:
        have = sum((qty for _, qty in batches), _ZERO)
        key = StockKey(material, order.plant, location, "", "01")
        return [ParkedCause(issue("", need),
                            _message(deficit(key, need - have, item.base_unit)))]
    movements: list[Movement | ParkedCause] = []
    for batch, available in batches:
        take = min(available, need)
        movements.append(issue(batch, take))
        need -= take
        if need <= 0:
            break
    return movements


def _post_or_park(
    state: SapState, movements: list[Movement | ParkedCause],
    row: dict[str, Any], user: str,
) -> list[str]:
    """Post each movement; park the ones SAP refuses. Returns document keys."""
    posted: list[Movement] = []
    for movement in movements:
        if isinstance(movement, ParkedCause):
            _park(state, movement.movement, movement.message, row)
            continue
        try:
            state.book.ledger.apply(movement.changes(), state.units)
        except errors.ODataError as refusal:
            _park(state, movement, _message(refusal), row)
            continue
        posted.append(movement)
    if not posted:
        return []
    document = state.post(
        posted, posting_date=row["PostingDate"], header_text=row["ConfirmationCount"],
        movement_code="03", origin="confirmation", user=user, applied=True,
    )
    return [f"{document.year}/{document.number}"]


def _park(state: SapState, movement: Movement, message: str,
          row: dict[str, Any]) -> None:
    state.book.parked.append(ParkedMovement(
        id=state.book.next("parked"), movement=movement, message=message,
        confirmation_group=row["ConfirmationGroup"],
        confirmation_count=row["ConfirmationCount"],
        posting_date=row["PostingDate"],
    ))


def reprocess(state: SapState) -> dict[str, int]:
    """Work off the post-processing list once, as SAP's background job does."""
    with state.lock:
        if state.master is None:
            return {"posted": 0, "open": 0}
        posted = 0
        still_open: list[ParkedMovement] = []
        for entry in state.book.parked:
            movement = entry.movement
            try:
                if movement.batch == "" and state.master.material(
                        movement.material).batch_managed:
                    order = state.order(movement.order)
                    allocated = _allocate(state, order, movement.material,
                                          movement.storage_location, movement.quantity)
                    if any(isinstance(m, ParkedCause) for m in allocated):
                        raise errors.business(
                            errors.DEFICIT, _cause(allocated).split(" ", 1)[1])
                    parts = [m for m in allocated if isinstance(m, Movement)]
                else:
                    parts = [movement]
                state.post(parts, posting_date=entry.posting_date,
                           header_text=entry.confirmation_count,
                           movement_code="03", origin="post_processing")
            except errors.ODataError as refusal:
                entry.message = _message(refusal)
                still_open.append(entry)
                continue
            posted += 1
        state.book.parked = still_open
        return {"posted": posted, "open": len(still_open)}


def _message(error: errors.ODataError) -> str:
    return f"{error.code} {error.text}"


def _cause(allocated: list[Movement | ParkedCause]) -> str:
    return next(m.message for m in allocated if isinstance(m, ParkedCause))


def cancel(state: SapState, group: str, count: str, user: str) -> dict[str, Any]:
    """Reverse a confirmation: quantities, its documents, its parked moves."""
    original = next(
        (row for row in state.book.confirmations
         if row["ConfirmationGroup"] == group and row["ConfirmationCount"] == count),
        None,
    )
    if original is None:
        raise errors.business(errors.NOT_FOUND,
                              f"Confirmation {group}/{count} does not exist",
                              "ConfirmationGroup")
    if original["IsReversed"] or original["IsReversal"]:
        raise errors.business(errors.ALREADY_REVERSED,
                              f"Confirmation {group}/{count} is already reversed",
                              "ConfirmationCount")
    order = state.order(original["OrderID"])
    operation = order.operation(original["OrderOperation"])
    master = state.require_master()
    unit = original["ConfirmationUnit"]
    yield_base = master.to_base(order.material, original["ConfirmationYieldQuantity"],
                                unit, "ConfirmationUnit")
    for key in original["material_documents"]:
        year, number = key.split("/")
        state.cancel(year, number, None, user)
    state.book.parked = [
        entry for entry in state.book.parked
        if (entry.confirmation_group, entry.confirmation_count) != (group, count)
    ]
    operation.confirmed_yield -= yield_base
    operation.confirmed_scrap -= master.to_base(
        order.material, original["ConfirmationScrapQuantity"], unit,
        "ConfirmationUnit")
    if original["FinalConfirmationType"] == "1":
        operation.final = False
    if operation.operation == order.last_operation:
        order.confirmed_yield -= yield_base
    order.update_status()
    original["IsReversed"] = True
    now = datetime.now(UTC)
    reversal = dict(original)
    reversal.update(
        ConfirmationCount=f"{state.book.next('count:' + group):08d}",
        IsReversed=False, IsReversal=True, received_at=now.isoformat(),
        ConfirmationEntryDate=_midnight(now), EnteredByUser=user[:12],
        material_documents=[], journal_seq=state.book.next("posting"),
    )
    state.book.confirmations.append(reversal)
    return reversal


def _today() -> datetime:
    return _midnight(datetime.now(UTC))


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)
