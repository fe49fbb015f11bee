"""Reference data (analysis/reference/*.toml) against the policy "Politik for udsatte byområder".

The names, waves and budget years below are transcribed from the policy, so hard-coding them here is
the point: a typo or a moved area in areas.toml fails this test.
"""

import unicodedata

import pytest

from analysis import reference

# slug -> (name exactly as in the policy, wave)
POLICY_AREAS = {
    "bispebjerg-nordvest": ("Bispebjerg/Nordvest", 2012),
    "noerrebro": ("Nørrebro", 2012),
    "husum-tingbjerg": ("Husum/Tingbjerg", 2012),
    "vesterbro-sydhavnen": ("Vesterbro/Sydhavnen", 2013),
    "valby-vigerslev": ("Valby/Vigerslev", 2013),
    "amager-sundby": ("Amager/Sundby", 2013),
}


def test_six_areas_with_unique_slugs():
    slugs = [a.slug for a in reference.areas()]
    assert len(slugs) == 6
    assert len(set(slugs)) == 6
    assert set(slugs) == set(POLICY_AREAS)


def test_area_names_exactly_as_in_the_policy():
    names = {a.slug: a.name for a in reference.areas()}
    assert names == {slug: name for slug, (name, _) in POLICY_AREAS.items()}
    # "Nørrebro" with the single letter ø (U+00F8), not "o" + a combining stroke or "oe"
    assert "\u00f8" in reference.area("noerrebro").name
    for a in reference.areas():
        assert unicodedata.is_normalized("NFC", a.name), a.name
        assert a.name == a.name.strip()


def test_waves_as_in_the_policy():
    by_wave = {w.year: {a.name for a in reference.areas_in_wave(w.year)} for w in reference.waves()}
    assert by_wave == {
        2012: {"Bispebjerg/Nordvest", "Nørrebro", "Husum/Tingbjerg"},
        2013: {"Vesterbro/Sydhavnen", "Valby/Vigerslev", "Amager/Sundby"},
    }
    for a in reference.areas():
        assert a.wave == POLICY_AREAS[a.slug][1]


def test_wave_budget_years():
    # plans written in 2012 go into the 2013 budget, plans of 2013 into the 2014 budget
    assert {w.year: w.budget for w in reference.waves()} == {2012: 2013, 2013: 2014}
    assert all(w.title for w in reference.waves())


def test_area_bydele_are_valid_bydel_numbers():
    # Copenhagen has ten bydele, numbered 1-10; no two areas share a bydel
    seen = [nr for a in reference.areas() for nr in a.bydele]
    assert all(1 <= nr <= 10 for nr in seen)
    assert len(seen) == len(set(seen))
    assert all(a.bydele for a in reference.areas())
    assert all(a.policy_text for a in reference.areas())


def test_area_lookup():
    assert all(reference.area(a.slug) is a for a in reference.areas())
    with pytest.raises(KeyError, match="atlantis"):
        reference.area("atlantis")


def test_indicator_keys_unique_and_lookup():
    keys = [i.key for i in reference.indicators()]
    assert len(keys) == len(set(keys))
    assert all(reference.indicator(i.key) is i for i in reference.indicators())
    with pytest.raises(KeyError):
        reference.indicator("nope")


def test_every_target_names_an_existing_goal_and_indicator():
    pol = reference.policy()
    keys = {i.key for i in reference.indicators()}
    assert pol.targets
    for t in pol.targets:
        assert t.goal in pol.goals, t.key
        assert t.indicator is None or t.indicator in keys, t.key
        assert t.tools, t.key
        assert t.measured_by, t.key


def test_target_keys_unique():
    keys = [t.key for t in reference.policy().targets]
    assert len(keys) == len(set(keys))


def test_delineation_rule_is_sane():
    rule = reference.delineation()
    assert rule.construction in {"ratio", "log", "percentile"}
    assert rule.threshold > 100  # deprived means above the city level (city = 100)
    assert rule.min_cluster_residents > 0
    assert rule.baseline_year < min(w.year for w in reference.waves())


def test_frozen_membership_is_what_the_rule_gives_on_the_registered_data(built_site):
    """area_members.csv is reference data; recomputing the documented rule must reproduce it."""
    from analysis import paths, pipeline

    recomputed = pipeline.compute_members(pipeline.load_inputs(paths.RAW))
    stored = pipeline.members()
    assert recomputed[["slug", "rode_nr"]].values.tolist() == stored[["slug", "rode_nr"]].values.tolist()
