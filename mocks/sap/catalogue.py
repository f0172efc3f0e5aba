"""The services, entity sets and properties the mock serves.

``catalogue.json`` is generated from SAP's published API descriptions by
``build_catalogue``; this module reads it and converts values between SAP's
JSON wire format (``/Date(ms)/``, decimals as strings, ``PT15H51M04S``) and
Python values, refusing anything the metadata does not allow with a 400 that
names the property.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from mocks.sap.errors import bad_input

_CATALOGUE = Path(__file__).with_name("catalogue.json")
_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_TIME = re.compile(r"^PT(\d{1,2})H(\d{1,2})M(\d{1,2})S$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_KEY_PART = re.compile(r"(\w+)\s*=\s*('(?:[^']|'')*'|[^,]+)")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INT_RANGES = {
    "Edm.Byte": (0, 255),
    "Edm.Int16": (-(2**15), 2**15 - 1),
    "Edm.Int32": (-(2**31), 2**31 - 1),
}


@dataclass(frozen=True)
class Property:
    name: str
    type: str
    nullable: bool = True
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None


@dataclass(frozen=True)
class Navigation:
    name: str
    target: str
    many: bool


@dataclass(frozen=True)
class EntitySet:
    service: str
    name: str
    type_name: str
    keys: tuple[str, ...]
    properties: dict[str, Property]
    navigations: dict[str, Navigation]


@dataclass(frozen=True)
class FunctionImport:
    name: str
    parameters: tuple[Property, ...]
    returns: str


@dataclass(frozen=True)
class Service:
    name: str
    entity_sets: dict[str, EntitySet]
    functions: dict[str, FunctionImport]
    complex_types: dict[str, tuple[Property, ...]]


def _property(raw: dict[str, Any]) -> Property:
    return Property(
        name=raw["name"],
        type=raw["type"],
        nullable=bool(raw.get("nullable", True)),
        max_length=raw.get("max_length"),
        precision=raw.get("precision"),
        scale=raw.get("scale"),
    )


@cache
def services() -> dict[str, Service]:
    """Every service of the catalogue by name (read once)."""
    raw = json.loads(_CATALOGUE.read_text(encoding="utf-8"))
    result = {}
    for name, spec in raw.items():
        sets = {}
        for set_name, entity in spec["entity_sets"].items():
            sets[set_name] = EntitySet(
                service=name,
                name=set_name,
                type_name=entity["type"],
                keys=tuple(entity["keys"]),
                properties={p["name"]: _property(p) for p in entity["properties"]},
                navigations={
                    nav: Navigation(nav, target["target"], target["many"])
                    for nav, target in entity["navigations"].items()
                },
            )
        functions = {
            fname: FunctionImport(
                fname,
                tuple(_property({**p, "nullable": not p["required"]})
                      for p in fspec["parameters"]),
                fspec["returns"],
            )
            for fname, fspec in spec["functions"].items()
        }
        complex_types = {
            cname: tuple(_property(p) for p in props)
            for cname, props in spec["complex_types"].items()
        }
        result[name] = Service(name, sets, functions, complex_types)
    return result


def entity_set(service: str, name: str) -> EntitySet:
    return services()[service].entity_sets[name]


# Wire -> Python ----------------------------------------------------------------


def parse_value(prop: Property, value: Any, path: str) -> Any:
    """Convert one JSON value to Python, or raise a 400 naming ``path``."""
    if value is None:
        if not prop.nullable:
            raise bad_input(path, "null is not allowed for a key property")
        return None
    kind = prop.type
    if kind == "Edm.String":
        if not isinstance(value, str):
            raise bad_input(path, f"{value!r} is not a string")
        if prop.max_length is not None and len(value) > prop.max_length:
            raise bad_input(
                path, f"'{value[:60]}' is longer than {prop.max_length} characters"
            )
        return value
    if kind == "Edm.Boolean":
        if not isinstance(value, bool):
            raise bad_input(path, f"{value!r} is not a boolean")
        return value
    if kind == "Edm.Decimal":
        return _decimal(prop, value, path)
    if kind in _INT_RANGES:
        low, high = _INT_RANGES[kind]
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise bad_input(path, f"{value!r} is not an integer")
        try:
            number = int(value)
        except ValueError:
            raise bad_input(path, f"{value!r} is not an integer") from None
        if not low <= number <= high:
            raise bad_input(path, f"{number} is outside {low}..{high}")
        return number
    if kind == "Edm.Double":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad_input(path, f"{value!r} is not a number")
        try:
            return float(value)
        except ValueError:
            raise bad_input(path, f"{value!r} is not a number") from None
    if kind in ("Edm.DateTime", "Edm.DateTimeOffset"):
        return parse_datetime(value, path)
    if kind == "Edm.Time":
        if not isinstance(value, str) or not (found := _TIME.match(value)):
            raise bad_input(path, f"{value!r} is not a time like 'PT15H51M04S'")
        hours, minutes, seconds = (int(part) for part in found.groups())
        if hours > 23 or minutes > 59 or seconds > 59:
            raise bad_input(path, f"{value!r} is not a time of day")
        return time(hours, minutes, seconds)
    if kind == "Edm.Guid":
        if not isinstance(value, str) or not _GUID.match(value):
            raise bad_input(path, f"{value!r} is not a GUID")
        return value.lower()
    raise bad_input(path, f"type {kind} cannot be written")


def _decimal(prop: Property, value: Any, path: str) -> Decimal:
    kind = value.__class__
    if kind is not str and (kind is bool or not isinstance(value, int | float)):
        raise bad_input(path, f"{value!r} is not a decimal string like '12.5'")
    try:
        number = Decimal(value.strip() if kind is str else str(value))
    except InvalidOperation:
        raise bad_input(
            path, f"{value!r} is not a decimal string like '12.5'"
        ) from None
    if not number.is_finite():
        raise bad_input(path, f"{value!r} is not a finite decimal")
    scale, precision, bound = _decimal_rule(prop)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > scale:
        raise bad_input(path, f"{value!r} has more than {scale} decimal places")
    if abs(number) >= bound:
        raise bad_input(
            path, f"{value!r} does not fit Edm.Decimal({precision},{scale})"
        )
    return number


@cache
def _decimal_rule(prop: Property) -> tuple[int, int, Decimal]:
    """(scale, precision, the first magnitude too large) of a decimal."""
    scale = prop.scale if prop.scale is not None else 3
    precision = prop.precision if prop.precision is not None else 13
    return scale, precision, Decimal(10) ** (precision - scale)


def parse_datetime(value: Any, path: str) -> datetime:
    """``/Date(ms)/`` (or ISO 8601, which Gateway also accepts) as UTC."""
    if isinstance(value, str):
        found = _DATE.match(value)
        if found:
            try:
                return _EPOCH + timedelta(
                    milliseconds=int(found.group(1))
                )
            except OverflowError:
                raise bad_input(path, f"{value!r} is out of range") from None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise bad_input(path, f"{value!r} is not a date like '/Date(1492041600000)/'")


# Python -> wire ----------------------------------------------------------------


def to_wire(value: Any) -> Any:
    """One Python value as SAP's JSON writes it."""
    kind = value.__class__
    if kind is Decimal:
        return format(value, "f")
    if kind is datetime or isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return f"/Date({(moment - _EPOCH) // _MILLISECOND})/"
    if isinstance(value, date):
        return to_wire(datetime(value.year, value.month, value.day, tzinfo=UTC))
    if isinstance(value, time):
        return f"PT{value.hour:02d}H{value.minute:02d}M{value.second:02d}S"
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


