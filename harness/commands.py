"""The harness's commands (``run``) for the ``plantwin`` command line."""

from __future__ import annotations

import typer


def register(app: typer.Typer, serve: typer.Typer) -> None:
    """Add the harness's commands to ``app``."""
