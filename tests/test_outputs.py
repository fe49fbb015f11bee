"""Every published download passes disclosure control: no counts of 1-4, no rates for small roder."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import outputs, paths, reference


@pytest.fixture(scope="module")
def site_data(tmp_path_factory):
    if not (paths.DERIVED / "area_series.csv").is_file():
        pytest.skip("no prepared results; run `make book` first")
    return outputs.write_site_data(paths.DERIVED, tmp_path_factory.mktemp("site") / "data")


def _tables(folder):
    for f in sorted(folder.rglob("*.csv")):
        yield f.name, pd.read_csv(f)
    for f in sorted(folder.rglob("*.xlsx")):
        for sheet, df in pd.read_excel(f, sheet_name=None).items():
            yield f"{f.name}:{sheet}", df


def test_no_published_count_between_1_and_4(site_data):
    for name, df in _tables(site_data):
        for col in ("numerator", "denominator"):
            if col in df.columns:
                small = df[col].between(0.0001, 4.9999)
                assert not small.any(), f"{name}: {col} has counts of 1-4: {df.loc[small, col].tolist()[:5]}"


def test_no_rate_for_roder_under_the_resident_floor(site_data):
    ind = pd.read_csv(site_data / "indicators.csv", dtype={"unit_id": str})
    obs = pd.read_csv(paths.DERIVED / "obs_rode.csv", dtype={"unit_id": str})
    residents = obs.drop_duplicates(["unit_id", "year"]).set_index(["unit_id", "year"])["residents"]
    rode = ind[ind["level"] == "rode"].join(residents, on=["unit_id", "year"])
    small = rode["residents"] < reference.param("disclosure", "min_residents")
    assert small.any()  # the real data has small roder, so the test can fail
    assert rode.loc[small, "rate"].isna().all()


def test_missing_values_are_empty_not_zero(site_data):
    # the source has no rode income for 2014: the area files leave it empty
    area = pd.read_csv(site_data / "omraader" / "noerrebro.csv")
    income_2014 = area[(area["indicator"] == "low_income") & (area["year"] == 2014)]
    assert income_2014.empty or income_2014["rate"].isna().all()


def test_map_data_respects_disclosure(site_data):
    import json

    data = json.loads((site_data / "kort.json").read_text(encoding="utf-8"))
    obs = pd.read_csv(paths.DERIVED / "obs_rode.csv", dtype={"unit_id": str})
    residents = obs.drop_duplicates(["unit_id", "year"]).set_index(["unit_id", "year"])["residents"]
    floor = reference.param("disclosure", "min_residents")
    checked = 0
    for rode in data["roder"]:
        for key, (base, latest) in rode["values"].items():
            for year, value in zip(data["years"][key], (base, latest), strict=True):
                if residents.get((str(rode["nr"]), year), 0) < floor:
                    assert value is None, (rode["name"], key, year, value)
                    checked += 1
    assert checked > 0  # the real data has small roder, so the test can fail


def test_text_that_a_spreadsheet_would_run_is_neutralised(tmp_path):
    df = pd.DataFrame(
        {
            "name": ['=HYPERLINK("x")', "+45", "-1", "@SUM(A1)", "Nørrebro", "a=b", None],
            "value": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0],
        }
    )
    safe = outputs.neutralise_formulas(df)
    assert safe["name"][:6].tolist() == ['\'=HYPERLINK("x")', "'+45", "'-1", "'@SUM(A1)", "Nørrebro", "a=b"]
    assert pd.isna(safe["name"][6])
    assert safe["value"].tolist() == df["value"].tolist()  # numbers, negative ones too, stay numbers
    outputs.write_csv(df, tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_text(encoding="utf-8")
    assert text.splitlines()[:2] == ["name,value", '"\'=HYPERLINK(""x"")",-1.5']


# The published site as a whole (issue 23): every file in _build/html/data and every chart CSV.
PARTS = ["numerator", "denominator", "rate", "index"]


def _published_indicators(site):
    ind = pd.read_csv(site / "data" / "indicators.csv", dtype={"unit_id": str})
    return ind.assign(suppression_reason=ind["suppression_reason"].fillna(""))


def test_no_part_of_a_suppressed_figure_is_published(built_site):
    import json
    import re

    ind = _published_indicators(built_site)
    hidden = ind[ind["suppressed"]]
    assert len(hidden) > 100  # the real data has small roder, so the test can fail
    assert hidden[PARTS].isna().all(axis=None), hidden[hidden[PARTS].notna().any(axis=1)].head()
    # Borgergades 2008, non-western: 13 of 86 residents in the first edition
    borger = ind[(ind["unit_name"] == "Borgergades") & (ind["year"] == 2008) & (ind["indicator"] == "non_western")]
    assert len(borger) == 1 and borger[PARTS].isna().all(axis=None)
    hidden_keys = {
        (u, k, int(y)) for u, k, y in hidden.loc[hidden["level"] == "rode", ["unit_id", "indicator", "year"]].to_numpy()
    }
    # the interactive map: no value for a hidden rode
    data = json.loads((built_site / "data" / "kort.json").read_text(encoding="utf-8"))
    for rode in data["roder"]:
        for key, values in rode["values"].items():
            for year, value in zip(data["years"][key], values, strict=True):
                if (str(rode["nr"]), key, year) in hidden_keys:
                    assert value is None, (rode["name"], key, year, value)
    # the area files and workbooks publish areas, rest of the city and the city only (no rode)
    for name, df in _tables(built_site / "data" / "omraader"):
        assert "group" not in df.columns or set(df["group"]) <= {"area", "rest", "city"}, name
        assert "numerator" not in df.columns or "rode_nr" not in df.columns, name
    # chart CSVs of rode maps: a class of a hidden rode's rate is a part of it too
    names = {i.name: i.key for i in reference.indicators()}
    csvs = [f for f in built_site.rglob("*.csv") if "data" not in f.relative_to(built_site).parts[:1]]
    checked = 0
    for f in csvs:
        df = pd.read_csv(f, dtype=str)
        if "Rodenummer" not in df.columns:
            continue
        assert not {"numerator", "denominator", "Tæller", "Nævner", "Antal"} & set(df.columns), f.name
        for col in df.columns:
            m = re.match(r"(.+), indeks (\d{4})", col)
            if not m or m.group(1) not in names:
                continue
            key, year = names[m.group(1)], int(m.group(2))
            shown = df[df[col].notna() & df["Rodenummer"].notna()]
            leaked = [r for r in shown["Rodenummer"] if (str(int(float(r))), key, year) in hidden_keys]
            assert not leaked, (f.name, col, leaked[:5])
            checked += 1
    assert checked > 0


def test_disclosure_audit_of_the_published_site(built_site):
    ind = _published_indicators(built_site)
    res = outputs.audit_published(paths.DERIVED, ind, full=True)
    assert len(res) > 100
    assert res["ok"].all(), res[~res["ok"]].head()
    res = res.set_index(["unit_name", "year", "indicator"])
    # the cells issue 23 recovered exactly from published totals: now wider than the protection level
    for cell in [("Eksercerpladsen", 2014, "non_western")] + [("Milanos", y, "non_western") for y in range(2010, 2014)]:
        width = res.loc[cell, "upper"] - res.loc[cell, "lower"]
        assert width >= res.loc[cell, "required"] >= 2 * reference.param("disclosure", "protection_persons") - 1e-9
        assert res.loc[cell, "required"] > 0, cell  # primary cells: their protection is checked


def test_write_site_data_refuses_without_complementary_suppression(tmp_path, monkeypatch):
    # the real data with primary suppression alone: published totals give hidden counts back
    # (Eksercerpladsen 2014 = Amager Vest minus its shown roder), so nothing is published
    import shutil

    from analysis.errors import BuildError

    if not (paths.DERIVED / "area_series.csv").is_file():
        pytest.skip("no prepared results; run `make book` first")
    derived = tmp_path / "derived"
    shutil.copytree(paths.DERIVED, derived, ignore=shutil.ignore_patterns(outputs.PUBLISHED, outputs.AUDIT))
    monkeypatch.setattr(outputs, "_complementary_rode_suppression", lambda out, _derived: out)
    with pytest.raises(BuildError, match=r"^disclosure audit: rode \d+ .+, 20\d\d, \w+: .+ \[[\d.]+; [\d.]+\]") as err:
        outputs.write_site_data(derived, tmp_path / "site" / "data")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "site" / "data").exists()


def test_the_composite_map_hides_roder_with_a_withheld_indicator(built_site):
    """The composite is the mean of the indicators' indices: for a rode with one indicator withheld,
    its composite class and the others' values would narrow the withheld one down."""
    from analysis import reference
    from analysis.results import shared

    res = shared()
    hidden = set(res.roder.loc[res.hidden_any(reference.delineation().baseline_year), "rode_nr"])
    csv = pd.read_csv(paths.FIGURES_DIR / "tal-soek-kort.csv")
    shown = csv[csv.iloc[:, 2].notna() & (csv.iloc[:, 2] != "")]
    assert hidden and not hidden & set(shown["Rodenummer"])
