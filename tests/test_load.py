"""Validation of the raw inputs (analysis.load): one broken input per rule.

Every DataError must name the file, the row (CSV line = pandas index + 2, header is line 1; for
GeoJSON the 1-based feature number), the column, the value and the rule it breaks.
"""

import datetime
import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from analysis import load
from analysis.load import DataError

IDS = {"indre-by": 1, "noerrebro": 3}
ROODER = ["Alfa", "Beta"]
SHARES = load.rode_share_columns()


def _problem_line(err: pytest.ExceptionInfo, file: str, where: str, column: str) -> str:
    """The one line of the DataError message about `where` ("row 5" or "file") and `column`."""
    msg = str(err.value)
    assert msg.startswith(f"{file}: "), msg
    lines = [ln for ln in msg.splitlines() if ln.strip().startswith(f"{where}, column {column!r},")]
    assert len(lines) == 1, msg
    return lines[0]


# ---------------------------------------------------------------------------------------- bydel


def _bydel() -> pd.DataFrame:
    """Two bydele x 7 years (2008-2014), every count 10: a valid file. Row i is CSV line i + 2."""
    rows = [
        {"aar": year, "district": slug, **{c: 10 for c in load.bydel_counts_columns()}}
        for year in load.YEARS
        for slug in IDS
    ]
    return pd.DataFrame(rows)


def test_validate_bydel_valid_input():
    out = load.validate_bydel(_bydel(), IDS)
    assert len(out) == 14  # 2 bydele x 7 years
    assert "year" in out.columns and "aar" not in out.columns
    assert out["year"].dtype.kind == "i"
    assert out.groupby("district")["bydel_nr"].first().to_dict() == {"indre-by": 1, "noerrebro": 3}


def test_bydel_counts_columns_cover_the_indicators():
    cols = load.bydel_counts_columns()
    assert cols == sorted(set(cols))
    assert "antal_beboere" in cols
    assert {"antal_ingen_udd", "antal_ikke_vestlig", "antal_boliger"} <= set(cols)


def test_bydel_missing_column():
    df = _bydel().drop(columns="antal_ikke_vestlig")
    with pytest.raises(DataError) as err:
        load.validate_bydel(df, IDS, file="bydel.csv")
    line = _problem_line(err, "bydel.csv", "file", "antal_ikke_vestlig")
    assert "value None" in line and "required column is missing" in line


def test_bydel_non_numeric_count_reports_csv_line(tmp_path):
    df = _bydel()
    df["antal_beboere"] = df["antal_beboere"].astype(object)
    df.loc[4, "antal_beboere"] = "12x"
    # round trip through a real CSV file: the reported row must be the line in the file
    path = tmp_path / "bydel.csv"
    df.to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        load.validate_bydel(pd.read_csv(path), IDS, file="bydel.csv")
    # pandas index 4 -> line 4 + 2 = 6
    line = _problem_line(err, "bydel.csv", "row 6", "antal_beboere")
    assert "value '12x'" in line and "expected a number" in line
    assert "12x" in path.read_text(encoding="utf-8").splitlines()[6 - 1]


def test_bydel_negative_count():
    df = _bydel()
    df.loc[3, "antal_ingen_udd"] = -4
    with pytest.raises(DataError) as err:
        load.validate_bydel(df, IDS, file="bydel.csv")
    line = _problem_line(err, "bydel.csv", "row 5", "antal_ingen_udd")  # index 3 + 2
    assert "-4.0" in line and "expected 0 ≤ value" in line


def test_bydel_unknown_district():
    df = _bydel()
    df.loc[7, "district"] = "atlantis"
    with pytest.raises(DataError) as err:
        load.validate_bydel(df, IDS, file="bydel.csv")
    line = _problem_line(err, "bydel.csv", "row 9", "district")  # index 7 + 2
    assert "value 'atlantis'" in line and "unknown bydel slug" in line
    assert "indre-by" in line and "noerrebro" in line  # the known slugs are listed


def test_bydel_duplicate_district_year():
    df = _bydel()
    # rows: 0 indre-by 2008, 1 noerrebro 2008, 2 indre-by 2009, 3 noerrebro 2009, ...
    df.loc[2, "aar"] = 2008  # repeats (indre-by, 2008) of index 0; 2009 is still in index 3
    with pytest.raises(DataError) as err:
        load.validate_bydel(df, IDS, file="bydel.csv")
    # the repeat (index 2) is reported, not the first occurrence: line 2 + 2 = 4
    line = _problem_line(err, "bydel.csv", "row 4", "district+aar")
    assert "'indre-by'" in line and "2008" in line and "duplicate key" in line
    assert "1 problem(s)" in str(err.value)


