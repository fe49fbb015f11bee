"""Indicator indices, composite SØK scores, their sensitivity and spatial clustering.

Conventions (method page, "Sammensat indeks og udpegning"):

- An *index table* has one row per unit (rode, bydel or area) and one column per indicator; every
  indicator is oriented so that a higher value means more deprived, and the city level is 100.
- Three composite constructions are offered because none is neutral: the plain ratio (mean of
  indices) weights indicators by 1 / city rate, the log-ratio damps large indices, the percentile
  construction (CDC SVI style) uses ranks only.
- Missing values: an indicator that is NaN for a unit is skipped *for that unit* and the remaining
  weights are renormalised, so the unit's score is the weighted mean over what it has. A unit with
  no indicator at all gets NaN and is never flagged.
- Flag rule (:func:`thresholds`): a unit is deprived when its composite is at least the delineation
  threshold for the ratio and log constructions, or at least the percentile threshold for the
  percentile construction (both in analysis/reference).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from . import reference

CONSTRUCTIONS = ("ratio", "log", "percentile")


def thresholds() -> dict[str, float]:
    """Flag rule per construction (flagged when composite >= threshold): the delineation threshold
    (areas.toml) for ratio and log, method.toml's percentile threshold for percentile ranks."""
    t = reference.delineation().threshold
    return {"ratio": t, "log": t, "percentile": reference.param("sensitivity", "percentile_threshold")}


# Indicator keys the default sensitivity sets leave out one at a time.
NON_WESTERN = "non_western"
INSTALL_DEFICIENCY = "install_deficiency"

# Floor (in index points, city = 100) applied before taking logs: an index of 0 (no one in the unit
# has the trait) would give log(0) = -inf and wipe out every other indicator. 1 means "1 % of the
# city level", i.e. a log-ratio of log(0.01) ~ -4.6, low enough to pull the score down strongly
# but finite.
LOG_FLOOR = 1.0

# --- index ----------------------------------------------------------------------------------------


def index_table(rates: pd.DataFrame, city: pd.Series) -> pd.DataFrame:
    """Index 100 * rate / city rate for every unit (rows) and indicator (columns).

    ``city`` is the pooled city rate per indicator (sum of counts / sum of denominators), in the
    same unit as ``rates`` (percent). Every column of ``rates`` needs a positive city rate.
    """
    missing = [c for c in rates.columns if c not in city.index]
    if missing:
        raise ValueError(f"no city rate for indicator(s): {missing}")
    city = city.reindex(rates.columns).astype(float)
    bad = city[~(city > 0)].index.tolist()
    if bad:
        raise ValueError(f"city rate must be positive, got {city[bad].to_dict()}")
    return 100.0 * rates.astype(float).div(city, axis=1)


# --- composites -----------------------------------------------------------------------------------