_MILLISECOND = timedelta(milliseconds=1)


def default(prop: Property) -> Any:
    """What SAP shows for a property nobody set."""
    if prop.type == "Edm.String":
        return ""
    if prop.type == "Edm.Boolean":
        return False
    if prop.type == "Edm.Decimal":
        return Decimal(0)
    if prop.type in _INT_RANGES:
        return 0
    return None


def key_predicate(entity: EntitySet, row: dict[str, Any]) -> str:
    """``(A='1',B='2')`` or ``('1')`` for ``row``."""
    parts = [f"{key}='{row.get(key, '')}'" for key in entity.keys]
    if len(parts) == 1:
        return f"('{row.get(entity.keys[0], '')}')"
    return "(" + ",".join(parts) + ")"


def parse_key(entity: EntitySet, predicate: str) -> dict[str, str]:
    """``A='1',B='2'`` or ``'1'`` -> key values; 404 text on a mismatch."""
    predicate = predicate.strip()
    if len(entity.keys) == 1 and predicate.startswith("'"):
        return {entity.keys[0]: _unquote(predicate)}
    values = {}
    for name, raw in _KEY_PART.findall(predicate):
        values[name] = _unquote(raw)
    if set(values) != set(entity.keys):
        raise bad_input(entity.name, f"key ({predicate}) must name {entity.keys}")
    return values


def _unquote(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    return raw
