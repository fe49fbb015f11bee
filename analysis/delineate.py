"""Delineate the six areas from the roder flagged as deprived in the baseline year.

Rule (parameters in reference/areas.toml [delineation]): in the baseline year, a rode is deprived
when its composite SØK score (rode-level indicators, city = 100) is at least the threshold. An
area is the deprived roder inside the bydele its name points to, grouped into contiguous clusters
(roder that touch); clusters with fewer residents than the minimum are dropped. The membership is
frozen: every trend uses the same roder in every year.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from . import composite, reference
from .indicators import pooled, wide_rates

MEMBER_COLUMNS = ["slug", "rode_nr", "rodenavn", "bydel_nr", "cluster", "residents", "composite"]


def baseline_scores(rode_obs: pd.DataFrame, year: int, construction: str) -> pd.DataFrame:
    """Composite score per rode in one year (index 100 = pooled city rate)."""
    obs = rode_obs[rode_obs["year"] == year]
    rates = wide_rates(obs, year)
    city = pooled(obs).set_index("indicator")["rate"]
    idx = composite.index_table(rates, city)
    build = composite.COMPOSITES[construction]
    residents = obs.drop_duplicates("unit_id").set_index("unit_id")["residents"]
    return pd.DataFrame({"composite": build(idx), "residents": residents.reindex(idx.index)})


def touching_clusters(geoms: gpd.GeoSeries) -> pd.Series:
    """Label each geometry with the id of its connected group of touching/overlapping polygons."""
    if len(geoms) == 0:
        return pd.Series(dtype=int)
    left, right = geoms.sindex.query(geoms, predicate="intersects")
    graph = csr_matrix(([1] * len(left), (left, right)), shape=(len(geoms), len(geoms)))
    _, labels = connected_components(graph, directed=False)
    return pd.Series(labels, index=geoms.index)


def delineate(
    scores: pd.DataFrame,
    rode_geo: gpd.GeoDataFrame,
    rode_bydel: pd.Series,
    areas=None,
    threshold: float | None = None,
    min_cluster_residents: int | None = None,
) -> pd.DataFrame:
    """Membership table (one row per area and rode) by the documented rule.

    scores: index rode_nr as str, columns composite, residents; rode_geo: rode_nr, rodenavn,
    geometry; rode_bydel: bydel_nr by rode_nr.
    """
    rule = reference.delineation()
    threshold = rule.threshold if threshold is None else threshold
    min_res = rule.min_cluster_residents if min_cluster_residents is None else min_cluster_residents
    areas = reference.areas() if areas is None else areas
    geo = rode_geo.assign(unit_id=rode_geo["rode_nr"].astype(str)).set_index("unit_id")
    geo = geo.join(scores, how="left")
    geo["bydel_nr"] = geo["rode_nr"].map(rode_bydel)
    flagged = geo[geo["composite"] >= threshold]
    rows = []
    for area in areas:
        cand = flagged[flagged["bydel_nr"].isin(area.bydele)]
        labels = touching_clusters(cand.geometry)
        cand = cand.assign(cluster=labels)
        size = cand.groupby("cluster")["residents"].sum()
        keep = size.index[size >= min_res]
        kept = cand[cand["cluster"].isin(keep)]
        # renumber clusters 1.. by size so the labels do not depend on row order
        order = {c: i + 1 for i, c in enumerate(size.loc[keep].sort_values(ascending=False).index)}
        for _, r in kept.iterrows():
            rows.append(
                {
                    "slug": area.slug,
                    "rode_nr": int(r["rode_nr"]),
                    "rodenavn": r["rodenavn"],
                    "bydel_nr": int(r["bydel_nr"]),
                    "cluster": order[r["cluster"]],
                    "residents": int(r["residents"]),
                    "composite": round(float(r["composite"]), 1),
                }
            )
    out = pd.DataFrame(rows, columns=MEMBER_COLUMNS)
    return out.sort_values(["slug", "rode_nr"]).reset_index(drop=True)
