"""The government's yearly lists of particularly deprived public-housing areas, Copenhagen's
entries (analysis/reference/ghetto_lists.toml), located in the six areas through the city's
public-housing layer."""

from __future__ import annotations

import pandas as pd

from . import paths

FILE = paths.REFERENCE / "ghetto_lists.toml"


def lists() -> pd.DataFrame:
    """One row per year and listed estate: year, estate, source."""
    import tomllib

    if not FILE.is_file():
        return pd.DataFrame(columns=["year", "estate", "source"])
    data = tomllib.loads(FILE.read_text(encoding="utf-8"))
    rows = [
        {"year": lst["year"], "estate": e, "source": lst["source"]}
        for lst in data.get("list", [])
        for e in lst["estates"]
    ]
    return pd.DataFrame(rows, columns=["year", "estate", "source"])


def afdelinger() -> dict[str, list[str]]:
    """Listed name -> the estate names ('afdelingsn') it covers in the public-housing layer."""
    import tomllib

    if not FILE.is_file():
        return {}
    data = tomllib.loads(FILE.read_text(encoding="utf-8"))
    return {e["name"]: list(e["afdelinger"]) for e in data.get("estate", [])}


def located(estates: pd.DataFrame) -> pd.DataFrame | None:
    """Listed estates with the area (slug) their first matching afdeling lies in; None when no
    lists are entered. A listed name that matches no afdeling keeps slug NaN (outside the areas)."""
    listed = lists()
    if listed.empty:
        return None
    where = estates.dropna(subset=["slug"]).drop_duplicates("estate").set_index("estate")["slug"]
    mapping = afdelinger()
    slug = {name: next((where[a] for a in names if a in where.index), None) for name, names in mapping.items()}
    return listed.assign(slug=listed["estate"].map(slug))
