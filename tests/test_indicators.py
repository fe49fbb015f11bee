"""Pooled rates, area vs rest vs city, index and rode observations (analysis.indicators).

Expected values are worked out by hand in the comments.
"""

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from analysis import indicators as ind
from analysis import reference


def _obs(rows) -> pd.DataFrame:
    """rows: (unit_id, year, indicator, numerator, denominator, residents)."""
    df = pd.DataFrame(rows, columns=["unit_id", "year", "indicator", "numerator", "denominator", "residents"])
    df["level"] = "rode"
    df["unit_name"] = "rode " + df["unit_id"]
    return df[ind.OBS_COLUMNS]


def _one(table: pd.DataFrame, **match) -> pd.Series:
    sel = table
    for col, value in match.items():
        sel = sel[sel[col] == value]
    assert len(sel) == 1, sel
    return sel.iloc[0]


def test_pooled_equal_denominators():
    # 10/100 and 30/100 -> 40/200 = 20 %
    obs = _obs([("1", 2010, "x", 10, 100, 100), ("2", 2010, "x", 30, 100, 100)])
    row = _one(ind.pooled(obs), year=2010, indicator="x")
    assert row["numerator"] == 40
    assert row["denominator"] == 200
    assert row["rate"] == pytest.approx(20.0)
    assert row["units"] == 2


def test_pooled_is_not_the_mean_of_unit_rates():
    # 10/100 = 10 % and 60/300 = 20 %: the mean of rates would be 15 %,
    # the pooled rate is (10 + 60) / (100 + 300) = 70/400 = 17.5 %
    obs = _obs([("1", 2010, "x", 10, 100, 100), ("2", 2010, "x", 60, 300, 300)])
    assert _one(ind.pooled(obs), year=2010)["rate"] == pytest.approx(17.5)


def test_pooled_groups_by_year_and_indicator():
    obs = _obs(
        [
            ("1", 2010, "x", 10, 100, 100),
            ("1", 2011, "x", 20, 100, 100),
            ("1", 2010, "y", 5, 50, 100),
        ]
    )
    out = ind.pooled(obs)
    assert len(out) == 3
    assert _one(out, year=2011, indicator="x")["rate"] == pytest.approx(20.0)  # 20/100
    assert _one(out, year=2010, indicator="y")["rate"] == pytest.approx(10.0)  # 5/50


def test_pooled_all_missing_numerators_stay_missing():
    # rode income is missing for a whole year: the pooled value must be NaN, never 0
    obs = _obs([("1", 2014, "x", math.nan, 100, 100), ("2", 2014, "x", math.nan, 200, 200)])
    row = _one(ind.pooled(obs), year=2014)
    assert math.isnan(row["numerator"])
    assert math.isnan(row["rate"])
    assert row["units"] == 0


def test_with_rate_zero_denominator_is_missing():
    obs = _obs([("1", 2010, "x", 0, 0, 0), ("2", 2010, "x", 3, 12, 12)])
    rates = ind.with_rate(obs)["rate"].tolist()
    assert math.isnan(rates[0])
    assert rates[1] == pytest.approx(25.0)  # 3/12


def _three_units():
    # 2010: unit 1: 10/100, unit 2: 20/100, unit 3: 5/200
    # 2011: unit 1: 12/100, unit 2: missing numerator (not in the source), unit 3: 8/200
    return _obs(
        [
            ("1", 2010, "x", 10, 100, 100),
            ("2", 2010, "x", 20, 100, 100),
            ("3", 2010, "x", 5, 200, 200),
            ("1", 2011, "x", 12, 100, 100),
            ("2", 2011, "x", math.nan, 100, 100),
            ("3", 2011, "x", 8, 200, 200),
        ]
    )


def test_area_vs_rest_rows_add_up():
    out = ind.area_vs_rest(_three_units(), unit_ids=[1, 2])  # ids may be given as ints
    assert set(out["group"]) == {"area", "rest", "city"}
    # 2010: area = (10 + 20)/(100 + 100) = 15 %; rest = 5/200 = 2.5 %; city = 35/400 = 8.75 %
    area = _one(out, year=2010, group="area")
    rest = _one(out, year=2010, group="rest")
    city = _one(out, year=2010, group="city")
    assert (area["numerator"], area["denominator"]) == (30, 200)
    assert (rest["numerator"], rest["denominator"]) == (5, 200)
    assert (city["numerator"], city["denominator"]) == (35, 400)
    assert area["rate"] == pytest.approx(15.0)
    assert rest["rate"] == pytest.approx(2.5)
    assert city["rate"] == pytest.approx(8.75)
    for year in (2010, 2011):
        parts = {g: _one(out, year=year, group=g) for g in ("area", "rest", "city")}
        for col in ("numerator", "denominator"):
            assert parts["area"][col] + parts["rest"][col] == parts["city"][col]


