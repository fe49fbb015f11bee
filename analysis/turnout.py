"""Turnout at the municipal election of 19 November 2013 in the six areas and in the city (method
page, "Valgdeltagelse").

Results exist only per polling area (afstemningsområde), and a polling area is far larger than a
rode, so an area's turnout is that of the polling areas that lie mostly in it: each rode belongs to
the polling area that covers most of its surface, and a polling area counts for an area when at
least half (method.toml [turnout] majority) of its residents live in the area's roder. Residents of
all ages (rode file, 1 January 2013) stand in for the voters, whose addresses are not public.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from . import reference

RESIDENTS_YEAR = 2013
CITY = "kbh"  # slug of the city's row
COLUMNS = ["slug", "name", "eligible", "voted", "residents", "residents_in_area", "assigned"]


def area_turnout(
    polling: gpd.GeoDataFrame,
    rode_geo: gpd.GeoDataFrame,
    rode_obs: pd.DataFrame,
    members: pd.DataFrame,
    majority: float | None = None,
) -> pd.DataFrame:
    """Per area, every polling area with residents in it: name, eligible voters, votes cast, its
    residents, those living in the area, and whether it counts for the area (`assigned`); and the
    city's row (slug "kbh"). polling: load.load_election_2013(); rode_geo: load.load_rode_geo();
    rode_obs: the rode observations (unit_id, year, residents); members: slug, rode_nr."""
    majority = reference.param("turnout", "majority") if majority is None else majority
    obs = rode_obs[rode_obs["year"] == RESIDENTS_YEAR].drop_duplicates("unit_id")
    residents = pd.Series(obs["residents"].to_numpy(), index=obs["unit_id"].astype(int), name="residents")
    pieces = gpd.overlay(rode_geo[["rode_nr", "geometry"]], polling[["name", "geometry"]], keep_geom_type=True)
    largest = pieces.assign(size=pieces.area).sort_values("size").drop_duplicates("rode_nr", keep="last")
    roder = largest.set_index("rode_nr")[["name"]].join(residents).fillna({"residents": 0})
    in_polling = roder.groupby("name")["residents"].sum()
    in_area = members[["slug", "rode_nr"]].join(roder, on="rode_nr").groupby(["slug", "name"], as_index=False)
    table = in_area["residents"].sum().rename(columns={"residents": "residents_in_area"})
    table = table.merge(polling[["name", "eligible", "voted"]], on="name")
    table["residents"] = table["name"].map(in_polling)
    table["assigned"] = table["residents_in_area"] >= majority * table["residents"]
    total = in_polling.sum()
    city = [CITY, "København", polling["eligible"].sum(), polling["voted"].sum(), total, total, True]
    table = pd.concat([table[COLUMNS], pd.DataFrame([city], columns=COLUMNS)], ignore_index=True)
    table = table.astype({"eligible": int, "voted": int, "residents": int, "residents_in_area": int})
    return table.sort_values(["slug", "residents_in_area"], ascending=[True, False], ignore_index=True)
