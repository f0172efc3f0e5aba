"""The feeder: the twin's events offered to the plant edge on the plant clock.

Plant time maps to wall time by the scenario's clock (``speed`` plant seconds
per wall second, or as fast as possible). As plant time passes the nemesis
switches faults; the feeder applies the edge faults (duplicates, reordering
within a window, clock skew) before it hands each event to the edge.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Protocol

from contracts import PlantEvent
from harness.nemesis import Nemesis
from harness.scenario import Clock

VIRTUAL_BATCH = 200


class Edge(Protocol):
    """What the feeder needs of a plant edge."""

    def offer(self, event: PlantEvent) -> None: ...

    def pump(self) -> None: ...


class Feeder:
    def __init__(
        self,
        events: list[PlantEvent],
        clock: Clock,
        nemesis: Nemesis,
        edge_for: Callable[[str], Edge],
        seed: int,
    ) -> None:
        self.events = events
        self.clock = clock
        self.nemesis = nemesis
        self.edge_for = edge_for
        self.random = random.Random(seed)
        self.sent_at: dict[str, float] = {}
        self.offered = 0
        self.timeline: list[tuple[float, int]] = []
        self._held: list[PlantEvent] = []
        self._plants = sorted({event.plant for event in events})
        self._started = 0.0

    def run(self, on_progress: Callable[[int], None] | None = None) -> None:
        """Offer every event at its plant time; return when all are offered."""
        self._started = time.monotonic()
        plant_start = self.nemesis.start
        for now, event in self._timeline():
            self._wait_until(now, plant_start)
            self.nemesis.advance(now)
            if event is not None:
                self._feed(event)
                if on_progress is not None:
                    on_progress(1)
            # In virtual time the edges send full batches; on the scaled
            # clock they send as the plant produces, like a real edge.
            if self.clock.mode != "virtual" or event is None or (
                self.offered % VIRTUAL_BATCH == 0
            ):
                self._pump_all()
        self._release_held()
        self.nemesis.finish(self.events[-1].time if self.events else plant_start)
        self._pump_all()

    def _timeline(self) -> Iterator[tuple[datetime, PlantEvent | None]]:
        boundaries = iter(self.nemesis.boundaries())
        boundary = next(boundaries, None)
        for event in self.events:
            while boundary is not None and boundary <= event.time:
                yield boundary, None
                boundary = next(boundaries, None)
            yield event.time, event
        while boundary is not None:
            yield boundary, None
            boundary = next(boundaries, None)

    def _wait_until(self, now: datetime, plant_start: datetime) -> None:
        if self.clock.mode == "virtual":
            return
        due = self._started + (now - plant_start).total_seconds() / self.clock.speed
        while (pause := due - time.monotonic()) > 0:
            time.sleep(min(pause, 0.05))
            self._pump_all()

    def _feed(self, event: PlantEvent) -> None:
        faults = self.nemesis.edge
        skew = faults.skew.get(event.plant, faults.skew.get("*"))
        if skew:
            event = event.model_copy(update={"time": event.time + skew})
        if faults.reorder_window:
            self._held.append(event)
            if len(self._held) >= faults.reorder_window:
                self._release_held()
            return
        self._release_held()
        self._offer(event)

    def _release_held(self) -> None:
        held, self._held = self._held, []
        self.random.shuffle(held)
        for event in held:
            self._offer(event)

    def _offer(self, event: PlantEvent) -> None:
        edge = self.edge_for(event.plant)
        self.sent_at.setdefault(event.id, time.time())
        edge.offer(event)
        if self.nemesis.edge.duplicate:
            edge.offer(event)
        self.offered += 1
        self.timeline.append((time.monotonic() - self._started, self.offered))

    def _pump_all(self) -> None:
        for plant in self._plants:
            self.edge_for(plant).pump()
