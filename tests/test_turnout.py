"""Turnout at the 2013 municipal election (analysis.turnout, turnout.load_election_2013). The hand-made
cases have their expected values worked out in the comments; the registered file is checked against
the totals printed at its top."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from analysis import load, paths, tables, turnout, wording
from analysis.errors import DataError

CRS = load.AREA_CRS


def _polling() -> gpd.GeoDataFrame:
    # two polling areas side by side: P1 x 0-10, P2 x 10-20
    return gpd.GeoDataFrame(
        {"name": ["P1", "P2"], "eligible": [300, 320], "voted": [150, 240]},
        geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)],
        crs=CRS,
    )


def _roder() -> gpd.GeoDataFrame:
    # r1 x 0-5 (in P1); r2 x 5-11: 5 of its 6 units of width in P1, so P1; r3 x 11-20 (in P2)
    return gpd.GeoDataFrame(
        {"rode_nr": [1, 2, 3]}, geometry=[box(0, 0, 5, 10), box(5, 0, 11, 10), box(11, 0, 20, 10)], crs=CRS
    )


def _obs(residents: list[int]) -> pd.DataFrame:
    """Rode observations: two indicators per rode in 2013 (residents repeated), and a 2012 row."""
    rows = [
        {"unit_id": str(n), "year": 2013, "indicator": k, "residents": r}
        for n, r in enumerate(residents, start=1)
        for k in ("a", "b")
    ]
    rows.append({"unit_id": "1", "year": 2012, "indicator": "a", "residents": 99_999})
    return pd.DataFrame(rows)


MEMBERS = pd.DataFrame({"slug": ["a", "a", "b"], "rode_nr": [2, 3, 1]})


def test_area_turnout_by_hand():
    t = turnout.area_turnout(_polling(), _roder(), _obs([100, 300, 400]), MEMBERS, majority=0.5)
    a, b, city = (t[t["slug"] == s].set_index("name") for s in ("a", "b", turnout.CITY))
    # P1 holds r1 + r2 = 400 residents, 300 of them in area a (75 % >= 50 %); P2 holds r3 = 400, all in a
    assert a.loc["P1", ["residents", "residents_in_area", "assigned"]].tolist() == [400, 300, True]
    assert a.loc["P2", ["residents", "residents_in_area", "assigned"]].tolist() == [400, 400, True]
    # area b is r1: 100 of P1's 400 residents (25 %): P1 does not count for b
    assert b.loc["P1", ["residents_in_area", "assigned"]].tolist() == [100, False]
    assert city.loc["København", ["eligible", "voted", "residents"]].tolist() == [620, 390, 800]
    # area a: (150 + 240) / (300 + 320) = 62.9 %, against the city's 390 / 620 = 62.9 % too
    text = wording.turnout_text("A", t[t["slug"] == "a"], city.iloc[0])
    # the polling areas named by residents in the area, most first; percentages with a no-break space
    assert "stemte 62,9\xa0% af de stemmeberettigede i P2 og P1" in text
    assert "100,0\xa0% af områdets beboere bor i dem" in text
    # the table's share is the other way round: P1's residents in the area, 300 of 400
    table = tables.turnout(t[t["slug"] == "a"], city.reset_index().iloc[0])
    assert table.set_index("Afstemningsområde").loc["P1", "Af afstemningsområdets beboere bor i området"] == "75,0\xa0%"


def test_half_the_residents_is_enough_and_an_area_without_a_polling_area_says_so():
    # r1 200 of P1's 200 + 200: exactly 50 % counts; with 201 in r2 it does not
    t = turnout.area_turnout(_polling(), _roder(), _obs([200, 200, 400]), MEMBERS, majority=0.5)
    assert t[(t["slug"] == "b")]["assigned"].tolist() == [True]
    t = turnout.area_turnout(_polling(), _roder(), _obs([200, 201, 400]), MEMBERS, majority=0.5)
    assert t[(t["slug"] == "b")]["assigned"].tolist() == [False]
    city = t[t["slug"] == turnout.CITY].iloc[0]
    assert "kan derfor ikke opgøres for området" in wording.turnout_text("B", t[t["slug"] == "b"], city)


def _place(name: str, eligible: int, valid: int, blank: int = 0, invalid: int = 0, voted: int | None = None) -> dict:
    votes = {k: {"votes": {"count": v}} for k, v in (("valid", valid), ("blank", blank), ("invalid", invalid))}
    voted = valid + blank + invalid if voted is None else voted
    return {"name": name, "eligible_voters": eligible, "counted_votes": voted, "votes": votes}


def _result(**change) -> dict:
    places = [_place("1. Nord", 300, 140, 8, 2), _place("1. Syd", 320, 240)]
    return {"eligible_voters": 620, "counted_votes": 390, "locations": places, **change}


def _polygons(names=("1. nord", "1.syd")) -> gpd.GeoDataFrame:
    # the polygons spell names in lower case and sometimes without the space
    return gpd.GeoDataFrame({"afstemningsomraade": list(names)}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=CRS)


def test_election_result_is_joined_to_its_polygons_by_name():
    out = turnout.validate_election(_result(), _polygons())
    assert out[["name", "eligible", "voted"]].values.tolist() == [["1. Nord", 300, 150], ["1. Syd", 320, 240]]


def test_city_total_that_is_not_the_sum_of_the_polling_areas_fails():
    message = r"'eligible_voters', value 621: the city total differs from its polling areas' sum \(620\)"
    with pytest.raises(DataError, match=message):
        turnout.validate_election(_result(eligible_voters=621), _polygons())


def test_votes_cast_that_are_not_valid_plus_blank_plus_invalid_fail():
    result = _result(counted_votes=391)
    result["locations"][1] = _place("1. Syd", 320, 240, voted=241)
    with pytest.raises(DataError, match=r"row 2, column 'counted_votes', value 241: expected valid \+ blank"):
        turnout.validate_election(result, _polygons())


def test_polling_area_without_a_polygon_fails():
    with pytest.raises(DataError, match=r"value '1.syd': polling area has no match in geo/afstemningsomraade"):
        turnout.validate_election(_result(), _polygons(("1. nord", "1. øst")))


def test_registered_election_adds_up_to_the_totals_at_the_top_of_the_file():
    # the file's first lines: "eligible_voters": 460449, "counted_votes": 281821
    out = turnout.load_election_2013(paths.RAW)
    assert len(out) == 50
    assert (out["eligible"].sum(), out["voted"].sum()) == (460_449, 281_821)


def test_one_polling_area_is_named_in_the_singular():
    t = turnout.area_turnout(
        _polling(), _roder(), _obs([100, 300, 400]), MEMBERS[MEMBERS["rode_nr"] != 2], majority=0.5
    )
    city = t[t["slug"] == turnout.CITY].iloc[0]
    text = wording.turnout_text("A", t[t["slug"] == "a"], city)
    assert "i P2, det afstemningsområde, der overvejende ligger i A" in text and "de afstemningsområder" not in text
