"""A small in-memory ORM with Odoo's record semantics.

``Database`` holds one table per model (``id -> row``), checks values against
the field definitions, applies the multi-company record rule and keeps an undo
log so that every RPC call is one transaction: a call that fails leaves no
trace, as in Odoo where the whole request rolls back.

Errors are Odoo's: a record outside the user's companies is an AccessError
naming the operation (access, modify, create, delete); a many2one into
another company is "Incompatible companies on records" (``_check_company``);
a many2one to no record and a missing required value are PostgreSQL's
foreign-key and not-null violations as Odoo words them (ValidationError);
a value of the wrong type is a ValueError (application error).  Quantity
fields are rounded to their digits when stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mocks.odoo.errors import (
    OdooError,
    access_error,
    missing_error,
    user_error,
    validation_error,
    value_error,
)
from mocks.odoo.fields import AUTOMATIC, MODELS, READONLY, Field, ModelSpec
from mocks.odoo.units import float_round

LANGUAGES = {"en_US": "English (US)", "de_DE": "German / Deutsch"}
"""The installed languages; ``en_US`` is the source of every translation."""
TRANSLATIONS = "__translations"
"""Hidden row key: ``{field: {lang: text}}`` for languages other than en_US."""
_OPERATIONS = {"read": "access", "write": "modify", "create": "create",
               "unlink": "delete"}

Row = dict[str, Any]
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def now_text() -> str:
    """Now in UTC as Odoo writes datetimes: ``2026-12-03 06:14:05``."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Env:
    """Who calls, in which companies, with which context."""

    uid: int
    company_ids: list[int]
    company_id: int
    context: dict[str, Any] = field(default_factory=dict)
    user_tz: str = "UTC"

    @property
    def lang(self) -> str:
        """The context's language when installed, else en_US (as Odoo does)."""
        lang = self.context.get("lang")
        return lang if isinstance(lang, str) and lang in LANGUAGES else "en_US"

    def today(self) -> str:
        """``fields.Date.context_today``: today in the context's timezone, else
        the user's."""
        tz = self.context.get("tz") or self.user_tz
        try:
            zone = ZoneInfo(tz) if isinstance(tz, str) and tz else UTC
        except (ZoneInfoNotFoundError, ValueError):
            zone = UTC
        return datetime.now(zone).strftime("%Y-%m-%d")


