"""Units of measure and quantity rounding, the way Odoo computes them.

Odoo keeps quantities as binary floats and rounds them with
``odoo.tools.float_round``: the value is divided by the rounding step, nudged
by one unit in the last place of its magnitude (so that ``2.675`` held as
``2.67499999...`` still rounds up), rounded half away from zero ("HALF-UP"),
and multiplied back.  ``UP`` and ``DOWN`` nudge the other way before taking
the ceiling or floor.  A ``uom.uom`` has a ``factor`` (how many of it make one
reference unit of its category) and a ``rounding`` step; converting a quantity
divides by the source factor, multiplies by the target factor and rounds to
the target's step.  Stock converts with HALF-UP, as ``stock.move`` does when
it computes the quantity in the product's unit.

Quantity fields carry the decimal precision "Product Unit of Measure"
(``DIGITS`` decimals): Odoo rounds a value to it whenever it is stored.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Literal

Method = Literal["HALF-UP", "UP", "DOWN"]
DIGITS = 3
"""Decimals of the precision "Product Unit of Measure"."""


def _away_from_zero(value: float) -> float:
    """Round to an integer, halves away from zero (Python 2's ``round``)."""
    floor = math.floor(abs(value))
    whole = floor + 1 if abs(value) - floor >= 0.5 else floor
    return math.copysign(whole, value)


def _decimals(step: float) -> int:
    exponent = Decimal(repr(step)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def float_round(
    value: float,
    rounding: float | None = None,
    digits: int | None = None,
    method: Method = "HALF-UP",
) -> float:
    """``value`` rounded to a multiple of ``rounding`` (or to ``digits``)."""
    step = rounding if rounding else 10.0 ** -(digits if digits is not None else 0)
    if not value:
        return 0.0
    normalized = value / step
    epsilon = 2.0 ** (math.log2(abs(normalized)) - 52)
    sign = math.copysign(1.0, normalized)
    if method == "HALF-UP":
        whole = _away_from_zero(normalized + sign * epsilon)
    elif method == "UP":
        whole = sign * math.ceil(abs(normalized) - epsilon)
    else:
        whole = sign * math.floor(abs(normalized) + epsilon)
    return round(whole * step, _decimals(step)) + 0.0


def float_compare(left: float, right: float, rounding: float) -> int:
    """-1, 0 or 1 after rounding the difference to ``rounding``."""
    delta = float_round(left - right, rounding)
    return 0 if delta == 0 else (1 if delta > 0 else -1)


def float_is_zero(value: float, rounding: float) -> bool:
    return float_round(value, rounding) == 0


def store(value: float) -> float:
    """A quantity as Odoo stores it: rounded to the product unit precision."""
    return float_round(float(value), digits=DIGITS)


def compute_quantity(
    quantity: float,
    source_factor: float,
    target_factor: float,
    target_rounding: float | None,
    method: Method = "HALF-UP",
) -> float:
    """``uom._compute_quantity``: from one unit to another of its category."""
    amount = quantity / source_factor * target_factor
    return float_round(amount, target_rounding or None, DIGITS, method)
