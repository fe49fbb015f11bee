"""A draft plan proposed from the data: `python -m analysis plan draft --area <slug>`.

Goals for the area's largest gaps to the rest of the city, each with the target "close a third of
the gap by 2020" and its computed baseline. Never initiatives: those are the planners' to write;
the chapter shows the policy's own tools as examples.
"""

from __future__ import annotations

import yaml

from . import reference, targets
from .indicators import area_comparison
from .results import Results

DRAFT_SHARE = 1 / 3  # "close a third of the gap by 2020"
POLICY_GOAL = {"low_education": "education_jobs", "low_income": "lift"}


def proposals(results: Results, slug: str) -> list[dict]:
    """One goal per SØK indicator on which the area lies above the city, largest index first.
    Origin is not a problem to reduce: neutral indicators get no goal."""
    comp = area_comparison(results.series, slug)
    neutral = {i.key for i in reference.indicators() if i.neutral}
    above = comp[
        comp["soek"] & ~comp["indicator"].isin(neutral) & (comp["index"] > reference.param("problems", "above_city"))
    ]
    base = targets.years().base
    goals = []
    for r in above.sort_values("index", ascending=False).itertuples():
        goals.append(
            {
                "id": r.indicator.replace("_", "-"),
                "title": f"Mindre afstand til resten af byen: {r.label.lower()}",
                "policy_goal": POLICY_GOAL.get(r.indicator, "lift"),
                "problems": [r.indicator],
                "targets": [
                    {
                        "id": f"{r.indicator.replace('_', '-')}-tredjedel",
                        "text": f"Afstanden til resten af byen for {r.label.lower()} er mindsket med en tredjedel "
                        f"fra {base} til 2020",
                        "measure": {"indicator": r.indicator},
                        "rule": {"kind": "close_gap", "share": round(DRAFT_SHARE, 4)},
                        "baseline_year": base,
                        "target_year": targets.years().target,
                    }
                ],
                "initiatives": [],
            }
        )
    return goals


def draft_text(results: Results, slug: str) -> str:
    area = reference.area(slug)
    front = {
        "area": slug,
        "title": f"Udviklingsplan {area.name}",
        "status": "udkast",
        "vision": reference.policy().vision,
        "goals": proposals(results, slug),
    }
    body = (
        "## Indledning\n\n"
        f"Dette er et udkast, som er foreslået ud fra data: et mål for hver SØK-indikator, hvor {area.name} "
        "ligger over byens niveau. Planlæggerne retter mål, tilføjer indsatser og lokal viden og sætter "
        "status til vedtaget, når planen er vedtaget.\n"
    )
    yaml_text = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{yaml_text}---\n\n{body}"
