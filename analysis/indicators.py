"""Indicators as tidy observations, pooled rates, the city level and the rest-of-city comparator.

Every rate is pooled from counts: rate = 100 · Σ numerator / Σ denominator, never an average of unit
rates. At rode level the source gives shares of residents; numerator = share × residents / 100 is
an approximate count (the denominator is residents for every share, see the method page).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from . import reference

OBS_COLUMNS = ["level", "unit_id", "unit_name", "year", "indicator", "numerator", "denominator", "residents"]


def bydel_observations(bydel: pd.DataFrame, names: dict[int, str]) -> pd.DataFrame:
    """Tidy bydel observations from validated counts (load.load_bydel)."""
    frames = []
    for ind in reference.indicators():
        frames.append(
            pd.DataFrame(
                {
                    "level": "bydel",
                    "unit_id": bydel["bydel_nr"].astype(str),
                    "unit_name": bydel["bydel_nr"].map(names),
                    "year": bydel["year"],
                    "indicator": ind.key,
                    "numerator": bydel[list(ind.bydel_numerator)].sum(axis=1),
                    "denominator": bydel[list(ind.bydel_denominator)].sum(axis=1),
                    "residents": bydel["antal_beboere"].astype(float),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[OBS_COLUMNS]


def rode_observations(rode: pd.DataFrame, rode_ids: pd.DataFrame) -> pd.DataFrame:
    """Tidy rode observations: approximate counts from shares × residents.

    rode: validated frame (load.load_rode().frame); rode_ids: rodenavn -> rode_nr.
    A missing share stays missing (NaN numerator), never zero.
    """
    ids = rode_ids.set_index("rodenavn")["rode_nr"]
    frames = []
    for ind in reference.indicators():
        if ind.rode_column is None:
            continue
        frames.append(
            pd.DataFrame(
                {
                    "level": "rode",
                    "unit_id": rode["rodenavn"].map(ids).astype(int).astype(str),
                    "unit_name": rode["rodenavn"].astype(str),
                    "year": rode["year"],
                    "indicator": ind.key,
                    "numerator": rode[ind.rode_column] * rode["residents"] / 100.0,
                    "denominator": rode["residents"],
                    "residents": rode["residents"],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[OBS_COLUMNS]


def with_rate(obs: pd.DataFrame) -> pd.DataFrame:
    out = obs.copy()
    den = out["denominator"].where(out["denominator"] > 0)
    out["rate"] = 100.0 * out["numerator"] / den
    return out


def pooled(obs: pd.DataFrame, by=("year", "indicator")) -> pd.DataFrame:
    """Pool counts over units. A group whose numerators are all missing stays missing."""
    # a unit with a missing numerator is left out of the denominator too, never counted as zero
    has_num = obs["numerator"].notna()
    obs = obs.assign(denominator=obs["denominator"].where(has_num), residents=obs["residents"].where(has_num))
    grouped = obs.groupby(list(by), sort=True)
    out = grouped[["numerator", "denominator", "residents"]].sum(min_count=1)
    has_data = grouped["numerator"].count() > 0
    out.loc[~has_data, "numerator"] = float("nan")
    out["units"] = grouped["numerator"].count()
    out = out.reset_index()
    return with_rate(out)


def city(obs: pd.DataFrame) -> pd.DataFrame:
    """Pooled city rate per year and indicator (at the level of obs)."""
    return pooled(obs)


def subset(obs: pd.DataFrame, unit_ids) -> pd.DataFrame:
    return obs[obs["unit_id"].isin(set(map(str, unit_ids)))]


def area_vs_rest(obs: pd.DataFrame, unit_ids) -> pd.DataFrame:
    """Area, rest of city and city per year and indicator, side by side (long format).

    Columns: year, indicator, group in {"area", "rest", "city"}, numerator, denominator, rate.
    Rows with a missing numerator are left out of the pooling of their group for that year (a unit
    missing from the source, e.g. 9 roder in 2012), never filled.
    """
    ids = set(map(str, unit_ids))
    inside = obs["unit_id"].isin(ids)
    parts = {"area": obs[inside], "rest": obs[~inside], "city": obs}
    frames = [pooled(part.dropna(subset=["numerator"])).assign(group=g) for g, part in parts.items()]
    out = pd.concat(frames, ignore_index=True)
    # years where the source has no numerator at all (rode income in 2014) stay as missing rows
    return out


def add_index(table: pd.DataFrame, city_rates: pd.DataFrame) -> pd.DataFrame:
    """Index 100 = city, matched on year and indicator."""
    ref = city_rates.set_index(["year", "indicator"])["rate"].rename("city_rate")
    out = table.join(ref, on=["year", "indicator"])
    out["index"] = 100.0 * out["rate"] / out["city_rate"]
    return out.drop(columns="city_rate")


MIN_RESIDENTS_FOR_RATES = 100  # same rule as disclosure.MIN_RESIDENTS: smaller units have no rate


def wide_rates(obs: pd.DataFrame, year: int, min_residents: int = MIN_RESIDENTS_FOR_RATES) -> pd.DataFrame:
    """Units × indicators table of rates for one year (for composites).

    Units with fewer than min_residents residents get no rates: their shares are too unstable to
    rank (and would be suppressed in any published table anyway).
    """
    one = with_rate(obs[obs["year"] == year])
    one.loc[one["residents"] < min_residents, "rate"] = float("nan")
    return one.pivot(index="unit_id", columns="indicator", values="rate")


def unit_bydel(rode_geo: gpd.GeoDataFrame, bydel_geo: gpd.GeoDataFrame) -> pd.Series:
    """bydel_nr for each rode_nr, by the bydel that contains the rode's representative point."""
    points = rode_geo[["rode_nr", "geometry"]].copy()
    points["geometry"] = points.geometry.representative_point()
    joined = gpd.sjoin(points, bydel_geo[["bydel_nr", "geometry"]], how="left", predicate="within")
    joined = joined.drop_duplicates("rode_nr").set_index("rode_nr")["bydel_nr"]
    if joined.isna().any():
        lost = joined.index[joined.isna()].tolist()
        raise ValueError(f"roder {lost} lie in no bydel polygon of geo/bydel.geojson")
    return joined.astype(int)


def area_comparison(series: pd.DataFrame, slug: str) -> pd.DataFrame:
    """One row per SØK indicator (plus public housing): the area's latest rate against the rest of
    the city and the city, at rode level where the indicator exists there, else at bydel level."""
    s = series[series["slug"] == slug]
    rows = []
    for ind in reference.indicators():
        level = "rode" if ind.rode_column else "bydel"
        d = s[(s["level"] == level) & (s["indicator"] == ind.key)].dropna(subset=["rate"])
        year = int(d["year"].max())
        at = d[d["year"] == year].set_index("group")["rate"]
        rows.append(
            {
                "indicator": ind.key,
                "label": ind.name,
                "level": level,
                "year": year,
                "soek": ind.soek,
                "area": at["area"],
                "rest": at["rest"],
                "city": at["city"],
                "index": 100 * at["area"] / at["city"],
                "ratio_rest": at["area"] / at["rest"],
            }
        )
    return pd.DataFrame(rows)
