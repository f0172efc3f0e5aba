"""Commands of ``mocks.odoo`` for the ``plantwin`` command line."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Annotated

import typer

from contracts import ContractError, load_master_data


def register(app: typer.Typer, serve: typer.Typer) -> None:
    """Add this part's commands to ``app`` and its services to ``serve``."""

    @serve.command("odoo")
    def serve_odoo(
        port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8102,
        master_data: Annotated[
            Path | None, typer.Option("--master-data", help="Master data YAML/JSON.")
        ] = None,
        host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    ) -> None:
        """Run the Odoo mock: database planttwin; user integration, password
        planttwin, API key odoo-api-key-planttwin (see mocks.odoo.server)."""
        import uvicorn

        from mocks.odoo.app import create_app
        from mocks.odoo.errors import OdooMockError

        if not 0 < port < 65536:
            typer.echo(f"--port: {port} is not a port; use 1-65535", err=True)
            raise typer.Exit(2)
        try:
            master = load_master_data(master_data) if master_data else None
            application = create_app(master)
        except (ContractError, OdooMockError) as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(name)s %(message)s")
        logging.logThreads = logging.logProcesses = False
        logging.logMultiprocessing = False
        # Records and the journal stay in memory; fewer full collections keep
        # the latency of a long run flat.
        gc.set_threshold(100_000, 50, 1000)
        uvicorn.run(application, host=host, port=port, log_level="warning",
                    access_log=False)
