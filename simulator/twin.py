"""Running the twin: one or many plants, in virtual or scaled real time.

``simulate`` returns a ``TwinRun``: the plant events in plant-time order
(across plants by instant), the ground-truth ledger, the production orders
SAP released for the run, and the opening stock that covers it. The same
model, shift count and seed give the same run, whatever the process count
and whether time is virtual or scaled real time.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from contracts import Order, PlantEvent, StockBalance
from simulator.errors import SimulatorError
from simulator.ledger import Ledger
from simulator.loading import PlantModel, load_plant_model
from simulator.machinelog import LineTimeline
from simulator.plant import PlantResult, run_plant


@dataclass
class TwinRun:
    """What the twin produced: events, truth, and the plan behind them."""

    events: list[PlantEvent]
    ledger: Ledger
    orders: list[Order]
    opening_stock: list[StockBalance]
    start: datetime
    sim_events: int = 0
    timelines: list[LineTimeline] = field(default_factory=list)
    """Per line: its stops and finished units (for machine-state logs)."""

    def to_jsonl(self) -> str:
        """One event per line, compact JSON with sorted keys."""
        return "".join(event.to_json() + "\n" for event in self.events)


def simulate(
    model: PlantModel,
    *,
    shifts: int,
    seed: int,
    start: date | None = None,
    processes: int = 1,
    speed: float | None = None,
    on_event: Callable[[PlantEvent], None] | None = None,
    on_plant_done: Callable[[str], None] | None = None,
) -> TwinRun:
    """Run every plant of ``model`` for ``shifts`` worked shifts.

    ``processes`` > 1 runs plants in parallel worker processes (virtual time
    only). ``speed`` runs in scaled real time, ``speed`` plant seconds per
    wall second (3600 is one plant hour a second); plants then run in
    threads and ``on_event`` is called from those threads as events happen.
    """
    if shifts < 1:
        raise SimulatorError(f"shifts: {shifts!r} must be at least 1")
    if speed is not None and not speed > 0:
        raise SimulatorError(f"speed: {speed!r} must be a positive number")
    indexes = range(len(model.plants))
    results: list[PlantResult]
    if speed is not None:
        results = _realtime(model, shifts, seed, start, speed, on_event)
    elif processes > 1 and len(model.plants) > 1:
        with ProcessPoolExecutor(max_workers=processes) as pool:
            futures = [
                pool.submit(_run_from_file, str(model.source), i, shifts, seed, start)
                for i in indexes
            ]
            results = []
            for future in futures:
                results.append(future.result())
                if on_plant_done is not None:
                    on_plant_done(results[-1].plant)
    else:
        results = []
        for index in indexes:
            results.append(run_plant(model, index, shifts, seed, start, None, on_event))
            if on_plant_done is not None:
                on_plant_done(results[-1].plant)
    return _combine(results)


def _run_from_file(
    source: str, index: int, shifts: int, seed: int, start: date | None
) -> PlantResult:
    return run_plant(load_plant_model(Path(source)), index, shifts, seed, start)


def _realtime(
    model: PlantModel,
    shifts: int,
    seed: int,
    start: date | None,
    speed: float,
    on_event: Callable[[PlantEvent], None] | None,
) -> list[PlantResult]:
    results: dict[int, PlantResult] = {}
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            results[index] = run_plant(
                model, index, shifts, seed, start, speed, on_event
            )
        except BaseException as exc:  # re-raised in the caller's thread
            failures.append(exc)

    threads = [
        threading.Thread(target=work, args=(index,), name=f"twin-{plant.code}")
        for index, plant in enumerate(model.plants)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return [results[index] for index in sorted(results)]


def _combine(results: list[PlantResult]) -> TwinRun:
    ledger = Ledger()
    orders: list[Order] = []
    opening: list[StockBalance] = []
    timelines: list[LineTimeline] = []
    for result in results:
        ledger.merge(result.ledger)
        orders.extend(result.orders)
        opening.extend(result.opening_stock)
        timelines.extend(result.timelines)
    events = list(heapq.merge(*(r.events for r in results), key=_instant))
    start = min((r.start for r in results), key=lambda moment: moment.timestamp())
    return TwinRun(
        events=events,
        ledger=ledger,
        orders=orders,
        opening_stock=opening,
        start=start,
        sim_events=sum(r.sim_events for r in results),
        timelines=timelines,
    )


def _instant(event: PlantEvent) -> Any:
    return event.time.timestamp()
