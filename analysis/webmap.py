"""Data of the interactive map (book/_static/kort.js): roder with their published rates, the six
areas with their names, and a search index of rode, neighbourhood (kvarter) and street names.

Rates come from the disclosure-controlled indicator table (a rode hidden there has no value here).
Coordinates stay in the metric CRS (EPSG:25832), simplified to SIMPLIFY_M metres and rounded to whole
metres: the map draws them as SVG, with north up, without a projection library.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from . import load, outputs, reference

SIMPLIFY_M = 12


def _rings(geom) -> list[list[list[int]]]:
    polys = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
    return [[[round(x), round(y)] for x, y in p.exterior.coords] for p in polys if not p.is_empty]


def _bbox(geom) -> list[int]:
    return [round(v) for v in geom.bounds]


def street(address: str) -> str | None:
    """'Andreas Bjørns Gade 12, 1428 København K' -> 'Andreas Bjørns Gade'."""
    m = re.match(r"\s*([^\d,]+?)\s+\d", str(address))
    return m.group(1).strip() if m else None


def search_index(roder: gpd.GeoDataFrame, estates: gpd.GeoDataFrame, raw_dir: Path) -> list[dict]:
    """Names a reader may type: roder, neighbourhoods, public-housing estates and streets (from the
    urban-renewal addresses), each with the box to zoom to."""
    out = [{"name": r.rodenavn, "kind": "rode", "box": _bbox(r.geometry)} for r in roder.itertuples()]
    for name, g in estates.groupby("estate"):
        out.append({"name": name, "kind": "almen boligafdeling", "box": _bbox(shapely.box(*g.total_bounds))})
    kvarter = load.load_kvarter(raw_dir)
    out += [{"name": k.kvarternavn, "kind": "kvarter", "box": _bbox(k.geometry)} for k in kvarter.itertuples()]
    renewal = load.load_renewal(raw_dir)
    names = renewal["adresse"].map(street)
    streets = gpd.GeoDataFrame({"name": names}, geometry=renewal.geometry.representative_point(), crs=renewal.crs)
    for name, g in streets.dropna(subset=["name"]).groupby("name"):
        out.append({"name": name, "kind": "gade", "box": _bbox(shapely.box(*g.total_bounds).buffer(150))})
    return sorted(out, key=lambda d: (d["name"].lower(), d["kind"]))


def map_data(derived: Path, raw_dir: Path) -> dict:
    roder = gpd.read_file(derived / "roder.geojson")
    members = pd.read_csv(derived / "area_members.csv")
    ind = outputs.suppressed_indicators(derived)
    rode = ind[ind["level"] == "rode"]
    keys = [i.key for i in reference.indicators() if i.rode_column]
    base = reference.delineation().baseline_year
    last = {k: int(rode.loc[(rode["indicator"] == k) & rode["rate"].notna(), "year"].max()) for k in keys}
    values = rode.set_index(["unit_id", "indicator", "year"])["rate"]
    slug = dict(zip(members["rode_nr"], members["slug"], strict=True))
    features = []
    for r in roder.itertuples():
        uid = str(r.rode_nr)
        vals = {k: [_value(values, uid, k, base), _value(values, uid, k, last[k])] for k in keys}
        features.append(
            {
                "nr": int(r.rode_nr),
                "name": r.rodenavn,
                "area": slug.get(r.rode_nr),
                "values": vals,
                "rings": _rings(r.geometry.simplify(SIMPLIFY_M)),
            }
        )
    series = pd.read_csv(derived / "area_series.csv")
    city = series[(series["slug"] == "alle") & (series["group"] == "city") & (series["level"] == "rode")]
    city = city.set_index(["indicator", "year"])["rate"]
    areas = gpd.read_file(derived / "areas.geojson")
    names = {a.slug: a.name for a in reference.areas()}
    return {
        "years": {k: [base, last[k]] for k in keys},
        "city": {k: round(float(city[(k, last[k])]), 3) for k in keys},
        "indicators": [{"key": k, "name": reference.indicator(k).name} for k in keys],
        "box": _bbox(shapely.box(*roder.total_bounds)),
        "roder": features,
        "areas": [
            {
                "slug": a.slug,
                "name": names[a.slug],
                "box": _bbox(a.geometry),
                "label": [round(c) for c in a.geometry.representative_point().coords[0]],
            }
            for a in areas.itertuples()
        ],
        "search": search_index(roder, gpd.read_file(derived / "estates.geojson"), raw_dir),
    }


def _value(values: pd.Series, uid: str, key: str, year: int) -> float | None:
    v = values.get((uid, key, year))
    return None if v is None or pd.isna(v) else round(float(v), 1)
