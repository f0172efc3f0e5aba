"""The shift calendar: which hours of which days a plant works.

Shifts are laid out in the plant's local wall time and converted to
plant-run seconds, counted from the start of the plant's first shift. A
shift starts and ends by the clock on the wall, so across a daylight-saving
change the night shift works an hour less (spring) or more (autumn), as
night crews do; breaks come after their offset in worked time. A shift
belongs to the day it starts on; weekends and holidays drop whole shifts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from simulator.model import Calendar

_CREW_LETTERS = "ABCDEFGHIJKL"
_MAX_DAYS = 3660


@dataclass(frozen=True)
class ShiftWindow:
    """One worked shift: its identity, crew and working periods in seconds."""

    shift: str
    name: str
    crew: str
    start: float
    end: float
    working: tuple[tuple[float, float], ...]

    @property
    def planned_time(self) -> float:
        """Seconds of the shift that are not breaks."""
        return sum(end - start for start, end in self.working)


@dataclass(frozen=True)
class ShiftPlan:
    """The shifts of one plant's run, and how to turn seconds into clock time."""

    epoch: datetime
    zone: ZoneInfo
    shifts: tuple[ShiftWindow, ...]

    def clock(self, seconds: float) -> datetime:
        """Plant local time, with its UTC offset, ``seconds`` into the run."""
        instant = self.epoch + timedelta(milliseconds=round(seconds * 1000))
        return instant.astimezone(self.zone)

    @property
    def end(self) -> float:
        return self.shifts[-1].end if self.shifts else 0.0

    def working_periods(self) -> list[tuple[float, float]]:
        return [period for shift in self.shifts for period in shift.working]


def plan_shifts(
    calendar: Calendar, zone: ZoneInfo, first_day: date, count: int, crews: int
) -> ShiftPlan:
    """The first ``count`` worked shifts from ``first_day`` on."""
    starts: list[tuple[str, str, datetime, float, tuple[tuple[float, float], ...]]]
    starts = []
    holidays = set(calendar.holidays)
    day = first_day
    for _ in range(_MAX_DAYS):
        if len(starts) >= count:
            break
        off = day in holidays or (calendar.weekends == "off" and day.weekday() >= 5)
        if not off:
            for shift in calendar.day_shifts():
                if len(starts) >= count:
                    break
                hour, minute = (int(part) for part in shift.start.split(":"))
                local = datetime.combine(day, time(hour, minute), tzinfo=zone)
                pauses = tuple(
                    (item.after, item.after + item.duration)
                    for item in sorted(shift.breaks, key=lambda b: b.after)
                )
                shift_id = f"{day:%Y%m%d}-{shift.name}"
                starts.append((shift_id, shift.name, local, shift.length, pauses))
        day += timedelta(days=1)
    if not starts:
        return ShiftPlan(datetime.combine(first_day, time(), UTC), zone, ())

    epoch = starts[0][2].astimezone(UTC)
    windows = []
    for index, (shift_id, name, local, length, pauses) in enumerate(starts):
        begin = (local.astimezone(UTC) - epoch).total_seconds()
        wall_end = local + timedelta(seconds=length)
        end = (wall_end.astimezone(UTC) - epoch).total_seconds()
        working = []
        edge = begin
        for pause_start, pause_end in pauses:
            if begin + pause_start >= end:
                break
            working.append((edge, begin + pause_start))
            edge = begin + pause_end
        if edge < end:
            working.append((edge, end))
        crew = "CREW-" + _CREW_LETTERS[index % crews]
        windows.append(ShiftWindow(shift_id, name, crew, begin, end, tuple(working)))
    return ShiftPlan(epoch, zone, tuple(windows))