def test_bydel_missing_year():
    df = _bydel()
    df = df[df["aar"] != 2011]
    with pytest.raises(DataError) as err:
        load.validate_bydel(df, IDS, file="bydel.csv")
    line = _problem_line(err, "bydel.csv", "file", "aar")
    assert "value 2011" in line and "year missing from the file" in line


@pytest.mark.parametrize(
    ("year", "rule"),
    [
        (2031, "a year in the future (expected 2026 or earlier)"),
        (2017, "a year apart from the panel's years 2008–2014 (expected no gap)"),
        (2005, "a year apart from the panel's years 2008–2014 (expected no gap)"),
    ],
)
def test_panel_years_in_the_future_or_after_a_gap_are_refused(year, rule):
    df = _bydel()
    df.loc[3, "aar"] = year  # CSV line 5
    with pytest.raises(DataError) as err:
        load.check_years(df, "aar", problems := load.Problems("bydel.csv"), this_year=2026)
        problems.raise_if_any()
    assert str(err.value) == f"bydel.csv: 1 problem(s)\n  row 5, column 'aar', value {year}: {rule}"


def test_panel_years_may_go_on_to_this_year():
    df = pd.concat([_bydel(), _bydel().assign(aar=2015), _bydel().assign(aar=2016)], ignore_index=True)
    load.check_years(df, "aar", problems := load.Problems("bydel.csv"), this_year=2026)
    assert problems.items == []


def test_rode_year_in_the_future_is_refused_by_the_loader():
    df = _rode()
    df.loc[0, "year"] = datetime.date.today().year + 1
    with pytest.raises(DataError) as err:
        load.validate_rode(df, ROODER, file="rode.csv")
    assert "a year in the future" in _problem_line(err, "rode.csv", "row 2", "year")


def test_bydel_reports_all_problems_at_once():
    df = _bydel()
    df.loc[0, "antal_boliger"] = -1
    df.loc[1, "district"] = "atlantis"
    with pytest.raises(DataError) as err:
        load.validate_bydel(df, IDS, file="bydel.csv")
    assert "2 problem(s)" in str(err.value)


# ----------------------------------------------------------------------------------------- rode


def _rode() -> pd.DataFrame:
    """Roder Alfa and Beta x 7 years: residents 200, every share 10 %. Valid."""
    rows = [
        {"name": name, "year": year, "Number of residents": 200, **{c: 10.0 for c in SHARES}}
        for year in load.YEARS
        for name in ROODER
    ]
    return pd.DataFrame(rows)


def test_validate_rode_valid_input():
    data = load.validate_rode(_rode(), ROODER)
    assert data.notes == ()
    assert list(data.frame.columns) == ["rodenavn", "year", "residents", *SHARES]
    assert len(data.frame) == 14


def test_rode_share_above_100():
    df = _rode()
    df.loc[5, "Low income"] = 100.1
    with pytest.raises(DataError) as err:
        load.validate_rode(df, ROODER, file="rode.csv")
    line = _problem_line(err, "rode.csv", "row 7", "Low income")  # index 5 + 2
    assert "100.1" in line and "expected 0 ≤ value ≤ 100" in line


def test_a_column_no_indicator_reads_is_validated_all_the_same():
    """'Ages 0-5' is read by no indicator, but a negative share in it is an error, not published."""
    df = _rode().assign(**{"Ages 0-5": 5.0, "wkb_geometry": "POLYGON (…)"})
    df.loc[3, "Ages 0-5"] = -2.0
    with pytest.raises(DataError) as err:
        load.validate_rode(df, ROODER, file="rode.csv")
    assert "expected 0 ≤ value ≤ 100" in _problem_line(err, "rode.csv", "row 5", "Ages 0-5")


def test_rode_share_rounding_noise_is_allowed():
    # the source has values like 100.01; tolerance 0.05 -> 100.04 passes
    df = _rode()
    df.loc[5, "Low income"] = 100.04
    assert load.validate_rode(df, ROODER).frame.loc[5, "Low income"] == pytest.approx(100.04)


def test_rode_negative_residents():
    df = _rode()
    df.loc[0, "Number of residents"] = -3
    with pytest.raises(DataError) as err:
        load.validate_rode(df, ROODER, file="rode.csv")
    line = _problem_line(err, "rode.csv", "row 2", "Number of residents")
    assert "-3.0" in line and "expected 0 ≤ value" in line


def test_rode_duplicate_name_year():
    df = _rode()
    # rows: 0 Alfa 2008, 1 Beta 2008, 2 Alfa 2009, 3 Beta 2009, ...
    df.loc[3, "year"] = 2008  # repeats (Beta, 2008) of index 1; 2009 is still in index 2
    with pytest.raises(DataError) as err:
        load.validate_rode(df, ROODER, file="rode.csv")
    line = _problem_line(err, "rode.csv", "row 5", "name+year")  # index 3 + 2
    assert "'Beta'" in line and "2008" in line and "duplicate key" in line


