"""``read_group`` (basic): groups, counts and sums as Odoo returns them.

Group by plain fields, many2one fields (``[id, name]``) and date or datetime
fields with a granularity (``date:day``, ``:week``, ``:month``, ``:quarter``,
``:year``).  Datetimes are bucketed in ``context['tz']`` (UTC without one),
and the group's label is Odoo's English one (``04 Dec 2026``, ``W49 2026``,
``December 2026``, ``Q4 2026``, ``2026``); ``__range`` and ``__domain`` give
the bucket's bounds (in UTC for datetimes).  Numeric fields aggregate with
``sum`` unless the field spec names ``min``, ``max``, ``avg`` or ``count``.
A lazy call groups by the first field only and counts in ``<field>_count``;
otherwise ``__count``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mocks.odoo import methods
from mocks.odoo.errors import value_error
from mocks.odoo.fields import MODELS, NUMERIC
from mocks.odoo.orm import Database, Env, Row

GRANULARITIES = ("day", "week", "month", "quarter", "year")
_AGGREGATES = ("sum", "min", "max", "avg", "count")


def read_group(db: Database, env: Env, model: str, domain: Any, fields: Any,
               groupby: Any, offset: Any = 0, limit: Any = None,
               orderby: Any = False, lazy: Any = True) -> list[Row]:
    spec = MODELS[model]
    groups = [groupby] if isinstance(groupby, str) else groupby
    if not isinstance(groups, list | tuple) or not groups or not all(
            isinstance(name, str) for name in groups):
        raise value_error(f"Invalid groupby {groupby!r}: give one or more field "
                          "names, e.g. ['product_id'] or ['date:month']")
    for name in groups:
        base, _, granularity = name.partition(":")
        definition = spec.fields.get(base)
        if definition is None:
            raise value_error(f"Invalid field {base!r} on model {model!r}")
        if granularity and (granularity not in GRANULARITIES
                            or definition.type not in ("date", "datetime")):
            raise value_error(f"Invalid groupby {name!r} on model {model!r}")
    used = list(groups[:1]) if lazy else list(groups)
    aggregates = _aggregates(model, fields, used)
    zone = _zone(env)
    buckets: dict[tuple[Any, ...], list[Row]] = {}
    for row in methods.select(db, env, model, domain, 0, None):
        key = tuple(_bucket(spec.fields[n.partition(":")[0]].type,
                            row.get(n.partition(":")[0], False), n, zone)
                    for n in used)
        buckets.setdefault(key, []).append(row)
    result = []
    for key in sorted(buckets, key=_sort_key):
        result.append(_group(db, model, used, key, buckets[key], aggregates, lazy,
                             groups, domain, zone))
    if not isinstance(offset, int) or (limit and not isinstance(limit, int)):
        raise value_error(f"Invalid offset {offset!r} or limit {limit!r}")
    return result[offset:][: limit or None]


def _group(db: Database, model: str, used: list[str], key: tuple[Any, ...],
           members: list[Row], aggregates: list[tuple[str, str]], lazy: Any,
           groups: list[str] | tuple[str, ...], domain: Any, zone: Any) -> Row:
    spec = MODELS[model]
    group: Row = {}
    conditions: list[Any] = []
    ranges: dict[str, Any] = {}
    for name, value in zip(used, key, strict=True):
        base, _, granularity = name.partition(":")
        definition = spec.fields[base]
        if granularity and value is not False:
            start, end = value
            group[name] = _label(start, granularity)
            is_datetime = definition.type == "datetime"
            low, high = (_utc(start, zone), _utc(end, zone)) if is_datetime else (
                start.isoformat(), end.isoformat())
            ranges[name] = {"from": low, "to": high}
            conditions += [[base, ">=", low], [base, "<", high]]
        elif definition.relation and value:
            group[name] = [value, db.display_name(definition.relation, value)]
            conditions.append([base, "=", value])
        else:
            group[name] = value
            conditions.append([base, "=", value])
    group[f"{used[0].partition(':')[0]}_count" if lazy else "__count"] = len(members)
    for name, function in aggregates:
        values = [float(row.get(name) or 0) for row in members]
        group[name] = _aggregate(function, values)
    group["__domain"] = [*(["&"] * (len(conditions) - 1)), *conditions,
                         *(domain or [])] if conditions else list(domain or [])
    if ranges:
        group["__range"] = ranges
    if lazy and len(groups) > 1:
        group["__context"] = {"group_by": list(groups[1:])}
    return group


def _aggregates(model: str, fields: Any, groups: list[str]) -> list[tuple[str, str]]:
    spec = MODELS[model]
    if fields and not isinstance(fields, list | tuple):
        raise value_error(f"Invalid fields {fields!r}: expected a list")
    grouped = {g.partition(":")[0] for g in groups}
    out = []
    for item in fields or []:
        name, _, function = str(item).partition(":")
        if name in grouped or name == "__count":
            continue
        if name not in spec.fields:
            raise value_error(f"Invalid field {name!r} on model {model!r}")
        if function and function not in _AGGREGATES:
            raise value_error(f"Invalid aggregate {function!r} for {name!r}; use "
                              f"one of {', '.join(_AGGREGATES)}")
        if spec.fields[name].type in NUMERIC:
            out.append((name, function or "sum"))
    return out


def _aggregate(function: str, values: list[float]) -> float:
    if not values:
        return 0.0
    if function == "min":
        return min(values)
    if function == "max":
        return max(values)
    if function == "avg":
        return sum(values) / len(values)
    if function == "count":
        return float(len(values))
    return round(sum(values), 6)


def _zone(env: Env) -> Any:
    tz = env.context.get("tz")
    try:
        return ZoneInfo(tz) if isinstance(tz, str) and tz else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _bucket(kind: str, value: Any, name: str, zone: Any) -> Any:
    """A group key: the value, or (start, end) dates of its period."""
    granularity = name.partition(":")[2]
    if not granularity or not isinstance(value, str) or not value:
        return value
    if kind == "datetime":
        moment = datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S")
        day = moment.replace(tzinfo=UTC).astimezone(zone).date()
    else:
        day = date.fromisoformat(value[:10])
    if granularity == "day":
        return day, day + timedelta(days=1)
    if granularity == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if granularity == "year":
        return date(day.year, 1, 1), date(day.year + 1, 1, 1)
    months = 3 if granularity == "quarter" else 1
    first = (day.month - 1) // months * months + 1
    start = date(day.year, first, 1)
    following = first + months
    end = date(day.year + (following > 12), (following - 1) % 12 + 1, 1)
    return start, end


def _label(start: date, granularity: str) -> str:
    if granularity == "day":
        return start.strftime("%d %b %Y")
    if granularity == "week":
        year, week, _ = start.isocalendar()
        return f"W{week} {year}"
    if granularity == "month":
        return start.strftime("%B %Y")
    if granularity == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return str(start.year)


def _utc(day: date, zone: Any) -> str:
    local = datetime(day.year, day.month, day.day, tzinfo=zone)
    return local.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """By value, groups without a value last (as PostgreSQL orders NULLs)."""
    return tuple((True, 0) if value is False or value is None else (False, value)
                 for value in key)


methods.GENERIC["read_group"] = read_group
