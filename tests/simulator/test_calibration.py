"""Calibration recovers a known machine from the twin's own state log."""

from __future__ import annotations

import csv
import io
import math
import random
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

import simulator
from simulator.calibration import LogColumns, MachineFit, calibrate, fragment_yaml
from simulator.cli import register
from simulator.machinelog import write_machine_log
from tests.simulator.conftest import write_plant

# One machine with a known behaviour, three shifts a day, seven days a week.
_KNOWN = """\
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

_BREAKS = ("10:15", "18:15", "02:15")


@pytest.fixture(scope="module")
def state_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Thirty days of the known machine, logged once a minute."""
    folder = tmp_path_factory.mktemp("calibration")
    model = simulator.load_plant_model(write_plant(folder, _KNOWN))
    run = simulator.simulate(model, shifts=90, seed=21)
    path = folder / "states.csv"
    with path.open("w", encoding="utf-8") as file:
        write_machine_log(run.timelines, file, bucket=60.0)
    return path


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app, typer.Typer())
    return app


def test_the_known_machine_is_recovered_from_its_minute_log(state_log: Path) -> None:
    fit = calibrate(state_log, "CNC-01")

    assert fit.failures > 400
    assert fit.mttf == pytest.approx(3600, rel=0.06)
    assert fit.ttf_shape == pytest.approx(1.5, rel=0.1)
    assert fit.mttr == pytest.approx(600, rel=0.06)
    assert fit.ttr_sigma == pytest.approx(0.5, rel=0.1)
    assert fit.cycle_time == pytest.approx(120, rel=0.01)
    assert fit.ideal_cycle_time == pytest.approx(110, rel=0.03)


def test_the_fragment_drops_into_a_plant_model(state_log: Path, tmp_path: Path) -> None:
    text = fragment_yaml(calibrate(state_log, "CNC-01"))
    machines = yaml.safe_load(text)["machines"]
    plant = yaml.safe_load(_KNOWN)
    plant["lines"][0]["machines"] = machines

    path = write_plant(tmp_path, yaml.safe_dump(plant))
    model = simulator.load_plant_model(path)

    (machine,) = model.plants[0].lines[0].machines
    assert machine.equipment == "CNC-01"
    assert machine.mttf == pytest.approx(3600, rel=0.06)
    assert machine.mttr == pytest.approx(600, rel=0.06)
    assert text.startswith("# Machine CNC-01 fitted by plantwin calibrate")


def test_column_names_state_codes_and_a_part_counter_are_configurable(
    state_log: Path, tmp_path: Path
) -> None:
    codes = {"RUN": "1", "DOWN": "3", "STOPPED": "4", "OFF": "0", "IDLE": "2"}
    retrofit = tmp_path / "retrofit.csv"
    with state_log.open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    with retrofit.open("w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target, delimiter=";")
        writer.writerow(["ts", "asset", "status", "parts"])
        total = 0
        for index, row in enumerate(rows):
            counted = int(row["count"])
            total = counted if index == len(rows) // 2 else total + counted
            state = codes[row["state"]]
            writer.writerow([row["timestamp"], row["machine"], state, total])
    columns = LogColumns(
        machine="asset",
        time="ts",
        state="status",
        count="parts",
        run_state="1",
        down_state=["3", "5"],
        counter="total",
    )

    plain = calibrate(state_log, "CNC-01")
    fitted = calibrate(retrofit, "CNC-01", columns)

    assert _figures(fitted) == _figures(plain)


def test_calibrate_command_prints_and_writes_the_fragment(
    state_log: Path, tmp_path: Path
) -> None:
    out = tmp_path / "fragment.yaml"

    result = CliRunner().invoke(
        _app(),
        ["calibrate", str(state_log), "--machine", "CNC-01", "--out", str(out)],
    )

    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text())["machines"][0]["equipment"] == "CNC-01"
    assert "ttf_shape:" in result.output