def test_area_vs_rest_leaves_a_missing_unit_out_of_numerator_and_denominator():
    out = ind.area_vs_rest(_three_units(), unit_ids=["1", "2"])
    # 2011: unit 2 has no numerator, so its 100 residents are not in any denominator:
    # area = 12/100 = 12 % (not 12/200 = 6 %); city = (12 + 8)/(100 + 200) = 20/300 = 6.667 %
    area = _one(out, year=2011, group="area")
    city = _one(out, year=2011, group="city")
    assert (area["numerator"], area["denominator"]) == (12, 100)
    assert area["rate"] == pytest.approx(12.0)
    assert area["units"] == 1
    assert (city["numerator"], city["denominator"]) == (20, 300)
    assert city["rate"] == pytest.approx(100 * 20 / 300)


def test_rode_observations_counts_from_shares():
    rode = pd.DataFrame(
        {
            "rodenavn": ["Alfa", "Beta"],
            "year": [2010, 2010],
            "residents": [200.0, 40.0],
            "No education": [12.5, 50.0],
            "Low income": [math.nan, 25.0],
            "non-Western": [0.0, 10.0],
            "Ages 6-17": [12.0, 0.0],
            "Ages 18-29": [30.0, 50.0],
            "Ages 30-39": [20.0, 25.0],
            "Ages 40-49": [10.0, 0.0],
            "Ages 50-59": [10.0, 0.0],
            "Ages over 65": [10.0, 25.0],
        }
    )
    ids = pd.DataFrame({"rodenavn": ["Beta", "Alfa"], "rode_nr": [7, 3]})
    out = ind.rode_observations(rode, ids)
    rode_keys = {i.key: i.rode_column for i in reference.indicators() if i.rode_column}
    assert rode_keys == {
        "low_education": "No education",
        "low_income": "Low income",
        "non_western": "non-Western",
    }
    assert len(out) == 6  # 2 roder x 3 indicators that exist at rode level
    assert list(out.columns) == ind.OBS_COLUMNS
    alfa_edu = _one(out, unit_id="3", indicator="low_education")
    # education: the 16-64-year-olds = 200 x (2/12 x 12 + 30 + 20 + 10 + 10) / 100 = 144.0 (weight 0.1667
    # for the 6-17 band gives 144.0008); no education = 12.5 % of that = 18.0
    assert alfa_edu["denominator"] == pytest.approx(144.0008)
    assert alfa_edu["numerator"] == pytest.approx(18.0001)
    assert alfa_edu["unit_name"] == "Alfa"
    assert alfa_edu["level"] == "rode"
    # Beta: 16-64 = 40 x 75 / 100 = 30, 50 % of them = 15; adults = 40 x 100 / 100 = 40, 25 % = 10
    assert _one(out, unit_id="7", indicator="low_education")["numerator"] == pytest.approx(15.0)
    assert _one(out, unit_id="7", indicator="low_income")["numerator"] == pytest.approx(10.0)
    assert _one(out, unit_id="7", indicator="non_western")["numerator"] == pytest.approx(4.0)  # 10 % of 40
    assert _one(out, unit_id="3", indicator="non_western")["numerator"] == 0.0  # a real zero stays 0
    # a missing share stays missing, never 0
    assert math.isnan(_one(out, unit_id="3", indicator="low_income")["numerator"])


def test_wide_rates_small_units_have_no_rate():
    obs = _obs(
        [
            ("1", 2010, "x", 10, 99, 99),  # 99 residents < 100: no rate
            ("2", 2010, "x", 10, 100, 100),  # exactly 100: 10/100 = 10 %
            ("2", 2010, "y", 30, 120, 100),  # 30/120 = 25 %
            ("1", 2011, "x", 1, 500, 500),  # other year: not in the table
        ]
    )
    wide = ind.wide_rates(obs, 2010)
    assert sorted(wide.index) == ["1", "2"]
    assert sorted(wide.columns) == ["x", "y"]
    assert math.isnan(wide.loc["1", "x"])
    assert wide.loc["2", "x"] == pytest.approx(10.0)
    assert wide.loc["2", "y"] == pytest.approx(25.0)


def test_unit_bydel_assigns_the_containing_polygon():
    # bydel 1 = [0, 10] x [0, 10], bydel 2 = [10, 20] x [0, 10]
    bydel = gpd.GeoDataFrame(
        {"bydel_nr": [1, 2], "geometry": [box(0, 0, 10, 10), box(10, 0, 20, 10)]}, crs="EPSG:25832"
    )
    # rode 5 inside bydel 1; rode 6 inside bydel 2; rode 7 sits on the border, mostly in bydel 2
    roder = gpd.GeoDataFrame(
        {
            "rode_nr": [5, 6, 7],
            "geometry": [box(1, 1, 3, 3), box(15, 5, 16, 6), box(9.5, 2, 14, 4)],
        },
        crs="EPSG:25832",
    )
    out = ind.unit_bydel(roder, bydel)
    assert out.to_dict() == {5: 1, 6: 2, 7: 2}


def test_unit_bydel_outside_every_bydel_raises():
    bydel = gpd.GeoDataFrame({"bydel_nr": [1], "geometry": [box(0, 0, 10, 10)]}, crs="EPSG:25832")
    roder = gpd.GeoDataFrame({"rode_nr": [5, 8], "geometry": [box(1, 1, 2, 2), box(50, 50, 51, 51)]}, crs="EPSG:25832")
    with pytest.raises(ValueError, match=r"\[8\]"):
        ind.unit_bydel(roder, bydel)
