"""Indicators as tidy observations, pooled rates, the city level and the rest-of-city comparator.

Every rate is pooled from counts: rate = 100 · Σ numerator / Σ denominator, never an average of unit
rates. At rode level the source gives shares of different reference populations (education of the
16-64-year-olds, income of adults, origin of all residents). Each rode's reference population is
estimated from its age shares (indicators.toml: rode_population), and numerator = share ×
reference population / 100: both are estimates, not counts of people (see the method page).
Bydel figures of these indicators are pooled from the bydel's roder; the bydel file is used for
city totals only.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from . import reference

OBS_COLUMNS = ["level", "unit_id", "unit_name", "year", "indicator", "numerator", "denominator", "residents"]


def city_observations(bydel: pd.DataFrame) -> pd.DataFrame:
    """City totals of the bydel-only indicators from validated bydel counts (load.load_bydel).

    The bydel file's attribution to bydele is not trustworthy, its city totals are (see the
    cross-source checks), so only the sum over all bydele is kept: level "by", unit "kbh".
    """
    frames = []
    totals = bydel.groupby("year").sum(numeric_only=True).reset_index()
    for ind in reference.indicators():
        if ind.rode_column is not None:
            continue
        frames.append(
            pd.DataFrame(
                {
                    "level": "by",
                    "unit_id": "kbh",
                    "unit_name": "København",
                    "year": totals["year"],
                    "indicator": ind.key,
                    "numerator": totals[list(ind.bydel_numerator)]
                    .sum(axis=1)
                    .where(totals[list(ind.bydel_denominator)].sum(axis=1) > 0),
                    # a year the source leaves at zero (income in 2014) is missing, never 0 %
                    "denominator": totals[list(ind.bydel_denominator)].sum(axis=1).where(lambda d: d > 0),
                    "residents": totals["antal_beboere"].astype(float),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[OBS_COLUMNS]


def bydel_from_roder(rode_obs: pd.DataFrame, rode_bydel: pd.Series, names: dict[int, str]) -> pd.DataFrame:
    """Bydel observations pooled from each bydel's roder (rode_bydel: rode_nr -> bydel_nr)."""
    nr = rode_obs["unit_id"].astype(int).map(rode_bydel)
    pooled_obs = pooled(rode_obs.assign(bydel_nr=nr), by=("bydel_nr", "year", "indicator"))
    return pooled_obs.assign(
        level="bydel",
        unit_id=pooled_obs["bydel_nr"].astype(int).astype(str),
        unit_name=pooled_obs["bydel_nr"].map(names),
    )[OBS_COLUMNS]


def reference_population(rode: pd.DataFrame, weights: dict[str, float] | None) -> pd.Series:
    """Estimated size of a share's reference population per rode: residents × Σ weight × age share
    / 100 (all residents when weights is None)."""
    if not weights:
        return rode["residents"].astype(float)
    share = sum(w * rode[col] for col, w in weights.items())
    return rode["residents"] * share / 100.0


def rode_observations(rode: pd.DataFrame, rode_ids: pd.DataFrame) -> pd.DataFrame:
    """Tidy rode observations: estimated counts from shares × estimated reference populations.

    rode: validated frame (load.load_rode().frame); rode_ids: rodenavn -> rode_nr.
    A missing share stays missing (NaN numerator), never zero.
    """
    ids = rode_ids.set_index("rodenavn")["rode_nr"]
    frames = []
    for ind in reference.indicators():
        if ind.rode_column is None:
            continue
        population = reference_population(rode, ind.rode_population)
        frames.append(
            pd.DataFrame(
                {
                    "level": "rode",
                    "unit_id": rode["rodenavn"].map(ids).astype(int).astype(str),
                    "unit_name": rode["rodenavn"].astype(str),
                    "year": rode["year"],
                    "indicator": ind.key,
                    "numerator": rode[ind.rode_column] * population / 100.0,
                    "denominator": population,
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


def wide_rates(obs: pd.DataFrame, year: int, min_residents: int | None = None) -> pd.DataFrame:
    """Units × indicators table of rates for one year (for composites).

    Units with fewer than min_residents residents get no rates: their shares are too unstable to
    rank (and would be suppressed in any published table anyway).
    """
    floor = reference.param("disclosure", "min_residents") if min_residents is None else min_residents
    one = with_rate(obs[obs["year"] == year])
    one.loc[one["residents"] < floor, "rate"] = float("nan")
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
    """One row per rode-level indicator: the area's latest rate against the rest of the city and
    the city, with its index (city = 100) and its ratio to the rest of the city."""
    s = series[(series["slug"] == slug) & (series["level"] == "rode")]
    rows = []
    for ind in reference.indicators():
        if not ind.rode_column:
            continue
        d = s[s["indicator"] == ind.key].dropna(subset=["rate"])
        year = int(d["year"].max())
        at = d[d["year"] == year].set_index("group")["rate"]
        rows.append(
            {
                "indicator": ind.key,
                "label": ind.name,
                "year": year,
                "soek": ind.soek,
                "neutral": ind.neutral,  # origin: composition, neither a problem nor a potential
                "area": at["area"],
                "rest": at["rest"],
                "city": at["city"],
                "index": 100 * at["area"] / at["city"],
                "ratio_rest": at["area"] / at["rest"],
            }
        )
    return pd.DataFrame(rows)


def city_only(series: pd.DataFrame) -> pd.DataFrame:
    """The indicators published for the whole city only: latest year with data, rate per year."""
    s = series[(series["level"] == "by")].dropna(subset=["rate"])
    names = {i.key: i.name for i in reference.indicators()}
    return s.assign(label=s["indicator"].map(names))[["indicator", "label", "year", "numerator", "denominator", "rate"]]


# The policy's own figures ("Byens udsatte byområder – i tal"): persons in the six areas per
# persons in the rest of the city, for the same population size.
POLICY_RATIOS = {"low_education": (3, 2), "outside_labour": (5, 4), "low_income": (5, 4), "non_western": (3, 1)}


def policy_ratios(series: pd.DataFrame, year: int) -> pd.DataFrame:
    """The policy's ratios next to the same ratios from the data: the six areas' roder pooled against
    the rest of the city. Indicators without rode data get no reproduced ratio."""
    rows = []
    for key, (a, b) in POLICY_RATIOS.items():
        row = {"indicator": key, "label": reference.indicator(key).name}
        row.update(published=a / b, published_text=f"{a} : {b}")
        for slug, col in (("alle", "reproduced"), ("bydele", "bydele")):
            s = series[(series["slug"] == slug) & (series["level"] == "rode") & (series["indicator"] == key)]
            at = s[s["year"] == year].set_index("group")["rate"]
            area, rest = at.get("area", float("nan")), at.get("rest", float("nan"))
            row[col] = area / rest
            if slug == "alle":
                row.update(area=area, rest=rest)
        rows.append(row)
    return pd.DataFrame(rows)
