"""The chapters' tables, formatted as Danish text (computed values in, display frames out)."""

from __future__ import annotations

import pandas as pd

from . import disclosure, fmt, reference, targets, wording
from .plans import Goal


def comparison(comp: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Indikator": comp["label"],
            "År": comp["year"].astype(str),
            "Området": comp["area"].map(fmt.percent),
            "Resten af byen": comp["rest"].map(fmt.percent),
            "København": comp["city"].map(fmt.percent),
            "Indeks (Kbh. = 100)": comp["index"].map(fmt.index),
        }
    )


def city_only(latest: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Indikator": latest["label"],
            "År": latest["year"].astype(str),
            "København": latest["rate"].map(fmt.percent),
        }
    )


def turnout(rows: pd.DataFrame, city) -> pd.DataFrame:
    """An area's polling areas at the 2013 municipal election, those counted in total, and the city."""
    counted = rows[rows["assigned"]]
    total = {"name": "De medregnede i alt", **counted[["eligible", "voted", "residents"]].sum()}
    total.update(residents_in_area=counted["residents_in_area"].sum(), assigned=None)
    t = pd.concat([rows, pd.DataFrame([total, {**city, "assigned": None}])], ignore_index=True)
    if counted.empty:
        t = t.drop(index=len(t) - 2)
    share = 100 * t["residents_in_area"] / t["residents"]
    return pd.DataFrame(
        {
            "Afstemningsområde": t["name"],
            "Stemmeberettigede": t["eligible"].map(fmt.number),
            "Afgivne stemmer": t["voted"].map(fmt.number),
            "Valgdeltagelse": (100 * t["voted"] / t["eligible"]).map(fmt.percent),
            "Af afstemningsområdets beboere bor i området": share.where(t["name"] != city["name"]).map(fmt.percent),
            "Regnes med": t["assigned"].map({True: "ja", False: "nej"}).fillna(""),
        }
    )


def trends(summary: pd.DataFrame) -> pd.DataFrame:
    y0, y1 = int(summary["y0"].min()), int(summary["y1"].max())
    return pd.DataFrame(
        {
            "Indikator": summary["label"] + [f" (til {y})" if y < y1 else "" for y in summary["y1"]],
            f"Afstand {y0}": summary["gap0"].map(wording.signed),
            "Afstand seneste år": summary["gap1"].map(wording.signed),
            "Ændring pr. år (Theil–Sen, 95 %-interval)": [
                wording.with_interval(*v)
                for v in zip(summary["slope"], summary["slope_low"], summary["slope_high"], strict=True)
            ],
            "Vurdering": [wording.trend_verdict(r) for r in summary.itertuples()],
        }
    )


def _value(v: float, year, unit: str = "%") -> str:
    if pd.isna(v):
        return fmt.MISSING
    text = fmt.percent(v) if unit == "%" else fmt.number(v)
    return f"{text} ({int(year)})" if pd.notna(year) else text


def _goal_text(row) -> str:
    if pd.isna(row.goal_value):
        return fmt.MISSING
    rule = row.rule
    if rule.kind == "close_gap":
        return f"Afstand højst {fmt.pp(row.goal_value, signed=False)} i {row.target_year}"
    unit = rule.unit or "%"
    value = fmt.percent(row.goal_value) if unit == "%" else f"{fmt.number(row.goal_value)} {unit}"
    word = {"floor": "mindst", "fixed": "højst" if rule.direction == "down" else "mindst"}.get(rule.kind, "")
    if rule.kind == "change":
        word = "højst" if rule.direction == "down" else "mindst"
    return f"{word} {value} i {row.target_year}".strip()


def plan_targets(status: pd.DataFrame) -> pd.DataFrame:
    """One goal's (or the whole plan's) targets: baseline, latest, the 2020 value and status."""
    return pd.DataFrame(
        {
            "Mål": list(status["text"]),
            "Måles ved": [
                wording.measure_text(k, n) for k, n in zip(status["measure_kind"], status["measure"], strict=True)
            ],
            "Udgangspunkt": [_value(v, y) for v, y in zip(status["baseline"], status["baseline_year"], strict=True)],
            "Seneste": [_value(v, y) for v, y in zip(status["latest"], status["latest_year"], strict=True)],
            "Mål for 2020": [_goal_text(r) for r in status.itertuples()],
            "Status": [wording.status_badge(s) for s in status["status"]],
        }
    )


def initiatives(goal: Goal) -> pd.DataFrame:
    admins = reference.administrations()
    return pd.DataFrame(
        {
            "Indsats": [i.name for i in goal.initiatives],
            "Ansvarlig": [admins[i.lead] for i in goal.initiatives],
            "Partnere": [", ".join(i.partners) or fmt.MISSING for i in goal.initiatives],
            "Periode": [i.period or fmt.MISSING for i in goal.initiatives],
            "Budget (kr.)": [
                fmt.number(i.budget_dkk) if i.budget_dkk is not None else fmt.MISSING for i in goal.initiatives
            ],
            "Status": [wording.INITIATIVE_STATUS[i.status] for i in goal.initiatives],
        }
    )


def policy_targets(status: pd.DataFrame) -> pd.DataFrame:
    """The policy's targets for an area or the city. A target with a value in the target year (the
    government list) shows it, and its status there and at its latest value."""
    target = targets.years().target
    return pd.DataFrame(
        {
            "Politikkens mål for 2020": status["text"] + ["" if not p else " (stedfortræder)" for p in status["proxy"]],
            "Måles ved": status["measured_by"],
            "Udgangspunkt": [
                _value(*v) for v in zip(status["baseline"], status["baseline_year"], status["unit"], strict=True)
            ],
            f"I {target}": [
                _value(*v) for v in zip(status["at_target"], status["at_target_year"], status["unit"], strict=True)
            ],
            "Seneste": [_value(*v) for v in zip(status["latest"], status["latest_year"], status["unit"], strict=True)],
            "Status": [
                wording.status_cell(*v)
                for v in zip(
                    status["status"],
                    status["at_target_year"],
                    status["status_latest"],
                    status["latest_year"],
                    strict=True,
                )
            ],
        }
    )


def members(t: pd.DataFrame) -> pd.DataFrame:
    """The area's roder through disclosure control (composite hidden below the resident floor)."""
    t = disclosure.suppress(t, count_cols=(), rate_cols=("composite",))
    return t


def status_counts(statuses: pd.Series) -> str:
    counts = statuses.value_counts()
    return ", ".join(f"{counts[s]} {wording.STATUS_LABELS[s].lower()}" for s in targets.STATUSES if s in counts)
