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
    # 99 residents: rate hidden, and its count too (count / residents is the rate)
    assert a["suppressed"]
    assert math.isnan(a["rate"])
    assert math.isnan(a["numerator"])
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
    assert out["numerator"].isna().all()  # a hidden row publishes none of its parts


def test_suppress_row_without_values_is_missing_not_suppressed():
    # no residents and no value (a year the source does not cover): nothing to hide
    df = pd.DataFrame({"residents": [math.nan], "numerator": [math.nan], "denominator": [math.nan], "rate": [math.nan]})
    out = sdc.suppress(df, count_cols=("numerator", "denominator"))
    assert not out["suppressed"].iloc[0]
    assert out["suppression_reason"].iloc[0] == ""


def test_suppressed_row_publishes_no_denominator():
    # Borgergades 2008 in the first edition: 13 of 86 residents, rate hidden, 13/86 published
    df = pd.DataFrame({"residents": [86.0], "numerator": [13.0], "denominator": [86.0], "rate": [15.1]})
    out = sdc.suppress(df, count_cols=("numerator", "denominator"))
    assert out[["numerator", "denominator", "rate"]].isna().all(axis=None)


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
    # a hidden row keeps no count either
    assert x_edu["numerator"].isna().all()
    y = out[out["unit_id"] == "y"]
    assert not y["suppressed"].any()
    assert y["rate"].tolist() == [10.0, 10.0, 10.0]
    x_inc = out[(out["unit_id"] == "x") & (out["indicator"] == "inc")]
    assert x_inc["rate"].tolist() == [30.0]


def test_consistent_across_years_requires_suppress_first():
    with pytest.raises(ValueError):
        sdc.consistent_across_years(pd.DataFrame({"unit_id": ["a"], "rate": [1.0]}))


# The audit and complementary suppression. A hand-made bydel of three roder whose total is
# published: a (40 of 400), b (25 of 300) and c (12 of 60 residents, hidden: under 100 residents).
# Expected intervals are worked out by hand in the comments.


def _bydel(hidden=("c",)) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "numerator": [40.0, 25.0, 12.0],
            "denominator": [400.0, 300.0, 60.0],
            # a share of all residents: the denominator is the residents, which are public
            "den_min": [400.0, 300.0, 60.0],
            "den_max": [400.0, 300.0, 60.0],
            "hidden": [u in hidden for u in "abc"],
        },
        index=pd.Index(["a", "b", "c"], name="unit_id"),
    )


BYDEL = {"bydel": ["a", "b", "c"]}


def test_protection_width():
    # 2 * max(2 persons, 10 % of the count)
    assert sdc.protection_width(3).tolist() == 4.0
    assert sdc.protection_width(50).tolist() == 10.0


def test_audit_finds_a_cell_recovered_by_differencing():
    # published: bydel total 77 of 760; a = 40, b = 25 shown -> c = 77 - 40 - 25 = 12 exactly
    res = sdc.audit(_bydel(), BYDEL)
    assert res.loc["c", "lower"] == pytest.approx(12.0)
    assert res.loc["c", "upper"] == pytest.approx(12.0)
    assert res.loc["c", "required"] == pytest.approx(4.0)  # 2 * max(2, 1.2)
    assert not res.loc["c", "ok"]


def test_audit_after_complementary_suppression():
    cells = _bydel()
    added = sdc.complementary_suppression({2010: (cells, BYDEL)}, {2010: ["c"]}, cost={"a": 400, "b": 300, "c": 60})
    assert added == {"b"}  # b shares the bydel with c and has fewer residents than a
    res = sdc.audit(_bydel(hidden=("b", "c")), BYDEL, protect=["c"])
    # b + c = 77 - 40 = 37 with 0 <= c <= 60 and 0 <= b <= 300:
    # c in [max(0, 37 - 300), min(37, 60)] = [0, 37]; b in [0, 37] likewise (not protected: required 0)
    assert res.loc["c", ["lower", "upper"]].tolist() == pytest.approx([0.0, 37.0])
    assert res.loc["b", ["lower", "upper"]].tolist() == pytest.approx([0.0, 37.0])
    assert res["ok"].all()


