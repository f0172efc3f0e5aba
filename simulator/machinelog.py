"""Machine-state logs of a twin run, the way a retrofit data logger writes them.

A logger bolted onto an old machine polls it every ``bucket`` seconds and
writes one CSV row per machine and poll: ``timestamp`` (plant local time with
offset), ``machine``, ``state`` at that instant, and ``count``, the units the
machine completed since the previous poll. States:

- ``RUN``: the line is working;
- ``DOWN``: this machine has failed and is being repaired;
- ``STOPPED``: another machine of the line has failed;
- ``SETUP``: changeover between materials;
- ``IDLE``: inside a working period but nothing to do (no order, or too
  little time left before a break for another unit);
- ``OFF``: break, shift end, weekend or holiday.

``plantwin calibrate`` reads exactly this shape, so a twin run can be turned
into a log and fitted back into a plant model.
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from simulator.calendar import ShiftPlan

HEADER = ("timestamp", "machine", "state", "count")


@dataclass(frozen=True)
class LineTimeline:
    """What one line did over a run: its stops and the instants units were done.

    ``stops`` are ``(state, equipment, begin, end)`` in run seconds, with
    ``equipment`` empty for stops of the whole line; ``units`` are
    ``(instant, good)`` in time order.
    """

    plant: str
    line: str
    equipment: tuple[str, ...]
    plan: ShiftPlan
    stops: list[tuple[str, str, float, float]]
    units: list[tuple[float, bool]]


def write_machine_log(
    timelines: Iterable[LineTimeline], file: TextIO, bucket: float = 60.0
) -> int:
    """Write the CSV log of every machine of ``timelines``; return the rows."""
    if not bucket > 0:
        raise ValueError(f"bucket: {bucket!r} must be a positive number of seconds")
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(HEADER)
    rows = 0
    for timeline in timelines:
        for row in _line_rows(timeline, bucket):
            writer.writerow(row)
            rows += 1
    return rows


def _line_rows(timeline: LineTimeline, bucket: float) -> Iterator[tuple[str, ...]]:
    plan = timeline.plan
    periods = plan.working_periods()
    stops = sorted(
        (stop for stop in timeline.stops if stop[3] > stop[2]), key=lambda s: s[2]
    )
    done = [instant for instant, _ in timeline.units]
    polls = int(plan.end // bucket) + 1
    period = stop = 0
    previous = 0
    for index in range(polls):
        now = index * bucket
        while period < len(periods) and periods[period][1] <= now:
            period += 1
        while stop < len(stops) and stops[stop][3] <= now:
            stop += 1
        working = period < len(periods) and periods[period][0] <= now
        current = stops[stop] if stop < len(stops) and stops[stop][2] <= now else None
        completed = bisect_right(done, now)
        count = completed - previous if index else 0
        previous = completed
        stamp = plan.clock(now).isoformat()
        for equipment in timeline.equipment:
            state = _state(current, equipment, working)
            yield stamp, equipment, state, str(count)


def _state(
    stop: tuple[str, str, float, float] | None, equipment: str, working: bool
) -> str:
    if stop is not None:
        kind, failed = stop[0], stop[1]
        if kind == "DOWN":
            return "DOWN" if failed == equipment else "STOPPED"
        if kind == "SETUP":
            return "SETUP"
    if not working:
        return "OFF"
    return "IDLE" if stop is not None else "RUN"
