"""Commands of ``simulator`` for the ``plantwin`` command line.

``plantwin simulate`` runs the twin and writes its events (JSONL), its
ledger (JSON) and, if asked, its machines' state log (CSV);
``plantwin calibrate`` fits machine behaviour from such a machine-state log
and prints a plant-model fragment. Bad input prints one message naming the
field and exits 2.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from contracts import PlantEvent, PlantTwinError

_console = Console(stderr=True)


def register(app: typer.Typer, serve: typer.Typer) -> None:
    """Add this part's commands to ``app`` and its services to ``serve``."""
    app.command("simulate")(simulate_command)
    app.command("calibrate")(calibrate_command)


def simulate_command(
    plant: Annotated[Path, typer.Argument(help="plant model YAML")],
    shifts: Annotated[int, typer.Option(help="worked shifts per plant")] = 3,
    seed: Annotated[int, typer.Option(help="random seed")] = 42,
    out: Annotated[Path | None, typer.Option(help="events as JSONL")] = None,
    ledger: Annotated[Path | None, typer.Option(help="ground truth as JSON")] = None,
    start: Annotated[str | None, typer.Option(help="first day, YYYY-MM-DD")] = None,
    processes: Annotated[int, typer.Option(help="worker processes")] = 1,
    speed: Annotated[
        float | None, typer.Option(help="scaled real time: plant s per wall s")
    ] = None,
    machine_log: Annotated[
        Path | None,
        typer.Option(help="machine-state log (CSV, one reading a minute)"),
    ] = None,
) -> None:
    """Run the plant twin and write its events, ledger and machine log."""
    from simulator.loading import load_plant_model
    from simulator.twin import simulate

    try:
        first_day = _parse_date(start)
        if shifts < 1:
            raise PlantTwinError(f"--shifts: {shifts!r} must be at least 1")
        if processes < 1:
            raise PlantTwinError(f"--processes: {processes!r} must be at least 1")
        model = load_plant_model(plant)
        total = shifts * len(model.plants)
        with Progress(
            TextColumn("[bold]simulating"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} shifts"),
            TimeElapsedColumn(),
            console=_console,
        ) as progress:
            task = progress.add_task("twin", total=total)

            def on_event(event: PlantEvent) -> None:
                if event.type.endswith("shift.ended.v1"):
                    progress.advance(task)

            def on_plant(_: str) -> None:
                if processes > 1:
                    progress.advance(task, shifts)

            run = simulate(
                model,
                shifts=shifts,
                seed=seed,
                start=first_day,
                processes=processes,
                speed=speed,
                on_event=on_event,
                on_plant_done=on_plant,
            )
    except PlantTwinError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    document = run.ledger.to_dict()
    outputs: dict[Path, str] = {}
    if out is not None:
        outputs[out] = run.to_jsonl()
    if ledger is not None:
        outputs[ledger] = json.dumps(document, indent=1, sort_keys=True) + "\n"
    if machine_log is not None:
        from simulator.machinelog import write_machine_log

        buffer = io.StringIO()
        write_machine_log(run.timelines, buffer)
        outputs[machine_log] = buffer.getvalue()
    _write_or_exit(outputs)
    Console().print(_summary(run.events, document))


def calibrate_command(
    log: Annotated[Path, typer.Argument(help="machine-state log (CSV)")],
    machine: Annotated[str, typer.Option(help="machine to fit")],
    machine_column: Annotated[
        str, typer.Option(help="column naming the machine")
    ] = "machine",
    time_column: Annotated[
        str, typer.Option(help="timestamp column (ISO 8601 or epoch seconds)")
    ] = "timestamp",
    state_column: Annotated[str, typer.Option(help="state column")] = "state",
    count_column: Annotated[
        str, typer.Option(help="units completed since the previous reading")
    ] = "count",
    run_state: Annotated[
        list[str] | None, typer.Option(help="state code of running (repeatable)")
    ] = None,
    down_state: Annotated[
        list[str] | None,
        typer.Option(help="state code of failed, in repair (repeatable)"),
    ] = None,
    counter: Annotated[
        str, typer.Option(help="'delta': units per reading; 'total': part counter")
    ] = "delta",
    out: Annotated[Path | None, typer.Option(help="plant-model fragment YAML")] = None,
) -> None:
    """Fit a machine's failure, repair and cycle distributions from a log."""
    from simulator.calibration import LogColumns, calibrate, fragment_yaml

    try:
        if counter not in ("delta", "total"):
            raise PlantTwinError(f"--counter: {counter!r} must be 'delta' or 'total'")
        columns = LogColumns(
            machine=machine_column,
            time=time_column,
            state=state_column,
            count=count_column,
            run_state=tuple(run_state or ["RUN"]),
            down_state=tuple(down_state or ["DOWN"]),
            counter="total" if counter == "total" else "delta",
        )
        overlap = columns.run_states & columns.down_states
        if overlap:
            raise PlantTwinError(
                f"--run-state and --down-state: {sorted(overlap)} cannot be both"
            )
        text = fragment_yaml(calibrate(log, machine, columns))
    except PlantTwinError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if out is not None:
        _write_or_exit({out: text})
    typer.echo(text, nl=False)


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PlantTwinError(
            f"--start: {text!r} is not a date; use e.g. '2026-11-30'"
        ) from None


def _write_or_exit(outputs: dict[Path, str]) -> None:
    """Write every file or none: each goes to a temporary file first."""
    staged: list[tuple[str, Path]] = []
    umask = os.umask(0)
    os.umask(umask)
    try:
        for path, text in outputs.items():
            if path.is_dir():
                raise IsADirectoryError(21, "is a directory", str(path))
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}."
            )
            staged.append((temporary, path))
            os.chmod(temporary, 0o666 & ~umask)
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
    except OSError as exc:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        where = exc.filename or path
        typer.echo(f"error: {where}: cannot write: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    for temporary, path in staged:
        os.replace(temporary, path)


def _summary(events: list[PlantEvent], ledger: dict[str, Any]) -> Table:
    table = Table(title="plant twin run")
    table.add_column("what")
    table.add_column("value", justify="right")
    for kind, count in sorted(Counter(event.type for event in events).items()):
        table.add_row(kind.removeprefix("io.planttwin."), str(count))
    table.add_row("events", str(len(events)), end_section=True)

    by_line: dict[str, list[float]] = {}
    for row in ledger["oee"]:
        by_line.setdefault(f"{row['plant']}/{row['line']}", []).append(row["oee"])
    for line, values in sorted(by_line.items()):
        table.add_row(f"OEE {line}", f"{sum(values) / len(values):.1%}")
    good = scrap = 0
    for order in ledger["orders"].values():
        for operation in order["operations"].values():
            good += int(operation["good"])
            scrap += int(operation["scrap"])
    rate = scrap / (good + scrap) if good + scrap else 0.0
    table.add_row("scrap rate", f"{rate:.2%}", end_section=True)
    return table
