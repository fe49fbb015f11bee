"""Progress towards the policy's 2020 targets (METHOD.md section 5).

Anchored on Open SDG's ``ProgressMeasure``: progress is the ratio of the progress made to the
progress required by now, judged against the thresholds 0.95 and 0.60 (a ratio below 0 means the
area moved away from the target; it is red like any ratio under 0.60). Three target types:

- moving target ("at the Copenhagen average"): :func:`moving_target_progress`;
- fixed target ("95 % complete upper-secondary education"): :func:`fixed_target_projection`;
- floor target ("public-housing share at least 20 %"): :func:`floor_target_status`.

A status is green, amber, red, or grey when it cannot be judged (no data, or an uncertainty
interval that spans more than one colour).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.trends import theil_sen

BASE_YEAR = 2011
TARGET_YEAR = 2020

# Open SDG ProgressMeasure thresholds on the ratio of actual to required progress.
GREEN_AT = 0.95
AMBER_AT = 0.60

STATUS_LABELS_DA: dict[str, str] = {
    "green": "Grøn: på vej",
    "amber": "Gul: delvist på vej",
    "red": "Rød: ikke på vej",
    "grey": "Grå: kan ikke vurderes",
    "no-data": "Ingen åbne data",  # the target is measured by a source that is not open data
}

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies. Always show the
# label text too; colour is never the only carrier of the status.
STATUS_COLOURS: dict[str, str] = {
    "green": "#009E73",  # bluish green
    "amber": "#E69F00",  # orange
    "red": "#D55E00",  # vermillion
    "grey": "#999999",
    "no-data": "#FFFFFF",
}


def _missing(x: float | None) -> bool:
    return x is None or bool(pd.isna(x))


def moving_target_progress(
    gap_base: float,
    gap_now: float,
    year_now: int,
    year_base: int = BASE_YEAR,
    year_target: int = TARGET_YEAR,
) -> dict[str, float]:
    """Progress on a target of closing a gap (area - city) by ``year_target``.

    closed   C = 1 - gap_now / gap_base   (share of the base-year gap closed; > 1 = overshoot)
    required R = (year_now - year_base) / (year_target - year_base)
    ratio      = C / R

    ``ratio`` is NaN when the base gap is 0 (nothing to close) or missing, or when no progress is
    required yet (year_now == year_base). ``closed`` is NaN when the base gap is 0 or missing.
    """
    closed = math.nan
    if not _missing(gap_base) and gap_base != 0 and not _missing(gap_now):
        closed = 1.0 - gap_now / gap_base
    span = year_target - year_base
    required = (year_now - year_base) / span if span != 0 else math.nan
    ratio = math.nan
    if not math.isnan(closed) and not math.isnan(required) and required != 0:
        ratio = closed / required
    return {"closed": closed, "required": required, "ratio": ratio}


def status_from_ratio(ratio: float | None) -> str:
    """Traffic light from a progress ratio: >= 0.95 green, >= 0.60 amber, else red; NaN grey."""
    if _missing(ratio):
        return "grey"
    if ratio >= GREEN_AT:
        return "green"
    if ratio >= AMBER_AT:
        return "amber"
    return "red"


def status_interval(ratio_low: float | None, ratio_high: float | None) -> str:
    """Status of an uncertain ratio: the common colour of both ends, grey when they differ."""
    low, high = status_from_ratio(ratio_low), status_from_ratio(ratio_high)
    return low if low == high else "grey"


def fixed_target_projection(
    years: Sequence[float] | np.ndarray | pd.Series,
    values: Sequence[float] | np.ndarray | pd.Series,
    target: float,
) -> dict[str, float | bool]:
    """Year in which a Theil-Sen line through the data reaches ``target``.

    The line is value = intercept + slope * year. Direction is judged from the line's value at
    the last observed year: the target must lie in the direction the slope points. Not
    projectable (``projected_year`` NaN) when the slope's 95 % interval includes 0, when the slope
    points away from the target, or when there are too few points (see ``trends.theil_sen``).
    When the line already sits at the target in the last year, that year is returned.
    """
    fit = theil_sen(years, values)
    slope, low, high = fit["slope"], fit["low"], fit["high"]
    result: dict[str, float | bool] = {
        "projected_year": math.nan,
        "slope": slope,
        "low": low,
        "high": high,
        "projectable": False,
    }
    if any(math.isnan(v) for v in (slope, low, high)) or _missing(target) or low <= 0 <= high:
        return result
    x = np.asarray(years, dtype="float64")
    y = np.asarray(values, dtype="float64")
    last_year = float(x[np.isfinite(x) & np.isfinite(y)].max())
    remaining = target - (fit["intercept"] + slope * last_year)
    if remaining != 0 and math.copysign(1.0, remaining) != math.copysign(1.0, slope):
        return result
    result["projected_year"] = last_year + remaining / slope
    result["projectable"] = True
    return result


def floor_target_status(value: float | None, floor: float = 20.0, margin: float = 1.0) -> str:
    """Floor target (e.g. public housing >= 20 %): green at floor + margin or more, amber from
    the floor up to that, red below the floor, grey when missing."""
    if _missing(value):
        return "grey"
    if value >= floor + margin:
        return "green"
    if value >= floor:
        return "amber"
    return "red"
