"""OEE by hand, and failures that follow their configured distributions."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import pytest

import simulator
from tests.simulator.conftest import write_plant

_TEST_LINE = """\
code: P100
calendar: {pattern: 3x8, weekends: "on"}
lines:
  - code: MACH
    work_center: MACH
    pallet_size: 50
    machines:
      - {equipment: CNC-01, cycle_time: 2m, ideal_cycle_time: 1m50s, mttf: 1h,
         ttf_shape: 1.5, mttr: 10m, ttr_sigma: 0.5}
products:
  - material: HSG-100
    line: MACH
    per_shift: 400
    routing: [{operation: "0010", work_center: MACH}]
    bom: [{component: CAST-100, quantity_per_unit: "1", unit: PC}]
"""


def test_oee_of_a_hand_computed_shift() -> None:
    # 8 h shift, 30 min break: 450 min planned; 30 min idle, 42 min down,
    # 18 min changeover → 420 loaded, 360 operating; ideal 1 min, 300 built,
    # 285 good: A = 360/420, P = 300/360, Q = 285/300.
    factors = simulator.oee(
        planned=450 * 60,
        downtime=42 * 60,
        changeover=18 * 60,
        idle=30 * 60,
        ideal_cycle=60,
        total=300,
        good=285,
    )

    assert factors["availability"] == pytest.approx(360 / 420, abs=1e-6)
    assert factors["performance"] == pytest.approx(300 / 360, abs=1e-6)
    assert factors["quality"] == pytest.approx(0.95, abs=1e-6)
    assert factors["oee"] == pytest.approx(285 / 420, abs=1e-6)


# One two-hour shift (break 07:00-07:10), a deterministic 4-minute cycle, no
# failures: 4 housings, a 5-minute changeover, then 12 rotors.
_HAND_CASE = """\
code: P100
calendar:
  pattern: custom
  weekends: "on"
  shifts:
    - {name: DAY, start: "06:00", length: 2h, breaks: [{after: 1h, duration: 10m}]}
lines:
  - code: MACH
    work_center: MACH
    changeover: 5m
    pallet_size: 4
    machines:
      - {equipment: CNC-01, cycle_time: 4m, ideal_cycle_time: 4m, mttf: 10000h,
         mttr: 10m}
products:
  - material: HSG-100
    line: MACH
    per_shift: 4
    routing: [{operation: "0010", work_center: MACH}]
  - material: ROT-100
    line: MACH
    per_shift: 12
    routing:
      - operation: "0010"
        work_center: MACH
        scrap: {probability: 0.25, reasons: {PRESS-FIT: 1}}
"""


def test_oee_of_a_small_run_matches_the_hand_computation(tmp_path: Path) -> None:
    # 06:00-06:16 four housings; 06:16-06:21 changeover; rotors at 06:25 ...
    # 06:57 (nine), the next would end after the break starts (3 min lost to
    # performance); 07:14, 07:18, 07:22; then idle until 08:00 (38 min).
    # Planned 110 min, loaded 72, operating 67, 16 units of 4 min ideal.
    model = simulator.load_plant_model(write_plant(tmp_path, _HAND_CASE))

    run = simulator.simulate(model, shifts=1, seed=3)

    (row,) = run.ledger.oee
    good = sum(order.operations["0010"].good for order in run.ledger.orders.values())
    assert [r["reason"] for r in run.ledger.downtime] == ["CHANGEOVER"]
    assert (row["planned_s"], row["idle_s"], row["changeover_s"]) == (
        6600,
        2280,
        300,
    )
    assert (row["downtime_s"], row["total"], row["good"]) == (0, 16, good)
    assert 4 <= good < 16
    assert row["availability"] == pytest.approx(67 / 72, abs=1e-6)
    assert row["performance"] == pytest.approx(64 / 67, abs=1e-6)
    assert row["quality"] == pytest.approx(good / 16, abs=1e-6)
    assert row["oee"] == pytest.approx(64 / 72 * good / 16, abs=1e-6)


def test_failures_and_repairs_converge_to_weibull_and_lognormal(
    tmp_path: Path,
) -> None:
    model = simulator.load_plant_model(write_plant(tmp_path, _TEST_LINE))

    run = simulator.simulate(model, shifts=90, seed=5)

    failures = [row for row in run.ledger.downtime if not row["planned"]]
    ttf = [row["run_time_to_failure_s"] for row in failures]
    repair = [row["duration_s"] for row in failures]
    assert len(failures) > 400
    assert statistics.fmean(ttf) == pytest.approx(3600, rel=0.08)
    assert statistics.fmean(repair) == pytest.approx(600, rel=0.08)
    log_repair = [math.log(value) for value in repair]
    assert statistics.stdev(log_repair) == pytest.approx(0.5, rel=0.1)
    shape_cv = statistics.stdev(ttf) / statistics.fmean(ttf)
    expected_cv = math.sqrt(math.gamma(1 + 2 / 1.5) / math.gamma(1 + 1 / 1.5) ** 2 - 1)
    assert shape_cv == pytest.approx(expected_cv, rel=0.15)
