"""Fitting a machine's behaviour from its machine-state log.

A machine-state log is a CSV file with one row per reading of a machine:
its ``timestamp`` (ISO 8601, or seconds since the epoch), the ``machine``,
its ``state`` from that instant until its next reading, and ``count``, the
units it completed since its previous reading (or, with ``counter="total"``,
its running part counter, where a drop is a counter reset). Readings may come
at every state change (an event log) or at a fixed interval (the buckets of a
retrofit data logger); column names and state codes are configurable.

From the log of one machine ``calibrate`` fits what the plant model says
about it (``simulator.model.Machine``):

- time to failure: Weibull in *running* time (states other than run and down
  pause the clock), by maximum likelihood, the failure still ahead at the end
  of the log as a right-censored observation; the stretch before the first
  failure is dropped (the machine's age there is unknown);
- time to repair: lognormal in the time the log shows the machine down,
  a repair still going at the end right-censored, one already going at the
  start dropped; downs with no running in between are one repair;
- cycle time: the mean is running time per unit; the twin's cycle is an
  ideal cycle plus an exponential excess, whose spread shows in how the time
  for ``k`` consecutive units varies with ``k`` inside uninterrupted runs
  (``var = k·excess²`` plus a constant from the reading interval). When the
  log does not show that, ``ideal_cycle_time`` is left out and the twin uses
  its default.

``fragment_yaml`` writes the fit as a ``machines:`` entry to paste into a
line of a plant model.

What a log cannot show, the fit cannot know: stops shorter than the reading
interval vanish (with 5-minute buckets short repairs merge two running times
into one and the fitted mean time to failure comes out a few per cent long),
and micro-stops logged as running are part of the fitted cycle time rather
than a separate ``micro_stop_rate``.
"""

from __future__ import annotations

import csv
import math
import statistics
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import ValidationError

from contracts.errors import problems_from
from simulator.durations import format_duration
from simulator.errors import CalibrationError
from simulator.model import Machine

MIN_FAILURES = 5
"""Fewer failures (or repairs) than this cannot be fitted."""
_MIN_RUNS = 10
_RUN, _DOWN, _OTHER = "run", "down", "other"


@dataclass(frozen=True)
class LogColumns:
    """Where a log keeps what, and which state codes mean running and down."""

    machine: str = "machine"
    time: str = "timestamp"
    state: str = "state"
    count: str = "count"
    run_state: str | Sequence[str] = "RUN"
    down_state: str | Sequence[str] = "DOWN"
    counter: Literal["delta", "total"] = "delta"

    @property
    def run_states(self) -> frozenset[str]:
        return _codes(self.run_state)

    @property
    def down_states(self) -> frozenset[str]:
        return _codes(self.down_state)


@dataclass(frozen=True)
class MachineFit:
    """A machine's fitted behaviour and how much log it rests on."""

    machine: str
    source: str
    first: datetime
    last: datetime
    readings: int
    run_s: float
    units: int
    failures: int
    failures_censored: int
    repairs: int
    repairs_censored: int
    ttf_shape: float
    ttf_scale: float
    ttr_mu: float
    ttr_sigma: float
    cycle_time: float
    ideal_cycle_time: float | None

    @property
    def mttf(self) -> float:
        """Mean running time to failure (the Weibull mean)."""
        return self.ttf_scale * math.gamma(1.0 + 1.0 / self.ttf_shape)

    @property
    def mttr(self) -> float:
        """Mean time to repair (the lognormal mean)."""
        return math.exp(self.ttr_mu + self.ttr_sigma**2 / 2.0)

    def machine_entry(self) -> dict[str, object]:
        """The plant-model ``machines:`` entry, durations as plant text."""
        entry: dict[str, object] = {
            "equipment": self.machine,
            "cycle_time": _duration(self.cycle_time),
        }
        if self.ideal_cycle_time is not None:
            entry["ideal_cycle_time"] = _duration(self.ideal_cycle_time)
        entry.update(
            mttf=_duration(self.mttf),
            ttf_shape=round(self.ttf_shape, 3),
            mttr=_duration(self.mttr),
            ttr_sigma=round(self.ttr_sigma, 3),
        )
        return entry


@dataclass(frozen=True)
class _Interval:
    begin: float
    end: float
    kind: str
    units: float


