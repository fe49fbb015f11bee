"""Follow-up ("opfølgning"): the status of every target, the area plans' and the policy's, from
the prepared data. The rules themselves are in :mod:`analysis.targets`."""

from __future__ import annotations

import math

import pandas as pd

from . import reference, targets
from .plans import Plan, Rule, Target


def _indicator_series(series: pd.DataFrame, slug: str, key: str, group: str = "area") -> pd.DataFrame:
    level = "rode" if reference.indicator(key).rode_column else "by"
    slug = slug if level == "rode" else "alle"
    s = series[(series["slug"] == slug) & (series["level"] == level) & (series["indicator"] == key)]
    return s[s["group"] == group].dropna(subset=["rate"]).sort_values("year")


def evaluate(t: Target, series: pd.DataFrame, slug: str, supplied: pd.DataFrame) -> dict:
    """Baseline, latest, goal value and status of one plan target for area ``slug``."""
    m, rule = t.measure, t.rule
    if m.kind == "source":
        return {**targets._empty(f"Måles med {m.name}, som ikke findes som åbne data."), "source": m.name}
    if m.kind == "supplied":
        rows = supplied[(supplied["measure"] == m.name) & (supplied["area"] == slug)].sort_values("year")
        if rows.empty:
            return targets._empty(f"Måles med »{m.name}«, som forvaltningen endnu ikke har leveret.")
        out = targets.value_target(rows["year"], rows["value"], t.baseline_year, rule)
        who = ", ".join(sorted(set(rows["delivered_by"])))
        return {**out, "note": f"Leveret af {who}, ikke offentliggjort som åbne data ({rows['source'].iloc[-1]})."}
    ind = reference.indicator(m.name)
    if not ind.rode_column:
        return targets._empty(f"{ind.name} findes i de åbne data kun for hele byen, ikke for området.")
    if rule.kind == "close_gap":
        return targets.gap_target(series, slug, m.name, t.baseline_year, rule.share)
    s = _indicator_series(series, slug, m.name)
    return targets.value_target(s["year"], s["rate"], t.baseline_year, rule)


def plan_table(plan: Plan, series: pd.DataFrame, supplied: pd.DataFrame) -> pd.DataFrame:
    """One row per target of the plan, in the plan's order."""
    rows = []
    for goal, t in plan.targets:
        rows.append(
            {
                "goal_id": goal.id,
                "goal": goal.title,
                "target_id": t.id,
                "text": t.text,
                "measure_kind": t.measure.kind,
                "measure": t.measure.name,
                "rule": t.rule,
                "target_year": t.target_year,
                "page": t.page,
                **evaluate(t, series, plan.area, supplied),
            }
        )
    return pd.DataFrame(rows, columns=list(rows[0]) if rows else PLAN_COLUMNS)


PLAN_COLUMNS = ["goal_id", "goal", "target_id", "text", "measure_kind", "measure", "rule", "target_year", "page"]
PLAN_COLUMNS += list(targets._empty())


def policy_table(series: pd.DataFrame, slug: str, listed: pd.DataFrame | None = None) -> pd.DataFrame:
    """The policy's 2020 targets for one area (or "alle"): what open data measures them and how."""
    pol = reference.policy()
    base = targets.years().base
    rows = []
    for t in pol.targets:
        row = {
            "goal_key": t.goal,
            "goal": pol.goals[t.goal]["name"],
            "key": t.key,
            "text": t.text,
            "measured_by": t.measured_by,
            "proxy": t.proxy,
            **targets._empty(t.proxy_note),
        }
        row.update(at_target=math.nan, at_target_year=None, status_latest=None)
        if t.type == "count" and listed is not None and not listed.empty:
            row.update(_count_row(listed, slug, t))
        elif t.indicator and t.type == "floor":
            s = _indicator_series(series, "alle", t.indicator, "city").set_index("year")
            now = int(s.index.max())
            lo, hi = _wilson(s.loc[now, "numerator"], s.loc[now, "denominator"])
            row.update(
                baseline=s["rate"].get(base, math.nan),
                baseline_year=base,
                latest=s.loc[now, "rate"],
                latest_year=now,
                goal_value=t.floor,
                status=targets.floor_status(s.loc[now, "rate"], (lo, hi), t.floor),
            )
        elif t.indicator and reference.indicator(t.indicator).rode_column and slug != "alle":
            s = _indicator_series(series, slug, t.indicator)
            row.update(
                {k: v for k, v in targets.value_target(s["year"], s["rate"], base, PROXY).items() if k != "note"}
            )
            row["status"] = "grey"  # a proxy that cannot decide the target
        rows.append(row)
    return pd.DataFrame(rows)


PROXY = Rule("fixed", value=math.nan)  # a proxy shows its values; it cannot decide the target


def _wilson(x: float, n: float) -> tuple[float, float]:
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(round(x), round(n), alpha=1 - reference.param("trends", "confidence"), method="wilson")
    return 100 * lo, 100 * hi


def _count_row(listed: pd.DataFrame, slug: str, t: reference.Target) -> dict:
    """Areas on the government's list, by the one rule (targets.toml, the count target; the method
    page states it with :func:`wording.count_rule`): the list of the target's baseline year against
    the last list published by the end of the target year (met or missed), and the latest list beside
    it, judged by the same goal."""
    from . import ghetto_lists, wording

    counts = ghetto_lists.counts(listed, slug)
    base_year, target = t.baseline_year or targets.years().base, targets.years().target
    known = counts.dropna()
    after, before = known[known.index >= base_year], known[known.index <= target]
    if after.empty or before.empty:
        return {"status": "grey", "note": "ingen liste i perioden"}
    y0, yt, yl = int(after.index.min()), int(before.index.max()), int(known.index.max())
    goal = (1 - t.reduction) * known[y0]
    at_target = targets.count_status(known[y0], known[yt], yt, t.reduction)["status"]
    latest = targets.count_status(known[y0], known[yl], yl, t.reduction)["status"]
    return {
        "baseline": float(known[y0]),
        "baseline_year": y0,
        "at_target": float(known[yt]),
        "at_target_year": yt,
        "latest": float(known[yl]),
        "latest_year": yl,
        "goal_value": goal,
        "status": at_target,
        "status_latest": latest,
        "unit": "antal",
        "note": wording.count_note(
            known, base_year, y0, yt, yl, goal, at_target, latest, stated=ghetto_lists.stated_count(base_year)
        ),
    }
