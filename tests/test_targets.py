"""Target statuses, each rule with values worked out by hand (base year 2011, target year 2020)."""

from __future__ import annotations

import math

import pytest

from analysis import targets


def test_required_share_is_a_straight_line_to_2020():
    # 2014 is 3 of the 9 years from 2011 to 2020
    assert targets.required_share(2014) == pytest.approx(3 / 9)
    assert targets.required_share(2014, share=0.5) == pytest.approx(1.5 / 9)


def test_gap_partly_on_track_is_amber():
    # gap 10 -> 7.8 pp by 2014: closed 0.22, required 1/3, ratio 0.66 -> amber (0.60 <= r < 0.95);
    # the interval's ends 7.75 and 7.85 give ratios 0.675 and 0.645, both amber
    res = targets.gap_status(10.0, (8.0, 12.0), 7.8, (7.75, 7.85), 2014)
    assert res["closed"] == pytest.approx(0.22)
    assert res["ratio"] == pytest.approx(0.66)
    assert res["status"] == "amber"


def test_area_already_better_than_the_rest_has_met_the_target():
    # Husum/Tingbjerg-like: 15.2 % against 16.1 % in the rest of the city -> gap -0.9: met, never red
    res = targets.gap_status(2.0, (1.0, 3.0), 15.2 - 16.1, (-1.5, -0.3), 2014)
    assert res["status"] == "met"
    assert math.isnan(res["ratio"])


def test_baseline_gap_within_its_uncertainty_is_grey():
    res = targets.gap_status(0.5, (-0.4, 1.4), 1.0, (0.5, 1.5), 2014)
    assert res["status"] == "grey"
    assert res["reason"] == "baseline-within-uncertainty"


def test_uncertainty_spanning_two_colours_is_grey():
    # gap 9 -> now 6 (5 to 8): closed 1/3 (green, ratio 1.0) but the interval's ends give
    # 1 - 5/9 = 0.444 -> ratio 1.33 green and 1 - 8/9 = 0.111 -> ratio 0.33 red -> grey
    res = targets.gap_status(9.0, (8.0, 10.0), 6.0, (5.0, 8.0), 2014)
    assert res["ratio"] == pytest.approx(1.0)
    assert res["status"] == "grey"


def test_widening_gap_is_red():
    res = targets.gap_status(10.0, (9.0, 11.0), 12.0, (11.5, 12.5), 2014)
    assert res["ratio"] == pytest.approx(-0.6)  # closed -0.2 / required 1/3
    assert res["status"] == "red"


def test_close_a_third_met_when_the_gap_is_down_by_a_third():
    # share 1/3 of a 9 pp gap: met at 6 pp or less
    assert targets.gap_status(9.0, (8.5, 9.5), 6.0, (5.8, 6.2), 2014, share=1 / 3)["status"] == "met"
    # at 7.9 pp: closed 1.1/9, required (1/3)(3/9) = 1/9 -> ratio 1.1 green (ends 1.12 and 1.08)
    res = targets.gap_status(9.0, (8.5, 9.5), 7.9, (7.88, 7.92), 2014, share=1 / 3)
    assert res["ratio"] == pytest.approx(1.1)
    assert res["status"] == "green"


@pytest.mark.parametrize(
    ("value", "ci", "status"),
    [
        (20.2, (20.05, 20.35), "met"),  # the whole interval at or above the 20 % floor
        (20.1, (19.9, 20.3), "amber"),
        (19.5, (19.3, 19.7), "red"),
        (math.nan, (math.nan, math.nan), "grey"),
    ],
)
def test_floor(value, ci, status):
    assert targets.floor_status(value, ci, 20.0) == status


def test_count_halved():
    # 10 listed estates in 2011 -> 7 in 2014: removed 0.3, required 0.5 x 3/9 = 1/6 -> ratio 1.8 green
    res = targets.count_status(10, 7, 2014, 0.5)
    assert res["ratio"] == pytest.approx(1.8)
    assert res["status"] == "green"
    assert targets.count_status(10, 5, 2014, 0.5)["status"] == "met"
    assert targets.count_status(10, 10, 2014, 0.5)["status"] == "red"


def test_fixed_target_projection():
    # 80, 82, 84, 86 in 2011-2014: slope 2 a year, reaches 95 in 2014 + 9/2 = 2018.5 -> green
    res = targets.fixed_projection([2011, 2012, 2013, 2014], [80, 82, 84, 86], 95)
    assert res["projected_year"] == pytest.approx(2018.5)
    assert res["status"] == "green"
    # slope 1 a year: 2014 + 9 = 2023 -> red
    assert targets.fixed_projection([2011, 2012, 2013, 2014], [83, 84, 85, 86], 95)["status"] == "red"
    # already there
    assert targets.fixed_projection([2011, 2012, 2013], [94, 95, 96], 95)["status"] == "met"
    # lower is better: 30 -> 24, target 20, slope -2: 2014 + 4/2 = 2016 -> green
    down = targets.fixed_projection([2011, 2012, 2013, 2014], [30, 28, 26, 24], 20, higher_is_better=False)
    assert down["projected_year"] == pytest.approx(2016.0)
    assert down["status"] == "green"


def test_fixed_target_not_projectable_is_grey():
    assert targets.fixed_projection([2011, 2012, 2013, 2014], [80, 82, 79, 81], 95)["status"] == "grey"
    assert targets.fixed_projection([2011, 2012], [80, 82], 95)["status"] == "grey"


def test_every_status_has_a_colour():
    assert set(targets.STATUS_COLOURS) == set(targets.STATUSES)


def test_after_the_target_year_a_count_is_met_or_missed():
    # Nørrebro: 3 listed in 2012, 2 on the list of 2020: goal at most 1.5 -> missed (was "Delvist på vej")
    assert targets.count_status(3, 2, 2020, 0.5)["status"] == "missed"
    # the city: 10 in 2010, 3 in 2020 -> met; 0 in 2023 -> met
    assert targets.count_status(10, 3, 2020, 0.5)["status"] == "met"
    assert targets.count_status(10, 0, 2023, 0.5)["status"] == "met"
    # 10 -> 9 by 2020 is not "on track" any more: missed
    assert targets.count_status(10, 9, 2020, 0.5)["status"] == "missed"


def test_a_rise_from_zero_is_visible():
    # Husum/Tingbjerg: 0 listed in 2012, 1 (Tingbjerg/Utterslevhuse) in 2020: a rise, never grey
    assert targets.count_status(0, 1, 2020, 0.5)["status"] == "missed"
    assert targets.count_status(0, 1, 2014, 0.5)["status"] == "red"
    assert targets.count_status(0, 0, 2020, 0.5)["status"] == "met"


def test_other_rules_are_met_or_missed_after_the_target_year():
    # a fixed target of 95 % with data to 2021 and 90 % then: missed, not a projection
    assert targets.fixed_projection([2018, 2019, 2020, 2021], [84, 86, 88, 90], 95)["status"] == "missed"
    # a gap of 10 pp (interval 8-12) to be cut by a third (to 6.67): 8 pp (7-9) in 2020 is missed
    assert targets.gap_status(10, (8, 12), 8, (7, 9), 2020, 1 / 3)["status"] == "missed"
    assert targets.decided("green", 2020) == "missed"
    assert targets.decided("green", 2014) == "green"
    assert targets.decided("grey", 2021) == "grey"