def calibrate(
    log: str | Path, machine: str, columns: LogColumns | None = None
) -> MachineFit:
    """Fit ``machine``'s failure, repair and cycle behaviour from ``log``."""
    columns = columns or LogColumns()
    path = Path(log)
    readings = _read(path, machine, columns)
    intervals = _intervals(readings, columns)
    segments = _segments(intervals)

    ttf, ttf_right, ttr, ttr_right = _lifetimes(segments)
    where = f"{path.name}: machine {machine!r}"
    if not ttf:
        raise CalibrationError(
            f"{where}: no failure after running time in {len(readings)} readings; "
            f"time to failure needs down states {sorted(columns.down_states)} "
            f"between run states {sorted(columns.run_states)}"
        )
    if len(ttf) < MIN_FAILURES or len(ttr) < MIN_FAILURES:
        raise CalibrationError(
            f"{where}: {len(ttf)} failures and {len(ttr)} completed repairs; "
            f"at least {MIN_FAILURES} of each are needed to fit"
        )
    run_s = sum(i.end - i.begin for i in intervals if i.kind == _RUN)
    units = round(sum(i.units for i in intervals))
    if units < 1:
        raise CalibrationError(
            f"{where}: column {columns.count!r} counts no units; "
            "the cycle time needs completed units"
        )

    shape, scale = _fit_weibull(ttf, ttf_right)
    sigma, mu = _fit_lognormal(ttr, ttr_right)
    cycle = run_s / units
    return MachineFit(
        machine=machine,
        source=path.name,
        first=readings[0][0],
        last=readings[-1][0],
        readings=len(readings),
        run_s=run_s,
        units=units,
        failures=len(ttf),
        failures_censored=len(ttf_right),
        repairs=len(ttr),
        repairs_censored=len(ttr_right),
        ttf_shape=shape,
        ttf_scale=scale,
        ttr_mu=mu,
        ttr_sigma=sigma,
        cycle_time=cycle,
        ideal_cycle_time=_ideal_cycle(segments, cycle),
    )


def fragment_yaml(fit: MachineFit) -> str:
    """The fit as a plant-model fragment, with what it rests on as comments."""
    entry = fit.machine_entry()
    try:
        Machine.model_validate(entry)
    except ValidationError as exc:
        text = "; ".join(message for _, message in problems_from(exc))
        raise CalibrationError(
            f"machine {fit.machine!r}: the fit does not make a plant-model "
            f"machine: {text}"
        ) from None
    hours = fit.run_s / 3600.0
    ideal = (
        ""
        if fit.ideal_cycle_time is not None
        else "# ideal_cycle_time: not resolved by this log; the twin uses 90 % "
        "of cycle_time\n"
    )
    header = (
        f"# Machine {fit.machine} fitted by plantwin calibrate from {fit.source}\n"
        f"# log: {fit.first.isoformat()} .. {fit.last.isoformat()}, "
        f"{fit.readings} readings\n"
        f"# running {hours:.1f} h, {fit.units} units; "
        f"{fit.failures} failures (+{fit.failures_censored} censored), "
        f"{fit.repairs} repairs (+{fit.repairs_censored} censored)\n"
        f"# time to failure: Weibull shape {fit.ttf_shape:.3f}, "
        f"scale {fit.ttf_scale:.0f}s, mean {fit.mttf:.0f}s running\n"
        f"# time to repair: lognormal mu {fit.ttr_mu:.3f}, "
        f"sigma {fit.ttr_sigma:.3f}, mean {fit.mttr:.0f}s\n"
        f"{ideal}"
    )
    body = yaml.safe_dump({"machines": [entry]}, sort_keys=False)
    return header + body


# Reading the log -----------------------------------------------------------


