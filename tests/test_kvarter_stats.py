"""Validation of the City's Statistikbank by kvarter (analysis.load.validate_kvarter_stats) and its
cross-check against the kvarter boundaries: one broken input per rule, each error naming the file,
the kvarter, the field, the value and what was expected."""

import copy

import geopandas as gpd
import pytest
from shapely.affinity import translate

from analysis import load
from analysis.load import DataError

FILE = "kvarter.json"
CODES = [f"2{d:02d}{k:02d}" for d in range(1, 13) for k in range(1, 7)][:67]


def _square(i: int) -> list[list[float]]:
    """A small square ring, [lat, lon] pairs, inside Copenhagen (a grid of 67 cells)."""
    lat, lon = 55.64 + 0.006 * (i // 10), 12.50 + 0.01 * (i % 10)
    return [[lat, lon], [lat, lon + 0.008], [lat + 0.005, lon + 0.008], [lat + 0.005, lon], [lat, lon]]


def _file() -> dict:
    """A valid file: 67 kvarterer, every read indicator with its years and a value in range."""
    values = {"income_med": 250_000.0, "higher_ed": 40.0, "almene": 20.0, "avg_m2": 75.0, "unemp": 3.0}
    areas = []
    for i, code in enumerate(CODES):
        hist = {
            key: {str(y): values[key] for y in range(first, last + 1)}
            for key, (first, last, _, _) in load.KVARTER_INDICATORS.items()
        }
        areas.append({"code": code, "name": f"Kvarter {i}", "bydel": "X", "rings": [_square(i)], "hist": hist})
    return {"meta": {"attribution": "KK"}, "indicators": [{"key": k} for k in load.KVARTER_INDICATORS], "areas": areas}


def _error(data: dict) -> str:
    with pytest.raises(DataError) as err:
        load.validate_kvarter_stats(data, FILE, this_year=2026)
    msg = str(err.value)
    assert msg.startswith(f"{FILE}: "), msg
    return msg


def test_valid_file_gives_67_kvarterer_and_tidy_values():
    stats = load.validate_kvarter_stats(_file(), FILE, this_year=2026)
    assert len(stats.areas) == 67 and stats.areas["code"].is_unique
    income = stats.values[stats.values["indicator"] == "income_med"]
    assert sorted(income["year"].unique()) == list(range(2016, 2025))
    assert len(stats.values) == 67 * (9 + 10 + 11 + 11 + 9)
    assert stats.areas.crs == load.AREA_CRS


def test_66_kvarterer_is_an_error():
    data = _file()
    data["areas"].pop()
    assert "file, field 'areas', value 66: expected 67 kvarterer" in _error(data)


def test_duplicate_code_names_the_kvarter():
    data = _file()
    data["areas"][5]["code"] = data["areas"][4]["code"]
    assert "kvarter 20105 (Kvarter 5), field 'code', value '20105': duplicate code" in _error(data)


def test_code_must_be_2LLkk():
    data = _file()
    data["areas"][0]["code"] = "1234"
    assert "field 'code', value '1234': expected a code 2LLkk (e.g. 21005)" in _error(data)


def test_missing_year_and_future_year():
    data = _file()
    del data["areas"][2]["hist"]["higher_ed"]["2019"]
    data["areas"][3]["hist"]["income_med"]["2027"] = 300_000.0
    msg = _error(data)
    assert (
        "kvarter 20103 (Kvarter 2), field 'hist.higher_ed', value 2019: year missing (expected every year 2016–2025)"
        in msg
    )
    assert "kvarter 20104 (Kvarter 3), field 'hist.income_med.2027', value '2027': a year in the future" in msg


def test_value_out_of_range_and_not_a_number():
    data = _file()
    data["areas"][1]["hist"]["higher_ed"]["2020"] = 140.0
    data["areas"][1]["hist"]["income_med"]["2020"] = "n/a"
    msg = _error(data)
    assert "kvarter 20102 (Kvarter 1), field 'hist.higher_ed.2020', value 140.0: expected 0 ≤ value ≤ 100" in msg
    assert "field 'hist.income_med.2020', value 'n/a': expected a number" in msg


def test_swapped_pairs_are_not_in_copenhagen():
    data = _file()
    data["areas"][7]["rings"] = [[[lon, lat] for lat, lon in _square(7)]]
    msg = _error(data)
    assert "kvarter 20202 (Kvarter 7), field 'rings'" in msg and "are the pairs [lat, lon]?" in msg


def _boundaries(stats) -> gpd.GeoDataFrame:
    geo = stats.areas.rename(columns={"name": "kvarternavn"})
    return geo.assign(kvarternr=geo["code"].astype(int))


def test_crosscheck_passes_on_the_same_polygons_and_names():
    stats = load.validate_kvarter_stats(_file(), FILE, this_year=2026)
    load.crosscheck_kvarter(stats, _boundaries(stats), FILE)


def test_crosscheck_names_a_moved_polygon_a_renamed_and_a_missing_kvarter():
    stats = load.validate_kvarter_stats(_file(), FILE, this_year=2026)
    geo = _boundaries(stats)
    geo.loc[0, "geometry"] = translate(geo.geometry[0], 600, 0)  # 600 m east: no overlap left
    geo.loc[1, "kvarternavn"] = "Andet navn"
    geo = geo.drop(index=2)
    with pytest.raises(DataError) as err:
        load.crosscheck_kvarter(stats, geo, FILE)
    msg = str(err.value)
    assert msg.startswith(f"{FILE} against geo/kvarter.geojson: 3 problem(s)"), msg
    assert "kvarter 20101 (Kvarter 0), field 'rings', value 0.0: overlaps its polygon" in msg
    assert "kvarter 20102, field 'name', value 'Kvarter 1': the boundaries call it 'Andet navn'" in msg
    assert "kvarter 20103, field 'code', value '20103': not in the kvarter boundaries" in msg


def test_real_file_validates_and_matches_the_boundaries():
    """The registered file itself (fetched by the build): 67 kvarterer, cross-checked."""
    from analysis import paths

    if not (paths.RAW / "kk-statistikbank-kvarter").is_dir():
        pytest.skip("raw data not fetched")
    stats = load.load_kvarter_stats()
    assert len(stats.areas) == 67
    assert set(stats.values["indicator"]) == set(load.KVARTER_INDICATORS)
    assert stats.values.query("indicator == 'higher_ed'")["year"].max() == 2025


def test_a_copy_is_not_changed_by_validation():
    data = _file()
    before = copy.deepcopy(data)
    load.validate_kvarter_stats(data, FILE, this_year=2026)
    assert data == before
