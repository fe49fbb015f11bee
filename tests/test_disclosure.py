"""Disclosure control (analysis.disclosure). Inputs and expectations are hand-made."""

import math

import pandas as pd
import pytest

from analysis import disclosure as sdc


def _table() -> pd.DataFrame:
    # one row per case; rate = 100 * numerator / residents, worked out by hand
    return pd.DataFrame(
        {
            "unit_id": ["a", "b", "c", "d", "e", "f"],
            "residents": [99, 100, 200, 200, 200, 500],
            "numerator": [10, 10, 0, 4, 1, 5],
            "rate": [10.1, 10.0, 0.0, 2.0, 0.5, 1.0],
        }
    )


def test_suppress_residents_threshold_99_vs_100():
    out = sdc.suppress(_table())
    a, b = out.iloc[0], out.iloc[1]
    # 99 residents: rate hidden, count 10 still shown
    assert a["suppressed"]
    assert math.isnan(a["rate"])
    assert a["numerator"] == 10
    assert a["suppression_reason"] == "færre end 100 beboere"
    # exactly 100 residents: shown
    assert not b["suppressed"]
    assert b["rate"] == 10.0
    assert b["suppression_reason"] == ""


def test_suppress_small_counts():
    out = sdc.suppress(_table()).set_index("unit_id")
    # 0 may be shown, with its rate
    assert out.loc["c", "numerator"] == 0
    assert out.loc["c", "rate"] == 0.0
    assert not out.loc["c", "suppressed"]
    # 4 and 1: count and rate hidden
    for unit in ["d", "e"]:
        assert math.isnan(out.loc[unit, "numerator"])
        assert math.isnan(out.loc[unit, "rate"])
        assert out.loc[unit, "suppressed"]
        assert out.loc[unit, "suppression_reason"] == "antal under 5"
    # 5 is shown
    assert out.loc["f", "numerator"] == 5
    assert out.loc["f", "rate"] == 1.0


def test_suppress_both_reasons_and_unknown_residents():
    df = pd.DataFrame({"residents": [50.0, math.nan], "numerator": [3, 20], "rate": [6.0, 1.0]})
    out = sdc.suppress(df)
    assert out["suppression_reason"].tolist() == [
        "færre end 100 beboere; antal under 5",
        "antal beboere ukendt",
    ]
    assert out["suppressed"].tolist() == [True, True]
    assert out["rate"].isna().all()
    assert math.isnan(out["numerator"].iloc[0])
    assert out["numerator"].iloc[1] == 20


def test_suppress_approximate_counts_and_index_column():
    # 4.6 = 2.3 % of 200 residents: an approximate count below 5, so hidden with its index
    df = pd.DataFrame({"residents": [200], "numerator": [4.6], "rate": [2.3], "index": [115.0]})
    out = sdc.suppress(df)
    assert out["suppressed"].iloc[0]
    assert math.isnan(out["index"].iloc[0])
    assert math.isnan(out["numerator"].iloc[0])


def test_suppress_does_not_modify_input_and_needs_residents():
    df = _table()
    sdc.suppress(df)
    assert df["rate"].iloc[0] == 10.1
    assert "suppressed" not in df.columns
    with pytest.raises(KeyError):
        sdc.suppress(df.drop(columns="residents"))


def test_consistent_across_years():
    # unit x has 99 residents in 2009 only -> hidden in 2008 and 2010 as well;
    # unit y is fine every year; indicator "inc" of unit x is unaffected
    df = pd.DataFrame(
        {
            "unit_id": ["x", "x", "x", "y", "y", "y", "x"],
            "indicator": ["edu", "edu", "edu", "edu", "edu", "edu", "inc"],
            "year": [2008, 2009, 2010, 2008, 2009, 2010, 2009],
            "residents": [120, 99, 130, 400, 400, 400, 100],
            "numerator": [20, 20, 20, 40, 40, 40, 30],
            "rate": [16.7, 20.2, 15.4, 10.0, 10.0, 10.0, 30.0],
        }
    )
    out = sdc.consistent_across_years(sdc.suppress(df))
    x_edu = out[(out["unit_id"] == "x") & (out["indicator"] == "edu")]
    assert x_edu["suppressed"].all()
    assert x_edu["rate"].isna().all()
    assert x_edu["suppression_reason"].tolist() == [
        sdc.REASON_OTHER_YEAR,
        "færre end 100 beboere",
        sdc.REASON_OTHER_YEAR,
    ]
    # counts keep their own per-year rule
    assert x_edu["numerator"].tolist() == [20, 20, 20]
    y = out[out["unit_id"] == "y"]
    assert not y["suppressed"].any()
    assert y["rate"].tolist() == [10.0, 10.0, 10.0]
    x_inc = out[(out["unit_id"] == "x") & (out["indicator"] == "inc")]
    assert x_inc["rate"].tolist() == [30.0]


def test_consistent_across_years_requires_suppress_first():
    with pytest.raises(ValueError):
        sdc.consistent_across_years(pd.DataFrame({"unit_id": ["a"], "rate": [1.0]}))


def _members(rows):
    return pd.DataFrame(rows, columns=["area", "unit", "residents", "suppressed"])


def test_secondary_suppression_single_hidden_unit():
    # area A: a1 hidden; the smallest other unit is a2 (150 < 500) -> a2 hidden too
    members = _members([("A", "a1", 300, True), ("A", "a2", 150, False), ("A", "a3", 500, False)])
    assert sdc.secondary_suppression(members, "area", "unit") == {"a1", "a2"}


def test_secondary_suppression_nothing_to_add():
    # area B has two hidden units already, area C none
    members = _members(
        [
            ("B", "b1", 80, True),
            ("B", "b2", 90, True),
            ("B", "b3", 400, False),
            ("C", "c1", 300, False),
            ("C", "c2", 300, False),
        ]
    )
    assert sdc.secondary_suppression(members, "area", "unit") == {"b1", "b2"}


def test_secondary_suppression_overlapping_areas():
    # A = {p (hidden), q 120, r 900} -> q added (smallest other);
    # then Z = {q, s 200, t 300} has exactly one hidden (q) -> s added.
    members = _members(
        [
            ("A", "p", 50, True),
            ("A", "q", 120, False),
            ("A", "r", 900, False),
            ("Z", "q", 120, False),
            ("Z", "s", 200, False),
            ("Z", "t", 300, False),
        ]
    )
    assert sdc.secondary_suppression(members, "area", "unit") == {"p", "q", "s"}


def test_secondary_suppression_ties_broken_by_unit_id():
    members = _members([("A", "a1", 10, True), ("A", "k", 150, False), ("A", "b", 150, False)])
    assert sdc.secondary_suppression(members, "area", "unit") == {"a1", "b"}
