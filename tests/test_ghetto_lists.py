"""The government-list target (issue 23, section 2). Expected values are written by hand from the
sources in analysis/reference/ghetto_lists.toml and the policy text (2010: ten areas in Copenhagen;
2012: 8; Dec 2017: 4; Dec 2019: 6; Dec 2020: 3; Dec 2022: 1; Dec 2023: 0)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis import follow_up, ghetto_lists, reference, tables, wording

# Each listed name's area, by hand from the public-housing layer's locations (ghetto_lists.toml comments).
AREA = {
    "Blågården": "noerrebro",
    "Lundtoftegade": "noerrebro",
    "Mjølnerparken": "noerrebro",
    "Aldersrogade": "noerrebro",
    "Sjælør Boulevard": "valby-vigerslev",
    "Bispeparken": "bispebjerg-nordvest",
    "Stærevej mv": "bispebjerg-nordvest",
    "Degnegården mv": "bispebjerg-nordvest",
    "Hørgården": "amager-sundby",
    "Tingbjerg/Utterslevhuse": "husum-tingbjerg",
    "Gadelandet/Husumgård": "husum-tingbjerg",
}


@pytest.fixture(scope="module")
def listed() -> pd.DataFrame:
    d = ghetto_lists.lists()
    return d.assign(slug=d["estate"].map(AREA))


def _target():
    return next(t for t in reference.policy().targets if t.key == "ghetto_list")


def _row(listed, slug):
    return follow_up._count_row(listed, slug, _target())


def test_an_empty_list_is_a_list(listed):
    # Dec 2023: Mjølnerparken below 1,000 residents, Copenhagen no longer on the list
    years = ghetto_lists.list_years().set_index("year")
    assert years.loc[2023, "count"] == 0
    assert 2023 in set(listed["year"])
    assert ghetto_lists.counts(listed, "alle")[2023] == 0
    assert ghetto_lists.counts(listed, "noerrebro")[2023] == 0


def test_an_empty_list_from_a_file(tmp_path, monkeypatch):
    f = tmp_path / "lists.toml"
    f.write_text(
        '[[list]]\nyear = 2020\npublished = "2020-12-01"\nsource = "a"\nestates = ["X", "Y"]\n\n'
        '[[list]]\nyear = 2023\npublished = "2023-12-01"\nsource = "b"\nestates = []\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(ghetto_lists, "FILE", f)
    d = ghetto_lists.lists().assign(slug="a")
    assert list(d["year"]) == [2020, 2020, 2023]
    assert ghetto_lists.counts(d, "alle").to_dict() == {2020: 2, 2023: 0}
    assert ghetto_lists.counts(d, "a").to_dict() == {2020: 2, 2023: 0}


def test_city_counts_per_list_year(listed):
    assert ghetto_lists.counts(listed, "alle").to_dict() == {
        2010: 10,
        2012: 8,
        2016: 3,
        2017: 4,
        2018: 7,
        2019: 6,
        2020: 3,
        2021: 3,
        2022: 1,
        2023: 0,
    }


def test_the_2010_baseline_is_the_policys_ten(listed):
    t = _target()
    assert (t.baseline_year, t.reduction) == (2010, 0.5)
    assert ghetto_lists.stated_count(2010) == 10
    assert "Politik for udsatte byområder" in ghetto_lists.list_years().set_index("year").loc[2010, "source"]
    # the names of the 2010 list are not known: no count per area
    assert math.isnan(ghetto_lists.counts(listed, "noerrebro")[2010])
    row = _row(listed, "alle")
    assert (row["baseline"], row["baseline_year"], row["goal_value"]) == (10, 2010, 5)


def test_city_status_at_2020_and_at_the_latest_list(listed):
    row = _row(listed, "alle")
    assert (row["at_target"], row["at_target_year"], row["status"]) == (3, 2020, "met")
    assert (row["latest"], row["latest_year"], row["status_latest"]) == (0, 2023, "met")


def test_per_area_baseline_is_the_first_named_list_and_says_why(listed):
    row = _row(listed, "noerrebro")
    # Nørrebro 2012: Blågården, Lundtoftegade, Mjølnerparken; 2020: Aldersrogade, Mjølnerparken
    assert (row["baseline"], row["baseline_year"], row["at_target"], row["latest"]) == (3, 2012, 2, 0)
    assert (row["status"], row["status_latest"]) == ("missed", "met")
    assert "navne er ikke fundet" in row["note"] and "2010 med 10 områder" in row["note"]


def test_husum_tingbjergs_rise_is_visible(listed):
    row = _row(listed, "husum-tingbjerg")
    assert (row["baseline"], row["baseline_year"], row["at_target"], row["at_target_year"]) == (0, 2012, 1, 2020)
    assert row["status"] == "missed"
    assert "steget fra 0 i 2012 til 1 i 2020" in row["note"]


def test_rule_table_and_note_agree(listed):
    row = {**_row(listed, "alle"), "text": "t", "proxy": False, "measured_by": "m"}
    t = tables.policy_targets(pd.DataFrame([row])).iloc[0]
    assert t["Udgangspunkt"] == "10 (2010)"
    assert t["I 2020"] == "3 (2020)"
    assert t["Seneste"] == "0 (2023)"
    assert "Nået</span> i 2020" in t["Status"] and "seneste liste (2023)" in t["Status"]
    note = row["note"]
    assert "listen for 2010 med 10 områder" in note
    assert "højst 5 områder på listen for 2020, hvor der stod 3 områder: nået" in note
    assert "Seneste liste er fra 2023 med 0 områder: nået" in note
    rule = reference.substitutions()["count_rule"]
    assert "liste i 2010 – 10 områder" in rule and "ved udgangen af 2020" in rule and "højst 5 områder" in rule
    assert "2023" in reference.substitutions()["list_sources"]


def test_method_page_uses_the_one_rule():
    text = (reference.paths.ROOT / "book" / "metode.md").read_text(encoding="utf-8")
    assert "{{ count_rule }}" in text and "{{ list_sources }}" in text
    assert "mod den seneste liste" not in text


def test_status_words():
    assert wording.STATUS_LABELS["missed"] == "Ikke nået"
    assert "seneste liste" not in wording.status_cell("met")
