"""``plantwin run``: scenario suites with a verdict, for QA and for CI.

Exit 0 when every expectation of every scenario holds, 1 when any fails, 2
when the input is invalid (with one message naming the file, the path, the
bad value and the rule).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from contracts.errors import PlantTwinError
from harness.report import RunResult, print_summary, write_junit
from harness.scenario import discover, load_scenario

DEFECTS = (
    "no_dedup",
    "no_ordering",
    "no_retries",
    "retries_without_idempotency",
    "utc_posting_date",
    "ignore_unit_conversion",
)


def run(
    paths: Annotated[list[Path], typer.Argument(help="Scenario files or folders.")],
    report_dir: Annotated[
        Path, typer.Option(help="Where report.json and report.html land.")
    ] = Path("reports"),
    junit: Annotated[
        Path | None, typer.Option(help="Write JUnit XML here (one case per check).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Override every scenario's seed.")
    ] = None,
    defect: Annotated[
        list[str] | None,
        typer.Option(
            help=f"Break the embedded gateway on purpose: {', '.join(DEFECTS)}."
        ),
    ] = None,
    compare_clean: Annotated[
        bool,
        typer.Option(
            "--compare-clean",
            help="Also run each scenario without faults and diff the final ERP states.",
        ),
    ] = False,
) -> None:
    """Run scenarios end to end and judge the ERPs against the twin's truth."""
    from harness.runner import compare_clean_run, run_scenario

    console = Console()
    try:
        for name in defect or []:
            if name not in DEFECTS:
                raise PlantTwinError(
                    f"--defect: {name!r} is not one of {', '.join(DEFECTS)}"
                )
        scenarios = [load_scenario(path) for path in discover(paths)]
    except PlantTwinError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    results: list[RunResult] = []
    for scenario in scenarios:
        if seed is not None:
            scenario = scenario.model_copy(update={"seed": seed})
        if defect:
            gateway = scenario.gateway.model_copy(update={"defects": list(defect)})
            scenario = scenario.model_copy(update={"gateway": gateway})
        try:
            result = run_scenario(scenario, report_dir / scenario.name, console)
            if compare_clean:
                compare_clean_run(scenario, result, report_dir / scenario.name, console)
        except PlantTwinError as exc:
            typer.echo(f"error: scenario {scenario.name!r}: {exc}", err=True)
            raise typer.Exit(2) from None
        print_summary(result, console)
        results.append(result)

    if junit is not None:
        junit.parent.mkdir(parents=True, exist_ok=True)
        write_junit(results, junit)
        console.print(f"junit: {junit}")
    failed = [result.scenario.name for result in results if not result.passed]
    if failed:
        console.print(f"[red]{len(failed)} of {len(results)} failed:[/red] {failed}")
        raise typer.Exit(1)
    console.print(f"[green]all {len(results)} scenario(s) passed[/green]")


def register(app: typer.Typer, serve: typer.Typer) -> None:
    """Add the harness's commands to ``app``."""
    app.command("run")(run)