def test_audit_uses_what_the_published_reason_says():
    # c = 3 shown as "antal under 5": the attacker knows 0 <= c <= 5; with b hidden too,
    # b + c = 28 gives c in [0, 5] (b in [23, 28]): the width 5 meets the required 4
    cells = _bydel(hidden=("b", "c")).assign(numerator=[40.0, 25.0, 3.0], num_max=[math.inf, math.inf, 5.0])
    res = sdc.audit(cells, BYDEL, protect=["c"])
    assert res.loc["c", ["lower", "upper", "known_upper"]].tolist() == pytest.approx([0.0, 5.0, 5.0])
    assert res.loc["b", ["lower", "upper"]].tolist() == pytest.approx([23.0, 28.0])
    assert res.loc["c", "ok"]


def test_audit_links_overlapping_totals():
    # two roder hidden in the bydel (b and c) look safe to a per-total rule, but c also lies in an
    # area {c, d} whose total is published with d shown: c = 20 - 8 = 12 exactly; and then
    # b = 77 - 40 - 12 = 25 exactly (b is only a complement, so that alone needs no protection)
    cells = pd.concat(
        [
            _bydel(hidden=("b", "c")),
            pd.DataFrame(
                {"numerator": [8.0], "denominator": [200.0], "den_min": [200.0], "den_max": [200.0], "hidden": [False]},
                index=pd.Index(["d"], name="unit_id"),
            ),
        ]
    )
    margins = {**BYDEL, "area": ["c", "d"]}
    res = sdc.audit(cells, margins, protect=["c"])
    assert res.loc["c", ["lower", "upper"]].tolist() == pytest.approx([12.0, 12.0])
    assert res.loc["b", ["lower", "upper"]].tolist() == pytest.approx([25.0, 25.0])
    assert not res.loc["c", "ok"]
    assert res.loc["b", "ok"]
    added = sdc.complementary_suppression({2010: (cells, margins)}, {2010: ["c"]}, cost={"a": 400, "d": 200})
    assert added == {"d"}  # a and d each share one total with c; d has fewer residents
    assert sdc.audit(cells.assign(hidden=cells.index.isin(["b", "c", "d"])), margins, protect=["c"])["ok"].all()


def test_check_audit_refuses_in_one_line():
    from analysis import outputs
    from analysis.errors import BuildError

    res = sdc.audit(_bydel(), BYDEL).reset_index().assign(indicator="non_western", year=2014, unit_name="Cerise")
    with pytest.raises(BuildError) as err:
        outputs.check_audit(res)
    message = str(err.value)
    assert "\n" not in message
    for part in ("rode c Cerise", "2014", "non_western", "[12.0; 12.0]"):
        assert part in message


def test_audit_protects_denominators_too():
    # low education: the denominator is the people of an age (not all residents), a count too.
    # Roder a (10 of 300 people, 400 residents), b (20 of 200, 250 residents) and c (2 of 3 people,
    # 60 residents; hidden, "antal under 5"); the bydel total 32 of 503 is published.
    # c's numerator: 32 - 10 - 20 = 2 exactly; c's denominator: 503 - 300 - 200 = 3 exactly.
    cells = pd.DataFrame(
        {
            "numerator": [10.0, 20.0, 2.0],
            "denominator": [300.0, 200.0, 3.0],
            "num_max": [math.inf, math.inf, 5.0],
            "den_max": [400.0, 250.0, 60.0],
            "hidden": [False, False, True],
        },
        index=pd.Index(["a", "b", "c"], name="unit_id"),
    )
    res = sdc.audit(cells, BYDEL)
    assert res.loc["c", ["lower", "upper", "den_lower", "den_upper"]].tolist() == pytest.approx([2.0, 2.0, 3.0, 3.0])
    assert res.loc["c", "den_required"] == pytest.approx(4.0)  # 2 * max(2, 0.3); known range 0-60
    assert not res.loc["c", "ok"]
    # with b hidden too: n_b + n_c = 22 and d_b + d_c = 203, with n_c <= 5, d_c <= 60, d_b <= 250,
    # n <= d: n_c in [0, 5] (n_c = 0 leaves n_b = 22 <= d_b); d_c in [max(0, 203 - 250), 60] = [0, 60]
    # (d_c = 0 with n_c = 0; d_c = 60 leaves d_b = 143 >= n_b)
    res = sdc.audit(cells.assign(hidden=[False, True, True]), BYDEL, protect=["c"])
    assert res.loc["c", ["lower", "upper"]].tolist() == pytest.approx([0.0, 5.0])
    assert res.loc["c", ["den_lower", "den_upper"]].tolist() == pytest.approx([0.0, 60.0])
    assert res.loc["c", "ok"]
