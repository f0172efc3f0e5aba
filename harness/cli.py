"""The ``plantwin`` command.

Each part registers its own commands: the twin (``simulate``,
``calibrate``), the mocks and the gateway (``serve sap|odoo|gateway``) and the
harness (``run``). Bad input prints one clear message and exits 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from contracts import __version__
from contracts.export import SCHEMA_DIR, render, schema_drift, write_schemas

SCENARIO_SCHEMA = "scenario.schema.json"

app = typer.Typer(
    name="plantwin",
    help="Test the integration path between a plant twin and SAP / Odoo mocks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
serve_app = typer.Typer(help="Run one part as a service on a loopback port.")
app.add_typer(serve_app, name="serve")
console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"plantwin {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show version."
        ),
    ] = False,
) -> None:
    """PlantTwin: find integration failures before a plant does."""


@app.command()
def schemas(
    out: Annotated[Path, typer.Option(help="Folder to write into.")] = SCHEMA_DIR,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if committed schemas drifted.")
    ] = False,
) -> None:
    """Generate the JSON Schemas of the plant-event contract and of scenarios."""
    from harness.scenario import scenario_schema

    scenario_file = out / SCENARIO_SCHEMA
    scenario_text = render(scenario_schema())
    if check:
        drift = schema_drift(out)
        current = scenario_file.read_text() if scenario_file.exists() else None
        if current != scenario_text:
            drift.append(SCENARIO_SCHEMA)
        for name in drift:
            typer.echo(f"drift: {out / name} differs from the models", err=True)
        raise typer.Exit(1 if drift else 0)
    for path in write_schemas(out):
        typer.echo(str(path))
    scenario_file.write_text(scenario_text, encoding="utf-8")
    typer.echo(str(scenario_file))


def _register_parts() -> None:
    from gateway.cli import register as register_gateway
    from harness.commands import register as register_harness
    from mocks.odoo.cli import register as register_odoo
    from mocks.sap.cli import register as register_sap
    from simulator.cli import register as register_simulator

    for register in (
        register_simulator,
        register_sap,
        register_odoo,
        register_gateway,
        register_harness,
    ):
        register(app, serve_app)


def main() -> None:
    """Entry point of the console script."""
    _register_parts()
    app()
