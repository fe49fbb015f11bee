"""Progress towards the 2020 targets (analysis.targets). Expected values worked out by hand."""

import math

import numpy as np
import pytest

from analysis import targets


def test_moving_target_partly_on_track():
    # gap 10 -> 7 pp: closed = 1 - 7/10 = 0.3; required = (2014 - 2011)/9 = 1/3; ratio = 0.9
    res = targets.moving_target_progress(10.0, 7.0, year_now=2014)
    assert res["closed"] == pytest.approx(0.3)
    assert res["required"] == pytest.approx(1 / 3)
    assert res["ratio"] == pytest.approx(0.9)
    assert targets.status_from_ratio(res["ratio"]) == "amber"


def test_moving_target_on_track_and_worsening():
    # gap 9 -> 6: closed 1/3, required 1/3, ratio 1.0 -> green
    assert targets.moving_target_progress(9.0, 6.0, 2014)["ratio"] == pytest.approx(1.0)
    # gap 10 -> 12: closed = 1 - 1.2 = -0.2; required 1/3; ratio -0.6 -> red
    res = targets.moving_target_progress(10.0, 12.0, 2014)
    assert res["ratio"] == pytest.approx(-0.6)
    assert targets.status_from_ratio(res["ratio"]) == "red"


def test_moving_target_negative_gap():
    # area better than city on a higher-is-better scale: gap -4 -> -2, closed = 1 - 0.5 = 0.5;
    # required (2015 - 2011)/9 = 4/9; ratio = 0.5 * 9/4 = 1.125
    res = targets.moving_target_progress(-4.0, -2.0, year_now=2015)
    assert res["ratio"] == pytest.approx(1.125)


def test_moving_target_guards():
    zero_gap = targets.moving_target_progress(0.0, 3.0, 2014)
    assert math.isnan(zero_gap["closed"])
    assert math.isnan(zero_gap["ratio"])
    base_year = targets.moving_target_progress(10.0, 9.0, 2011)
    assert base_year["required"] == 0
    assert base_year["closed"] == pytest.approx(0.1)
    assert math.isnan(base_year["ratio"])
    assert math.isnan(targets.moving_target_progress(math.nan, 3.0, 2014)["ratio"])
    assert math.isnan(targets.moving_target_progress(10.0, 3.0, 2014, 2011, 2011)["ratio"])


@pytest.mark.parametrize(
    ("ratio", "status"),
    [
        (1.2, "green"),
        (0.95, "green"),
        (0.9499, "amber"),
        (0.60, "amber"),
        (0.5999, "red"),
        (0.0, "red"),
        (-1.0, "red"),
        (math.nan, "grey"),
        (None, "grey"),
    ],
)
def test_status_from_ratio(ratio, status):
    assert targets.status_from_ratio(ratio) == status


def test_status_interval():
    assert targets.status_interval(0.96, 1.4) == "green"
    assert targets.status_interval(0.61, 0.90) == "amber"
    assert targets.status_interval(0.5, 1.0) == "grey"
    assert targets.status_interval(math.nan, 1.0) == "grey"


def test_fixed_target_projectable():
    # 80, 82, 84, 86, 88 in 2010-2014: slope 2 (all pairwise slopes), intercept 84 - 2*2012;
    # 95 reached at 2012 + (95 - 84)/2 = 2017.5
    res = targets.fixed_target_projection(range(2010, 2015), [80, 82, 84, 86, 88], 95)
    assert res["projectable"] is True
    assert res["slope"] == pytest.approx(2.0)
    assert res["projected_year"] == pytest.approx(2017.5)


def test_fixed_target_downward_target():
    # 30, 28, 26, 24 in 2011-2014: slope -2; target 20 at 2014 + (20 - 24)/(-2) = 2016
    res = targets.fixed_target_projection([2011, 2012, 2013, 2014], [30, 28, 26, 24], 20)
    assert res["projectable"] is True
    assert res["projected_year"] == pytest.approx(2016.0)


def test_fixed_target_slope_away_from_target():
    # falling by 2 a year while the target lies above
    res = targets.fixed_target_projection(range(2010, 2015), [88, 86, 84, 82, 80], 95)
    assert res["projectable"] is False
    assert math.isnan(res["projected_year"])
    assert res["slope"] == pytest.approx(-2.0)


def test_fixed_target_interval_includes_zero():
    # x = 0..4, y = 1, 3, 2, 4, 0: slopes 2, 0.5, 1, -0.25, -1, 0.5, -1, 2, -1, -4;
    # sorted: -4, -1, -1, -1, -0.25, 0.5, 0.5, 1, 2, 2 -> median 0.125; interval (-4, 2)
    res = targets.fixed_target_projection([0, 1, 2, 3, 4], [1, 3, 2, 4, 0], 10)
    assert res["slope"] == pytest.approx(0.125)
    assert (res["low"], res["high"]) == pytest.approx((-4.0, 2.0))
    assert res["projectable"] is False
    assert math.isnan(res["projected_year"])


def test_fixed_target_too_few_points():
    res = targets.fixed_target_projection([2010, 2011, 2012], [80, np.nan, 84], 95)
    assert res["projectable"] is False
    assert math.isnan(res["slope"])


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (25.0, "green"),
        (21.0, "green"),
        (20.5, "amber"),
        (20.0, "amber"),
        (19.9, "red"),
        (math.nan, "grey"),
        (None, "grey"),
    ],
)
def test_floor_target_status(value, status):
    assert targets.floor_target_status(value) == status


def test_floor_target_custom_margin():
    assert targets.floor_target_status(21.5, floor=20.0, margin=2.0) == "amber"


def test_labels_and_colours_cover_every_status():
    assert set(targets.STATUS_LABELS_DA) == {"green", "amber", "red", "grey", "no-data"}
    assert targets.STATUS_LABELS_DA["green"] == "Grøn: på vej"
    assert targets.STATUS_LABELS_DA["grey"] == "Grå: kan ikke vurderes"
    assert set(targets.STATUS_COLOURS) == set(targets.STATUS_LABELS_DA)
    assert len(set(targets.STATUS_COLOURS.values())) == 5
