"""Commands of ``mocks.odoo`` for the ``plantwin`` command line."""

from __future__ import annotations

import typer


def register(app: typer.Typer, serve: typer.Typer) -> None:
    """Add this part's commands to ``app`` and its services to ``serve``."""
