"""Durations as plant engineers write them: ``'90s'``, ``'5m'``, ``'1h30m'``.

Inside the twin every duration is a float of seconds; in YAML a bare number
is read as seconds too.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_HINT = "use e.g. '90s', '5m' or '1h30m'"


def parse_duration(value: Any) -> float:
    """Seconds of ``value``; raises ``ValueError`` naming the rule."""
    if isinstance(value, bool):
        raise ValueError(f"must be a positive duration; {_HINT}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        seconds = 0.0
        position = 0
        for match in _PART.finditer(text):
            if match.start() != position:
                break
            seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
            position = match.end()
        if position != len(text) or not text:
            raise ValueError(f"must be a positive duration; {_HINT}")
    else:
        raise ValueError(f"must be a positive duration; {_HINT}")
    if not seconds > 0:
        raise ValueError(f"must be a positive duration; {_HINT}")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest plain text for ``seconds`` (``'1h30m'``, ``'42.5s'``)."""
    whole = round(seconds, 3)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = ""
    if hours:
        text += f"{int(hours)}h"
    if minutes:
        text += f"{int(minutes)}m"
    if secs or not text:
        text += f"{secs:g}s"
    return text


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A positive span of time, read from text, held as seconds."""
