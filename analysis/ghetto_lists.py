"""The government's yearly lists of particularly deprived public-housing areas, Copenhagen's
entries (analysis/reference/ghetto_lists.toml), located in the six areas through the city's
public-housing layer.

An empty list is a list: a year whose list has no Copenhagen entry is kept (count 0). A list whose
Copenhagen count is known but whose names are not (2010) is kept with its count; it cannot be
counted per area."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from . import paths

if TYPE_CHECKING:  # the method page's rule text is written without importing pandas
    import pandas as pd

FILE = paths.REFERENCE / "ghetto_lists.toml"
COLUMNS = ["year", "estate", "source", "count", "named"]


def _data() -> dict:
    import tomllib

    if not FILE.is_file():
        return {}
    return tomllib.loads(FILE.read_text(encoding="utf-8"))


def list_years() -> pd.DataFrame:
    """One row per list: year, published, source, count (Copenhagen's entries) and named (whether
    the entries are known by name, so that they can be counted per area)."""
    import pandas as pd

    rows = []
    for lst in _data().get("list", []):
        named = "estates" in lst
        count = len(lst["estates"]) if named else lst["count"]
        if named and lst.get("count", count) != count:
            raise ValueError(f"ghetto_lists.toml: {lst['year']}: count {lst['count']} but {count} estates named")
        rows.append(
            {
                "year": lst["year"],
                "published": lst["published"],
                "source": lst["source"],
                "count": count,
                "named": named,
            }
        )
    return pd.DataFrame(rows, columns=["year", "published", "source", "count", "named"])


def lists() -> pd.DataFrame:
    """One row per year and listed estate: year, estate, source, count (the list's Copenhagen count)
    and named. A list with no named estate (empty, or known only by its count) keeps one row with
    estate NaN, so that no list-year disappears."""
    import pandas as pd

    rows = []
    names = {lst["year"]: lst.get("estates", []) for lst in _data().get("list", [])}
    for r in list_years().itertuples():
        estates = names[r.year]
        base = {"year": r.year, "source": r.source, "count": r.count, "named": r.named}
        rows += [{**base, "estate": e} for e in estates] or [{**base, "estate": math.nan}]
    return pd.DataFrame(rows, columns=COLUMNS)


def counts(listed: pd.DataFrame, slug: str) -> pd.Series:
    """Copenhagen's entries per list-year, for the whole city ("alle") or one area (by its slug):
    0 for a list without entries there, NaN for an area when the list's names are not known."""

    years = listed.drop_duplicates("year").set_index("year").sort_index()
    if slug == "alle":
        return years["count"].astype(float)
    d = listed[listed["slug"] == slug].dropna(subset=["estate"])
    n = d.groupby("year")["estate"].nunique().reindex(years.index, fill_value=0).astype(float)
    return n.where(years["named"].astype(bool))


def stated_count(year: int) -> int | None:
    """Copenhagen's count on the list of ``year`` as entered (named or stated); None without that list."""
    for lst in _data().get("list", []):
        if lst["year"] == year:
            return len(lst["estates"]) if "estates" in lst else lst["count"]
    return None


def afdelinger() -> dict[str, list[str]]:
    """Listed name -> the estate names ('afdelingsn') it covers in the public-housing layer."""
    return {e["name"]: list(e["afdelinger"]) for e in _data().get("estate", [])}


def located(estates: pd.DataFrame) -> pd.DataFrame | None:
    """Listed estates with the area (slug) their first matching afdeling lies in; None when no
    lists are entered. A listed name that matches no afdeling keeps slug NaN (outside the areas),
    and so does the row of a list with no named estate."""
    listed = lists()
    if listed.empty:
        return None
    where = estates.dropna(subset=["slug"]).drop_duplicates("estate").set_index("estate")["slug"]
    mapping = afdelinger()
    slug = {name: next((where[a] for a in names if a in where.index), None) for name, names in mapping.items()}
    return listed.assign(slug=listed["estate"].map(slug))