class Database:
    """Tables of records, one per model, with an undo log per transaction."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[int, Row]] = {name: {} for name in MODELS}
        self._next_id: dict[str, int] = {name: 1 for name in MODELS}
        self._undo: list[tuple[str, int, Row | None]] | None = None

    # Transactions -----------------------------------------------------------

    def begin(self) -> None:
        self._undo = []

    def commit(self) -> None:
        self._undo = None

    def rollback(self) -> None:
        for model, record_id, before in reversed(self._undo or []):
            if before is None:
                self.tables[model].pop(record_id, None)
            else:
                self.tables[model][record_id] = before
        self._undo = None

    def _remember(self, model: str, record_id: int) -> None:
        if self._undo is not None:
            before = self.tables[model].get(record_id)
            self._undo.append((model, record_id, dict(before) if before else None))

    # Low-level access (no access rules) --------------------------------------

    def spec(self, model: str) -> ModelSpec:
        if model not in MODELS:
            raise user_error(f"Object {model} doesn't exist")
        return MODELS[model]

    def row(self, model: str, record_id: int) -> Row:
        return self.tables[model][record_id]

    def rows(self, model: str) -> list[Row]:
        return list(self.tables[model].values())

    def insert(self, model: str, values: Row, uid: int = 1) -> int:
        """Store a new record with defaults filled; values are trusted."""
        spec = MODELS[model]
        record_id = self._next_id[model]
        self._next_id[model] = record_id + 1
        row: Row = {"id": record_id}
        for name, definition in spec.fields.items():
            row[name] = _default(definition)
        row.update(values)
        stamp = now_text()
        row.update(create_date=stamp, write_date=stamp, create_uid=uid, write_uid=uid)
        self._remember(model, record_id)
        self.tables[model][record_id] = row
        return record_id

    def update(self, model: str, record_id: int, values: Row, uid: int = 1) -> None:
        """Change stored values; values are trusted."""
        self._remember(model, record_id)
        row = dict(self.tables[model][record_id])
        row.update(values)
        row["write_date"], row["write_uid"] = now_text(), uid
        self.tables[model][record_id] = row

    def delete(self, model: str, record_id: int) -> None:
        self._remember(model, record_id)
        del self.tables[model][record_id]

    def find(self, model: str, **values: Any) -> list[Row]:
        """Rows whose fields equal ``values`` (an internal lookup)."""
        return [
            row for row in self.tables[model].values()
            if all(row.get(name) == value for name, value in values.items())
        ]

    def display_name(self, model: str, record_id: int) -> str:
        row = self.tables[model].get(record_id)
        if row is None:
            return ""
        if model == "product.product" and row.get("default_code"):
            return f"[{row['default_code']}] {row['name']}"
        value = row.get(MODELS[model].rec_name)
        if isinstance(value, int) and not isinstance(value, bool):
            target = MODELS[model].fields[MODELS[model].rec_name].relation
            return self.display_name(target, value) if target else str(value)
        return str(value) if value not in (None, False) else f"{model},{record_id}"

    # Access rules -------------------------------------------------------------

    def visible(self, env: Env, model: str, row: Row) -> bool:
        """Odoo's multi-company rule: shared or in one of the env's companies."""
        spec = MODELS[model]
        if model == "res.company":  # a user sees the companies it belongs to
            return row.get("id") in env.company_ids
        if not spec.has_company:
            return True
        company = row.get(spec.company_field)
        return company in (None, False) or company in env.company_ids

    def browse(self, env: Env, model: str, ids: Any, operation: str = "read"
               ) -> list[Row]:
        """The rows of ``ids``; MissingError or AccessError as Odoo raises."""
        ids = as_ids(ids)
        table = self.tables[model]
        missing = [record_id for record_id in ids if record_id not in table]
        if missing:
            raise missing_error(model, missing, env.uid)
        rows = [table[record_id] for record_id in ids]
        forbidden = [row for row in rows if not self.visible(env, model, row)]
        if forbidden:
            raise forbidden_error(self, env, model, forbidden, operation)
        return rows

    def check_rules(self, env: Env, model: str, record_id: int, operation: str
                    ) -> None:
        """After a create or write: the record is still the user's, and its
        many2one fields point into its own company (``_check_company``)."""
        row = self.tables[model][record_id]
        if not self.visible(env, model, row):
            raise forbidden_error(self, env, model, [row], operation)
        spec = MODELS[model]
        company = row.get(spec.company_field) if spec.has_company else False
        if not company:
            return
        wrong = []
        for name, definition in spec.fields.items():
            target = row.get(name)
            if (definition.type != "many2one" or not target
                    or name in (spec.company_field, "create_uid", "write_uid")):
                continue
            other = MODELS[definition.relation]
            theirs = (self.tables[definition.relation][target].get(
                other.company_field) if other.has_company else False)
            if theirs and theirs != company:
                wrong.append(
                    f"- {self.display_name(model, record_id)!r} belongs to company "
                    f"{self.display_name('res.company', company)!r} and "
                    f"{definition.string!r} ({name}: "
                    f"{self.display_name(definition.relation, target)!r}) belongs to "
                    "another company."
                )
        if wrong:
            raise user_error("Incompatible companies on records:\n" + "\n".join(wrong))

    # Values -------------------------------------------------------------------

    def clean(self, env: Env, model: str, values: Any, creating: bool) -> Row:
        """Check client values against the fields; x2many commands stay raw."""
        if not isinstance(values, dict):
            raise value_error(f"Invalid values {values!r} for {model}: not a dict")
        spec = MODELS[model]
        clean: Row = {}
        blocked = READONLY.get(model, set()) | AUTOMATIC
        for name, value in values.items():
            definition = spec.fields.get(name)
            if definition is None or name == "id":
                raise value_error(f"Invalid field {name!r} on model {model!r}")
            if name in blocked:
                continue
            clean[name] = self._convert(env, model, name, definition, value)
        for name, definition in spec.fields.items():
            value = clean.get(name, _default(definition) if creating else True)
            if definition.required and value in (None, False, "") and (
                    definition.type != "boolean") and (creating or name in clean):
                raise validation_error(
                    "The operation cannot be completed:\n- Create/update: a "
                    "mandatory field is not set.\n- Delete: another model requires "
                    "the record being deleted. If possible, archive it instead.\n\n"
                    f"Model: {spec.description} ({model})\n"
                    f"Field: {definition.string} ({name})\n"
                )
        return clean

    def _convert(
        self, env: Env, model: str, name: str, definition: Field, value: Any
    ) -> Any:
        kind = definition.type
        where = f"{model}.{name}"
        if kind in ("one2many", "many2many"):
            if not isinstance(value, list | tuple):
                raise value_error(f"Wrong value for {where}: {value!r}")
            return list(value)
        if value is None or (value is False and kind != "boolean"):
            return False
        if kind == "many2one":
            if isinstance(value, list | tuple) and value:
                value = value[0]
            if not isinstance(value, int) or isinstance(value, bool):
                raise value_error(f"Wrong value for {where}: {value!r}")
            if value not in self.tables[definition.relation]:
                raise foreign_key_error(model, name)
            return value
        if kind in ("char", "text"):
            if not isinstance(value, str):
                raise value_error(f"Wrong value for {where}: {value!r}")
            return value
        if kind == "float":
            return _float(value, where, definition.digits)
        if kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int) or not (
                    -(2**31) <= value < 2**31):
                raise value_error(f"Wrong value for {where}: {value!r}")
            return value
        if kind == "boolean":
            return bool(value)
        if kind == "selection":
            allowed = [key for key, _ in definition.selection]
            if not isinstance(value, str) or value not in allowed:
                raise value_error(f"Wrong value for {where}: {value!r}")
            return value
        return _moment(value, kind, where)

    def relation_commands(
        self, env: Env, model: str, name: str, current: list[int], commands: list[Any]
    ) -> tuple[list[int], list[Row], list[tuple[int, Row]], list[int]]:
        """Apply x2many commands: (ids, to create, to write, to delete)."""
        relation = MODELS[model].fields[name].relation
        ids = list(current)
        create: list[Row] = []
        write: list[tuple[int, Row]] = []
        delete: list[int] = []
        for command in commands:
            if isinstance(command, int) and not isinstance(command, bool):
                command = (4, command)
            if not isinstance(command, list | tuple) or not command:
                raise value_error(f"Invalid command {command!r} for {model}.{name}")
            code = command[0]
            arg = command[1] if len(command) > 1 else 0
            tail = command[2] if len(command) > 2 else None
            if code == 0 and isinstance(tail, dict):
                create.append(tail)
            elif code == 1 and isinstance(tail, dict):
                write.append((int(arg), tail))
            elif code in (2, 3) and isinstance(arg, int):
                self.browse(env, relation, [arg])
                ids = [i for i in ids if i != arg]
                if code == 2:
                    delete.append(arg)
            elif code == 4 and isinstance(arg, int):
                self.browse(env, relation, [arg])
                ids = ids if arg in ids else [*ids, arg]
            elif code == 5:
                ids = []
            elif code == 6 and isinstance(tail, list | tuple):
                self.browse(env, relation, list(tail))
                ids = list(tail)
            else:
                raise value_error(f"Invalid command {command!r} for {model}.{name}")
        return ids, create, write, delete


def as_ids(ids: Any) -> list[int]:
    """``5`` or ``[5, 6]`` as a list of ids; anything else is a ValueError."""
    if isinstance(ids, int) and not isinstance(ids, bool):
        return [ids]
    if isinstance(ids, list | tuple) and all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        return list(ids)
    raise value_error(f"Invalid ids {ids!r}: expected a list of integers")


def forbidden_error(db: Database, env: Env, model: str, rows: list[Row],
                    operation: str = "read") -> OdooError:
    """The AccessError of a record rule (here: the multi-company rule)."""
    spec = MODELS[model]
    shown = ", ".join(
        f"{db.display_name(model, row['id'])} (id={row['id']})" for row in rows[:5]
    )
    return access_error(
        f"Due to security restrictions, you are not allowed to "
        f"{_OPERATIONS.get(operation, operation)} '{spec.description}' ({model}) "
        f"records.\n\nRecords: {shown}, User: {env.uid}\n\nNote: this might be a "
        "multi-company issue. Switching company may help - in Odoo, not in code!"
    )


def foreign_key_error(model: str, name: str) -> OdooError:
    """PostgreSQL's foreign key violation as Odoo words it."""
    spec = MODELS[model]
    table = model.replace(".", "_")
    return validation_error(
        "The operation cannot be completed: another model requires the record "
        "being deleted. If possible, archive it instead.\n\n"
        f"Model: {spec.description} ({model})\nConstraint: {table}_{name}_fkey\n"
    )