def test_rode_name_not_matching_a_polygon():
    df = _rode()
    df.loc[9, "name"] = "Gamma"
    with pytest.raises(DataError) as err:
        load.validate_rode(df, ROODER, file="rode.csv")
    line = _problem_line(err, "rode.csv", "row 11", "name")  # index 9 + 2
    assert "value 'Gamma'" in line and "does not match any rode polygon" in line


def test_rode_empty_name():
    df = _rode()
    df.loc[6, "name"] = None
    with pytest.raises(DataError) as err:
        load.validate_rode(df, ROODER, file="rode.csv")
    line = _problem_line(err, "rode.csv", "row 8", "name")  # index 6 + 2
    assert "rode name is empty" in line


def test_rode_missing_year():
    df = _rode()
    df = df[df["year"] != 2013]
    with pytest.raises(DataError) as err:
        load.validate_rode(df, ROODER, file="rode.csv")
    line = _problem_line(err, "rode.csv", "file", "year")
    assert "value 2013" in line and "year missing from the file" in line


def test_rode_whitespace_in_names_is_stripped_and_joins():
    df = _rode()
    df.loc[0, "name"] = "  Alfa "
    df.loc[1, "name"] = "Beta\t"
    data = load.validate_rode(df, ROODER)
    assert data.frame.loc[0, "rodenavn"] == "Alfa"
    assert data.frame.loc[1, "rodenavn"] == "Beta"
    assert data.notes == ()  # every rode is matched in every year


def test_rode_whitespace_variant_is_still_a_duplicate():
    df = _rode()
    # index 2 (Alfa 2009) becomes " Alfa " 2008: once stripped it repeats index 0 (Alfa 2008);
    # 2009 is still present in index 3 (Beta 2009)
    df.loc[2, ["name", "year"]] = [" Alfa ", 2008]
    with pytest.raises(DataError) as err:
        load.validate_rode(df, ROODER, file="rode.csv")
    line = _problem_line(err, "rode.csv", "row 4", "name+year")  # index 2 + 2
    assert "'Alfa'" in line and "duplicate key" in line


def test_rode_blank_row_is_skipped_and_noted():
    df = _rode()
    blank = pd.DataFrame([{c: None for c in df.columns}])
    df = pd.concat([df.iloc[:4], blank, df.iloc[4:]], ignore_index=True)
    data = load.validate_rode(df, ROODER, file="rode.csv")
    assert len(data.frame) == 14  # the 15th (blank) row is gone
    assert data.notes == ("1 tomme rækker i rode.csv er sprunget over.",)


def test_rode_blank_row_keeps_line_numbers_of_later_rows():
    df = _rode()
    blank = pd.DataFrame([{c: None for c in df.columns}])
    df = pd.concat([df.iloc[:4], blank, df.iloc[4:]], ignore_index=True)
    df.loc[10, "non-Western"] = -1  # index 10 after the blank row at index 4 -> line 12
    with pytest.raises(DataError) as err:
        load.validate_rode(df, ROODER, file="rode.csv")
    line = _problem_line(err, "rode.csv", "row 12", "non-Western")
    assert "-1.0" in line


def test_rode_share_empty_for_a_whole_year_is_a_note():
    df = _rode()
    df.loc[df["year"] == 2014, "Low income"] = float("nan")
    data = load.validate_rode(df, ROODER, file="rode.csv")
    assert data.notes == ("'Low income' mangler for hele 2014 i kildedata.",)
    # the missing values stay missing in the frame, never filled
    assert data.frame.loc[data.frame["year"] == 2014, "Low income"].isna().all()


def test_rode_share_missing_for_one_rode_is_not_a_note():
    df = _rode()
    df.loc[0, "No education"] = float("nan")  # Alfa 2008 only; Beta 2008 has a value
    data = load.validate_rode(df, ROODER)
    assert data.notes == ()
    assert math.isnan(data.frame.loc[0, "No education"])


def test_rode_year_with_fewer_roder_than_polygons_is_a_note():
    df = _rode()
    df = df[~((df["year"] == 2012) & (df["name"] == "Beta"))]
    data = load.validate_rode(df, ROODER, file="rode.csv")
    # 2012 has Alfa only: 1 of 2 polygons
    assert data.notes == ("2012: 1 af 2 roder findes i data; mangler: Beta.",)
    assert len(data.frame) == 13


# ------------------------------------------------------------------------------------------ geo

X0, Y0 = 720_000, 6_175_000  # a point in Copenhagen in EPSG:25832 (metres)


