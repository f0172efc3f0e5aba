"""Shift calendars: 3x8, 2x12 and custom shifts, breaks, weekends, holidays."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import simulator
from simulator.calendar import ShiftPlan, plan_shifts
from simulator.model import Calendar
from tests.simulator.conftest import SAMPLE

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY = date(2026, 12, 4)


def _local(plan: ShiftPlan) -> list[tuple[str, str, str, list[str]]]:
    """Each shift as (id, start, end, working periods), in local HH:MM."""

    def hhmm(seconds: float) -> str:
        return f"{plan.clock(seconds):%a %H:%M}"

    return [
        (
            shift.shift,
            hhmm(shift.start),
            hhmm(shift.end),
            [f"{hhmm(a)}-{hhmm(b)[4:]}" for a, b in shift.working],
        )
        for shift in plan.shifts
    ]


def test_three_shifts_with_weekends_off_skip_to_monday() -> None:
    calendar = Calendar(pattern="3x8", first_shift="06:00", break_length="30m")

    plan = plan_shifts(calendar, BERLIN, FRIDAY, count=4, crews=3)

    assert _local(plan) == [
        ("20261204-EARLY", "Fri 06:00", "Fri 14:00",
         ["Fri 06:00-10:00", "Fri 10:30-14:00"]),
        ("20261204-LATE", "Fri 14:00", "Fri 22:00",
         ["Fri 14:00-18:00", "Fri 18:30-22:00"]),
        ("20261204-NIGHT", "Fri 22:00", "Sat 06:00",
         ["Fri 22:00-02:00", "Sat 02:30-06:00"]),
        ("20261207-EARLY", "Mon 06:00", "Mon 14:00",
         ["Mon 06:00-10:00", "Mon 10:30-14:00"]),
    ]  # fmt: skip
    assert [shift.crew for shift in plan.shifts] == [
        "CREW-A", "CREW-B", "CREW-C", "CREW-A",
    ]  # fmt: skip
    assert plan.shifts[0].planned_time == 7.5 * 3600


def test_two_twelve_hour_shifts_have_two_breaks_each() -> None:
    calendar = Calendar(pattern="2x12", first_shift="07:00", break_length="20m")

    plan = plan_shifts(calendar, ZoneInfo("America/Monterrey"), FRIDAY, 2, crews=4)

    assert _local(plan) == [
        ("20261204-DAY", "Fri 07:00", "Fri 19:00",
         ["Fri 07:00-11:00", "Fri 11:20-15:00", "Fri 15:20-19:00"]),
        ("20261204-NIGHT", "Fri 19:00", "Sat 07:00",
         ["Fri 19:00-23:00", "Fri 23:20-03:00", "Sat 03:20-07:00"]),
    ]  # fmt: skip
    assert plan.clock(0).utcoffset().total_seconds() == -6 * 3600  # type: ignore[union-attr]


def test_custom_shifts_work_weekends_but_not_holidays() -> None:
    calendar = Calendar.model_validate(
        {
            "pattern": "custom",
            "weekends": "on",
            "holidays": ["2026-12-05"],
            "shifts": [
                {"name": "MORNING", "start": "06:30", "length": "8h",
                 "breaks": [{"after": "2h", "duration": "15m"},
                            {"after": "4h30m", "duration": "30m"}]},
                {"name": "EVENING", "start": "14:30", "length": "8h"},
            ],
        }
    )  # fmt: skip

    plan = plan_shifts(calendar, ZoneInfo("Asia/Kolkata"), FRIDAY, count=4, crews=2)

    assert [(s, start) for s, start, _, _ in _local(plan)] == [
        ("20261204-MORNING", "Fri 06:30"),
        ("20261204-EVENING", "Fri 14:30"),
        ("20261206-MORNING", "Sun 06:30"),
        ("20261206-EVENING", "Sun 14:30"),
    ]
    assert _local(plan)[0][3] == [
        "Fri 06:30-08:30", "Fri 08:45-11:00", "Fri 11:30-14:30",
    ]  # fmt: skip
    assert plan.shifts[0].planned_time == (8 * 60 - 45) * 60


@pytest.mark.parametrize(
    ("day", "hours"), [(date(2027, 3, 27), 7), (date(2026, 10, 24), 9)]
)
def test_the_night_shift_across_a_clock_change_ends_by_the_wall_clock(
    day: date, hours: int
) -> None:
    calendar = Calendar(pattern="3x8", weekends="on")

    plan = plan_shifts(calendar, BERLIN, day, count=4, crews=3)

    night, early = plan.shifts[2], plan.shifts[3]
    assert (night.end - night.start) / 3600 == hours
    assert f"{plan.clock(night.end):%H:%M}" == "06:00"
    assert early.start == night.end
    ends = [period for shift in plan.shifts for period in shift.working]
    assert all(a[1] <= b[0] for a, b in zip(ends, ends[1:], strict=False))


def test_overlapping_custom_shifts_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="shift 'A' \\(06:00, 8h\\) runs into "):
        Calendar.model_validate(
            {
                "pattern": "custom",
                "shifts": [
                    {"name": "A", "start": "06:00", "length": "8h"},
                    {"name": "B", "start": "10:00", "length": "8h"},
                ],
            }
        )


def test_nothing_is_built_over_holidays_weekends_breaks_or_after_shifts() -> None:
    # Wednesday 23 December, then the 24th and 25th (holidays), a weekend,
    # and Monday the 28th.
    model = simulator.load_plant_model(SAMPLE)

    run = simulator.simulate(model, shifts=6, seed=4, start=date(2026, 12, 23))

    days = sorted({row["shift"][:8] for row in run.ledger.shifts})
    assert days == ["20261223", "20261228"]
    built = [
        (timeline.plan, instant)
        for timeline in run.timelines
        for instant, _ in timeline.units
    ]
    outside = [
        plan.clock(instant)
        for plan, instant in built
        if not any(a <= instant <= b for a, b in plan.working_periods())
    ]
    assert len(built) > 500 and outside == []
    production = ("order.started", "operation.confirmed", "material.consumed")
    moments = [
        event.time
        for event in run.events
        if event.type.split(".", 2)[2][:-3] in production
    ]
    assert moments and not any(
        datetime(2026, 12, 24, 6, tzinfo=BERLIN)
        < moment
        < datetime(2026, 12, 28, 6, tzinfo=BERLIN)
        for moment in moments
    )
