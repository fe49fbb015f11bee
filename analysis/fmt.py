"""Danish number formatting for the book.

Conventions: decimal comma, "." as thousands separator, the Unicode minus sign "−" (U+2212) for
negative numbers, and an en dash "–" for a missing value (None, NaN, pd.NA, ±inf).

Rounding is *half away from zero* on the number's shortest decimal representation (2.5 -> "3",
0.125 -> "0,13"), which is what readers expect, rather than Python's round-half-to-even on the
binary value. A value that rounds to zero is shown without a sign ("0,0", never "−0,0").
"""

from __future__ import annotations

import math
import numbers
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.ticker import FuncFormatter

MINUS = "\u2212"  # Unicode minus sign
MISSING = "\u2013"  # en dash for a missing value
NBSP = "\u00a0"  # non-breaking space, keeps "23,5 %" on one line


def _is_missing(x: object) -> bool:
    """True for None, NaN, pd.NA, NaT and infinities."""
    if x is None:
        return True
    try:
        value = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        # not a number (pd.NA, NaT, text): pandas decides. Imported here, where such a value
        # means pandas is loaded anyway: the build process formats revision notes without it.
        import pandas as pd

        return bool(pd.isna(x))
    return not math.isfinite(value)


def _to_decimal(x: float | int) -> Decimal:
    """Exact Decimal for integers (numpy's too), shortest-repr Decimal for floats (avoids binary
    artefacts)."""
    if isinstance(x, numbers.Integral):
        return Decimal(int(x))
    return Decimal(repr(float(x)))


def _round(x: float | int, decimals: int) -> Decimal:
    """Round half away from zero to ``decimals`` places."""
    quantum = Decimal(1).scaleb(-decimals)
    return _to_decimal(x).quantize(quantum, rounding=ROUND_HALF_UP)


def _digits(rounded: Decimal, decimals: int) -> str:
    """Unsigned Danish digits of an already rounded value: 12345.7 -> "12.345,7"."""
    english = f"{abs(rounded):,.{decimals}f}"  # "12,345.7"
    return english.translate(str.maketrans({",": ".", ".": ","}))


def number(x: float | int | None, decimals: int = 0) -> str:
    """Danish number: 12345.678 -> "12.346"; decimals=1 -> "12.345,7"; -3 -> "−3"; NaN -> "–"."""
    if _is_missing(x):
        return MISSING
    rounded = _round(x, decimals)  # type: ignore[arg-type]
    digits = _digits(rounded, decimals)
    return f"{MINUS}{digits}" if rounded < 0 else digits  # -0.0 compares equal to 0


def percent(x: float | None, decimals: int = 1) -> str:
    """A share already in percent: 23.456 -> "23,5 %" (non-breaking space before %)."""
    if _is_missing(x):
        return MISSING
    return f"{number(x, decimals)}{NBSP}%"


def pp(x: float | None, decimals: int = 1, signed: bool = True) -> str:
    """Percentage points: 2.34 -> "+2,3 procentpoint", -0.5 -> "−0,5 procentpoint".

    With ``signed=True`` a positive value gets "+"; a value that rounds to zero gets no sign.
    Negative values always carry "−".
    """
    if _is_missing(x):
        return MISSING
    rounded = _round(x, decimals)  # type: ignore[arg-type]
    if rounded < 0:
        sign = MINUS
    elif signed and rounded > 0:
        sign = "+"
    else:
        sign = ""
    return f"{sign}{_digits(rounded, decimals)} procentpoint"


def index(x: float | None) -> str:
    """Index value (city = 100) as a whole number: 143.6 -> "144"."""
    return number(x, 0)


def mpl_formatter(decimals: int = 0, suffix: str = "") -> FuncFormatter:
    """Matplotlib tick formatter using Danish numbers, e.g. ``mpl_formatter(0, " %")``."""
    from matplotlib.ticker import FuncFormatter  # local import keeps this module light

    def _format(value: float, _pos: int | None = None) -> str:
        return f"{number(value, decimals)}{suffix}"

    return FuncFormatter(_format)
