"""Overall equipment effectiveness per work center and shift.

OEE = availability × performance × quality, from the twin's own state:

- planned time: the shift's working periods (breaks excluded), less the
  time the line stood idle for want of an order;
- availability: operating time / planned time, where operating time is
  planned time less breakdowns and changeovers;
- performance: ideal cycle × units built / operating time (micro-stops,
  slow cycles and the tail of a period too short for another unit are
  performance losses);
- quality: good units / units built (1 when nothing was built).

Each factor is clamped to [0, 1]: a unit interrupted by a breakdown may be
finished in the next shift and count there.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import Any

from simulator.calendar import ShiftWindow

Interval = tuple[str, float, float]


def oee(
    planned: float,
    downtime: float,
    changeover: float,
    idle: float,
    ideal_cycle: float,
    total: int,
    good: int,
) -> dict[str, float]:
    """The OEE factors of one work center in one shift (times in seconds)."""
    loaded = max(planned - idle, 0.0)
    operating = max(loaded - downtime - changeover, 0.0)
    availability = operating / loaded if loaded > 0 else 0.0
    performance = ideal_cycle * total / operating if operating > 0 else 0.0
    quality = good / total if total else 1.0
    availability, performance, quality = (
        min(max(value, 0.0), 1.0) for value in (availability, performance, quality)
    )
    return {
        "availability": round(availability, 6),
        "performance": round(performance, 6),
        "quality": round(quality, 6),
        "oee": round(availability * performance * quality, 6),
    }


def overlap(periods: Iterable[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of ``[start, end)`` that fall inside ``periods``."""
    return sum(max(0.0, min(end, stop) - max(start, begin)) for begin, stop in periods)


def shift_rows(
    plant: str,
    work_center: str,
    line: str,
    ideal_cycle: float,
    shifts: Iterable[ShiftWindow],
    intervals: list[Interval],
    units: list[tuple[float, bool]],
) -> list[dict[str, Any]]:
    """One OEE row per shift for one line (``units`` in time order)."""
    rows = []
    moments = [moment for moment, _ in units]
    for shift in shifts:
        lost = {"idle": 0.0, "down": 0.0, "changeover": 0.0}
        for kind, begin, stop in intervals:
            if stop > shift.start and begin < shift.end:
                lost[kind] += overlap(shift.working, begin, stop)
        first = bisect_right(moments, shift.start)
        last = bisect_right(moments, shift.end)
        built = [good for _, good in units[first:last]]
        total, good = len(built), sum(built)
        planned = shift.planned_time
        factors = oee(
            planned,
            lost["down"],
            lost["changeover"],
            lost["idle"],
            ideal_cycle,
            total,
            good,
        )
        rows.append(
            {
                "plant": plant,
                "work_center": work_center,
                "line": line,
                "shift": shift.shift,
                "crew": shift.crew,
                "planned_s": round(planned, 3),
                "idle_s": round(lost["idle"], 3),
                "downtime_s": round(lost["down"], 3),
                "changeover_s": round(lost["changeover"], 3),
                "ideal_cycle_s": round(ideal_cycle, 3),
                "total": total,
                "good": good,
                **factors,
            }
        )
    return rows
