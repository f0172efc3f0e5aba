"""SQL that writes many rows in one statement, for SQLite and PostgreSQL.

``executemany`` steps the statement once per row, and each step lets go of
and takes back Python's GIL; under load, taking it back costs more than the
row. One statement with many rows costs one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Connection = Any
CHUNK = 400
"""Rows (or ``IN`` values) per statement, well inside both databases'
limits on bound values and compound rows."""


def marks(count: int) -> str:
    """``?, ?, ?`` for an ``IN`` list of ``count`` values."""
    return ", ".join("?" * count)


def values(rows: int, width: int) -> str:
    """``(?, ?), (?, ?)`` for ``rows`` rows of ``width`` values."""
    row = "(" + marks(width) + ")"
    return ", ".join([row] * rows)


def chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]


def insert_rows(
    conn: Connection, head: str, rows: Sequence[Sequence[Any]], tail: str = ""
) -> None:
    """``{head} VALUES (...), (...) {tail}`` over ``rows``, in chunks."""
    for chunk in chunks(rows):
        params = [value for row in chunk for value in row]
        rows_sql = values(len(chunk), len(chunk[0]))
        conn.execute(f"{head} VALUES {rows_sql} {tail}", params)


def update_rows(
    conn: Connection, update: str, rows: Sequence[Sequence[Any]], where: str
) -> None:
    """``{update} FROM (VALUES ...) AS v WHERE {where}`` over ``rows``; the
    values are ``v.column1``, ``v.column2``, ... in both databases."""
    for chunk in chunks(rows):
        params = [value for row in chunk for value in row]
        conn.execute(
            f"{update} FROM (VALUES {values(len(chunk), len(chunk[0]))}) AS v "
            f"WHERE {where}",
            params,
        )