def _read(
    path: Path, machine: str, columns: LogColumns
) -> list[tuple[datetime, str, float]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CalibrationError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CalibrationError(f"{path}: is not UTF-8 text (a CSV file)") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise CalibrationError(f"{path.name}: is empty; expected a CSV header row")
    delimiter = max(",;\t", key=lines[0].count)
    reader = csv.DictReader(lines, delimiter=delimiter)
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    for option, name in (
        ("--machine-column", columns.machine),
        ("--time-column", columns.time),
        ("--state-column", columns.state),
        ("--count-column", columns.count),
    ):
        if name not in header:
            raise CalibrationError(
                f"{path.name}: column {name!r} is not in the header "
                f"{header}; name the right one with {option}"
            )

    readings: list[tuple[datetime, str, float]] = []
    seen: set[str] = set()
    try:
        for number, row in enumerate(reader, start=2):
            if None in row or any(row[name] is None for name in header):
                raise CalibrationError(
                    f"{path.name}: line {number}: does not have the "
                    f"{len(header)} fields of the header"
                )
            name = row[columns.machine].strip()
            seen.add(name)
            if name != machine:
                continue
            moment = _timestamp(row[columns.time], path.name, number, columns.time)
            count = _count(row[columns.count], path.name, number, columns)
            readings.append((moment, row[columns.state].strip(), count))
    except csv.Error as exc:
        raise CalibrationError(f"{path.name}: not a readable CSV file: {exc}") from None

    if not readings:
        known = ", ".join(sorted(seen)[:10]) or "none"
        raise CalibrationError(
            f"{path.name}: no rows for machine {machine!r} in column "
            f"{columns.machine!r}; machines in the log: {known}"
        )
    try:
        readings.sort(key=lambda reading: reading[0])
    except TypeError:
        raise CalibrationError(
            f"{path.name}: column {columns.time!r} mixes timestamps with and "
            "without a UTC offset"
        ) from None
    if len(readings) < 2:
        raise CalibrationError(
            f"{path.name}: machine {machine!r} has a single reading; "
            "a log needs at least two"
        )
    return readings


def _timestamp(text: str, source: str, line: int, column: str) -> datetime:
    value = text.strip()
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (ValueError, OverflowError, OSError):
        raise CalibrationError(
            f"{source}: line {line}: {column}: {text!r} is not a timestamp; "
            "use ISO 8601 (e.g. '2026-11-30T06:00:00+01:00') or epoch seconds"
        ) from None


def _count(text: str, source: str, line: int, columns: LogColumns) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise CalibrationError(
            f"{source}: line {line}: {columns.count}: {text!r} must be a "
            "count of units, a number >= 0"
        )
    return value


def _codes(value: str | Sequence[str]) -> frozenset[str]:
    return frozenset([value] if isinstance(value, str) else value)


# From readings to intervals, segments and lifetimes -------------------------


def _intervals(
    readings: list[tuple[datetime, str, float]], columns: LogColumns
) -> list[_Interval]:
    """Reading i's state holds until reading i+1, which counts its units."""
    origin = readings[0][0]
    run, down = columns.run_states, columns.down_states
    intervals = []
    for (begin, state, before), (end, _, after) in zip(
        readings, readings[1:], strict=False
    ):
        if columns.counter == "total":
            units = after - before if after >= before else after
        else:
            units = after
        kind = _RUN if state in run else _DOWN if state in down else _OTHER
        start = (begin - origin).total_seconds()
        stop = (end - origin).total_seconds()
        if stop > start:
            intervals.append(_Interval(start, stop, kind, units))
        elif intervals:
            last = intervals[-1]
            intervals[-1] = replace(last, units=last.units + units)
    return intervals


def _segments(intervals: list[_Interval]) -> list[list[_Interval]]:
    """Consecutive intervals of one kind (run, down or other)."""
    segments: list[list[_Interval]] = []
    for interval in intervals:
        if segments and segments[-1][0].kind == interval.kind:
            segments[-1].append(interval)
        else:
            segments.append([interval])
    return segments


def _lifetimes(
    segments: list[list[_Interval]],
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Running times to failure and repair times, each done or censored."""
    ttf: list[float] = []
    ttf_right: list[float] = []
    ttr: list[float] = []
    ttr_right: list[float] = []
    age: float | None = None
    repair: float | None = None
    repair_seen_start = False
    for index, segment in enumerate(segments):
        kind = segment[0].kind
        length = segment[-1].end - segment[0].begin
        if kind == _DOWN:
            if repair is None:
                if age:
                    ttf.append(age)
                age = None
                repair = 0.0
                repair_seen_start = index > 0
            repair += length
        elif kind == _RUN:
            if repair is not None:
                if repair_seen_start:
                    ttr.append(repair)
                repair = None
                age = 0.0
            if age is not None:
                age += length
    if repair is not None and repair_seen_start:
        ttr_right.append(repair)
    if repair is None and age:
        ttf_right.append(age)
    return ttf, ttf_right, ttr, ttr_right


# Fitting ---------------------------------------------------------------------


def _fit_weibull(done: list[float], right: list[float]) -> tuple[float, float]:
    from scipy import stats

    data = stats.CensoredData(uncensored=done, right=right) if right else done
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        shape, _, scale = stats.weibull_min.fit(data, floc=0)
    return float(shape), float(scale)


def _fit_lognormal(done: list[float], right: list[float]) -> tuple[float, float]:
    from scipy import stats

    data = stats.CensoredData(uncensored=done, right=right) if right else done
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sigma, _, scale = stats.lognorm.fit(data, floc=0)
    return float(sigma), math.log(float(scale))


def _ideal_cycle(segments: list[list[_Interval]], cycle: float) -> float | None:
    """Ideal cycle = mean − excess, the excess's spread read from runs of units.

    In each uninterrupted run, from the reading after its first completed
    unit to the reading after its last, ``k`` whole cycles pass; the squared
    deviation of that time from ``k × mean`` grows by one excess variance per
    cycle, on top of a constant from where the units fell between readings.
    """
    spans: list[tuple[float, float]] = []
    for segment in segments:
        if segment[0].kind != _RUN:
            continue
        marks = [(i.end, i.units) for i in segment if i.units > 0]
        if len(marks) < 2:
            continue
        k = sum(units for _, units in marks[1:])
        elapsed = marks[-1][0] - marks[0][0]
        spans.append((k, (elapsed - k * cycle) ** 2))
    if len(spans) < _MIN_RUNS or len({k for k, _ in spans}) < 2:
        return None
    ks = [k for k, _ in spans]
    deviations = [d for _, d in spans]
    slope, _ = statistics.linear_regression(ks, deviations)
    excess = math.sqrt(max(slope, 0.0))
    if excess >= cycle:
        return None
    return cycle - excess


def _duration(seconds: float) -> str:
    return format_duration(round(seconds, 1))