def _geo(crs="EPSG:25832") -> gpd.GeoDataFrame:
    """Two 100 m squares side by side."""
    return gpd.GeoDataFrame(
        {
            "rode_nr": [11, 12],
            "rodenavn": ["Alfa", "Beta"],
            "geometry": [box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 100, Y0, X0 + 200, Y0 + 100)],
        },
        crs=crs,
    )


def test_validate_geo_valid_input():
    out = load.validate_geo(_geo(), "rode.geojson", key="rode_nr", name="rodenavn")
    assert out.crs == "EPSG:25832"
    assert out.attrs["notes"] == []
    assert out.geometry.area.tolist() == pytest.approx([10_000.0, 10_000.0])  # 100 m x 100 m


def test_geo_without_crs():
    gdf = _geo(crs=None)
    with pytest.raises(DataError) as err:
        load.validate_geo(gdf, "rode.geojson", key="rode_nr", name="rodenavn")
    line = _problem_line(err, "rode.geojson", "file", "geometry")
    assert "no CRS declared" in line


def test_geo_empty_geometry():
    gdf = _geo()
    gdf.loc[1, "geometry"] = Polygon()
    with pytest.raises(DataError) as err:
        load.validate_geo(gdf, "rode.geojson", key="rode_nr", name="rodenavn")
    # index 1 -> feature number 2; the value shown is the feature's name
    line = _problem_line(err, "rode.geojson", "row 2", "geometry")
    assert "'Beta'" in line and "geometry is missing or empty" in line


def test_geo_missing_geometry():
    gdf = _geo()
    gdf.loc[0, "geometry"] = None
    with pytest.raises(DataError) as err:
        load.validate_geo(gdf, "rode.geojson", key="rode_nr", name="rodenavn")
    line = _problem_line(err, "rode.geojson", "row 1", "geometry")
    assert "'Alfa'" in line and "geometry is missing or empty" in line


def test_geo_duplicate_key():
    gdf = _geo()
    gdf.loc[1, "rode_nr"] = 11
    with pytest.raises(DataError) as err:
        load.validate_geo(gdf, "rode.geojson", key="rode_nr", name="rodenavn")
    line = _problem_line(err, "rode.geojson", "row 2", "rode_nr")
    assert "11" in line and "duplicate key" in line


def test_geo_missing_name_column():
    gdf = _geo().drop(columns="rodenavn")
    with pytest.raises(DataError) as err:
        load.validate_geo(gdf, "rode.geojson", key="rode_nr", name="rodenavn")
    line = _problem_line(err, "rode.geojson", "file", "rodenavn")
    assert "required column is missing" in line


def test_geo_bow_tie_is_repaired_and_noted():
    # ring (0,0) -> (2,2) -> (2,0) -> (0,2) crosses itself at (1,1): two triangles,
    # (1,1),(2,2),(2,0) and (1,1),(0,2),(0,0), each base 2 x height 1 / 2 = 1 m², together 2 m²
    bow_tie = Polygon([(X0, Y0), (X0 + 2, Y0 + 2), (X0 + 2, Y0), (X0, Y0 + 2)])
    assert not bow_tie.is_valid
    gdf = _geo()
    gdf.loc[1, "geometry"] = bow_tie
    gdf.loc[1, "rodenavn"] = " Beta "
    out = load.validate_geo(gdf, "rode.geojson", key="rode_nr", name="rodenavn")
    assert out.geometry.is_valid.all()
    assert out.crs == "EPSG:25832"
    assert out.geometry.iloc[1].geom_type in ("Polygon", "MultiPolygon")
    assert out.geometry.iloc[1].area == pytest.approx(2.0)
    assert out.loc[1, "rodenavn"] == "Beta"  # names are stripped
    assert out.attrs["notes"] == ["rode.geojson: ugyldig geometri repareret (make_valid) for Beta."]


def test_geo_wgs84_is_projected_to_utm32():
    # a square of 0.001° around 12.5°E 55.68°N. UTM 32N has its central meridian at 9°E, so
    # 3.5° east of it at 55.68°N lies about 3.5 x 111.3 km x cos(55.68°) ≈ 220 km east of the
    # false easting 500 000 m -> easting ≈ 720 000 m; northing ≈ 55.68 x 111 km ≈ 6 170 000 m.
    gdf = gpd.GeoDataFrame(
        {"bydel_nr": [1], "navn": ["Indre By"], "geometry": [box(12.5, 55.68, 12.501, 55.681)]},
        crs="EPSG:4326",
    )
    out = load.validate_geo(gdf, "bydel.geojson", key="bydel_nr", name="navn")
    assert out.crs == "EPSG:25832"
    x, y = out.geometry.iloc[0].centroid.coords[0]
    assert 700_000 < x < 740_000
    assert 6_150_000 < y < 6_200_000
