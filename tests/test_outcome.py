"""The follow-up with the kvarter statistics (analysis.outcome): the overlap mapping on a tiny
synthetic city, the comparator and the verdict rules, with values worked by hand."""

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from analysis import outcome


def _city():
    """Two roder side by side and two kvarterer cut across them (metres):

    rode A = [0,10]x[0,10] with 100 residents, rode B = [10,20]x[0,10] with 300 residents;
    kvarter K1 = [0,15]x[0,10], kvarter K2 = [15,20]x[0,10].
    A lies wholly in K1; half of B's area lies in K1, half in K2."""
    units = gpd.GeoDataFrame(
        {"unit": ["A", "B"], "residents": [100.0, 300.0], "geometry": [box(0, 0, 10, 10), box(10, 0, 20, 10)]},
        crs="EPSG:25832",
    )
    zones = gpd.GeoDataFrame({"zone": ["K1", "K2"], "geometry": [box(0, 0, 15, 10), box(15, 0, 20, 10)]}, crs=units.crs)
    return units, zones


def test_residents_are_spread_by_area_share():
    units, zones = _city()
    p = outcome.overlap_pieces(units, zones).set_index(["unit", "zone"])
    assert p.loc[("A", "K1"), "residents_part"] == pytest.approx(100)
    assert p.loc[("B", "K1"), "residents_part"] == pytest.approx(150)
    assert p.loc[("B", "K2"), "area_share"] == pytest.approx(0.5)


def test_area_weights_and_mostly_outside_by_hand():
    """Area = rode B alone: 150 residents in K1, 150 in K2 -> weights 1/2, 1/2. K1 holds 100 + 150
    residents, 150 of them in the area: 60 % inside. K2's 150 are all in the area: 100 %."""
    units, zones = _city()
    m = outcome.area_mapping(outcome.overlap_pieces(units, zones), {"x": ["B"]}).set_index("code")
    assert m.loc["K1", "weight"] == pytest.approx(0.5) and m.loc["K2", "weight"] == pytest.approx(0.5)
    assert m.loc["K1", "inside_share"] == pytest.approx(0.6) and not m.loc["K1", "mostly_outside"]
    assert m.loc["K2", "inside_share"] == pytest.approx(1.0)
    assert set(m["basis"]) == {"beboere"}


def test_area_of_both_roder_and_a_kvarter_mostly_outside():
    """Area = rode A: all its 100 residents in K1 (weight 1); K1's 250 residents, 100 inside: 40 %,
    mostly outside."""
    units, zones = _city()
    m = outcome.area_mapping(outcome.overlap_pieces(units, zones), {"a": ["A"]})
    assert list(m["code"]) == ["K1"] and m["weight"].iloc[0] == pytest.approx(1.0)
    assert m["inside_share"].iloc[0] == pytest.approx(0.4) and bool(m["mostly_outside"].iloc[0])


def test_area_basis_when_residents_cannot_be_placed():
    """Rode B without residents: weights by area, K1 and K2 half each (5x10 m² each)."""
    units, zones = _city()
    units.loc[1, "residents"] = math.nan
    m = outcome.area_mapping(outcome.overlap_pieces(units, zones), {"x": ["B"]}).set_index("code")
    assert set(m["basis"]) == {"areal"}
    assert m.loc["K1", "weight"] == pytest.approx(0.5)


def test_slivers_below_min_weight_are_dropped_and_the_rest_renormalised():
    """Rode C = [0,100]x[0,10], of which 1 m (1 %) lies in K2: K2 dropped, K1 weight 1."""
    units = gpd.GeoDataFrame({"unit": ["C"], "residents": [100.0], "geometry": [box(0, 0, 100, 10)]}, crs="EPSG:25832")
    zones = gpd.GeoDataFrame(
        {"zone": ["K1", "K2"], "geometry": [box(0, 0, 99, 10), box(99, 0, 120, 10)]}, crs=units.crs
    )
    m = outcome.area_mapping(outcome.overlap_pieces(units, zones), {"c": ["C"]})
    assert list(m["code"]) == ["K1"] and m["weight"].iloc[0] == pytest.approx(1.0)


def test_area_figure_is_the_weighted_mean_and_city_the_median_kvarter():
    """Weights 0.75/0.25 on K1 (20 %) and K2 (40 %): 25 %. Kvarterer 20, 40, 50: median 40; gap -15."""
    mapping = pd.DataFrame({"slug": ["x", "x"], "code": ["K1", "K2"], "weight": [0.75, 0.25]})
    values = pd.DataFrame(
        {"code": ["K1", "K2", "K3"], "indicator": "higher_ed", "year": 2020, "value": [20.0, 40.0, 50.0]}
    )
    r = outcome.area_values(values, mapping).iloc[0]
    assert r["area"] == pytest.approx(25.0) and r["city"] == pytest.approx(40.0)
    assert r["gap"] == pytest.approx(-15.0) and r["gap_pct"] == pytest.approx(-37.5)


@pytest.mark.parametrize(
    ("gaps", "outside", "expected"),
    [
        ({"income_med": -20.0, "higher_ed": -6.0}, 0.0, outcome.IKKE_NAAET),  # below by > 10 % and > 5 pp
        ({"income_med": -20.0, "higher_ed": -4.0}, 0.0, outcome.IKKE_NAAET),  # one clear negative difference
        ({"income_med": -9.0, "higher_ed": -4.9}, 0.0, outcome.UAFGJORT),  # both within their margins
        ({"income_med": 0.0, "higher_ed": 2.0}, 0.0, outcome.UAFGJORT),  # at or above: health, safety unmeasured
        ({"income_med": math.nan, "higher_ed": -8.0}, 0.0, outcome.UAFGJORT),  # a proxy without data
        ({"income_med": -20.0, "higher_ed": -6.0}, 0.6, outcome.UAFGJORT),  # mostly other people's figures
        ({"income_med": -20.0, "higher_ed": -6.0}, 0.5, outcome.IKKE_NAAET),  # half is not more than half
    ],
)
def test_lift_verdict(gaps, outside, expected):
    assert outcome.lift_verdict(gaps, outside) == expected


def test_halved_gap_rule():
    assert outcome.halved(-10.0, -5.0, +1) is True  # 10 below -> 5 below: halved
    assert outcome.halved(-10.0, -6.0, +1) is False
    assert outcome.halved(2.0, -1.0, +1) is None  # no gap to halve


def test_count_verdict_follows_the_targets_page():
    assert outcome.count_verdict("met") == "nået"
    assert outcome.count_verdict("missed") == "ikke nået"
    assert outcome.count_verdict("grey") == "kan ikke afgøres med åbne data"


def test_outcome_sentence_by_hand():
    from analysis import wording

    gaps = {"income_med": (-22.6, 2024), "higher_ed": (-18.0, 2025)}
    assert wording.outcome_sentence("X", "ikke nået", gaps) == (
        "X er ikke løftet til københavnerniveau: medianindkomsten i områdets kvarterer lå 23 % under det "
        "midterste kvarters i 2024, og andelen med en videregående uddannelse 18 procentpoint under i 2025."
    )
    assert wording.outcome_sentence("X", outcome.UAFGJORT, gaps, outside=True).startswith(
        "Om X er løftet til københavnerniveau, kan ikke afgøres med åbne data: "
    )
    assert wording.outcome_sentence("X", outcome.UAFGJORT, gaps, outside=True).endswith(
        ", men de kvarterer, tallene er fra, ligger mest uden for området."
    )
