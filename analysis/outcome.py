"""Did the areas reach the targets? The follow-up from 2011 to 2025 with the City's kvarter statistics.

The 2008-2014 rode data end before the policy's target year (2020). The City's Statistikbank by
kvarter (67 kvarterer, 2016-2026; analysis.load.load_kvarter_stats) goes further, with other
measures: median disposable income instead of the low-income share, higher education instead of
no education, floor area per dwelling instead of dwellings under 60 m², registered unemployment by
bydel only. The six areas are not kvarterer, so each area is mapped to the kvarterer it overlaps:

- **mapping** (:func:`overlap_pieces`, :func:`area_mapping`): every rode's 2014 residents are spread
  over the kvarterer by the share of the rode's area that lies in each (areal interpolation); an
  area's weight for a kvarter is the share of the area's 2014 residents placed in it (of its area,
  when a member rode has no 2014 residents). Kvarterer with less than MIN_WEIGHT of the area are
  left out (slivers where the two sets of boundaries do not align), the rest renormalised. A
  kvarter is *mostly outside* the area when less than half of its own 2014 residents live in the
  area's roder: its figures describe mostly other people;
- **the area's figure** is the weighted mean of its kvarterer's figures (for the median income a
  mean of medians, not the area's median);
- **the city comparator** is the median of the 67 kvarterer's figures in the same year: the file has
  no city figure and no yearly kvarter populations, so a population-weighted city mean cannot be
  formed; the median kvarter is what half the kvarterer lie above and half below;
- **verdicts** (:func:`verdict`): "nået", "ikke nået" or "kan ikke afgøres med åbne data", never
  stronger than the evidence (see the rules at each function).

The prepared tables are written by :func:`prepare` (called from pipeline.prepare) to the derived
folder; the chapter and the area sections read them (analysis.outcome_pages).
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import load

MAPPING_YEAR = 2014  # the last year of the rode data: residents placed in the kvarterer
MIN_WEIGHT = 0.02  # a kvarter with a smaller share of the area is a sliver of misaligned boundaries
MAX_OUTSIDE_WEIGHT = 0.5  # above this share of an area's weight in such kvarterer, no verdict from them
MOSTLY_OUTSIDE = 0.5  # share of a kvarter's residents inside the area below which it is mostly outside
# The proxies of the 2011 goal "løftes til københavnerniveau" (and of three of the 2017 criteria):
# indicator -> (direction: +1 when more is better, how the gap is measured, materiality margin).
# The gap is the area's figure against the median kvarter: in % of it for income and floor area,
# in percentage points for education.
PROXIES = {
    "income_med": (+1, "pct", 10.0),
    "higher_ed": (+1, "pp", 5.0),
    "avg_m2": (+1, "pct", 10.0),
}
LIFT_PROXIES = ("income_med", "higher_ed")  # the goal is social: income and education
NAAET, IKKE_NAAET, UAFGJORT = "nået", "ikke nået", "kan ikke afgøres med åbne data"

MAPPING_FILE, VALUES_FILE, GEO_FILE = "kvarter_mapping.csv", "kvarter_values.csv", "kvarterer.geojson"


# --- the mapping ---------------------------------------------------------------------------------


def overlap_pieces(units: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """Each unit (columns unit, residents, geometry) cut by the zones (zone, geometry): unit, zone,
    area_share (of the unit's area in the zone) and residents_part = residents × area_share.
    A unit's residents are assumed spread evenly over its area."""
    u = units[["unit", "residents", "geometry"]].copy()
    u["unit_area"] = u.geometry.area
    pieces = gpd.overlay(u, zones[["zone", "geometry"]], how="intersection", keep_geom_type=True)
    pieces["area_share"] = pieces.geometry.area / pieces["unit_area"]
    pieces["residents_part"] = pieces["residents"] * pieces["area_share"]
    out = pieces.groupby(["unit", "zone"], as_index=False)[["area_share", "residents_part"]].sum()
    return out


def area_mapping(pieces: pd.DataFrame, members: dict[str, list]) -> pd.DataFrame:
    """Each area's kvarterer from the pieces of every unit (overlap_pieces over the whole city).

    weight: the share of the area's residents in the kvarter (basis "beboere"), or of its area
    (basis "areal") when a member has no residents (NaN); kvarterer below MIN_WEIGHT are dropped and
    the rest renormalised. inside_share: the share of the kvarter's residents (all units) that live
    in the area's units; mostly_outside when it is below MOSTLY_OUTSIDE."""
    kvarter_total = pieces.groupby("zone")["residents_part"].sum()
    rows = []
    for slug, units in members.items():
        mine = pieces[pieces["unit"].isin(units)]
        by_residents = mine["residents_part"].notna().all() and mine["residents_part"].sum() > 0
        col = "residents_part" if by_residents else "area_share"
        w = mine.groupby("zone")[col].sum()
        w = w / w.sum()
        kept = w[w >= MIN_WEIGHT]
        kept = kept / kept.sum()
        inside = mine.groupby("zone")["residents_part"].sum() / kvarter_total
        for zone, weight in kept.sort_values(ascending=False).items():
            share = float(inside.get(zone, math.nan))
            rows.append(
                {
                    "slug": slug,
                    "code": zone,
                    "weight": float(weight),
                    "basis": "beboere" if by_residents else "areal",
                    "inside_share": share,
                    "mostly_outside": bool(share < MOSTLY_OUTSIDE) if not math.isnan(share) else False,
                }
            )
    return pd.DataFrame(rows, columns=["slug", "code", "weight", "basis", "inside_share", "mostly_outside"])


# --- the series ------------------------------------------------------------------------------------


def city_comparator(values: pd.DataFrame) -> pd.DataFrame:
    """The median of the kvarterer's figures per indicator and year (not a population-weighted mean:
    the file has no yearly kvarter populations)."""
    return values.groupby(["indicator", "year"], as_index=False)["value"].median().rename(columns={"value": "city"})


def area_values(values: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    """slug, indicator, year, area (weighted mean of the area's kvarterer), city (the median kvarter)
    and gap (area − city in points; gap_pct: in % of the city figure)."""
    m = mapping[["slug", "code", "weight"]].merge(values, on="code")
    m["wv"] = m["weight"] * m["value"]
    g = m.groupby(["slug", "indicator", "year"], as_index=False).agg(wv=("wv", "sum"), w=("weight", "sum"))
    g["area"] = g["wv"] / g["w"]
    g = g.merge(city_comparator(values), on=["indicator", "year"])
    g["gap"] = g["area"] - g["city"]
    g["gap_pct"] = 100 * g["gap"] / g["city"]
    return g[["slug", "indicator", "year", "area", "city", "gap", "gap_pct"]].sort_values(["slug", "indicator", "year"])


def gap_of(row, indicator: str) -> float:
    """The gap as the proxy measures it (PROXIES): in % of the city figure or in points."""
    return float(row["gap_pct"] if PROXIES[indicator][1] == "pct" else row["gap"])


# --- verdicts ------------------------------------------------------------------------------------


def lift_verdict(gaps: dict[str, float], outside_weight: float = 0.0) -> str:
    """The 2011 goal "løftes til københavnerniveau" ("no area shall differ negatively – socially,
    physically or in health") on the kvarter proxies in their last year (gaps as gap_of; each
    proxy's direction in PROXIES):

    - "ikke nået" when the area is worse than the city comparator by more than the proxy's margin on
      at least one proxy: one clear negative difference is enough to miss the goal;
    - never "nået": the goal also covers health and safety, which the open data do not measure;
    - "kan ikke afgøres med åbne data" otherwise, and whenever a proxy has no figure or more than half
      of the area's weight lies in kvarterer mostly outside it (MOSTLY_OUTSIDE): then the figures
      describe mostly other people."""
    if not gaps or any(math.isnan(v) for v in gaps.values()) or outside_weight > MAX_OUTSIDE_WEIGHT:
        return UAFGJORT
    if any(PROXIES[k][0] * v < -PROXIES[k][2] for k, v in gaps.items()):
        return IKKE_NAAET
    return UAFGJORT


def halved(first_gap: float, last_gap: float, direction: int) -> bool | None:
    """The 2017 goal for one criterion: the gap (worse side) at least halved from first to last year.
    None when there was no gap to halve (the area was not worse in the first year)."""
    g0, g1 = -direction * first_gap, -direction * last_gap  # positive = worse
    if g0 <= 0:
        return None
    return g1 <= g0 / 2


def count_verdict(status: str | None) -> str:
    """The government-list target by the targets page's own rule (follow_up.policy_table)."""
    return {"met": NAAET, "missed": IKKE_NAAET}.get(status or "", UAFGJORT)


# --- prepare ---------------------------------------------------------------------------------------


def prepare(raw_dir: Path, rode_geo: gpd.GeoDataFrame, rode_obs: pd.DataFrame, members: pd.DataFrame, out: Path):
    """Validate the kvarter file (load.load_kvarter_stats) and write the mapping, the kvarter values
    and the kvarter polygons to the derived folder ``out``."""
    stats = load.load_kvarter_stats(raw_dir)
    res = rode_obs[rode_obs["year"] == MAPPING_YEAR].drop_duplicates("unit_id")
    residents = res.set_index(res["unit_id"].astype(str))["residents"]
    units = rode_geo.assign(unit=rode_geo["rode_nr"].astype(str))
    units["residents"] = units["unit"].map(residents)
    zones = stats.areas.rename(columns={"code": "zone"})
    geo = load.load_kvarter(raw_dir)  # the unsimplified boundaries (cross-checked with the file's own)
    zones = gpd.GeoDataFrame(
        {"zone": geo["kvarternr"].astype(str), "geometry": geo.geometry.make_valid()}, crs=geo.crs
    ).to_crs(units.crs)
    pieces = overlap_pieces(units, zones)
    by_area = {slug: list(g["rode_nr"].astype(str)) for slug, g in members.groupby("slug")}
    mapping = area_mapping(pieces, by_area)
    names = stats.areas.set_index("code")[["name", "bydel"]]
    mapping = mapping.join(names, on="code")
    mapping.to_csv(out / MAPPING_FILE, index=False)
    vals = stats.values.join(names, on="code")
    vals.to_csv(out / VALUES_FILE, index=False)
    g = stats.areas.copy()
    g["geometry"] = g.geometry.set_precision(1.0)
    g.to_file(out / GEO_FILE, driver="GeoJSON", COORDINATE_PRECISION=0, WRITE_BBOX="NO")


def read(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The prepared mapping and kvarter values (codes as text)."""
    mapping = pd.read_csv(folder / MAPPING_FILE, dtype={"code": str})
    values = pd.read_csv(folder / VALUES_FILE, dtype={"code": str})
    return mapping, values


def first_last(series: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    s = series.sort_values("year")
    return s.iloc[0], s.iloc[-1]
