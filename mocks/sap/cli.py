"""Commands of ``mocks.sap`` for the ``plantwin`` command line."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Annotated

import typer

from contracts import ContractError


def register(app: typer.Typer, serve: typer.Typer) -> None:
    """Add this part's commands to ``app`` and its services to ``serve``."""

    @serve.command("sap")
    def serve_sap(
        port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8101,
        host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
        master_data: Annotated[
            Path | None, typer.Option("--master-data", help="Master-data YAML file.")
        ] = None,
        reprocess_interval: Annotated[
            float, typer.Option(help="Seconds between post-processing (COGI) runs; "
                                     "0 disables the job.")
        ] = 2.0,
        user: Annotated[
            list[str] | None,
            typer.Option(help="USER:PASSWORD (repeatable); default "
                              "PLANTTWIN:planttwin."),
        ] = None,
    ) -> None:
        """Run the SAP S/4HANA mock (OData V2) on a loopback port."""
        import uvicorn

        from contracts import load_master_data
        from mocks.sap.app import create_app

        users = None
        if user:
            users = {}
            for entry in user:
                name, sep, password = entry.partition(":")
                if not sep or not name:
                    typer.echo(f"--user: {entry!r} is not USER:PASSWORD", err=True)
                    raise typer.Exit(2)
                users[name.upper()] = password
        if not 0 < port < 65536:
            typer.echo(f"--port: {port} is not a port (1..65535)", err=True)
            raise typer.Exit(2)
        master = None
        if master_data is not None:
            try:
                master = load_master_data(master_data)
            except ContractError as error:
                typer.echo(str(error), err=True)
                raise typer.Exit(2) from None
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s "
                                                       "%(message)s")
        # The line names no thread or process: skip collecting them.
        logging.logThreads = logging.logProcesses = False
        logging.logMultiprocessing = False
        # The mock keeps every posting in memory; with the default thresholds
        # the collector's full passes over that growing heap set the p99
        # latency (65 ms against 13 ms in benchmarks/sap_bench.py).
        gc.set_threshold(100_000, 50, 1000)
        application = create_app(master, users=users,
                                  reprocess_interval=reprocess_interval or None)
        uvicorn.run(application, host=host, port=port, log_level="warning",
                    access_log=False)
