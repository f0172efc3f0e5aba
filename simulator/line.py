"""A production line at work: orders, units, failures, pallets.

The line takes released orders in turn. It changes over when the material
changes, stages the order's components (raw → staging scans), starts the
order and builds units one at a time, each taking as long as its slowest
station plus any micro-stops. Units are only built inside working periods
(never in breaks or off shift). Each station ages in running time towards
its next failure; when one fails the whole line stops until it is repaired.
A full pallet (or the order's last units) is confirmed operation by
operation, its components consumed, and its good units received as a lot
into quality inspection.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import simpy

from contracts import DowntimeEnded, DowntimeStarted, MaintenanceRequested, OrderStarted
from simulator.floor import Floor, construct
from simulator.ledger import OrderTruth
from simulator.model import MICRO_STOP_LIMIT, Line, Machine, Product
from simulator.pallets import GOOD, Outcome, close_pallet, stage_components

Steps = Generator[Any, Any, bool]
Stop = tuple[str, str, float, float]
CHANGEOVER_REASON = "CHANGEOVER"


@dataclass
class ReleasedOrder:
    number: str
    product: Product
    quantity: int
    truth: OrderTruth
    staged: dict[int, list[list[Any]]] = field(default_factory=dict)
    units_done: int = 0
    good_done: int = 0


class _Station:
    """A machine's age: it fails when the line's running clock reaches
    ``fail_at`` (drawn ``ttf_drawn`` seconds of running after its last repair)."""

    __slots__ = ("machine", "fail_at", "ttf_drawn")

    def __init__(self, machine: Machine, ttf: float) -> None:
        self.machine = machine
        self.fail_at = ttf
        self.ttf_drawn = ttf


class LineRunner:
    """The SimPy process of one line and its stations' state."""

    def __init__(self, floor: Floor, line: Line) -> None:
        self.floor = floor
        self.line = line
        self.env = floor.env
        self.rng = floor.rng
        self.queue: simpy.Store = simpy.Store(floor.env)
        self.periods = floor.plan.working_periods()
        self.waiting_since: float | None = None
        self._period = 0
        self._start = self._end = -1.0
        self._material: str | None = None
        self.stations = [
            _Station(m, self.rng.weibullvariate(m.ttf_scale, m.ttf_shape))
            for m in line.machines
        ]
        self._running = 0.0
        self._next = min(self.stations, key=lambda s: s.fail_at)
        self._cycles = [
            (m.ideal, 1.0 / (m.cycle_time - m.ideal) if m.cycle_time > m.ideal else 0.0)
            for m in line.machines
        ]
        self._scrap_plans: dict[int, list[tuple[float, list[str], list[float], float]]]
        self._scrap_plans = {}
        rates = [m.micro_stop_rate for m in line.machines]
        self._micro_rate = sum(rates) / 3600.0
        self._micro_mean = (
            sum(m.micro_stop_rate * m.micro_stop_mean for m in line.machines)
            / sum(rates)
            if self._micro_rate
            else 0.0
        )
        self._micro_left = (
            self.rng.expovariate(self._micro_rate) if self._micro_rate else 0.0
        )
        self.units: list[tuple[float, bool]] = floor.unit_times.setdefault(
            line.code, []
        )
        self.intervals = floor.intervals.setdefault(line.code, [])
        self.stops: list[Stop] = []
        """Why the line stood, for machine-state logs: state, equipment, span."""

    def release(self, order: ReleasedOrder) -> None:
        self.queue.put(order)

    def run(self) -> Generator[Any, Any, None]:
        """The line's life: take orders until the last working period ends."""
        while True:
            self.waiting_since = self.env.now
            order: ReleasedOrder = yield self.queue.get()
            if self.env.now > self.waiting_since:
                self.intervals.append(("idle", self.waiting_since, self.env.now))
                self.stops.append(("IDLE", "", self.waiting_since, self.env.now))
            self.waiting_since = None
            finished = yield from self._work(order)
            if not finished:
                return

    def _work(self, order: ReleasedOrder) -> Steps:
        changeover = self.line.changeover
        if changeover and self._material not in (None, order.product.material):
            if not (yield from self._changeover(changeover)):
                return False
        self._material = order.product.material
        if not (yield from self._fit(self.line.ideal_cycle)):
            return False

        stage_components(self.floor, order)
        order.truth.started_at = self.floor.clock()
        self.floor.emit(
            construct(
                OrderStarted,
                order=order.number,
                material=order.product.material,
                planned_qty=Decimal(order.quantity),
                unit=order.truth.unit,
                line=self.line.code,
            ),
            f"order/{order.number}",
        )
        pallet = 0
        size = self.line.pallet_size
        while order.units_done < order.quantity:
            pallet += 1
            outcomes: list[Outcome] = []
            wanted = min(size, order.quantity - order.units_done)
            for _ in range(wanted):
                if not (yield from self._build()):
                    break
                outcomes.append(self._outcome(order.product))
            order.units_done += len(outcomes)
            if outcomes:
                final = order.units_done == order.quantity
                close_pallet(self.floor, order, pallet, outcomes, final)
            if len(outcomes) < wanted:
                return False
        order.truth.finished_at = self.floor.clock()
        return True

    def _outcome(self, product: Product) -> Outcome:
        rng = self.rng
        plan = self._scrap_plans.get(id(product))
        if plan is None:
            plan = self._scrap_plans[id(product)] = [
                (
                    operation.scrap.probability,
                    list(operation.scrap.reasons),
                    list(operation.scrap.reasons.values()),
                    operation.rework_probability,
                )
                for operation in product.routing
            ]
        rework: list[int] = []
        for index, (scrap, codes, weights, reworked) in enumerate(plan):
            if scrap and rng.random() < scrap:
                reason = rng.choices(codes, weights=weights)[0]
                self.units.append((self.env.now, False))
                return Outcome(index, reason, tuple(rework))
            if reworked and rng.random() < reworked:
                rework.append(index)
        self.units.append((self.env.now, True))
        return Outcome(None, None, tuple(rework)) if rework else GOOD

    def _build(self) -> Steps:
        """Build one unit; False when the run's working time is over."""
        rng = self.rng
        need = 0.0
        for ideal, rate in self._cycles:
            cycle = ideal + rng.expovariate(rate) if rate else ideal
            if cycle > need:
                need = cycle
        if self._micro_rate:
            left = self._micro_left - need
            while left < 0:
                stop = rng.expovariate(1.0 / self._micro_mean)
                need += min(stop, MICRO_STOP_LIMIT - 1.0)
                left += rng.expovariate(self._micro_rate)
            self._micro_left = left
        env = self.env
        while need > 1e-9:
            now = env.now
            if not (self._start <= now and now + need <= self._end + 1e-9):
                if not (yield from self._fit(need)):
                    return False
            station = self._next
            run = min(need, station.fail_at - self._running)
            yield env.timeout(run)
            self._running += run
            need -= run
            if station.fail_at - self._running <= 1e-9:
                yield from self._breakdown(station)
        return True

    def _fit(self, need: float) -> Steps:
        """Wait until ``need`` seconds fit in a working period."""
        periods = self.periods
        env = self.env
        while self._period < len(periods):
            start, end = self._start, self._end = periods[self._period]
            if env.now >= end:
                self._period += 1
                continue
            if env.now < start:
                yield env.timeout(start - env.now)
            if env.now + need <= end + 1e-9:
                return True
            self.stops.append(("IDLE", "", env.now, end))
            self._period += 1
        return False

    def _changeover(self, duration: float) -> Steps:
        if not (yield from self._fit(duration)):
            return False
        equipment = self.line.machines[0].equipment
        yield from self._stop(equipment, CHANGEOVER_REASON, duration, True, None)
        return True

    def _breakdown(self, station: _Station) -> Generator[Any, Any, None]:
        machine = station.machine
        reason = self.rng.choice(machine.failure_codes)
        repair = self.rng.lognormvariate(machine.ttr_mu, machine.ttr_sigma)
        yield from self._stop(machine.equipment, reason, repair, False, station)
        station.ttf_drawn = self.rng.weibullvariate(
            machine.ttf_scale, machine.ttf_shape
        )
        station.fail_at = self._running + station.ttf_drawn
        self._next = min(self.stations, key=lambda s: s.fail_at)

    def _stop(
        self,
        equipment: str,
        reason: str,
        duration: float,
        planned: bool,
        station: _Station | None,
    ) -> Generator[Any, Any, None]:
        floor = self.floor
        center = self.line.work_center
        downtime_id = f"DT{floor.emitter.plant}{len(floor.ledger.downtime) + 1:06d}"
        subject = f"equipment/{equipment}"
        started = floor.emit(
            construct(
                DowntimeStarted,
                downtime_id=downtime_id,
                work_center=center,
                equipment=equipment,
                reason=reason,
                planned=planned,
            ),
            subject,
        )
        row: dict[str, Any] = {
            "plant": floor.plant,
            "downtime_id": downtime_id,
            "work_center": center,
            "line": self.line.code,
            "equipment": equipment,
            "reason": reason,
            "planned": planned,
            "start": started.time,
            "end": None,
            "duration_s": round(duration, 3),
            "run_time_to_failure_s": (
                round(station.ttf_drawn, 3) if station is not None else None
            ),
            "event_ids": [started.id],
        }
        floor.ledger.downtime.append(row)
        if station is not None:
            self._request_maintenance(equipment, reason, downtime_id)
        begin = self.env.now
        yield self.env.timeout(duration)
        self.intervals.append(
            ("changeover" if planned else "down", begin, self.env.now)
        )
        self.stops.append(
            ("SETUP" if planned else "DOWN", equipment, begin, self.env.now)
        )
        ended = floor.emit(
            construct(
                DowntimeEnded,
                downtime_id=downtime_id,
                work_center=center,
                equipment=equipment,
                reason=reason,
                planned=planned,
                started_at=started.time,
            ),
            subject,
        )
        row["end"] = ended.time
        row["event_ids"].append(ended.id)

    def _request_maintenance(self, equipment: str, reason: str, downtime: str) -> None:
        floor = self.floor
        request_id = "MR" + downtime.removeprefix("DT")
        event = floor.emit(
            construct(
                MaintenanceRequested,
                request_id=request_id,
                equipment=equipment,
                work_center=self.line.work_center,
                failure_code=reason,
                priority=2,
                machine_down=True,
                description=f"{reason} on {equipment}"[:40],
            ),
            f"equipment/{equipment}",
        )
        floor.ledger.maintenance.append(
            {
                "plant": floor.plant,
                "request_id": request_id,
                "equipment": equipment,
                "work_center": self.line.work_center,
                "failure_code": reason,
                "priority": 2,
                "machine_down": True,
                "downtime_id": downtime,
                "time": event.time,
                "event_id": event.id,
            }
        )
