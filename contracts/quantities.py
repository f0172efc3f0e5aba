"""Quantities and unit codes as they travel between plant and ERP.

Quantities are decimals carried as JSON strings (``"12.5"``), never binary
floats: a confirmation of ``0.1 + 0.2`` kilograms must post ``0.3``, not
``0.30000000000000004``. SAP calls the unit a *unit of measure* (``MEINS``,
three characters such as ``PC`` or ``KG``); Odoo calls it ``uom.uom`` and
refers to it by name (``Units``, ``kg``). Plant events carry the plant's own
unit code; conversion to either ERP happens in the integration path.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer

MAX_DIGITS = 16
DECIMAL_PLACES = 3


def _reject_float(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a decimal string like '12.5', not a boolean")
    if isinstance(value, float):
        raise ValueError(
            "must be a decimal string like '12.5'; JSON numbers with a fraction "
            "lose precision"
        )
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError("must be a decimal string like '12.5'") from None
        if not parsed.is_finite():
            raise ValueError("must be a finite decimal")
        return parsed
    return value


def _check_places(value: Decimal) -> Decimal:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > DECIMAL_PLACES:
        raise ValueError(f"must have at most {DECIMAL_PLACES} decimal places")
    if len(value.as_tuple().digits) > MAX_DIGITS:
        raise ValueError(f"must have at most {MAX_DIGITS} digits")
    return value


def _as_text(value: Decimal) -> str:
    return format(value, "f")


Qty = Annotated[
    Decimal,
    BeforeValidator(_reject_float),
    AfterValidator(_check_places),
    Field(ge=0, json_schema_extra={"type": "string", "pattern": r"^\d+(\.\d{1,3})?$"}),
    PlainSerializer(_as_text, return_type=str, when_used="json"),
]
"""A non-negative quantity: a decimal with at most three places."""

SignedQty = Annotated[
    Decimal,
    BeforeValidator(_reject_float),
    AfterValidator(_check_places),
    Field(json_schema_extra={"type": "string", "pattern": r"^-?\d+(\.\d{1,3})?$"}),
    PlainSerializer(_as_text, return_type=str, when_used="json"),
]
"""A quantity that may be negative (stock moves out of a location)."""

Measure = Annotated[
    Decimal,
    BeforeValidator(_reject_float),
    Field(json_schema_extra={"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}),
    PlainSerializer(_as_text, return_type=str, when_used="json"),
]
"""A measured value of a quality characteristic, exact as read."""

UnitCode = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9_]{1,6}$", description="the plant's unit code"),
]
"""A unit of measure as the plant names it (``PC``, ``KG``, ``M``)."""


def qty(text: str | int | Decimal) -> Decimal:
    """Build an exact quantity from text or an integer."""
    return Decimal(str(text)) if not isinstance(text, Decimal) else text
