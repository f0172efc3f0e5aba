"""Odoo domains and ``order`` clauses, evaluated over in-memory records.

A domain is a list in prefix notation: leaves ``(field, operator, value)``
joined by ``'&'`` (implicit between consecutive terms), ``'|'`` and ``'!'``.
Field paths may follow many2one fields (``product_id.default_code``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cmp_to_key
from typing import Any

from mocks.odoo.errors import value_error

Row = dict[str, Any]
Resolve = Callable[[str, Row, str], Any]
"""``resolve(model, row, path)`` returns the value of a (dotted) path."""

OPERATORS = {
    "=", "!=", "<>", "<", ">", "<=", ">=", "in", "not in", "like", "ilike",
    "not like", "not ilike", "=like", "=ilike",
}


def normalize(domain: Any) -> list[Any]:
    """Check the shape of ``domain`` and make every ``'&'`` explicit."""
    if domain in (None, False):
        return []
    if not isinstance(domain, list | tuple):
        raise value_error(f"Invalid domain: {domain!r}; a domain is a list")
    result: list[Any] = []
    expected = 1
    for token in domain:
        if expected == 0:
            result.insert(0, "&")
            expected = 1
        if token in ("&", "|"):
            expected += 1
        elif token == "!":
            pass
        elif _is_leaf(token):
            expected -= 1
        else:
            raise value_error(f"Invalid leaf {token!r}")
        result.append(token if isinstance(token, str) else list(token))
    if expected != 0 and result:
        raise value_error(f"Invalid domain {domain!r}: an operator lacks operands")
    return result


def _is_leaf(token: Any) -> bool:
    if not isinstance(token, list | tuple) or len(token) != 3:
        return False
    name, operator = token[0], token[1]
    if name in (0, 1) and operator == "=" and token[2] in (0, 1):
        return True
    if not isinstance(name, str) or not isinstance(operator, str):
        return False
    if operator.lower() not in OPERATORS:
        raise value_error(f"Invalid operator {operator!r} in leaf {list(token)!r}")
    return True


def matcher(model: str, domain: Any, resolve: Resolve) -> Callable[[Row], bool]:
    """A predicate that says whether a row of ``model`` satisfies ``domain``."""
    tokens = normalize(domain)
    if not tokens:
        return lambda row: True

    def evaluate(row: Row, index: int) -> tuple[bool, int]:
        token = tokens[index]
        if token == "!":
            value, after = evaluate(row, index + 1)
            return not value, after
        if token in ("&", "|"):
            left, after = evaluate(row, index + 1)
            right, end = evaluate(row, after)
            return (left and right) if token == "&" else (left or right), end
        return _leaf(model, row, token, resolve), index + 1

    return lambda row: evaluate(row, 0)[0]


def _like(pattern: str, value: str, insensitive: bool, exact: bool) -> bool:
    if not exact:
        pattern = f"%{pattern}%"
    regex = "".join(
        ".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern
    )
    flags = re.IGNORECASE if insensitive else 0
    return re.fullmatch(regex, value, flags | re.DOTALL) is not None


def _leaf(model: str, row: Row, leaf: list[Any], resolve: Resolve) -> bool:
    name, operator, expected = leaf
    if name in (0, 1):
        return bool(name == expected)
    operator = operator.lower()
    actual = resolve(model, row, name)
    if isinstance(actual, list):
        return _any_of(actual, operator, expected)
    return compare(actual, operator, expected)


def _any_of(values: list[Any], operator: str, expected: Any) -> bool:
    if operator in ("=", "in"):
        wanted = expected if isinstance(expected, list | tuple) else [expected]
        if expected is False:
            return not values
        return any(value in wanted for value in values)
    if operator in ("!=", "<>", "not in"):
        return not _any_of(values, "in", expected)
    return any(compare(value, operator, expected) for value in values)


def compare(actual: Any, operator: str, expected: Any) -> bool:
    """Apply one operator the way PostgreSQL does under Odoo's ORM."""
    if operator in ("in", "not in"):
        if not isinstance(expected, list | tuple):
            expected = [expected]
        found = actual in expected or (
            actual in (None, False) and any(v is False for v in expected)
        )
        return found if operator == "in" else not found
    if operator == "=":
        return _eq(actual, expected)
    if operator in ("!=", "<>"):
        return not _eq(actual, expected)
    if operator in ("like", "ilike", "not like", "not ilike", "=like", "=ilike"):
        if actual in (None, False):
            return operator.startswith("not")
        found = _like(
            str(expected), str(actual), "ilike" in operator, operator.startswith("=")
        )
        return not found if operator.startswith("not") else found
    if actual in (None, False) or expected in (None, False):
        return False
    try:
        if operator == "<":
            return bool(actual < expected)
        if operator == ">":
            return bool(actual > expected)
        if operator == "<=":
            return bool(actual <= expected)
        return bool(actual >= expected)
    except TypeError:
        raise value_error(
            f"Invalid comparison {actual!r} {operator} {expected!r}"
        ) from None


def _eq(actual: Any, expected: Any) -> bool:
    if expected is False or expected is None:
        return actual in (None, False) or actual == []
    if isinstance(actual, bool) or isinstance(expected, bool):
        return bool(actual) == bool(expected)
    return bool(actual == expected)


def parse_order(order: Any, known: set[str], model: str) -> list[tuple[str, bool]]:
    """``"name asc, id desc"`` as ``[("name", False), ("id", True)]``."""
    if not order:
        return []
    if not isinstance(order, str):
        raise value_error(f'Invalid "order" specified ({order!r})')
    keys = []
    for part in order.split(","):
        words = part.strip().split()
        if not words or len(words) > 2 or words[0] not in known or (
            len(words) == 2 and words[1].lower() not in ("asc", "desc")
        ):
            raise value_error(
                f'Invalid "order" specified ({order}) on model {model}. A valid '
                '"order" specification is a comma-separated list of valid field '
                'names (optionally followed by asc/desc for the direction)'
            )
        keys.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return keys


def sort_rows(rows: list[Row], keys: list[tuple[str, bool]]) -> list[Row]:
    """Sort as PostgreSQL would: NULLs last ascending, first descending."""

    def key_value(value: Any) -> Any:
        if isinstance(value, list | tuple):
            return value[0] if value else None
        return value

    def cmp(left: Row, right: Row) -> int:
        for name, descending in keys:
            a, b = key_value(left.get(name)), key_value(right.get(name))
            a = None if a is False and not isinstance(a, int) else a
            b = None if b is False and not isinstance(b, int) else b
            if a == b:
                continue
            if a is None:
                result = 1
            elif b is None:
                result = -1
            else:
                try:
                    result = -1 if a < b else 1
                except TypeError:
                    result = -1 if str(a) < str(b) else 1
            return -result if descending else result
        return 0

    return sorted(rows, key=cmp_to_key(cmp))
