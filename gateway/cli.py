"""Commands of ``gateway`` for the ``plantwin`` command line:
``plantwin serve gateway --config FILE`` and ``plantwin gateway openapi``."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from contracts import ContractError

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "contracts/openapi/gateway.json"


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(2)


def _configure_logging() -> None:
    from gateway.metrics import JsonLogFormatter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger("gateway")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


def serve_gateway(
    config: Annotated[Path, typer.Option("--config", help="Gateway YAML file.")],
    port: Annotated[
        int | None, typer.Option(help="Override listen.port of the config.")
    ] = None,
) -> None:
    """Run the reference integration gateway (ingest and delivery)."""
    import uvicorn

    from gateway.app import create_app
    from gateway.config import load_config
    from gateway.errors import ConfigError

    try:
        settings = load_config(config)
        if port is not None:
            listen = settings.listen.model_copy(update={"port": port})
            settings = settings.model_copy(update={"listen": listen})
        app = create_app(settings)
    except (ConfigError, ContractError) as exc:
        _fail(str(exc))
        return
    _configure_logging()
    uvicorn.run(
        app,
        host=settings.listen.host,
        port=settings.listen.port,
        log_level="warning",
        access_log=False,
    )


def openapi(
    out: Annotated[Path, typer.Option(help="Where to write it.")] = OPENAPI_PATH,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if the committed one drifted.")
    ] = False,
) -> None:
    """Write (or check) the gateway's OpenAPI document."""
    from gateway.openapi import render_openapi

    text = render_openapi()
    if check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            typer.echo(f"drift: {out} differs from the gateway's routes", err=True)
            raise typer.Exit(1)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(str(out))


def register(app: typer.Typer, serve: typer.Typer) -> None:
    """Add this part's commands to ``app`` and its services to ``serve``."""
    serve.command("gateway")(serve_gateway)
    gateway_app = typer.Typer(help="The reference integration gateway.")
    gateway_app.command("openapi")(openapi)
    app.add_typer(gateway_app, name="gateway")

