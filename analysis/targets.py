"""Status of 2020 targets: the policy's and the area plans' (method page, "Mål for 2020").

Progress is anchored on Open SDG's ``ProgressMeasure``: the progress made divided by the progress
required by now, judged against the thresholds in method.toml [targets] (0.95 green, 0.60 amber).
Every rule is one small function of numbers; the chapter code only feeds them data.

Statuses (keys; Danish labels in :mod:`analysis.wording`):

- ``met``: the target value is reached now (an area at or better than the rest of the city on a
  "to the Copenhagen level" target; a floor met beyond its uncertainty);
- ``green`` / ``amber`` / ``red``: on track / partly / not on track (only before the target year);
- ``missed``: the value of the target year (or a later one) is known and the target is not reached:
  once the target year has passed, a target is met or missed, never "on track";
- ``grey``: cannot be judged: the baseline gap is smaller than its own uncertainty, the
  uncertainty spans more than one colour, or the series cannot be projected;
- ``no-data``: no open data (the source is named instead).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import reference
from .trends import theil_sen

STATUSES = ("met", "green", "amber", "red", "missed", "grey", "no-data")

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies. The label text is
# always shown too; colour is never the only carrier of the status.
STATUS_COLOURS: dict[str, str] = {
    "met": "#009E73",
    "green": "#009E73",
    "amber": "#E69F00",
    "red": "#D55E00",
    "missed": "#D55E00",
    "grey": "#999999",
    "no-data": "#FFFFFF",
}


@dataclass(frozen=True)
class Years:
    base: int
    target: int


def years() -> Years:
    return Years(reference.param("targets", "base_year"), reference.param("targets", "target_year"))


def _missing(*xs: float | None) -> bool:
    return any(x is None or bool(pd.isna(x)) for x in xs)


def required_share(year_now: int, share: float = 1.0) -> float:
    """Share of the baseline gap that should be closed by year_now on a straight path to the
    target year: share × (year_now − base) / (target − base)."""
    y = years()
    return share * (year_now - y.base) / (y.target - y.base)


def decided(status: str, year_now: int) -> str:
    """Once the data reach the target year, a target is met or missed: a colour that says "on track"
    (green, amber) or "not on track" (red) becomes ``missed``; met and grey stay."""
    if year_now >= years().target and status in ("green", "amber", "red"):
        return "missed"
    return status


def status_from_ratio(ratio: float | None) -> str:
    """Traffic light from a progress ratio: >= green_at green, >= amber_at amber, else red; NaN grey."""
    if _missing(ratio):
        return "grey"
    if ratio >= reference.param("targets", "green_at"):
        return "green"
    if ratio >= reference.param("targets", "amber_at"):
        return "amber"
    return "red"


def gap_status(
    gap_base: float,
    gap_base_ci: tuple[float, float],
    gap_now: float,
    gap_now_ci: tuple[float, float],
    year_now: int,
    share: float = 1.0,
) -> dict[str, float | str]:
    """A "close the gap" target: the gap g = area − comparator, signed so that positive is worse,
    shall shrink by ``share`` of its baseline value by the target year (share 1 = reach the
    comparator's level).

    closed C = 1 − g_now / g_base; required R = required_share(year_now, share); ratio = C / R.
    Rules, in order: missing data → grey; g_now ≤ (1 − share) · g_base, or g_now ≤ 0 → met;
    a baseline gap whose interval includes 0 → grey (no meaningful share closed); otherwise the
    colour of the ratio at both ends of g_now's interval, grey when they differ. From the target
    year on, the ends are met or missed instead of colours.
    """
    out: dict[str, float | str] = {"closed": math.nan, "required": math.nan, "ratio": math.nan}
    if _missing(gap_base, gap_now):
        return {**out, "status": "grey", "reason": "missing"}
    target_gap = (1 - share) * gap_base if gap_base > 0 else 0.0
    if gap_now <= max(target_gap, 0.0):
        return {**out, "status": "met", "reason": "met"}
    low, high = sorted(gap_base_ci)
    if _missing(low, high) or low <= 0 <= high or gap_base <= 0:
        return {**out, "status": "grey", "reason": "baseline-within-uncertainty"}
    required = required_share(year_now, share)
    closed = 1 - gap_now / gap_base
    ratio = closed / required if required > 0 else math.nan
    ends = [status_from_ratio((1 - g / gap_base) / required) if required > 0 else "grey" for g in gap_now_ci]
    if year_now >= years().target:  # the target year has passed: met or missed at both ends of the interval
        ends = ["met" if g <= max(target_gap, 0.0) else "missed" for g in gap_now_ci]
    status = ends[0] if ends[0] == ends[1] else "grey"
    reason = "uncertainty-spans-colours" if ends[0] != ends[1] else "ratio"
    return {"closed": closed, "required": required, "ratio": ratio, "status": status, "reason": reason}


def floor_status(value: float, ci: tuple[float, float], floor: float) -> str:
    """A floor (e.g. at least 20 % public housing): met when the whole interval is at or above the
    floor, red when it is wholly below, amber when it contains the floor; grey when missing."""
    low, high = sorted(ci)
    if _missing(value, low, high):
        return "grey"
    if low >= floor:
        return "met"
    if high < floor:
        return "red"
    return "amber"


def count_status(base: float, now: float, year_now: int, reduction: float) -> dict[str, float | str]:
    """A count to be reduced by ``reduction`` (0.5 = halved) by the target year. Counts here are
    complete lists, not estimates, so no interval: met when now ≤ (1 − reduction) · base. A baseline
    of 0 allows 0: any entry later is a rise, red (missed from the target year on), never grey.
    From the target year on the status is met or missed (:func:`decided`)."""
    if _missing(base, now) or base < 0:
        return {"ratio": math.nan, "status": "grey"}
    if now <= (1 - reduction) * base:
        return {"ratio": math.nan, "status": "met"}
    if base == 0:
        return {"ratio": math.nan, "status": decided("red", year_now)}
    required = required_share(year_now, reduction)
    made = 1 - now / base
    ratio = made / required if required > 0 else math.nan
    return {"ratio": ratio, "status": decided(status_from_ratio(ratio), year_now)}


def fixed_projection(
    years_: Sequence[float] | np.ndarray | pd.Series,
    values: Sequence[float] | np.ndarray | pd.Series,
    target: float,
    higher_is_better: bool = True,
) -> dict[str, float | str]:
    """A fixed target value (e.g. 95 %): the year a Theil–Sen line through the data reaches it.

    met when the last value has reached the target; missed when the data reach the target year and
    it has not; grey ("not projectable") when the slope's
    interval includes 0; red when the line moves away from the target; otherwise green when the
    projected year is at or before the target year, red when after.
    """
    x = np.asarray(years_, dtype="float64")
    y = np.asarray(values, dtype="float64")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    fit = theil_sen(x, y)
    out: dict[str, float | str] = {"projected_year": math.nan, "status": "grey", **fit}
    if not len(x) or _missing(target):
        return out
    sign = 1 if higher_is_better else -1
    if sign * (y[np.argmax(x)] - target) >= 0:
        return {**out, "status": "met"}
    if x.max() >= years().target:  # the target year has passed in the data and the target is not reached
        return {**out, "status": "missed"}
    if _missing(fit["slope"], fit["low"], fit["high"]) or fit["low"] <= 0 <= fit["high"]:
        return out
    if sign * fit["slope"] < 0:
        return {**out, "status": "red"}
    year = (target - fit["intercept"]) / fit["slope"]
    return {**out, "projected_year": year, "status": "green" if year <= years().target else "red"}


# --- evaluating a target against the prepared data -------------------------------------------------


def _empty(note: str = "") -> dict:
    return {
        "baseline": math.nan,
        "baseline_year": None,
        "latest": math.nan,
        "latest_year": None,
        "gap_base": math.nan,
        "gap_now": math.nan,
        "goal_value": math.nan,
        "status": "no-data",
        "note": note,
        "unit": "%",
    }


def gap_target(series: pd.DataFrame, slug: str, indicator: str, base_year: int, share: float) -> dict:
    """Close ``share`` of the area's gap to the rest of the city (rode level) between base_year
    and the target year. goal_value is the largest gap allowed in the target year (pp)."""
    from .trends import gap_table

    g = gap_table(series, slug, indicator).set_index("year")
    out = _empty()
    if g.empty or base_year not in g.index:
        return {**out, "status": "grey", "note": f"ingen data for {base_year}"}
    now = int(g.index.max())
    b, n = g.loc[base_year], g.loc[now]
    res = gap_status(b["gap_pp"], (b["ci_low"], b["ci_high"]), n["gap_pp"], (n["ci_low"], n["ci_high"]), now, share)
    return {
        **out,
        "baseline": b["rate_area"],
        "baseline_year": base_year,
        "latest": n["rate_area"],
        "latest_year": now,
        "gap_base": b["gap_pp"],
        "gap_now": n["gap_pp"],
        "goal_value": (1 - share) * max(b["gap_pp"], 0.0),
        "required_now": b["gap_pp"] * (1 - required_share(now, share)),
        "status": res["status"],
        "reason": res["reason"],
        "closed": res["closed"],
    }


def value_target(years_: pd.Series, values: pd.Series, base_year: int, rule) -> dict:
    """A fixed value, a change from the baseline, or a floor, for one series of values (an
    indicator's area rate, or a supplied measure). rule: kind, value, direction."""
    s = pd.Series(values.to_numpy(dtype=float), index=years_.to_numpy()).dropna()
    out = _empty()
    if s.empty:
        return out
    now = int(s.index.max())
    base = s.get(base_year, math.nan)
    up = rule.direction == "up"
    goal = base + (rule.value if up else -rule.value) if rule.kind == "change" else rule.value
    out.update(
        baseline=base,
        baseline_year=base_year if not _missing(base) else None,
        latest=s[now],
        latest_year=now,
        goal_value=goal,
    )
    if _missing(goal):
        return {**out, "status": "grey", "note": f"ingen værdi for {base_year}"}
    if rule.kind == "floor":
        return {**out, "status": "met" if s[now] >= goal else decided("red", now)}
    return {**out, "status": fixed_projection(s.index, s.to_numpy(), goal, higher_is_better=up)["status"]}
