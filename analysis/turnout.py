"""Turnout at the municipal election of 19 November 2013 in the six areas and in the city (method
page, "Valgdeltagelse").

Results exist only per polling area (afstemningsområde), and a polling area is far larger than a
rode, so an area's turnout is that of the polling areas that lie mostly in it: each rode belongs to
the polling area that covers most of its surface, and a polling area counts for an area when at
least half (method.toml [turnout] majority) of its residents live in the area's roder. Residents of
all ages (rode file, 1 January 2013) stand in for the voters, whose addresses are not public.

The result file is read and checked here too (load_election_2013): it must add up before it is used.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import load, paths, reference
from .errors import DataError
from .registry import path_for

RESIDENTS_YEAR = 2013
CITY = "kbh"  # slug of the city's row
COLUMNS = ["slug", "name", "eligible", "voted", "residents", "residents_in_area", "assigned"]


def _election_key(name: str) -> str:
    """'2. Vest' and '2.vest' -> '2.vest': the result file and the polygons spell names differently."""
    return re.sub(r"\s+", "", str(name)).lower()


def _votes(place: dict, kind: str) -> int:
    return place["votes"][kind]["votes"]["count"]


def validate_election(result: dict, polling: gpd.GeoDataFrame, file: str = load.ELECTION_FILE) -> gpd.GeoDataFrame:
    """The polling areas with their eligible voters and votes cast at the 2013 municipal election.

    The result file must add up: each polling area's votes cast are its valid, blank and invalid
    votes, and the city's eligible voters and votes cast are the sums over its polling areas. Every
    polling area of the result file must match exactly one polygon by name, and every polygon one area.
    """
    problems = load.Problems(file)
    rows = []
    for i, place in enumerate(result.get("locations", []), start=1):
        try:
            eligible, voted = int(place["eligible_voters"]), int(place["counted_votes"])
            parts = sum(_votes(place, k) for k in ("valid", "blank", "invalid"))
        except (KeyError, TypeError, ValueError) as err:
            problems.add(i, "locations", place.get("name"), f"polling area without a readable count ({err})")
            continue
        if not 0 < voted <= eligible:
            problems.add(i, "counted_votes", voted, f"expected 0 < votes cast <= eligible voters ({eligible})")
        if parts != voted:
            problems.add(i, "counted_votes", voted, f"expected valid + blank + invalid votes ({parts})")
        rows.append({"name": str(place["name"]).strip(), "eligible": eligible, "voted": voted})
    table = pd.DataFrame(rows, columns=["name", "eligible", "voted"])
    table["key"] = table["name"].map(_election_key)
    for column, field_name in (("eligible", "eligible_voters"), ("voted", "counted_votes")):
        total, summed = result.get(field_name), int(table[column].sum())
        if total != summed:
            problems.add(None, field_name, total, f"the city total differs from its polling areas' sum ({summed})")
    keys = polling["afstemningsomraade"].map(_election_key)
    for name in sorted(set(table["key"]) ^ set(keys)):
        where = load.POLLING_FILE if name in set(table["key"]) else file
        problems.add(None, "name", name, f"polling area has no match in {where}")
    for name in sorted(set(table["key"][table["key"].duplicated()]) | set(keys[keys.duplicated()])):
        problems.add(None, "name", name, "polling area name is not unique")
    problems.raise_if_any()
    out = polling.assign(key=keys).merge(table, on="key")
    return out[["name", "eligible", "voted", "geometry"]]


def load_election_2013(raw_dir: Path = paths.RAW) -> gpd.GeoDataFrame:
    """Polling areas (2014 boundaries, the same 50 as at the election) with their 2013 results.
    The result file is ISO-8859-1, as scraped; a UTF-8 extract is read as such."""
    raw = path_for(load.ELECTION_ROLE, raw_dir).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    try:
        result = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(f"{load.ELECTION_FILE}: not valid JSON: {err}") from err
    polling = load.read_raw(load.POLLING_ROLE, raw_dir, gpd.read_file)
    polling = load.validate_geo(polling, load.POLLING_FILE, "id", "afstemningsomraade")
    return validate_election(result, polling)


def area_turnout(
    polling: gpd.GeoDataFrame,
    rode_geo: gpd.GeoDataFrame,
    rode_obs: pd.DataFrame,
    members: pd.DataFrame,
    majority: float | None = None,
) -> pd.DataFrame:
    """Per area, every polling area with residents in it: name, eligible voters, votes cast, its
    residents, those living in the area, and whether it counts for the area (`assigned`); and the
    city's row (slug "kbh"). polling: load_election_2013(); rode_geo: load.load_rode_geo();
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
