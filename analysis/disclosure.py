"""Statistical disclosure control: the one place that decides what may be published.

Rules (method page, "Diskretionering", after Danmarks Statistik and Eurostat practice and Hundepool
et al., Statistical Disclosure Control, Wiley 2012; the parameters are in
analysis/reference/method.toml):

- Primary suppression (:func:`suppress`). A count of 1-4 is never shown. Zero may be shown.
  Approximate counts (a share times residents) are treated the same way: anything strictly between
  0 and 5 is small. A rate, share or index is shown only for a unit with at least
  ``MIN_RESIDENTS`` residents, and never when one of its counts is small. A unit with an unknown
  number of residents is treated as too small; a row without any value is missing, not suppressed.
- A suppressed row publishes none of its parts: no numerator, denominator, rate or index (the
  ratio of the two counts is the hidden rate).
- A unit suppressed in one year is suppressed in every year for that indicator
  (:func:`consistent_across_years`).
- Complementary (secondary) suppression (:func:`complementary_suppression`): units are hidden
  beside the primary ones until no primary cell can be narrowed, from the published totals, to an
  interval narrower than the protection level (:func:`protection_width`).
- The audit (:func:`audit`): for every suppressed cell, the interval an attacker can derive from
  the published totals by linear programming (the audit step of tau-ARGUS). The build refuses to
  publish when a primary cell's interval is narrower than the protection level.

Every table and download in the book goes through this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from analysis import reference

MIN_COUNT = reference.param("disclosure", "min_count")  # counts 1 .. MIN_COUNT - 1 are shown as "<5"
MIN_RESIDENTS = reference.param("disclosure", "min_residents")  # rates only for units this large

PROTECTION_PERSONS = reference.param("disclosure", "protection_persons")  # sliding protection, persons
PROTECTION_SHARE = reference.param("disclosure", "protection_share")  # ... or this share of the count

SMALL_COUNT_LABEL = f"<{MIN_COUNT}"

# Reasons shown next to a suppressed cell (Danish, for the book).
REASON_FEW_RESIDENTS = f"færre end {MIN_RESIDENTS} beboere"
REASON_UNKNOWN_RESIDENTS = "antal beboere ukendt"
REASON_SMALL_COUNT = f"antal under {MIN_COUNT}"
REASON_OTHER_YEAR = "skjult i et andet år (ensartet tidsserie)"
REASON_HIDDEN = "skjult af diskretionering, som i de åbne data"
REASON_SECONDARY = "sekundær diskretionering (kunne ellers regnes ud som forskel)"
# the reasons of primary suppression: the cells the audit must protect
PRIMARY_REASONS = (REASON_FEW_RESIDENTS, REASON_UNKNOWN_RESIDENTS, REASON_SMALL_COUNT)


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

    Adds ``suppressed`` (bool: the row is hidden) and ``suppression_reason`` (Danish text, ""
    when nothing is hidden). A row is hidden where residents < ``MIN_RESIDENTS`` (or unknown) or
    where any count column is 1-4; a hidden row keeps none of its parts: its rate and count
    columns all become NaN (the ratio of two shown counts would give the hidden rate back). A
    count of 0 stays. A row with no value at all (no count, no rate) is missing, not suppressed.
    Listed columns that are absent are skipped; ``residents_col`` is required. Do not publish
    complementary counts (e.g. "not low income") next to a hidden count.
    """
    if residents_col not in df.columns:
        raise KeyError(f"suppress() needs the residents column {residents_col!r}")
    out = df.copy()
    counts = _present(out, count_cols)
    residents = pd.to_numeric(out[residents_col]).astype("float64")
    rates = _present(out, rate_cols)
    has_value = out[counts + rates].notna().any(axis=1) if counts + rates else pd.Series(True, index=out.index)
    unknown = residents.isna() & has_value
    few = ~unknown & (residents < MIN_RESIDENTS)
    small = pd.Series(False, index=out.index)
    for col in counts:
        small |= is_small_count(out[col])

    hide_rate = unknown | few | small
    for col in rates + counts:
        out[col] = _blank(out[col], hide_rate)

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
    count_cols: Sequence[str] = ("numerator", "denominator"),
) -> pd.DataFrame:
    """Suppress a unit's row in every year if it is suppressed in any year.

    Works on the output of :func:`suppress` in long form (one row per unit and year, and per
    indicator when ``indicator_col`` is present; otherwise the whole frame is one indicator).

    Choice: a series is either shown whole or not at all. A half-shown series invites readers to
    read the gaps as zero or as a break in trend, and a unit hovering around 100 residents would
    flicker in and out. The cost is that some publishable years are hidden. Newly hidden rows get
    the reason ``REASON_OTHER_YEAR`` and, like every hidden row, lose their counts as well.
    """
    if "suppressed" not in df.columns:
        raise ValueError("run suppress() first: no 'suppressed' column")
    out = df.copy()
    keys = [unit_col] + ([indicator_col] if indicator_col in out.columns else [])
    hidden_any = out.groupby(keys, dropna=False)["suppressed"].transform("any").astype(bool)
    newly = hidden_any & ~out["suppressed"].astype(bool)
    for col in _present(out, [*rate_cols, *count_cols]):
        out[col] = _blank(out[col], hidden_any)
    out["suppressed"] = hidden_any
    out.loc[newly, "suppression_reason"] = REASON_OTHER_YEAR
    return out


