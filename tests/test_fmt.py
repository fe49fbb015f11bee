"""Danish number formatting (analysis.fmt). Expected strings are written out by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis import fmt

MINUS = "\u2212"
NBSP = "\u00a0"
EN_DASH = "\u2013"


def test_number_thousands_and_rounding():
    # 12345.678 -> 12346 (0.678 rounds up), thousands separator "."
    assert fmt.number(12345.678) == "12.346"
    # one decimal: 12345.678 -> 12345.7, decimal comma
    assert fmt.number(12345.678, decimals=1) == "12.345,7"
    assert fmt.number(1234567) == "1.234.567"
    assert fmt.number(999) == "999"


def test_number_rounds_half_away_from_zero():
    # readers expect 2.5 -> 3 and 0.125 -> 0.13, not banker's rounding
    assert fmt.number(2.5) == "3"
    assert fmt.number(0.125, 2) == "0,13"
    assert fmt.number(-2.5) == MINUS + "3"


def test_number_negative_uses_unicode_minus():
    assert fmt.number(-1234.5, 1) == MINUS + "1.234,5"
    assert "-" not in fmt.number(-7)


def test_number_no_negative_zero():
    # -0.04 rounds to 0.0: no sign
    assert fmt.number(-0.04, 1) == "0,0"
    assert fmt.number(-0.0) == "0"


@pytest.mark.parametrize("missing", [None, math.nan, np.nan, pd.NA, math.inf])
def test_number_missing_is_en_dash(missing):
    assert fmt.number(missing) == EN_DASH


def test_number_accepts_numpy_scalars():
    assert fmt.number(np.float64(2.5)) == "3"
    assert fmt.number(np.int64(1234567)) == "1.234.567"


def test_percent():
    # 23.456 -> 23.5 with one decimal, non-breaking space before %
    assert fmt.percent(23.456) == "23,5" + NBSP + "%"
    assert fmt.percent(5, decimals=0) == "5" + NBSP + "%"
    assert fmt.percent(None) == EN_DASH


def test_pp_signed():
    assert fmt.pp(2.34) == "+2,3 procentpoint"
    assert fmt.pp(-0.5) == MINUS + "0,5 procentpoint"
    # rounds to zero -> no sign at all
    assert fmt.pp(0.04) == "0,0 procentpoint"
    assert fmt.pp(-0.04) == "0,0 procentpoint"
    assert fmt.pp(math.nan) == EN_DASH


def test_pp_unsigned():
    assert fmt.pp(2.34, signed=False) == "2,3 procentpoint"
    assert fmt.pp(-2.34, signed=False) == MINUS + "2,3 procentpoint"


def test_index():
    # 143.6 -> 144, 99.4 -> 99
    assert fmt.index(143.6) == "144"
    assert fmt.index(99.4) == "99"
    assert fmt.index(None) == EN_DASH


def test_mpl_formatter():
    formatter = fmt.mpl_formatter(1, suffix=" %")
    assert formatter(1234.5, 0) == "1.234,5 %"
    assert fmt.mpl_formatter()(-2000, 1) == MINUS + "2.000"
