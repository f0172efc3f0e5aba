"""The plant model: what a plant is made of, as read from YAML.

A plant model file describes one plant at its root (``lines:``,
``products:`` ...) or several under ``plants:``, and names the master-data
file it agrees with by a path relative to itself. Master data (materials,
units, storage locations, work centers) stays in that one file; the plant
model adds what only the floor knows: shift calendars, machines and their
failure behaviour, routings, bills of material, scrap and inspection plans.

A line is one work center: a synchronous chain of machines; a unit takes as
long as its slowest station, and the line stops when any station fails.
"""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from contracts.quantities import Qty, UnitCode
from simulator.durations import Duration, format_duration

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _clock(value: str) -> str:
    if not _CLOCK.match(value):
        raise ValueError("must be a time of day HH:MM, e.g. '06:00' or '22:30'")
    return value


Code = Annotated[str, Field(min_length=1, max_length=40)]
Clock = Annotated[str, AfterValidator(_clock)]
Probability = Annotated[float, Field(ge=0, lt=1)]
MICRO_STOP_LIMIT = 300.0
"""Stops shorter than this are micro-stops (a performance loss, no event)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Machine(_Model):
    """One station of a line with its cycle, failure and micro-stop behaviour.

    Cycle times are the ideal cycle plus an exponential excess with the given
    mean; time to failure is Weibull in running time with mean ``mttf``; time
    to repair is lognormal with mean ``mttr``.
    """

    equipment: Code
    cycle_time: Duration
    ideal_cycle_time: Duration | None = None
    mttf: Duration
    ttf_shape: Annotated[float, Field(gt=0, le=10)] = 1.5
    mttr: Duration
    ttr_sigma: Annotated[float, Field(gt=0, le=3)] = 0.5
    micro_stop_rate: Annotated[float, Field(ge=0, le=60)] = 0.0
    micro_stop_mean: Duration = 60.0
    failure_codes: list[Code] = Field(
        default_factory=lambda: ["BREAKDOWN"], min_length=1
    )

    @field_validator("ideal_cycle_time")
    @classmethod
    def _ideal_not_slower(cls, value: float | None, info: ValidationInfo) -> Any:
        cycle = info.data.get("cycle_time")
        if value is not None and cycle is not None and value > cycle:
            raise ValueError(f"must not exceed cycle_time ({format_duration(cycle)})")
        return value

    @field_validator("micro_stop_mean")
    @classmethod
    def _micro(cls, value: float) -> float:
        if value >= MICRO_STOP_LIMIT:
            raise ValueError("must be shorter than 5m (a longer stop is a failure)")
        return value

    @property
    def ideal(self) -> float:
        """The ideal cycle (90 % of the mean cycle unless given)."""
        if self.ideal_cycle_time is None:
            return self.cycle_time * 0.9
        return self.ideal_cycle_time

    @property
    def ttf_scale(self) -> float:
        """Weibull scale whose mean is ``mttf``."""
        return self.mttf / math.gamma(1.0 + 1.0 / self.ttf_shape)

    @property
    def ttr_mu(self) -> float:
        """Lognormal ``mu`` whose mean is ``mttr``."""
        return math.log(self.mttr) - self.ttr_sigma**2 / 2.0


class Line(_Model):
    code: Code
    work_center: Code
    machines: list[Machine] = Field(min_length=1)
    changeover: Duration | None = None
    pallet_size: Annotated[int, Field(gt=0, le=10000)] = 10

    @property
    def ideal_cycle(self) -> float:
        return max(machine.ideal for machine in self.machines)


class Break(_Model):
    after: Duration
    duration: Duration


class Shift(_Model):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,12}$")]
    start: Clock
    length: Duration
    breaks: list[Break] = Field(default_factory=list)

    @field_validator("breaks")
    @classmethod
    def _breaks_inside(cls, value: list[Break], info: ValidationInfo) -> Any:
        length = info.data.get("length")
        edge = 0.0
        for index, item in sorted(enumerate(value), key=lambda pair: pair[1].after):
            if length is not None and item.after + item.duration >= length:
                raise ValueError(
                    f"break {index + 1} (after {format_duration(item.after)}) "
                    f"must end before the shift ends at {format_duration(length)}"
                )
            if item.after < edge:
                raise ValueError(
                    f"break {index + 1} (after {format_duration(item.after)}) "
                    "overlaps an earlier break"
                )
            edge = item.after + item.duration
        return value


class Calendar(_Model):
    """``3x8`` and ``2x12`` generate their shifts from ``first_shift``;
    ``custom`` lists them. Weekends and holidays are off unless ``on``."""

    pattern: Literal["3x8", "2x12", "custom"] = "3x8"
    first_shift: Clock = "06:00"
    break_length: Duration = 1800.0
    shifts: list[Shift] = Field(default_factory=list, validate_default=True)
    weekends: Literal["off", "on"] = "off"
    holidays: list[date] = Field(default_factory=list)

    @field_validator("break_length")
    @classmethod
    def _break_fits(cls, value: float) -> float:
        if value >= 4 * 3600:
            raise ValueError("must be shorter than 4h (a break comes every 4h)")
        return value

    @field_validator("shifts")
    @classmethod
    def _shifts_given(cls, value: list[Shift], info: ValidationInfo) -> Any:
        pattern = info.data.get("pattern")
        if pattern == "custom" and not value:
            raise ValueError("a custom calendar must list its shifts")
        if pattern not in (None, "custom") and value:
            raise ValueError(
                f"are generated for pattern {pattern!r}; use pattern 'custom' "
                "to list them"
            )
        _no_overlap(value)
        return value

    def day_shifts(self) -> list[Shift]:
        """The shifts of one working day, in order."""
        if self.pattern == "custom":
            return list(self.shifts)
        count, hours = (3, 8) if self.pattern == "3x8" else (2, 12)
        names = ("EARLY", "LATE", "NIGHT") if count == 3 else ("DAY", "NIGHT")
        first_h, first_m = (int(part) for part in self.first_shift.split(":"))
        shifts = []
        for index in range(count):
            hour = (first_h + index * hours) % 24
            breaks = [Break(after=4 * 3600.0, duration=self.break_length)]
            if hours == 12:
                breaks.append(Break(after=8 * 3600.0, duration=self.break_length))
            shifts.append(
                Shift(
                    name=names[index],
                    start=f"{hour:02d}:{first_m:02d}",
                    length=hours * 3600.0,
                    breaks=breaks,
                )
            )
        return shifts


def _no_overlap(shifts: list[Shift]) -> None:
    """Refuse shifts of one day whose clock hours overlap (across midnight too)."""
    day = 24 * 3600.0
    spans = []
    for shift in shifts:
        hour, minute = (int(part) for part in shift.start.split(":"))
        spans.append((hour * 3600.0 + minute * 60.0, shift))
    spans.sort(key=lambda span: span[0])
    for index, (start, shift) in enumerate(spans):
        following, other = spans[(index + 1) % len(spans)]
        gap = (following - start) % day or day
        if len(spans) > 1 and shift.length > gap:
            raise ValueError(
                f"shift {shift.name!r} ({shift.start}, "
                f"{format_duration(shift.length)}) runs into shift "
                f"{other.name!r} at {other.start}"
            )


class Crews(_Model):
    count: Annotated[int, Field(ge=1, le=12)] = 3
    operators: Annotated[int, Field(ge=1, le=200)] = 4


class Storage(_Model):
    """Which master-data storage location plays which role."""

    raw: Code = "RAW"
    staging: Code = "STG"
    finished: Code = "FG"
    quality: Code = "QI"
    blocked: Code = "BLK"


class Scrap(_Model):
    probability: Probability = 0.0
    reasons: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: {"SCRAP": 1.0}
    )


class Operation(_Model):
    operation: Annotated[str, Field(pattern=r"^\d{4}$")]
    work_center: Code
    confirmed: bool = True
    scrap: Scrap = Field(default_factory=Scrap)
    rework_probability: Probability = 0.0


class BomItem(_Model):
    component: Code
    quantity_per_unit: Annotated[Qty, Field(gt=0)]
    unit: UnitCode
    backflush: bool = False


class CharacteristicPlan(_Model):
    name: Code
    lower: Decimal
    upper: Decimal
    target: Decimal
    sd: Annotated[float, Field(gt=0)]
    unit: UnitCode | None = None

    @field_validator("target")
    @classmethod
    def _limits(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        lower, upper = info.data.get("lower"), info.data.get("upper")
        if lower is not None and upper is not None and not lower <= value <= upper:
            raise ValueError(f"must lie between lower {lower} and upper {upper}")
        return value


class InspectionPlan(_Model):
    """Sample ``sample_size`` units of each lot: none out of limits accepts,
    up to ``hold_max`` holds, more rejects (the lot is scrapped)."""

    sample_size: Annotated[int, Field(ge=1, le=50)] = 3
    hold_max: Annotated[int, Field(ge=0)] = 1
    delay: Duration = 1800.0
    putaway: Duration = 600.0
    characteristics: list[CharacteristicPlan] = Field(min_length=1)


class Product(_Model):
    material: Code
    line: Code
    per_shift: Annotated[int, Field(ge=1, le=1_000_000)]
    routing: list[Operation] = Field(min_length=1)
    bom: list[BomItem] = Field(default_factory=list)
    inspection: InspectionPlan | None = None
    serials: bool = False

    @field_validator("routing")
    @classmethod
    def _operations_ascend(cls, value: list[Operation]) -> list[Operation]:
        numbers = [operation.operation for operation in value]
        if numbers != sorted(set(numbers)):
            raise ValueError(
                f"operations {numbers} must be unique and ascending, e.g. 0010, 0020"
            )
        return value


class PlantSpec(_Model):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,10}$")]
    timezone: str | None = None
    calendar: Calendar = Field(default_factory=Calendar)
    crews: Crews = Field(default_factory=Crews)
    storage: Storage = Field(default_factory=Storage)
    raw_lot_size: Annotated[Qty, Field(gt=0)] = Decimal(500)
    lines: list[Line] = Field(min_length=1)
    products: list[Product] = Field(min_length=1)

    def line(self, code: str) -> Line:
        return next(line for line in self.lines if line.code == code)


class PlantFile(_Model):
    """The YAML document as written (always in its multi-plant form)."""

    master_data: Annotated[str, Field(min_length=1)]
    start: date | None = None
    plants: list[PlantSpec] = Field(min_length=1)