def protection_width(value) -> np.ndarray:
    """The narrowest interval an attacker may derive for a primarily suppressed count of ``value``:
    sliding protection of ``PROTECTION_PERSONS`` persons or ``PROTECTION_SHARE`` of the count,
    whichever is larger, on each side (Hundepool et al. 2012, ch. 4 and 5; tau-ARGUS's upper
    and lower protection levels)."""
    v = np.abs(np.asarray(value, dtype="float64"))
    return 2 * np.maximum(PROTECTION_PERSONS, PROTECTION_SHARE * v)


def is_primary(df: pd.DataFrame) -> pd.Series:
    """True where a row is hidden by the primary rules (not for another year or as a complement)."""
    reasons = df["suppression_reason"].fillna("").astype(str)
    return df["suppressed"].astype(bool) & reasons.str.contains("|".join(PRIMARY_REASONS), regex=True)


# A linked table for the audit: one row per unit (index) of one indicator and year, with columns
#   numerator, denominator: the true values;
#   hidden: the row is not published;
#   num_max: what an attacker knows without the tables about the numerator (MIN_COUNT when the
#            published reason says "antal under 5", else inf);
#   den_min, den_max: ditto for the denominator (the residents, public, bound it; for a share of
#            all residents it *is* the residents).
# and margins: {name: units} whose numerator and denominator totals the book publishes.
TABLE_DEFAULTS = {"num_max": np.inf, "den_min": 0.0, "den_max": np.inf}


