"""OData V2 query options: ``$filter``, ``$orderby``, ``$select``, paging.

``$filter`` understands what clients send to S/4HANA: comparisons (``eq ne gt
ge lt le``), ``and``/``or``/``not``, parentheses, string, number,
``datetime'...'``, ``guid'...'``, boolean and ``null`` literals, and the
functions ``substringof``, ``startswith``, ``endswith``. Anything else is a
400 naming the option.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from mocks.sap.catalogue import EntitySet
from mocks.sap.errors import ODataError, bad_input

Row = dict[str, Any]
Predicate = Callable[[Row], bool]
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<typed>(?:datetime|datetimeoffset|guid|time)"
    r"'[^']*')|(?P<num>-?\d+(?:\.\d+)?[mMdDlLfF]?)|(?P<punct>[(),])|"
    r"(?P<word>[A-Za-z_][\w/]*))"
)
_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCTIONS = {"substringof", "startswith", "endswith", "tolower", "toupper"}


def _tokens(text: str) -> list[tuple[str, str]]:
    result, position = [], 0
    text = text.strip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if not found or found.end() == position:
            raise bad_input("$filter", f"cannot read '{text[position:][:40]}'")
        kind = found.lastgroup or ""
        result.append((kind, found.group(kind)))
        position = found.end()
        while position < len(text) and text[position] == " ":
            position += 1
    return result


class _Parser:
    def __init__(self, entity: EntitySet, text: str) -> None:
        self.entity = entity
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise bad_input("$filter", "ends too early")
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        kind, text = self.take()
        if text != value:
            raise bad_input("$filter", f"expected '{value}', found '{text}'")

    def parse(self) -> Predicate:
        predicate = self.disjunction()
        if self.peek() is not None:
            raise bad_input("$filter", f"unexpected '{self.peek()[1]}'")  # type: ignore[index]
        return predicate

    def disjunction(self) -> Predicate:
        left = self.conjunction()
        while self.peek() == ("word", "or"):
            self.take()
            right = self.conjunction()
            left = (lambda a, b: lambda row: a(row) or b(row))(left, right)
        return left

    def conjunction(self) -> Predicate:
        left = self.negation()
        while self.peek() == ("word", "and"):
            self.take()
            right = self.negation()
            left = (lambda a, b: lambda row: a(row) and b(row))(left, right)
        return left

    def negation(self) -> Predicate:
        if self.peek() == ("word", "not"):
            self.take()
            inner = self.negation()
            return lambda row: not inner(row)
        return self.comparison()

    def comparison(self) -> Predicate:
        if self.peek() == ("punct", "("):
            self.take()
            inner = self.disjunction()
            self.expect(")")
            return inner
        left = self.operand()
        token = self.peek()
        if token is None or token[1] not in _COMPARE:
            return lambda row: bool(left(row))
        operator = self.take()[1]
        right = self.operand()
        return lambda row: _compare(operator, left(row), right(row))

    def operand(self) -> Callable[[Row], Any]:
        kind, text = self.take()
        if kind == "str":
            value: Any = text[1:-1].replace("''", "'")
            return lambda row: value
        if kind == "num":
            try:
                number = Decimal(text.rstrip("mMdDlLfF"))
            except InvalidOperation:
                raise bad_input("$filter", f"'{text}' is not a number") from None
            return lambda row: number
        if kind == "typed":
            typed = _typed(text)
            return lambda row: typed
        if kind == "word" and text in ("true", "false", "null"):
            constant = {"true": True, "false": False, "null": None}[text]
            return lambda row: constant
        if kind == "word" and self.peek() == ("punct", "(") and text in _FUNCTIONS:
            return self.function(text)
        if kind == "word" and text in self.entity.properties:
            return lambda row: row.get(text)
        raise bad_input("$filter", f"'{text}' is not a property of {self.entity.name}")

    def function(self, name: str) -> Callable[[Row], Any]:
        self.expect("(")
        arguments = [self.operand()]
        while self.peek() == ("punct", ","):
            self.take()
            arguments.append(self.operand())
        self.expect(")")

        def call(row: Row) -> Any:
            values = [str(arg(row) or "") for arg in arguments]
            if name == "substringof" and len(values) == 2:
                return values[0] in values[1]
            if name == "startswith" and len(values) == 2:
                return values[0].startswith(values[1])
            if name == "endswith" and len(values) == 2:
                return values[0].endswith(values[1])
            if name == "tolower":
                return values[0].lower()
            if name == "toupper":
                return values[0].upper()
            raise bad_input("$filter", f"{name} takes two arguments")

        return call


def _typed(text: str) -> Any:
    prefix, _, rest = text.partition("'")
    raw = rest[:-1]
    if prefix.startswith("datetime"):
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise bad_input("$filter", f"'{text}' is not a datetime") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return raw.lower() if prefix == "guid" else raw


def _compare(operator: str, left: Any, right: Any) -> bool:
    if isinstance(left, Decimal | int) and isinstance(right, str):
        right = _as_decimal(right)
    if isinstance(right, Decimal | int) and isinstance(left, str):
        left = _as_decimal(left)
    if operator == "eq":
        return bool(left == right)
    if operator == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        return bool({"gt": left > right, "ge": left >= right,
                     "lt": left < right, "le": left <= right}[operator])
    except TypeError:
        raise bad_input("$filter", f"cannot compare {left!r} with {right!r}") from None


def _as_decimal(text: str) -> Any:
    try:
        return Decimal(text)
    except InvalidOperation:
        return text


def apply_filter(entity: EntitySet, rows: list[Row], text: str | None) -> list[Row]:
    if not text:
        return rows
    predicate = _Parser(entity, text).parse()
    return [row for row in rows if predicate(row)]


def apply_orderby(entity: EntitySet, rows: list[Row], text: str | None) -> list[Row]:
    if not text:
        return rows
    for part in reversed([p.strip() for p in text.split(",") if p.strip()]):
        name, _, direction = part.partition(" ")
        if name not in entity.properties:
            raise bad_input("$orderby", f"'{name}' is not a property of {entity.name}")
        if direction.strip() not in ("", "asc", "desc"):
            raise bad_input("$orderby", f"'{direction}' is not asc or desc")
        rows = sorted(rows, key=lambda row: _sort_key(row.get(name)),
                      reverse=direction.strip() == "desc")
    return rows


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | Decimal | float):
        return (1, Decimal(str(value)) if not isinstance(value, bool) else int(value))
    if isinstance(value, datetime):
        return (2, value.timestamp())
    return (3, str(value))


def parse_count(name: str, text: str | None) -> int | None:
    if text is None or text == "":
        return None
    if not text.isdigit():
        raise ODataError(400, "/IWBEP/CM_MGW_RT/020",
                         f"Invalid system query option {name}={text}", target=name)
    return int(text)


def parse_select(entity: EntitySet, text: str | None) -> tuple[list[str], list[str]]:
    """``$select`` -> (properties, navigation properties); empty = all."""
    if not text or text.strip() == "*":
        return [], []
    properties, navigations = [], []
    for part in (p.strip() for p in text.split(",")):
        head = part.split("/")[0]
        if head in entity.properties:
            properties.append(head)
        elif head in entity.navigations:
            navigations.append(head)
        else:
            raise bad_input("$select", f"'{part}' is not a property of {entity.name}")
    return properties, navigations
