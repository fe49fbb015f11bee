"""Trends of an area against the rest of the city, for share indicators measured from counts.

Method page, "Udvikling". The gap is always *area minus rest of the city*, in percentage points
(pp). Rates are in percent (0-100). The register data cover everyone, so the intervals describe the
uncertainty of the underlying rate (the process that produced this year's people), not sampling
error; at rode level the counts are themselves estimates (share × estimated reference
population), so the intervals are approximate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import theilslopes
from statsmodels.stats.proportion import confint_proportions_2indep

from . import reference

CONFIDENCE = reference.param("trends", "confidence")

_REQUIRED = ("year", "num_area", "den_area", "num_rest", "den_rest")


def _rate_pct(num: pd.Series, den: pd.Series) -> pd.Series:
    """100 * num / den, NaN where the denominator is not positive."""
    den = den.astype("float64")
    return (100.0 * num.astype("float64") / den).where(den > 0)


def newcomb_gap_ci(
    num_area: float, den_area: float, num_rest: float, den_rest: float, alpha: float = 1 - CONFIDENCE
) -> tuple[float, float]:
    """Newcomb (method 10, Wilson score) interval for rate_area - rate_rest, in pp.

    Counts are rounded to whole numbers first (approximate counts from share x residents are not
    integers). Returns (NaN, NaN) when a count is missing, a denominator is zero or a count is
    outside 0..denominator.
    """
    values = (num_area, den_area, num_rest, den_rest)
    if any(pd.isna(v) or not math.isfinite(float(v)) for v in values):
        return (math.nan, math.nan)
    x1, n1, x2, n2 = (round(float(v)) for v in values)  # nearest integer, halves to even
    if n1 <= 0 or n2 <= 0 or not (0 <= x1 <= n1) or not (0 <= x2 <= n2):
        return (math.nan, math.nan)
    low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff", alpha=alpha)
    return (100.0 * float(low), 100.0 * float(high))


def gap_by_year(df: pd.DataFrame) -> pd.DataFrame:
    """Per year: area and rest rates, their gap with a 95 % Newcomb interval, and their ratio.

    Input columns: year, num_area, den_area, num_rest, den_rest (counts). Adds rate_area and
    rate_rest (percent), gap_pp (area - rest, pp), ci_low and ci_high (pp) and
    ratio = rate_area / rate_rest (NaN when the rest's rate is 0). The counts may be approximate
    (share x residents) and thus non-integer: they are rounded to the nearest integer for the
    interval only; the rates and the gap use the unrounded counts.
    """
    missing = [c for c in _REQUIRED if c not in df.columns]
    if missing:
        raise KeyError(f"gap_by_year() is missing columns {missing}")
    out = df.copy()
    out["rate_area"] = _rate_pct(out["num_area"], out["den_area"])
    out["rate_rest"] = _rate_pct(out["num_rest"], out["den_rest"])
    out["gap_pp"] = out["rate_area"] - out["rate_rest"]
    intervals = [
        newcomb_gap_ci(a, b, c, d)
        for a, b, c, d in zip(out["num_area"], out["den_area"], out["num_rest"], out["den_rest"], strict=True)
    ]
    out["ci_low"] = [low for low, _ in intervals]
    out["ci_high"] = [high for _, high in intervals]
    out["ratio"] = (out["rate_area"] / out["rate_rest"]).where(out["rate_rest"] != 0)
    return out


def theil_sen(
    years: Sequence[float] | np.ndarray | pd.Series,
    values: Sequence[float] | np.ndarray | pd.Series,
    alpha: float = CONFIDENCE,
) -> dict[str, float]:
    """Theil-Sen slope (per year) with its interval, via ``scipy.stats.theilslopes``.

    ``alpha`` is the confidence level as in scipy (0.95 -> 95 % interval). Points where year or
    value is NaN are dropped; with fewer than 3 points left (or fewer than 2 distinct years) every
    result is NaN. Returns slope, intercept, low and high. Sen's interval uses a normal
    approximation, rough with 7 points: read it as a guide, not an exact test.
    """
    x = np.asarray(years, dtype="float64")
    y = np.asarray(values, dtype="float64")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 3 or len(np.unique(x)) < 2:
        return {"slope": math.nan, "intercept": math.nan, "low": math.nan, "high": math.nan}
    result = theilslopes(y, x, alpha=alpha)
    return {
        "slope": float(result.slope),
        "intercept": float(result.intercept),
        "low": float(result.low_slope),
        "high": float(result.high_slope),
    }


def direction(slope: float, low: float, high: float, materiality: float | None = None) -> str:
    """The book's one trend rule: "up" or "down" only when the Theil–Sen interval excludes 0 and the
    slope is at least ``materiality`` points a year (method.toml [trends]); else "unclear"."""
    floor = reference.param("trends", "materiality") if materiality is None else materiality
    if pd.isna(slope) or pd.isna(low) or pd.isna(high):
        return "unclear"
    if min(low, high) <= 0 <= max(low, high) or abs(slope) < floor:
        return "unclear"
    return "up" if slope > 0 else "down"


def trend_class(slope: float, low: float, high: float, gap: float, materiality: float | None = None) -> str:
    """Direction of the distance |gap| between area and rest, from the Theil–Sen slope of the gap
    (area − rest, pp per year) and its interval: "grows" or "shrinks" only when the interval
    excludes 0 and the slope is at least ``materiality`` pp a year (method.toml [trends]);
    otherwise "unclear" — never "stable": with 7 yearly points that is absence of evidence.
    ``gap`` (e.g. the mean gap) tells on which side of the rest of the city the area lies.
    """
    way = direction(slope, low, high, materiality)
    if way == "unclear" or pd.isna(gap) or gap == 0:
        return "unclear"
    return "grows" if (way == "up") == (gap > 0) else "shrinks"


# --- an area's trends from the prepared series -----------------------------------------------------


def gap_table(series: pd.DataFrame, slug: str, indicator: str) -> pd.DataFrame:
    """Per year the area's and the rest's counts and their gap (gap_by_year), rode level."""
    s = series[(series["slug"] == slug) & (series["level"] == "rode") & (series["indicator"] == indicator)]
    wide = s.pivot_table(index="year", columns="group", values=["numerator", "denominator"]).dropna()
    if wide.empty:
        return pd.DataFrame(columns=["year", *_REQUIRED[1:], "gap_pp", "ci_low", "ci_high"])
    df = pd.DataFrame(
        {
            "year": wide.index,
            "num_area": wide[("numerator", "area")].to_numpy(),
            "den_area": wide[("denominator", "area")].to_numpy(),
            "num_rest": wide[("numerator", "rest")].to_numpy(),
            "den_rest": wide[("denominator", "rest")].to_numpy(),
        }
    )
    return gap_by_year(df)


def summary(series: pd.DataFrame, slug: str) -> pd.DataFrame:
    """Per rode-level indicator: the gap in the first and last year, the Theil–Sen slope of the gap
    with its interval, and one verdict from that interval (trend_class)."""
    rows = []
    for ind in reference.indicators():
        if not ind.rode_column:
            continue
        g = gap_table(series, slug, ind.key)
        if len(g) < 3:
            continue
        slope = theil_sen(g["year"], g["gap_pp"])
        mean_gap = float(g["gap_pp"].mean())
        rows.append(
            {
                "indicator": ind.key,
                "label": ind.name,
                "soek": ind.soek,
                "neutral": ind.neutral,
                "y0": int(g["year"].min()),
                "y1": int(g["year"].max()),
                "gap0": float(g["gap_pp"].iloc[0]),
                "gap1": float(g["gap_pp"].iloc[-1]),
                "slope": slope["slope"],
                "slope_low": slope["low"],
                "slope_high": slope["high"],
                "trend": trend_class(slope["slope"], slope["low"], slope["high"], mean_gap),
                "area_better": mean_gap < 0,
            }
        )
    return pd.DataFrame(rows)


def series_with_interval(series: pd.DataFrame, slug: str) -> pd.DataFrame:
    """The area's rode-level series with its 95 % Wilson interval per year (for the trend chart)."""
    from statsmodels.stats.proportion import proportion_confint

    s = series[(series["slug"] == slug) & (series["level"] == "rode")].dropna(subset=["rate"]).copy()
    area = s["group"] == "area"
    lo, hi = proportion_confint(
        s.loc[area, "numerator"].round(), s.loc[area, "denominator"].round(), alpha=1 - CONFIDENCE, method="wilson"
    )
    s.loc[area, "ci_low"], s.loc[area, "ci_high"] = 100 * lo, 100 * hi
    return s


def relative_income(income: pd.DataFrame) -> pd.DataFrame:
    """Mean disposable income per bydel relative to the whole city (persons-weighted), per year."""
    city = income.groupby("year")[["income_1000", "persons"]].sum()
    city_mean = 1000 * city["income_1000"] / city["persons"]
    b = income.dropna(subset=["bydel_nr"]).copy()
    b["bydel_nr"] = b["bydel_nr"].astype(int)
    b["relative"] = 100 * b["mean_income"] / b["year"].map(city_mean)
    return b


VERDICTS = {"up": "rising", "down": "falling", "unclear": "unclear"}


def income_slopes(rel: pd.DataFrame, y0: int, y1: int) -> pd.DataFrame:
    """Theil–Sen slope of each bydel's relative income over y0–y1 (index points per year), judged by
    the book's one trend rule (direction)."""
    rows = []
    for nr, g in rel[(rel["year"] >= y0) & (rel["year"] <= y1)].groupby("bydel_nr"):
        ts = theil_sen(g["year"], g["relative"])
        rows.append(
            {
                "bydel_nr": nr,
                "first": float(g.loc[g["year"] == y0, "relative"].iloc[0]),
                "last": float(g.loc[g["year"] == y1, "relative"].iloc[0]),
                "slope": ts["slope"],
                "low": ts["low"],
                "high": ts["high"],
                "verdict": VERDICTS[direction(ts["slope"], ts["low"], ts["high"])],
            }
        )
    return pd.DataFrame(rows)