def _components(hidden: list, margins: Mapping[str, Iterable]) -> tuple[list[list], list[list[int]]]:
    """Hidden units grouped by the margins that link them (union-find), with the margins (as index
    lists into ``hidden``) of each group."""
    pos = {u: i for i, u in enumerate(hidden)}
    parent = list(range(len(hidden)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows = []
    for members in margins.values():
        idx = sorted({pos[u] for u in members if u in pos})
        if idx:
            rows.append(idx)
            for j in idx[1:]:
                parent[find(j)] = find(idx[0])
    groups: dict[int, list[int]] = {}
    for i in range(len(hidden)):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values()), rows


def feasibility_intervals(
    cells: pd.DataFrame, margins: Mapping[str, Iterable], targets: Iterable | None = None
) -> pd.DataFrame:
    """For each hidden unit (or each of ``targets``), the smallest and largest numerator consistent
    with everything published: the shown units' values, the margins' totals (of numerators and of
    denominators) and the a-priori bounds (0 <= numerator <= denominator, num_max, den_min,
    den_max). Two linear programs per cell (scipy's ``linprog``, HiGHS), one program per group of
    hidden units linked by margins; a cell known to be 0 needs none. Returns value, lower, upper,
    known_lower and known_upper (the interval without the tables) per target unit, and the same for
    its denominator (den_value, den_lower, ...)."""

    t = cells.assign(**{k: cells.get(k, v) for k, v in TABLE_DEFAULTS.items()})
    hidden = list(t.index[t["hidden"].astype(bool)])
    targets = hidden if targets is None else [u for u in targets if u in set(hidden)]
    num = t["numerator"].astype("float64").to_dict()
    den = t["denominator"].astype("float64").to_dict()
    num_hi = np.minimum(t["num_max"], t["den_max"]).astype("float64").to_dict()
    den_lo, den_hi = t["den_min"].astype("float64").to_dict(), t["den_max"].astype("float64").to_dict()
    lower = {u: 0.0 for u in targets}
    upper = {u: num_hi[u] for u in targets}
    d_lower = {u: den_lo[u] for u in targets}
    d_upper = {u: den_hi[u] for u in targets}
    # a count known beforehand (0 of 0 residents, or the residents themselves) has nothing to narrow
    wanted = {u for u in targets if num_hi[u] > 0 or den_hi[u] > den_lo[u]}
    groups, rows = _components(hidden, margins)
    for group in groups:
        units = [hidden[i] for i in group]
        if not wanted.intersection(units):
            continue
        local = {g: k for k, g in enumerate(group)}
        eq_rows = [[local[i] for i in r] for r in rows if r[0] in local]
        if not eq_rows:
            continue  # a unit in no published total keeps its a-priori interval
        m = len(units)
        fixed = all(den_lo[u] == den_hi[u] for u in units)  # denominators known: numerators alone
        n_var = m if fixed else 2 * m
        a_eq = np.zeros((len(eq_rows) * (1 if fixed else 2), n_var))
        b_eq = []
        for k, r in enumerate(eq_rows):
            a_eq[k, r] = 1.0
            b_eq.append(sum(num[units[j]] for j in r))
            if not fixed:
                a_eq[len(eq_rows) + k, [m + j for j in r]] = 1.0
        if not fixed:
            b_eq += [sum(den[units[j]] for j in r) for r in eq_rows]
        bounds = [(0.0, num_hi[u]) for u in units]
        a_ub = b_ub = None
        if not fixed:  # numerator <= denominator
            bounds += [(den_lo[u], den_hi[u]) for u in units]
            a_ub, b_ub = np.hstack([np.eye(m), -np.eye(m)]), np.zeros(m)

        lp = {"A_ub": a_ub, "b_ub": b_ub, "A_eq": a_eq, "b_eq": b_eq, "bounds": bounds}
        for j, u in enumerate(units):
            if u not in wanted:
                continue
            if num_hi[u] > 0:
                lower[u], upper[u] = _extremes(j, n_var, lp, u)
            if not fixed and den_hi[u] > den_lo[u]:
                d_lower[u], d_upper[u] = _extremes(m + j, n_var, lp, u)
    index = pd.Index(targets, name=cells.index.name)
    return pd.DataFrame(
        {
            "value": [num[u] for u in targets],
            "known_lower": 0.0,
            "known_upper": [num_hi[u] for u in targets],
            "lower": [lower[u] for u in targets],
            "upper": [upper[u] for u in targets],
            "den_value": [den[u] for u in targets],
            "den_known_lower": [den_lo[u] for u in targets],
            "den_known_upper": [den_hi[u] for u in targets],
            "den_lower": [d_lower[u] for u in targets],
            "den_upper": [d_upper[u] for u in targets],
        },
        index=index,
    )


def _extremes(j: int, n_var: int, lp: dict, unit) -> list[float]:
    """Smallest and largest value of variable j subject to the program ``lp`` (linprog's arguments)."""
    from scipy.optimize import linprog

    c = np.zeros(n_var)
    c[j] = 1.0
    ends = []
    for sign in (1.0, -1.0):
        res = linprog(sign * c, method="highs", **lp)
        if res.status != 0:
            raise RuntimeError(f"disclosure audit: linear program for {unit!r} failed: {res.message}")
        ends.append(sign * res.fun)
    return ends


def swap_widths(cells: pd.DataFrame, margins: Mapping[str, Iterable], targets: Iterable) -> dict:
    """A lower bound of each target's feasibility width without a linear program: moving counts
    between hidden units that lie in exactly the same margins (the same bydel and area) keeps every
    published total. Used to skip programs whose answer is clear."""
    t = cells.assign(**{k: cells.get(k, v) for k, v in TABLE_DEFAULTS.items()})
    sig: dict = {}
    for name, members in margins.items():
        for u in members:
            sig.setdefault(u, set()).add(name)
    hidden = t.index[t["hidden"].astype(bool)]
    num = t["numerator"].astype("float64").to_dict()
    top = np.minimum(t["num_max"], t["denominator"]).astype("float64").to_dict()  # denominators kept
    up_room: dict = {}  # per class of hidden units: what they can give, and take
    down_room: dict = {}
    for u in hidden:
        k = frozenset(sig.get(u, ()))
        up_room[k] = up_room.get(k, 0.0) + num[u]
        down_room[k] = down_room.get(k, 0.0) + top[u] - num[u]
    den = t["denominator"].astype("float64").to_dict()
    den_hi = t["den_max"].astype("float64").to_dict()
    d_up_room: dict = {}  # denominators move with the numerators kept: down to the numerator, up to den_max
    d_down_room: dict = {}
    for u in hidden:
        k = frozenset(sig.get(u, ()))
        d_up_room[k] = d_up_room.get(k, 0.0) + den[u] - num[u]
        d_down_room[k] = d_down_room.get(k, 0.0) + den_hi[u] - den[u]
    out = {}
    for u in targets:
        k = frozenset(sig.get(u, ()))
        up = min(top[u] - num[u], up_room.get(k, 0.0) - num[u])
        down = min(num[u], down_room.get(k, 0.0) - (top[u] - num[u]))
        d_up = min(den_hi[u] - den[u], d_up_room.get(k, 0.0) - (den[u] - num[u]))
        d_down = min(den[u] - num[u], d_down_room.get(k, 0.0) - (den_hi[u] - den[u]))
        out[u] = (max(0.0, up) + max(0.0, down), max(0.0, d_up) + max(0.0, d_down))
    return out


def audit(
    cells: pd.DataFrame,
    margins: Mapping[str, Iterable],
    protect: Iterable | None = None,
    targets: Iterable | None = None,
) -> pd.DataFrame:
    """The feasibility interval of every hidden cell, its width, the width required and whether it
    is met. Only the cells in ``protect`` (default: every hidden cell) need protection; for the
    others ``required`` is 0. The requirement never exceeds what is known without the tables
    (a cell of a unit with 3 residents cannot be protected to more than 0-3). ``targets`` limits
    the cells computed (default: every hidden cell)."""
    out = feasibility_intervals(cells, margins, targets)
    protect = out.index.isin(set(out.index if protect is None else protect))
    out["width"] = out["upper"] - out["lower"]
    need = np.minimum(protection_width(out["value"]), out["known_upper"] - out["known_lower"])
    out["required"] = np.where(protect, need, 0.0)
    # the denominator is a count too (people of an age, households): the same protection
    out["den_width"] = out["den_upper"] - out["den_lower"]
    den_need = np.minimum(protection_width(out["den_value"]), out["den_known_upper"] - out["den_known_lower"])
    out["den_required"] = np.where(protect, den_need, 0.0)
    out["ok"] = (out["width"] >= out["required"] - 1e-6) & (out["den_width"] >= out["den_required"] - 1e-6)
    return out


def complementary_suppression(
    tables: Mapping[object, tuple[pd.DataFrame, Mapping[str, Iterable]]],
    protect: Mapping[object, Iterable],
    cost: Mapping[object, float] | None = None,
) -> set:
    """Units to hide beside the hidden ones so that every cell in ``protect`` passes the audit.

    ``tables`` maps a key (e.g. a year) to one linked table (cells, margins) of one indicator; a
    unit chosen is hidden in every table (a series is shown whole or not at all). For a failing
    cell the complement is a shown unit that shares the most margins with it (the same area and
    bydel), can move by the protection width both ways, and costs least (``cost``, e.g. its
    residents; default its numerator), ties by unit id. Hiding a unit only widens the intervals,
    so only failing cells are audited again. Returns the units added; a cell that hiding every
    unit would not protect (a margin of that unit alone) is left for :func:`audit` to report.
    """
    added: set = set()
    pending = {key: [u for u in protect.get(key, ()) if u in cells.index] for key, (cells, _) in tables.items()}
    for key, (cells, margins) in tables.items():  # cells that no suppression of units can protect
        can = _protectable(cells.assign(hidden=True), margins, pending[key])
        pending[key] = [u for u in pending[key] if can[u]]
    while True:
        progress = False
        for key, (cells, margins) in tables.items():
            t = cells.assign(hidden=cells["hidden"].astype(bool) | cells.index.isin(added))
            clear = _protectable(t, margins, pending[key], lp=False)
            pending[key] = [u for u in pending[key] if not clear[u]]
            if not pending[key]:
                continue
            res = audit(t, margins, protect=pending[key], targets=pending[key])
            failing = list(res.index[~res["ok"]])
            pending[key] = failing
            for unit in failing:
                width = max(float(res.at[unit, "required"]), float(res.at[unit, "den_required"]))
                partner = _complement(unit, t, margins, width, cost)
                if partner is not None:
                    added.add(partner)
                    progress = True
                    break
        if not progress:
            return added


def _protectable(cells: pd.DataFrame, margins: Mapping[str, Iterable], targets: list, lp: bool = True) -> dict:
    """Whether each target meets its protection level: by the swap bound, else (``lp``) by audit."""
    if not targets:
        return {}
    values = cells["numerator"].astype("float64")
    known = np.minimum(cells.get("num_max", np.inf), np.minimum(cells.get("den_max", np.inf), cells["denominator"]))
    swap = swap_widths(cells, margins, targets)
    need = {u: min(float(protection_width(values[u])), float(known[u])) for u in targets}
    dens = cells["denominator"].astype("float64")
    d_known = cells.get("den_max", np.inf) - cells.get("den_min", 0.0)
    d_need = {
        u: min(float(protection_width(dens[u])), float(pd.Series(d_known, index=cells.index)[u])) for u in targets
    }
    ok = {u: swap[u][0] >= need[u] - 1e-6 and swap[u][1] >= d_need[u] - 1e-6 for u in targets}
    rest = [u for u in targets if not ok[u]]
    if lp and rest:
        res = audit(cells, margins, protect=rest, targets=rest)
        ok.update(res["ok"].to_dict())
    return ok


def _complement(unit, cells: pd.DataFrame, margins: Mapping[str, Iterable], width: float, cost) -> object | None:
    shown = cells[~cells["hidden"]]
    num, den_max = shown["numerator"].astype("float64"), shown.get("den_max", pd.Series(np.inf, index=shown.index))
    room = (num >= width) & (np.minimum(den_max, shown.get("num_max", np.inf)) - num >= width)
    candidates = shown.index[room.to_numpy()]
    if candidates.empty:
        return None
    shared = dict.fromkeys(candidates, 0)
    for members in margins.values():
        members = set(members)
        if unit in members:
            for c in candidates:
                shared[c] += c in members
    weight = (lambda u: cost[u]) if cost is not None else (lambda u: float(num[u]))
    return min(candidates, key=lambda u: (-shared[u], weight(u), str(u)))
