"""The plant model loads, and a broken one is refused with its YAML path."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import simulator
from contracts import PlantTwinError
from simulator.cli import register
from tests.simulator.conftest import SAMPLE, write_plant

_ONE_LINE = """\
code: P100
lines:
  - code: MACH
    work_center: MACH
    machines:
      - {equipment: CNC-01, cycle_time: 5m, mttf: 8h, mttr: MTTR}
products:
  - material: HSG-100
    line: MACH
    per_shift: 40
    routing: [{operation: "0010", work_center: MACH}]
    bom: [{component: CAST-100, quantity_per_unit: "1", unit: PC}]
"""


def test_the_sample_plant_has_three_lines_of_the_master_data(
    plant: simulator.PlantModel,
) -> None:
    (p100,) = plant.plants
    assert [line.work_center for line in p100.lines] == ["MACH", "SUBASM", "FINAL"]
    assert plant.timezones == {"P100": "Europe/Berlin"}
    assert simulator.master_data_path(plant).name == "sample.yaml"
    assert simulator.shift_hours(plant) == 8.0


def test_a_negative_repair_time_is_named_by_its_yaml_path(tmp_path: Path) -> None:
    path = write_plant(tmp_path, _ONE_LINE.replace("MTTR", "'-5m'"))

    with pytest.raises(simulator.PlantModelError) as caught:
        simulator.load_plant_model(path)

    assert isinstance(caught.value, PlantTwinError)
    assert str(caught.value).startswith(
        "lines[0].machines[0].mttr: '-5m' must be a positive duration"
    )


def test_unknown_master_data_codes_are_refused_with_their_path(
    tmp_path: Path,
) -> None:
    body = _ONE_LINE.replace("MTTR", "30m").replace("CAST-100", "CAST-999")
    path = write_plant(tmp_path, body)

    with pytest.raises(simulator.PlantModelError) as caught:
        simulator.load_plant_model(path)

    assert "products[0].bom[0].component: 'CAST-999'" in str(caught.value)


def test_simulate_command_exits_2_and_writes_nothing_on_a_bad_model(
    tmp_path: Path,
) -> None:
    app = _app()
    path = write_plant(tmp_path, _ONE_LINE.replace("MTTR", "soon"))
    out = tmp_path / "events.jsonl"

    result = CliRunner().invoke(
        app, ["simulate", str(path), "--shifts", "1", "--out", str(out)]
    )

    assert result.exit_code == 2
    assert "lines[0].machines[0].mttr: 'soon' must be a positive duration" in (
        result.output
    )
    assert "Traceback" not in result.output
    assert not out.exists()


def test_simulate_command_shows_progress_and_a_summary_and_writes_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import json

    from rich.console import Console

    import simulator.cli

    progress = io.StringIO()
    monkeypatch.setattr(
        simulator.cli, "_console", Console(file=progress, force_terminal=True)
    )
    out, ledger = tmp_path / "e.jsonl", tmp_path / "t.json"

    result = CliRunner().invoke(
        _app(),
        [
            "simulate",
            str(SAMPLE),
            "--shifts",
            "3",
            "--seed",
            "1",
            "--out",
            str(out),
            "--ledger",
            str(ledger),
        ],
    )

    assert result.exit_code == 0, result.output
    assert "━" in progress.getvalue() and "3/3 shifts" in progress.getvalue()
    for row in (
        "operation.confirmed.v1",
        "OEE P100/MACH",
        "OEE P100/FINAL",
        "scrap rate",
    ):
        assert row in result.output
    events = out.read_text().splitlines()
    truth = json.loads(ledger.read_text())
    assert len(events) > 300 and len(truth["orders"]) == 9
    assert oct(out.stat().st_mode & 0o044) == oct(0o044)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("code: P100", "code: P100\ncalendar: {holidays: [2026-13-01]}"),
            "calendar.holidays[0]: '2026-13-01' input should be a valid date",
        ),
        (
            ("code: P100", "code: P100\ncalendar: {break_length: 5h}"),
            "calendar.break_length: '5h' must be shorter than 4h",
        ),
        (
            ("code: P100", "code: P100\ncalendar: {pattern: custom}"),
            "calendar.shifts: a custom calendar must list its shifts",
        ),
        (
            (
                "code: P100",
                "code: P100\ncalendar: {pattern: custom, shifts: [{name: A, "
                "start: '6:00', length: 8h}]}",
            ),
            "calendar.shifts[0].start: '6:00' must be a time of day HH:MM",
        ),
        (
            (
                "code: P100",
                "code: P100\ncalendar: {pattern: custom, shifts: [{name: A, "
                "start: '06:00', length: 8h, breaks: [{after: 2h, duration: 1h},"
                " {after: 2h30m, duration: 10m}]}]}",
            ),
            "calendar.shifts[0].breaks: break 2 (after 2h30m) overlaps an earlier",
        ),
        (
            ("cycle_time: 5m,", "cycle_time: 5m, ideal_cycle_time: 6m,"),
            "lines[0].machines[0].ideal_cycle_time: '6m' must not exceed "
            "cycle_time (5m)",
        ),
        (
            ("cycle_time: 5m,", "cycle_time: 5m, micro_stop_mean: 7m,"),
            "lines[0].machines[0].micro_stop_mean: '7m' must be shorter than 5m",
        ),
        (
            ("cycle_time: 5m,", "cycle_time: 50m,"),
            "lines[0].machines[0].cycle_time: '50m' is too long",
        ),
        (
            (
                "work_center: MACH}]",
                "work_center: MACH, scrap: {probability: 0.1, reasons: {WOBBLE: 1}}}]",
            ),
            "products[0].routing[0].scrap.reasons: 'WOBBLE' is not a reason code",
        ),
        (
            ("mttf: 8h", "mttf: 8h, colour: red"),
            "lines[0].machines[0].colour: 'red' is not a known field",
        ),
    ],
    ids=[
        "holiday",
        "break-length",
        "custom-empty",
        "clock",
        "overlap",
        "ideal",
        "micro-stop",
        "slow-cycle",
        "reason",
        "unknown-field",
    ],
)
def test_each_broken_rule_is_named_by_its_yaml_path(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    body = _ONE_LINE.replace("MTTR", "30m").replace(*change)
    path = write_plant(tmp_path, body)

    with pytest.raises(simulator.PlantModelError) as caught:
        simulator.load_plant_model(path)

    assert message in str(caught.value)


def test_a_multi_plant_file_names_the_plant_in_the_path(tmp_path: Path) -> None:
    plant = _ONE_LINE.replace("MTTR", "'-5m'")
    indented = "".join(f"    {line}\n" for line in plant.splitlines())
    body = "plants:\n  - " + indented.removeprefix("    ")

    with pytest.raises(simulator.PlantModelError) as caught:
        simulator.load_plant_model(write_plant(tmp_path, body))

    assert str(caught.value).startswith("plants[0].lines[0].machines[0].mttr: '-5m'")


def test_simulate_command_refuses_an_unwritable_output_and_writes_nothing(
    tmp_path: Path,
) -> None:
    out = tmp_path / "e.jsonl"
    folder = tmp_path / "a-folder"
    folder.mkdir()

    result = CliRunner().invoke(
        _app(),
        [
            "simulate",
            str(SAMPLE),
            "--shifts",
            "1",
            "--out",
            str(out),
            "--ledger",
            str(folder),
        ],
    )

    assert result.exit_code == 2
    assert "a-folder: cannot write: is a directory" in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == [folder]
    assert list(folder.iterdir()) == []


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app, typer.Typer())
    return app
