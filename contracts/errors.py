"""Errors of the contracts package, with messages that name the path.

Every message has the shape ``<path>: <value> <rule>``, e.g.
``data.yield_qty: '-3' must be >= 0``, so that a plant engineer can find the
field in the payload without reading a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails


class PlantTwinError(Exception):
    """Base of every error PlantTwin raises on bad input."""


class ContractError(PlantTwinError, ValueError):
    """An event or batch breaks the plant-event contract.

    ``problems`` holds one ``(path, message)`` pair per broken rule; ``str()``
    joins them one per line.
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(message for _, message in self.problems))


def format_path(loc: Iterable[int | str], prefix: str = "") -> str:
    """Turn a pydantic location into ``data.lines[2].machines[0].mttr``."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif path:
            path += f".{part}"
        else:
            path = str(part)
    return path or "(root)"


def _show(value: Any) -> str:
    if isinstance(value, dict | list):
        return "a " + type(value).__name__
    text = repr(value) if isinstance(value, str) else repr(str(value))
    return text if len(text) <= 60 else text[:57] + "...'"


def _rule(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    rules = {
        "missing": "is required",
        "extra_forbidden": "is not a known field",
        "greater_than_equal": f"must be >= {ctx.get('ge')}",
        "greater_than": f"must be > {ctx.get('gt')}",
        "less_than_equal": f"must be <= {ctx.get('le')}",
        "less_than": f"must be < {ctx.get('lt')}",
        "string_too_short": f"must have at least {ctx.get('min_length')} characters",
        "string_too_long": f"must have at most {ctx.get('max_length')} characters",
        "too_short": f"must have at least {ctx.get('min_length')} items",
        "string_pattern_mismatch": f"must match {ctx.get('pattern')}",
        "literal_error": f"must be one of {ctx.get('expected')}",
        "timezone_aware": "must carry a UTC offset, e.g. '2026-12-03T06:00:00+01:00'",
    }
    if kind in rules:
        return rules[kind]
    message = error["msg"]
    for lead in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(lead)
    return message[:1].lower() + message[1:]


def problems_from(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Describe each pydantic error as ``(path, 'path: value rule')``."""
    problems = []
    for error in exc.errors():
        path = format_path(error["loc"], prefix)
        if error["type"] == "missing":
            problems.append((path, f"{path}: is required"))
        elif isinstance(error["input"], dict | list):
            rule = _rule(error)
            whole = rule if not error["loc"] and ": " in rule else f"{path}: {rule}"
            problems.append((path, whole))
        else:
            problems.append((path, f"{path}: {_show(error['input'])} {_rule(error)}"))
    return problems