def _weight_vector(idx: pd.DataFrame, weights: pd.Series | None) -> np.ndarray:
    """Nominal weights aligned with idx.columns (equal when None), normalised to sum 1."""
    if weights is None:
        w = np.ones(idx.shape[1])
    else:
        if set(weights.index) != set(idx.columns):
            raise ValueError(f"weights must name exactly the indicators {list(idx.columns)}, got {list(weights.index)}")
        w = weights.reindex(idx.columns).to_numpy(dtype=float)
    if np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    return w / w.sum()


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise weighted mean of ``values`` (units x k) for weight columns ``weights`` (k x d).

    NaN values are skipped and the unit's remaining weights renormalised; a unit with no positive
    weight left gets NaN. Returns (units x d).
    """
    present = ~np.isnan(values)
    num = np.where(present, values, 0.0) @ weights
    den = present.astype(float) @ weights
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def percentile_ranks(idx: pd.DataFrame) -> pd.DataFrame:
    """Per-indicator percentile rank (rank - 1) / (N - 1) * 100, ties get the low (min) rank.

    N is the number of units with a value for that indicator; NaN stays NaN. With fewer than two
    units the percentile is undefined (NaN).
    """
    ranks = idx.rank(method="min", na_option="keep")
    n = idx.notna().sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        # multiply before dividing so whole percentiles (e.g. 80) come out exact
        return (100.0 * (ranks - 1)).div((n - 1).where(n > 1), axis=1)


def _log_ratios(idx: pd.DataFrame) -> pd.DataFrame:
    """log(index / 100) with the index clipped at LOG_FLOOR."""
    return np.log(idx.astype(float).clip(lower=LOG_FLOOR) / 100.0)


def _composite(values: pd.DataFrame, weights: pd.Series | None) -> pd.Series:
    w = _weight_vector(values, weights)
    score = _weighted_mean(values.to_numpy(dtype=float), w[:, None])[:, 0]
    return pd.Series(score, index=values.index, dtype=float)


def composite_ratio(idx: pd.DataFrame, weights: pd.Series | None = None) -> pd.Series:
    """Weighted mean of the indicator indices (city = 100)."""
    return _composite(idx.astype(float), weights).rename("ratio")


def composite_log(idx: pd.DataFrame, weights: pd.Series | None = None) -> pd.Series:
    """Weighted geometric mean of the indices: 100 * exp(weighted mean of log(index / 100)).

    Indices below LOG_FLOOR (notably 0) are raised to LOG_FLOOR first.
    """
    return (100.0 * np.exp(_composite(_log_ratios(idx), weights))).rename("log")


def composite_percentile(idx: pd.DataFrame, weights: pd.Series | None = None) -> pd.Series:
    """Weighted mean of per-indicator percentile ranks (0 = least, 100 = most deprived unit)."""
    return _composite(percentile_ranks(idx), weights).rename("percentile")


COMPOSITES: dict[str, Callable[[pd.DataFrame, pd.Series | None], pd.Series]] = {
    "ratio": composite_ratio,
    "log": composite_log,
    "percentile": composite_percentile,
}


def flag_deprived(score: pd.Series, threshold: float) -> pd.Series:
    """True where the composite is >= threshold (see thresholds()); NaN scores are not flagged."""
    return (score >= threshold).fillna(False).astype(bool)


# --- sensitivity ----------------------------------------------------------------------------------


def default_indicator_sets(columns: Sequence[str]) -> dict[str, list[str]]:
    """All indicators, and all but non-western origin / installation deficiencies when present."""
    cols = list(columns)
    sets = {"all": cols}
    for left_out in (NON_WESTERN, INSTALL_DEFICIENCY):
        rest = [c for c in cols if c != left_out]
        if left_out in cols and rest:
            sets[f"without_{left_out}"] = rest
    return sets


def _transformed(idx: pd.DataFrame, construction: str) -> np.ndarray:
    """The per-indicator values a construction averages (index, log-ratio or percentile rank)."""
    if construction == "ratio":
        return idx.to_numpy(dtype=float)
    if construction == "log":
        return _log_ratios(idx).to_numpy(dtype=float)
    if construction == "percentile":
        return percentile_ranks(idx).to_numpy(dtype=float)
    raise ValueError(f"unknown construction {construction!r}; use one of {list(CONSTRUCTIONS)}")


def _descending_ranks(scores: np.ndarray) -> np.ndarray:
    """Rank each column: 1 = highest score, ties share the best (min) rank, NaN stays."""
    return rankdata(-scores, method="min", axis=0, nan_policy="omit")


def sensitivity(
    idx: pd.DataFrame,
    *,
    n: int | None = None,
    seed: int = 20111,
    indicator_sets: Mapping[str, list[str]] | None = None,
    constructions: Sequence[str] = CONSTRUCTIONS,
    weight_jitter: float | None = None,
) -> pd.DataFrame:
    """Monte Carlo uncertainty of each unit's rank and deprived flag (Saisana et al. 2005).

    Each draw picks a construction and an indicator set uniformly at random and multiplies the
    nominal (equal) weights by U(1 - weight_jitter, 1 + weight_jitter), renormalised over the set.
    It then computes the composite, ranks the units that have a score (1 = most deprived, ties share
    the best rank) and flags them by the construction's threshold (:func:`thresholds`).

    Returns one row per unit: median_rank, rank_p05, rank_p95 (linear interpolation between
    draws), p_flagged (share of the unit's draws in which it is flagged) and n_draws (draws in
    which the unit had a score). Percentile ranks are computed once over all units, so they do not
    depend on the indicator set of a draw.
    """
    n = reference.param("sensitivity", "draws") if n is None else n
    if weight_jitter is None:
        weight_jitter = reference.param("sensitivity", "weight_spread")
    if n < 1:
        raise ValueError("n must be at least 1")
    if not 0 <= weight_jitter < 1:
        raise ValueError("weight_jitter must be in [0, 1)")
    unknown = [c for c in constructions if c not in CONSTRUCTIONS]
    if unknown or not constructions:
        raise ValueError(f"constructions must be among {list(CONSTRUCTIONS)}, got {constructions}")
    if indicator_sets is None:
        indicator_sets = default_indicator_sets(idx.columns)
    sets = dict(indicator_sets)
    for name, cols in sets.items():
        absent = [c for c in cols if c not in idx.columns]
        if absent or not cols:
            raise ValueError(f"indicator set {name!r} is empty or names unknown columns {absent}")

    cols = list(idx.columns)
    set_masks = np.array([[c in s for c in cols] for s in sets.values()], dtype=float)

    rng = np.random.default_rng(seed)
    pick_construction = rng.integers(len(constructions), size=n)
    pick_set = rng.integers(len(sets), size=n)
    jitter = rng.uniform(1 - weight_jitter, 1 + weight_jitter, size=(n, len(cols)))
    weights = jitter * set_masks[pick_set]  # (n, k), zero outside the draw's set
    weights /= weights.sum(axis=1, keepdims=True)

    scores = np.full((len(idx), n), np.nan)
    rule = thresholds()
    thresholds_ = np.empty(n)
    for c, construction in enumerate(constructions):
        draws = np.flatnonzero(pick_construction == c)
        if draws.size == 0:
            continue
        s = _weighted_mean(_transformed(idx, construction), weights[draws].T)
        scores[:, draws] = 100.0 * np.exp(s) if construction == "log" else s
        thresholds_[draws] = rule[construction]

    ranks = _descending_ranks(scores)
    has_score = np.isfinite(scores)
    n_draws = has_score.sum(axis=1)
    flagged = (np.where(has_score, scores, -np.inf) >= thresholds_).sum(axis=1)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        # all-NaN rows (units never scored) would warn "All-NaN slice"; they stay NaN on purpose
        warnings.simplefilter("ignore", RuntimeWarning)
        p05, median, p95 = np.nanpercentile(ranks, [5, 50, 95], axis=1)
        p_flagged = np.where(n_draws > 0, flagged / n_draws, np.nan)
    return pd.DataFrame(
        {
            "median_rank": median,
            "rank_p05": p05,
            "rank_p95": p95,
            "p_flagged": p_flagged,
            "n_draws": n_draws,
        },
        index=idx.index,
    )