def _float(value: Any, where: str, digits: int | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise value_error(f"Wrong value for {where}: {value!r}")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise value_error(f"Wrong value for {where}: {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise value_error(f"Wrong value for {where}: {value!r}")
    return float_round(number, digits=digits) if digits is not None else number


def _moment(value: Any, kind: str, where: str) -> str:
    """A date or datetime as Odoo stores it: ``%Y-%m-%d[ %H:%M:%S]``, UTC."""
    shape = "%Y-%m-%d %H:%M:%S" if kind == "datetime" else "%Y-%m-%d"
    if isinstance(value, datetime | date):  # XML-RPC's dateTime.iso8601
        value = value.strftime(shape)
    text = value if isinstance(value, str) else ""
    if kind == "datetime" and _DATE.match(text):
        text += " 00:00:00"
    try:
        if not (_DATETIME if kind == "datetime" else _DATE).match(text):
            raise ValueError(text)
        datetime.strptime(text[:19], shape)
    except ValueError:
        raise value_error(
            f"time data {value!r} does not match format '{shape}' ({where})"
        ) from None
    return text[:19]


def _default(definition: Field) -> Any:
    if definition.default is not None:
        return definition.default
    if definition.type in ("one2many", "many2many"):
        return []
    if definition.type in ("float", "integer"):
        return 0
    return False