@pytest.mark.parametrize(
    ("log", "options", "message"),
    [
        (
            "timestamp,machine,state\n2026-01-01T06:00:00,M1,RUN\n",
            [],
            "column 'count' is not in the header",
        ),
        (
            "ts,machine,state,count\n2026-01-01T06:00:00,M1,RUN,0\n",
            ["--time-column", "time"],
            "column 'time' is not in the header ['ts', 'machine', 'state', "
            "'count']; name the right one with --time-column",
        ),
        (
            "timestamp,machine,state,count\nyesterday,M1,RUN,0\n",
            [],
            "line 2: timestamp: 'yesterday' is not a timestamp",
        ),
        (
            "timestamp,machine,state,count\n2026-01-01T06:00:00,M1,RUN,-4\n",
            [],
            "line 2: count: '-4' must be a count of units",
        ),
        (
            "timestamp,machine,state,count\n2026-01-01T06:00:00,M2,RUN,1\n",
            [],
            "no rows for machine 'M1' in column 'machine'; machines in the log: M2",
        ),
        ("", [], "is empty; expected a CSV header row"),
        (
            "timestamp,machine,state,count\n"
            + "".join(f"2026-01-01T06:{m:02d}:00,M1,RUN,1\n" for m in range(30)),
            [],
            "no failure after running time in 30 readings",
        ),
        (
            "timestamp,machine,state,count\n2026-01-01T06:00:00,M1,RUN,1\n",
            ["--counter", "sometimes"],
            "--counter: 'sometimes' must be 'delta' or 'total'",
        ),
    ],
    ids=[
        "missing-column",
        "renamed-column",
        "bad-time",
        "negative-count",
        "unknown-machine",
        "empty",
        "no-failures",
        "bad-counter",
    ],
)
def test_a_bad_log_exits_2_with_a_clear_message_and_writes_nothing(
    tmp_path: Path, log: str, options: list[str], message: str
) -> None:
    path = tmp_path / "log.csv"
    path.write_text(log, encoding="utf-8")
    out = tmp_path / "fragment.yaml"

    result = CliRunner().invoke(
        _app(),
        ["calibrate", str(path), "--machine", "M1", "--out", str(out), *options],
    )

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_too_few_failures_are_refused(tmp_path: Path) -> None:
    rows = ["timestamp,machine,state,count"]
    for minute in range(40):
        state = "DOWN" if minute % 10 == 5 else "RUN"
        rows.append(f"2026-01-01T06:{minute:02d}:00+01:00,M1,{state},1")
    path = tmp_path / "short.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")

    with pytest.raises(simulator.CalibrationError, match="at least 5 of each"):
        calibrate(path, "M1")


def test_the_machine_log_has_one_reading_per_machine_and_minute(
    tmp_path: Path,
) -> None:
    model = simulator.load_plant_model(write_plant(tmp_path, _KNOWN))
    run = simulator.simulate(model, shifts=3, seed=2)
    buffer = io.StringIO()

    rows = write_machine_log(run.timelines, buffer, bucket=60.0)

    lines = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert rows == len(lines) == 24 * 60 + 1
    built = sum(int(row["count"]) for row in lines)
    assert built == sum(
        int(op["good"]) + int(op["scrap"])
        for order in run.ledger.to_dict()["orders"].values()
        for op in list(order["operations"].values())[:1]
    )
    assert {row["state"] for row in lines} <= {"RUN", "DOWN", "OFF", "IDLE"}
    in_breaks = [row for row in lines if row["timestamp"][11:16] in _BREAKS]
    assert len(in_breaks) == 3
    assert {row["state"] for row in in_breaks} <= {"OFF", "DOWN"}


def _figures(fit: MachineFit) -> tuple[float, ...]:
    return (
        fit.mttf,
        fit.ttf_shape,
        fit.mttr,
        fit.ttr_sigma,
        fit.cycle_time,
        fit.ideal_cycle_time or 0.0,
    )


def test_a_state_change_log_gives_exactly_the_lifetimes_it_holds(
    tmp_path: Path,
) -> None:
    # Failures after Weibull running time, each run interrupted by a 30-minute
    # pause (OFF, which stops the running clock); a repair goes on through
    # a pause too. Rows only where the state changes; epoch-second times.
    from scipy import stats

    rng = random.Random(5)
    rows: list[tuple[float, str, int]] = []
    moment = 1_764_486_000.0
    ttf, ttr = [], []
    for _ in range(60):
        running = rng.weibullvariate(3000, 1.3)
        repair = rng.lognormvariate(6.0, 0.4)
        for state, span, units in (
            ("RUN", running / 2, 0),
            ("OFF", 1800.0, 7),
            ("RUN", running / 2, 0),
            ("DOWN", repair / 2, 8),
            ("OFF", 600.0, 0),
            ("DOWN", repair / 2, 0),
        ):
            rows.append((moment, state, units))
            moment += span
        ttf.append(running)
        ttr.append(repair)
    rows += [(moment, "RUN", 0), (moment + 500, "OFF", 1)]
    path = tmp_path / "events.csv"
    path.write_text(
        "timestamp,machine,state,count\n"
        + "".join(f"{t:.6f},M1,{state},{units}\n" for t, state, units in rows),
        encoding="utf-8",
    )

    fit = calibrate(path, "M1")

    shape, _, scale = stats.weibull_min.fit(
        stats.CensoredData(uncensored=ttf[1:], right=[500.0]), floc=0
    )
    sigma, _, median = stats.lognorm.fit(ttr, floc=0)
    assert (fit.failures, fit.failures_censored, fit.repairs) == (59, 1, 60)
    assert fit.ttf_shape == pytest.approx(shape, rel=1e-4)
    assert fit.ttf_scale == pytest.approx(scale, rel=1e-4)
    assert fit.ttr_sigma == pytest.approx(sigma, rel=1e-4)
    assert fit.ttr_mu == pytest.approx(math.log(median), rel=1e-4)
    assert fit.run_s == pytest.approx(sum(ttf) + 500, rel=1e-6)
    assert fit.units == 60 * 15 + 1
