"""Statistical disclosure control: the one place that decides what may be published.

Rules (method page, "Diskretionering", after Danmarks Statistik and Eurostat practice; the
parameters are in analysis/reference/method.toml):

- A count of 1-4 is never shown; it is displayed as "<5". Zero may be shown. Approximate counts
  (a share times residents) are treated the same way: anything strictly between 0 and 5 is small.
- A rate, share or index is shown only for a unit with at least ``MIN_RESIDENTS`` residents, and
  never when one of its counts is small (the rate times the residents would give the count back).
  A unit with an unknown number of residents is treated as too small.
- A unit suppressed in one year is suppressed in every year for that indicator
  (:func:`consistent_across_years`), and a lone suppressed unit inside a published area is
  protected by also suppressing a second unit (:func:`secondary_suppression`).

Every table and download in the book goes through this module.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis import reference

MIN_COUNT = reference.param("disclosure", "min_count")  # counts 1 .. MIN_COUNT - 1 are shown as "<5"
MIN_RESIDENTS = reference.param("disclosure", "min_residents")  # rates only for units this large

SMALL_COUNT_LABEL = f"<{MIN_COUNT}"

# Reasons shown next to a suppressed cell (Danish, for the book).
REASON_FEW_RESIDENTS = f"færre end {MIN_RESIDENTS} beboere"
REASON_UNKNOWN_RESIDENTS = "antal beboere ukendt"
REASON_SMALL_COUNT = f"antal under {MIN_COUNT}"
REASON_OTHER_YEAR = "skjult i et andet år (ensartet tidsserie)"
REASON_HIDDEN = "skjult af diskretionering, som i de åbne data"


def is_small_count(values: pd.Series) -> pd.Series:
    """True where a count is strictly between 0 and ``MIN_COUNT`` (NaN counts are not small)."""
    numeric = pd.to_numeric(values).astype("float64")
    return (numeric > 0) & (numeric < MIN_COUNT)


def _present(df: pd.DataFrame, cols: Sequence[str]) -> list[str]:
    """The columns of ``cols`` that exist in ``df`` (defaults are generic, tables differ)."""
    return [c for c in cols if c in df.columns]


def _blank(values: pd.Series, where: pd.Series) -> pd.Series:
    """Float copy of ``values`` with NaN where ``where`` is True."""
    return pd.to_numeric(values).astype("float64").mask(where)


def _join_reasons(*parts: np.ndarray) -> list[str]:
    """Row-wise '; '-joined non-empty reasons."""
    return ["; ".join(r for r in row if r) for row in zip(*parts, strict=True)]


def suppress(
    df: pd.DataFrame,
    *,
    count_cols: Sequence[str] = ("numerator",),
    rate_cols: Sequence[str] = ("rate", "index"),
    residents_col: str = "residents",
) -> pd.DataFrame:
    """Apply the primary suppression rules row by row; return a copy.

    Adds ``suppressed`` (bool: the row's rates are hidden) and ``suppression_reason`` (Danish text,
    "" when nothing is hidden). Rate columns become NaN where residents < ``MIN_RESIDENTS`` (or
    unknown) or where any count column is 1-4. Each count column becomes NaN where it is itself
    1-4; a count of 0 stays. Listed columns that are absent are skipped; ``residents_col`` is
    required. Do not publish complementary counts (e.g. "not low income") next to a hidden count.
    """
    if residents_col not in df.columns:
        raise KeyError(f"suppress() needs the residents column {residents_col!r}")
    out = df.copy()
    counts = _present(out, count_cols)
    residents = pd.to_numeric(out[residents_col]).astype("float64")
    unknown = residents.isna()
    few = ~unknown & (residents < MIN_RESIDENTS)
    small = pd.Series(False, index=out.index)
    for col in counts:
        small |= is_small_count(out[col])

    hide_rate = unknown | few | small
    for col in _present(out, rate_cols):
        out[col] = _blank(out[col], hide_rate)
    for col in counts:
        out[col] = _blank(out[col], is_small_count(out[col]))

    residents_reason = np.where(unknown, REASON_UNKNOWN_RESIDENTS, np.where(few, REASON_FEW_RESIDENTS, ""))
    count_reason = np.where(small, REASON_SMALL_COUNT, "")
    out["suppressed"] = hide_rate.to_numpy(dtype=bool)
    out["suppression_reason"] = _join_reasons(residents_reason, count_reason)
    return out


def consistent_across_years(
    df: pd.DataFrame,
    unit_col: str = "unit_id",
    *,
    indicator_col: str = "indicator",
    rate_cols: Sequence[str] = ("rate", "index"),
) -> pd.DataFrame:
    """Suppress a unit's rates in every year if they are suppressed in any year.

    Works on the output of :func:`suppress` in long form (one row per unit and year, and per
    indicator when ``indicator_col`` is present; otherwise the whole frame is one indicator).

    Choice: a series is either shown whole or not at all. A half-shown series invites readers to
    read the gaps as zero or as a break in trend, and a unit hovering around 100 residents would
    flicker in and out. The cost is that some publishable years are hidden. Newly hidden rows get
    the reason ``REASON_OTHER_YEAR``. Counts keep their own per-year rule ("<5" is a display of a
    single cell, not of a series).
    """
    if "suppressed" not in df.columns:
        raise ValueError("run suppress() first: no 'suppressed' column")
    out = df.copy()
    keys = [unit_col] + ([indicator_col] if indicator_col in out.columns else [])
    hidden_any = out.groupby(keys, dropna=False)["suppressed"].transform("any").astype(bool)
    newly = hidden_any & ~out["suppressed"].astype(bool)
    for col in _present(out, rate_cols):
        out[col] = _blank(out[col], hidden_any)
    out["suppressed"] = hidden_any
    out.loc[newly, "suppression_reason"] = REASON_OTHER_YEAR
    return out


def secondary_suppression(
    members: pd.DataFrame,
    area_col: str,
    unit_col: str,
    *,
    residents_col: str = "residents",
    suppressed_col: str = "suppressed",
) -> set:
    """Units to suppress so that no primarily suppressed unit can be recovered by subtraction.

    ``members`` has one row per (area, unit) with the unit's residents and its primary
    ``suppressed`` flag. If exactly one unit inside a published area is suppressed, its value
    equals the area total minus the shown units, so the smallest *other* unit (fewest residents,
    ties by unit id) is suppressed too. Areas may overlap (a rode in a bydel and in a policy area),
    so the rule is repeated until nothing changes. Include the whole city as one more area to
    guard against city-minus-others.

    Returns all units to suppress: the primary ones plus the secondary ones. An area whose only
    member is suppressed cannot be protected this way; its own total is then a small unit and is
    caught by :func:`suppress` at area level.
    """
    flags = members[suppressed_col].astype(bool)
    hidden = set(members.loc[flags, unit_col])
    changed = True
    while changed:  # terminates: ``hidden`` only grows and is bounded by the units
        changed = False
        for _, group in members.groupby(area_col, sort=True):
            in_hidden = group[unit_col].isin(hidden)
            if group.loc[in_hidden, unit_col].nunique() != 1:
                continue
            candidates = group.loc[~in_hidden].sort_values([residents_col, unit_col])
            if candidates.empty:
                continue
            hidden.add(candidates[unit_col].iloc[0])
            changed = True
    return hidden
