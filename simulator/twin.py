"""Running the twin: one or many plants, in virtual or scaled real time.

``simulate`` returns a ``TwinRun``: the plant events in plant-time order
(across plants by instant), the ground-truth ledger, the production orders
SAP released for the run, and the opening stock that covers it. The same
model, shift count and seed give the same run, whatever the process count
and whether time is virtual or scaled real time.
"""

from __future__ import annotations

import gc
import heapq
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from contracts import Order, PlantEvent, StockBalance
from contracts.payloads import Payload
from simulator.errors import SimulatorError
from simulator.floor import envelope, restore
from simulator.ledger import Ledger
from simulator.loading import PlantModel
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
    if speed is not None:
        return _combine(_realtime(model, shifts, seed, start, speed, on_event))
    with _collector_paused():
        results = _virtual(
            model, shifts, seed, start, processes, on_event, on_plant_done
        )
        return _combine(results)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a virtual-time run.

    A run builds hundreds of thousands of long-lived events and ledger rows
    and almost no reference cycles; with the collector on, each collection
    walks all of them again, which costs about as much as the simulation.
    Reference counting still frees everything; the collector resumes (if it
    was on) when the run is done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _virtual(
    model: PlantModel,
    shifts: int,
    seed: int,
    start: date | None,
    processes: int,
    on_event: Callable[[PlantEvent], None] | None,
    on_plant_done: Callable[[str], None] | None,
) -> list[PlantResult]:
    indexes = range(len(model.plants))
    results: list[PlantResult]
    if processes > 1 and len(model.plants) > 1:
        workers = min(processes, len(model.plants))
        with ProcessPoolExecutor(
            workers, initializer=_adopt, initargs=(model,)
        ) as pool:
            futures = [
                pool.submit(_run_packed, index, shifts, seed, start)
                for index in indexes
            ]
            results = []
            for future in futures:
                results.append(_unpack(*future.result()))
                if on_plant_done is not None:
                    on_plant_done(results[-1].plant)
    else:
        results = []
        for index in indexes:
            results.append(run_plant(model, index, shifts, seed, start, None, on_event))
            if on_plant_done is not None:
                on_plant_done(results[-1].plant)
    return results


_worker_model: PlantModel | None = None
"""The model a worker process simulates plants of (set once per worker)."""

_Packed = tuple[type[Payload], dict[str, Any], set[str], str, datetime, str, int]


def _adopt(model: PlantModel) -> None:
    global _worker_model
    _worker_model = model


def _run_packed(
    index: int, shifts: int, seed: int, start: date | None
) -> tuple[PlantResult, list[_Packed]]:
    """Run one plant in a worker; its events go back as plain tuples, which
    cross the process boundary several times faster than pydantic models."""
    assert _worker_model is not None
    with _collector_paused():
        result = run_plant(_worker_model, index, shifts, seed, start)
    packed = [
        (
            type(event.data),
            event.data.__dict__,
            event.data.__pydantic_fields_set__,
            event.id,
            event.time,
            event.subject,
            event.sequence,
        )
        for event in result.events
    ]
    return replace(result, events=[]), packed


def _unpack(result: PlantResult, packed: list[_Packed]) -> PlantResult:
    source = f"/plants/{result.plant}/twin"
    plant = result.plant
    result.events = [
        envelope(
            event_id,
            source,
            time,
            subject,
            sequence,
            plant,
            restore(payload, fields, fields_set),
        )
        for payload, fields, fields_set, event_id, time, subject, sequence in packed
    ]
    return result


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
