"""How a number was printed in a seed: rounded or truncated to the digits shown.

The seeds print numbers to a few decimals. To say a computed value "gives" a
printed one, these helpers redo the printing: ``rounds_to(0.58662, "0.5866")``
is true because 0.58662 rounded to 4 decimals reads 0.5866.

>>> rounds_to(0.58662, "0.5866"), rounds_to(-0.0300735, "-0.0300")
(True, False)
>>> truncates_to(-0.0300735, "-0.0300")
True
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

__all__ = ["rounds_to", "shown_as", "truncates_to"]


def _decimals(printed: str) -> int:
    return len(printed.split(".")[1]) if "." in printed else 0


def _quantize(value: float, printed: str, mode: str) -> Decimal:
    step = Decimal(1).scaleb(-_decimals(printed))
    return Decimal(repr(float(value))).quantize(step, rounding=mode)


def rounds_to(value: float, printed: str) -> bool:
    """Whether ``value`` rounded to the decimals of ``printed`` reads ``printed``."""
    return _quantize(value, printed, ROUND_HALF_EVEN) == Decimal(printed)


def truncates_to(value: float, printed: str) -> bool:
    """Whether ``value`` cut (towards zero) to the decimals of ``printed`` reads ``printed``."""
    return _quantize(value, printed, ROUND_DOWN) == Decimal(printed)


def shown_as(value: float, printed: str) -> bool:
    """Rounded or truncated, whether ``value`` can read ``printed``."""
    return rounds_to(value, printed) or truncates_to(value, printed)
