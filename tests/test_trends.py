"""Trends against the rest of the city (analysis.trends). Expected values worked out by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis import trends

Z = 1.959963984540054  # 97.5 % point of the standard normal


def wilson(x: int, n: int, z: float = Z) -> tuple[float, float]:
    """Wilson score interval, written out independently of statsmodels:
    (p + z^2/2n ± z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)."""
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def newcomb10(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Newcomb (1998) method 10 for p1 - p2 from the two Wilson intervals, in pp."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return 100 * low, 100 * high


def test_wilson_helper_against_hand_values():
    # z^2 = 3.841459; 1 + z^2/10 = 1.3841459
    # 5/10: centre = (0.5 + 0.1920729) / 1.3841459 = 0.5
    #       half = 1.959964 * sqrt(0.025 + 0.0096036) / 1.3841459 = 0.263406
    # 2/10: centre = (0.2 + 0.1920729) / 1.3841459 = 0.283259
    #       half = 1.959964 * sqrt(0.016 + 0.0096036) / 1.3841459 = 0.226577
    assert wilson(5, 10) == pytest.approx((0.236594, 0.763406), abs=1e-5)
    assert wilson(2, 10) == pytest.approx((0.056682, 0.509836), abs=1e-5)


def _counts(rows):
    return pd.DataFrame(rows, columns=["year", "num_area", "den_area", "num_rest", "den_rest"])


def test_gap_by_year_rates_gap_ratio():
    # area 5/10 = 50 %, rest 2/10 = 20 %: gap 30 pp, ratio 50/20 = 2.5
    # area 30/200 = 15 %, rest 100/1000 = 10 %: gap 5 pp, ratio 1.5
    out = trends.gap_by_year(_counts([(2008, 5, 10, 2, 10), (2009, 30, 200, 100, 1000)]))
    assert out["rate_area"].tolist() == pytest.approx([50.0, 15.0])
    assert out["rate_rest"].tolist() == pytest.approx([20.0, 10.0])
    assert out["gap_pp"].tolist() == pytest.approx([30.0, 5.0])
    assert out["ratio"].tolist() == pytest.approx([2.5, 1.5])


def test_gap_by_year_newcomb_matches_hand_wilson():
    # Newcomb 10 for 5/10 vs 2/10, d = 0.3:
    # low  = 0.3 - sqrt(0.263406^2 + (0.509836 - 0.2)^2) = 0.3 - sqrt(0.165381) = -0.106671
    # high = 0.3 + sqrt(0.263406^2 + (0.2 - 0.056682)^2) = 0.3 + sqrt(0.089923) = 0.599872
    out = trends.gap_by_year(_counts([(2008, 5, 10, 2, 10)]))
    low, high = out["ci_low"].iloc[0], out["ci_high"].iloc[0]
    assert (low, high) == pytest.approx((-10.6671, 59.9872), abs=1e-3)
    assert (low, high) == pytest.approx(newcomb10(5, 10, 2, 10), abs=1e-9)
    # a larger example, checked only against the independent formula
    out = trends.gap_by_year(_counts([(2009, 30, 200, 100, 1000)]))
    assert (out["ci_low"].iloc[0], out["ci_high"].iloc[0]) == pytest.approx(newcomb10(30, 200, 100, 1000), abs=1e-9)


def test_gap_by_year_rounds_approximate_counts_for_ci_only():
    # 4.6 -> 5 and 10.2 -> 10, 2.4 -> 2 and 9.8 -> 10: interval as for 5/10 vs 2/10,
    # but the rates use the raw counts: 100 * 4.6 / 10.2 = 45.098, 100 * 2.4 / 9.8 = 24.490
    out = trends.gap_by_year(_counts([(2010, 4.6, 10.2, 2.4, 9.8)]))
    assert out["rate_area"].iloc[0] == pytest.approx(45.0980, abs=1e-3)
    assert out["rate_rest"].iloc[0] == pytest.approx(24.4898, abs=1e-3)
    assert (out["ci_low"].iloc[0], out["ci_high"].iloc[0]) == pytest.approx(newcomb10(5, 10, 2, 10), abs=1e-9)


def test_gap_by_year_degenerate_rows():
    # zero denominator -> everything NaN; rest rate 0 -> ratio NaN (not inf); NaN count -> no CI
    out = trends.gap_by_year(_counts([(2008, 1, 0, 2, 10), (2009, 3, 10, 0, 10), (2010, np.nan, 10, 2, 10)]))
    assert out.loc[0, ["rate_area", "gap_pp", "ci_low", "ci_high", "ratio"]].isna().all()
    assert out.loc[1, "gap_pp"] == pytest.approx(30.0)
    assert math.isnan(out.loc[1, "ratio"])
    assert not math.isnan(out.loc[1, "ci_low"])
    assert out.loc[2, ["gap_pp", "ci_low", "ci_high"]].isna().all()


def test_gap_by_year_missing_column():
    with pytest.raises(KeyError):
        trends.gap_by_year(pd.DataFrame({"year": [2008]}))


def test_theil_sen_straight_line():
    # every pairwise slope is 1, so slope = low = high = 1; intercept = median(y) - 1 * median(x)
    # = 4 - 2010 = -2006
    res = trends.theil_sen([2008, 2009, 2010, 2011, 2012], [2, 3, 4, 5, 6])
    assert res["slope"] == pytest.approx(1.0)
    assert res["low"] == pytest.approx(1.0)
    assert res["high"] == pytest.approx(1.0)
    assert res["intercept"] == pytest.approx(-2006.0)


def test_theil_sen_outlier_and_interval():
    # x = 0..4, y = 1, 2, 3, 4, 100. Pairwise slopes: six of 1, and 99/4, 98/3, 97/2, 96.
    # Median of the 10 slopes = 1. Sen's interval: sigma^2 = 5*4*15/18 = 16.667, z*sigma = 8.0016,
    # ranks (10 - 8.0016)/2 ~ 1 and (10 + 8.0016)/2 ~ 9 -> 1st and 10th sorted slopes: 1 and 96.
    res = trends.theil_sen([0, 1, 2, 3, 4], [1, 2, 3, 4, 100])
    assert res["slope"] == pytest.approx(1.0)
    assert res["low"] == pytest.approx(1.0)
    assert res["high"] == pytest.approx(96.0)


def test_theil_sen_drops_nan():
    # (2008, 1), (2010, 3), (2012, 5): slopes 2/2, 4/4, 2/2 -> 1
    res = trends.theil_sen([2008, 2009, 2010, 2011, 2012], [1, np.nan, 3, np.nan, 5])
    assert res["slope"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("years", "values"),
    [
        ([2008, 2012], [1, 5]),
        ([2008, 2009, 2010, 2011, 2012], [1, np.nan, np.nan, np.nan, 5]),
        ([2008, 2008, 2008], [1, 2, 3]),
        ([], []),
    ],
)
def test_theil_sen_too_few_points(years, values):
    res = trends.theil_sen(years, values)
    assert all(math.isnan(res[k]) for k in ("slope", "low", "high"))


@pytest.mark.parametrize(
    ("slope", "low", "high", "gap", "expected"),
    [
        (0.8, 0.2, 1.5, 5.0, "grows"),  # area behind (gap > 0), gap rising: distance grows
        (-0.8, -1.5, -0.2, 5.0, "shrinks"),
        (-0.8, -1.5, -0.2, -5.0, "grows"),  # area ahead (gap < 0), gap falling: its lead grows
        (0.5, -0.2, 1.5, 5.0, "unclear"),  # interval includes 0
        (0.5, 0.0, 1.5, 5.0, "unclear"),  # touching 0 does not exclude it
        (0.05, 0.02, 0.08, 5.0, "unclear"),  # below the materiality of 0.1 pp a year
        (math.nan, math.nan, 1.0, 5.0, "unclear"),
    ],
)
def test_trend_class(slope, low, high, gap, expected):
    assert trends.trend_class(slope, low, high, gap, materiality=0.1) == expected


def test_trend_verdict_wording_by_side():
    from analysis import wording

    row = pd.Series({"trend": "grows", "neutral": False, "area_better": True})
    assert wording.trend_verdict(row) == "Forspringet er vokset"
    assert wording.trend_verdict(row.replace({True: False})) == "Afstanden er vokset"
    assert wording.trend_verdict(pd.Series({"trend": "unclear", "neutral": False, "area_better": False})) == (
        "Ingen klar ændring"
    )


# --- an area's trend summary, from a prepared series ------------------------------------------------


def _series(indicator: str, area_counts: list[int], years: range) -> pd.DataFrame:
    """The rode-level series of one area for one indicator: the area's counts of 1,000 residents per
    year against a rest of the city fixed at 2,000 of 10,000 (20 %)."""
    rows = []
    for year, num in zip(years, area_counts, strict=True):
        rows.append({"group": "area", "year": year, "numerator": num, "denominator": 1000})
        rows.append({"group": "rest", "year": year, "numerator": 2000, "denominator": 10_000})
    return pd.DataFrame(rows).assign(slug="x", level="rode", indicator=indicator)


def test_summary_gap_slope_and_verdict_by_hand():
    years = range(2008, 2013)
    series = pd.concat(
        [
            # gap 10, 12, 14, 16, 18 pp: slope 2 pp a year, every pairwise slope 2: interval [2, 2]
            _series("low_education", [300, 320, 340, 360, 380], years),
            # gap 5 pp every year: slope 0, the interval includes 0
            _series("low_income", [250] * 5, years),
            # two years only: too few for a trend, left out
            _series("non_western", [300, 300], range(2008, 2010)),
        ]
    )
    out = trends.summary(series, "x").set_index("indicator")
    assert list(out.index) == ["low_education", "low_income"]
    edu = out.loc["low_education"]
    assert (edu["y0"], edu["y1"], edu["gap0"], edu["gap1"]) == (2008, 2012, pytest.approx(10.0), pytest.approx(18.0))
    assert (edu["slope"], edu["slope_low"], edu["slope_high"]) == pytest.approx((2.0, 2.0, 2.0))
    assert edu["trend"] == "grows" and not edu["area_better"]
    assert out.loc["low_income", "trend"] == "unclear"


def test_trend_text_groups_the_indicators_that_share_a_verdict():
    from analysis import wording

    summary = pd.DataFrame(
        {
            "label": ["Lav indkomst", "Ikke-vestlig herkomst", "Lav/ingen uddannelse"],
            "trend": ["grows", "unclear", "grows"],
            "neutral": [False, True, False],
            "area_better": [False, False, False],
        }
    )
    text = wording.trend_text(summary)
    # one sentence per verdict, in the order the verdicts first appear
    grows, unclear = text.split(". For ")
    assert grows.startswith("For lav indkomst og lav/ingen uddannelse: afstanden er vokset")
    assert unclear.startswith("ikke-vestlig herkomst viser tallene ingen klar ændring")


def test_relative_income_is_judged_by_the_one_trend_rule():
    """A bydel whose relative income rises 0.08 index points a year, every year, has a tight
    interval above 0 but a slope under the materiality of 0.1: no clear change, as on every page."""
    years = range(2000, 2012)
    rel = pd.DataFrame(
        [{"bydel_nr": 1, "year": y, "relative": 100 + 0.08 * (y - 2000)} for y in years]
        + [{"bydel_nr": 2, "year": y, "relative": 100 + 0.5 * (y - 2000)} for y in years]
    )
    verdicts = trends.income_slopes(rel, 2000, 2011).set_index("bydel_nr")["verdict"]
    assert verdicts.to_dict() == {1: "unclear", 2: "rising"}


def test_no_clear_change_names_the_lead_a_lead_and_origin_a_difference():
    """Valby's low income lies below the rest of the city: no clear change in its 'forspring', not
    in an 'afstand'; origin has a 'forskel'."""
    from analysis import wording

    summary = pd.DataFrame(
        {
            "label": ["Lav indkomst", "Ikke-vestlig herkomst", "Lav/ingen uddannelse"],
            "trend": ["unclear", "unclear", "unclear"],
            "neutral": [False, True, False],
            "area_better": [True, False, False],
        }
    )
    text = wording.trend_text(summary)
    assert "For lav indkomst viser tallene ingen klar ændring i forspringet til resten af byen" in text
    assert "For ikke-vestlig herkomst viser tallene ingen klar ændring i forskellen til resten af byen" in text
    assert "For lav/ingen uddannelse viser tallene ingen klar ændring i afstanden til resten af byen" in text
