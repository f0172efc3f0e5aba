"""One plant's run: its calendar, order release, lines and closing books.

Each plant runs in its own SimPy environment with its own random stream
(derived from the run's seed and the plant code), so plants are independent
and a multi-plant run gives the same events whether its plants run in one
process or many.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Generator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import simpy
import simpy.rt

from contracts import (
    Order,
    OrderComponent,
    OrderOperation,
    PlantEvent,
    ShiftEnded,
    ShiftStarted,
    StockBalance,
)
from simulator.calendar import plan_shifts
from simulator.crews import roster
from simulator.floor import Emitter, Floor, Listener, construct
from simulator.ledger import Ledger, OperationTruth, OrderTruth
from simulator.line import LineRunner, ReleasedOrder
from simulator.loading import PlantModel
from simulator.machinelog import LineTimeline
from simulator.oee import shift_rows
from simulator.stock import Stock

DEFAULT_START = date(2026, 11, 30)
"""A Monday; runs start here unless the model or the caller says otherwise."""


@dataclass
class PlantResult:
    plant: str
    index: int
    events: list[PlantEvent]
    ledger: Ledger
    orders: list[Order]
    opening_stock: list[StockBalance]
    start: datetime
    sim_events: int
    timelines: list[LineTimeline]


class _CountingEnvironment(simpy.Environment):
    """Counts the SimPy events it processes (for the benchmark)."""

    steps = 0

    def step(self) -> None:
        self.steps += 1
        super().step()


class _CountingRealtime(simpy.rt.RealtimeEnvironment):
    steps = 0

    def step(self) -> None:
        self.steps += 1
        super().step()


def plant_seed(seed: int, plant: str) -> int:
    """A plant's own seed, stable across Python versions and processes."""
    digest = hashlib.sha256(f"{seed}:{plant}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def run_plant(
    model: PlantModel,
    index: int,
    shifts: int,
    seed: int,
    start: date | None = None,
    speed: float | None = None,
    listener: Listener | None = None,
) -> PlantResult:
    """Simulate plant ``index`` of ``model`` for ``shifts`` worked shifts.

    ``speed`` runs in scaled real time (plant seconds per wall second);
    ``None`` runs as fast as possible. ``listener`` sees each event as it
    happens.
    """
    spec = model.plants[index]
    first_day = start or model.start or DEFAULT_START
    plan = plan_shifts(
        spec.calendar, model.timezone(spec.code), first_day, shifts, spec.crews.count
    )
    env: simpy.Environment
    if speed is None:
        env = _CountingEnvironment()
    else:
        env = _CountingRealtime(factor=1.0 / speed, strict=False)
    ledger = Ledger()
    emitter = Emitter(spec.code, seed, plan)
    if listener is not None:
        emitter.listen(listener)
    stock = Stock(
        spec.code,
        index,
        model.master,
        ledger,
        spec.storage.raw,
        spec.raw_lot_size,
    )
    floor = Floor(
        env=env,
        rng=random.Random(plant_seed(seed, spec.code)),
        spec=spec,
        master=model.master,
        plan=plan,
        stock=stock,
        ledger=ledger,
        emitter=emitter,
        plant_index=index,
    )
    runners = {line.code: LineRunner(floor, line) for line in spec.lines}
    orders: list[Order] = []
    env.process(_calendar(floor, runners, orders))
    for runner in runners.values():
        env.process(runner.run())
    env.run()

    _close_books(floor, runners)
    ledger.crews.update(roster(spec.code, spec.crews, plant_seed(seed, spec.code)))
    return PlantResult(
        plant=spec.code,
        index=index,
        events=emitter.events,
        ledger=ledger,
        orders=orders,
        opening_stock=list(stock.opening),
        start=plan.clock(0.0),
        sim_events=getattr(env, "steps", 0),
        timelines=[
            LineTimeline(
                plant=spec.code,
                line=runner.line.code,
                equipment=tuple(m.equipment for m in runner.line.machines),
                plan=plan,
                stops=runner.stops,
                units=runner.units,
            )
            for runner in runners.values()
        ],
    )


def _calendar(
    floor: Floor, runners: dict[str, LineRunner], orders: list[Order]
) -> Generator[Any, Any, None]:
    env = floor.env
    subject = f"shift/{floor.plant}"
    count = 0
    for shift in floor.plan.shifts:
        yield env.timeout(shift.start - env.now)
        floor.emit(
            construct(
                ShiftStarted,
                shift=shift.shift,
                crew=shift.crew,
                planned_end=floor.clock(shift.end),
            ),
            subject,
        )
        floor.ledger.shifts.append(
            {
                "plant": floor.plant,
                "shift": shift.shift,
                "crew": shift.crew,
                "start": floor.clock(shift.start),
                "end": floor.clock(shift.end),
                "working": [
                    [floor.clock(begin), floor.clock(stop)]
                    for begin, stop in shift.working
                ],
            }
        )
        for product in floor.spec.products:
            count += 1
            order = _release(floor, product, count)
            orders.append(_as_contract(floor, order))
            runners[product.line].release(order)
        yield env.timeout(shift.end - env.now)
        floor.emit(construct(ShiftEnded, shift=shift.shift, crew=shift.crew), subject)


def _release(floor: Floor, product: Any, count: int) -> ReleasedOrder:
    number = f"{(floor.plant_index + 1) % 100:02d}{count:06d}"
    unit = floor.stock.base_unit(product.material)
    truth = OrderTruth(
        plant=floor.plant,
        material=product.material,
        line=product.line,
        planned_qty=product.per_shift,
        unit=unit,
        released_at=floor.clock(),
        operations={
            op.operation: OperationTruth(op.work_center, op.confirmed)
            for op in product.routing
        },
    )
    floor.ledger.orders[number] = truth
    return ReleasedOrder(number, product, product.per_shift, truth)


def _as_contract(floor: Floor, order: ReleasedOrder) -> Order:
    storage = floor.spec.storage
    return Order(
        order=order.number,
        plant=floor.plant,
        material=order.product.material,
        quantity=Decimal(order.quantity),
        unit=order.truth.unit,
        storage_location=storage.quality,
        operations=[
            OrderOperation(
                operation=op.operation,
                work_center=op.work_center,
                confirmed=op.confirmed,
            )
            for op in order.product.routing
        ],
        components=[
            OrderComponent(
                component=item.component,
                quantity_per_unit=item.quantity_per_unit,
                unit=item.unit,
                storage_location=storage.staging,
                backflush=item.backflush,
            )
            for item in order.product.bom
        ],
    )


def _close_books(floor: Floor, runners: dict[str, LineRunner]) -> None:
    end = floor.plan.end
    for runner in runners.values():
        if runner.waiting_since is not None and runner.waiting_since < end:
            runner.intervals.append(("idle", runner.waiting_since, end))
        line = runner.line
        floor.ledger.oee.extend(
            shift_rows(
                floor.plant,
                line.work_center,
                line.code,
                line.ideal_cycle,
                floor.plan.shifts,
                runner.intervals,
                runner.units,
            )
        )
