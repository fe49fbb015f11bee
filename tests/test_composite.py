"""Tests for analysis.composite. Every expected value is worked out by hand in the comments."""

from __future__ import annotations

import math
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from analysis import composite as c
from analysis import spatial

# esda's conditional randomisation (used by Moran_Local) warns on every call that its default
# alternative hypothesis will change in the next major release; Moran_Local does not let callers
# choose, so the DeprecationWarning is unavoidable here.
ESDA_ALTERNATIVE = pytest.mark.filterwarnings(
    "ignore:The alternative hypothesis for conditional randomization:DeprecationWarning"
)

INDICATORS = [
    "non_western",
    "no_education",
    "low_income",
    "outside_labour",
    "small_dwellings",
    "install_deficiency",
]


# --- index ----------------------------------------------------------------------------------------


def test_index_table_divides_by_city_rate():
    rates = pd.DataFrame({"a": [10.0, 5.0, 0.0], "b": [2.0, 4.0, 1.0]}, index=["u1", "u2", "u3"])
    city = pd.Series({"b": 4.0, "a": 5.0, "unused": 9.0})  # order and extras must not matter
    # a: 100*10/5 = 200, 100*5/5 = 100, 100*0/5 = 0
    # b: 100*2/4 = 50,   100*4/4 = 100, 100*1/4 = 25
    expected = pd.DataFrame({"a": [200.0, 100.0, 0.0], "b": [50.0, 100.0, 25.0]}, index=["u1", "u2", "u3"])
    pd.testing.assert_frame_equal(c.index_table(rates, city), expected)


def test_index_table_rejects_missing_or_zero_city_rate():
    rates = pd.DataFrame({"a": [1.0], "b": [2.0]})
    with pytest.raises(ValueError, match="no city rate"):
        c.index_table(rates, pd.Series({"a": 1.0}))
    with pytest.raises(ValueError, match="positive"):
        c.index_table(rates, pd.Series({"a": 1.0, "b": 0.0}))


# --- ratio ----------------------------------------------------------------------------------------

RATIO_IDX = pd.DataFrame(
    {
        "a": [200.0, 100.0, 50.0, 200.0, np.nan],
        "b": [100.0, 100.0, 150.0, np.nan, np.nan],
        "c": [150.0, 100.0, 100.0, 140.0, np.nan],
    },
    index=["u1", "u2", "u3", "u4", "u5"],
)


def test_composite_ratio_equal_weights_and_nan():
    got = c.composite_ratio(RATIO_IDX)
    # u1: (200 + 100 + 150) / 3 = 450 / 3 = 150
    # u2: (100 + 100 + 100) / 3 = 100
    # u3: (50 + 150 + 100) / 3 = 300 / 3 = 100
    # u4: b missing -> (200 + 140) / 2 = 170
    # u5: nothing -> NaN
    assert got["u1"] == pytest.approx(150.0)
    assert got["u2"] == pytest.approx(100.0)
    assert got["u3"] == pytest.approx(100.0)
    assert got["u4"] == pytest.approx(170.0)
    assert math.isnan(got["u5"])


def test_composite_ratio_weights_are_renormalised():
    # weights 4:2:2 are the same as 2:1:1 -> 0.5, 0.25, 0.25
    for weights in (pd.Series({"a": 2.0, "b": 1.0, "c": 1.0}), pd.Series({"c": 2, "a": 4, "b": 2})):
        got = c.composite_ratio(RATIO_IDX, weights)
        # u1: 0.5*200 + 0.25*100 + 0.25*150 = 100 + 25 + 37.5 = 162.5
        # u3: 0.5*50 + 0.25*150 + 0.25*100 = 25 + 37.5 + 25 = 87.5
        # u4: b missing -> weights a, c = 2, 1 -> (2*200 + 1*140) / 3 = 540 / 3 = 180
        assert got["u1"] == pytest.approx(162.5)
        assert got["u2"] == pytest.approx(100.0)
        assert got["u3"] == pytest.approx(87.5)
        assert got["u4"] == pytest.approx(180.0)


def test_weights_must_match_indicators():
    with pytest.raises(ValueError, match="exactly the indicators"):
        c.composite_ratio(RATIO_IDX, pd.Series({"a": 1.0, "b": 1.0}))
    with pytest.raises(ValueError, match="non-negative"):
        c.composite_ratio(RATIO_IDX, pd.Series({"a": 1.0, "b": -1.0, "c": 1.0}))


# --- log ------------------------------------------------------------------------------------------

LOG_IDX = pd.DataFrame(
    {"a": [200.0, 400.0, 0.0, np.nan], "b": [50.0, 100.0, 100.0, 300.0]},
    index=["u1", "u2", "u3", "u4"],
)


def test_composite_log_equal_weights_floor_and_nan():
    got = c.composite_log(LOG_IDX)
    # u1: (log 2 + log 0.5) / 2 = 0 -> 100 * e^0 = 100
    # u2: (log 4 + log 1) / 2 = log 2 -> 200
    # u3: a = 0 is floored at 1 -> (log 0.01 + log 1) / 2 = log 0.1 -> 10
    # u4: a missing -> log 3 -> 300
    assert got["u1"] == pytest.approx(100.0)
    assert got["u2"] == pytest.approx(200.0)
    assert got["u3"] == pytest.approx(10.0)
    assert got["u4"] == pytest.approx(300.0)


def test_composite_log_weighted():
    got = c.composite_log(LOG_IDX, pd.Series({"a": 3.0, "b": 1.0}))
    # u1: 0.75 log 2 + 0.25 log 0.5 = 0.5 log 2 -> 100 * 2**0.5
    # u2: 0.75 log 4 + 0.25 log 1 = 1.5 log 2 -> 100 * 2**1.5
    # u4: only b -> 300
    assert got["u1"] == pytest.approx(100 * 2**0.5)
    assert got["u2"] == pytest.approx(100 * 2**1.5)
    assert got["u4"] == pytest.approx(300.0)


# --- percentile -----------------------------------------------------------------------------------

PCT_IDX = pd.DataFrame(
    {"a": [10.0, 20.0, 20.0, 40.0], "b": [5.0, 5.0, 5.0, 1.0], "c": [np.nan, 1.0, 2.0, 3.0]},
    index=["u1", "u2", "u3", "u4"],
)


def test_percentile_ranks_ties_low():
    got = c.percentile_ranks(PCT_IDX)
    # a: min ranks 1, 2, 2, 4 ; N = 4 -> (r-1)/3*100 = 0, 100/3, 100/3, 100
    # b: min ranks 2, 2, 2, 1 -> 100/3, 100/3, 100/3, 0
    # c: u1 missing; N = 3, ranks 1, 2, 3 -> 0, 50, 100
    assert got["a"].tolist() == pytest.approx([0.0, 100 / 3, 100 / 3, 100.0])
    assert got["b"].tolist() == pytest.approx([100 / 3, 100 / 3, 100 / 3, 0.0])
    assert math.isnan(got.loc["u1", "c"])
    assert got["c"].iloc[1:].tolist() == pytest.approx([0.0, 50.0, 100.0])


def test_composite_percentile_equal_weights_and_nan():
    got = c.composite_percentile(PCT_IDX)
    # u1: c missing -> (0 + 100/3) / 2 = 50/3
    # u2: (100/3 + 100/3 + 0) / 3 = 200/9
    # u3: (100/3 + 100/3 + 50) / 3 = (350/3) / 3 = 350/9
    # u4: (100 + 0 + 100) / 3 = 200/3
    assert got.tolist() == pytest.approx([50 / 3, 200 / 9, 350 / 9, 200 / 3])


def test_composite_percentile_weighted():
    got = c.composite_percentile(PCT_IDX[["a", "b"]], pd.Series({"a": 3.0, "b": 1.0}))
    # u1: 0.75*0 + 0.25*100/3 = 25/3
    # u2: 0.75*100/3 + 0.25*100/3 = 100/3
    # u4: 0.75*100 + 0.25*0 = 75
    assert got["u1"] == pytest.approx(25 / 3)
    assert got["u2"] == pytest.approx(100 / 3)
    assert got["u4"] == pytest.approx(75.0)


# --- flags ----------------------------------------------------------------------------------------


def test_flag_deprived_boundary_is_inclusive_and_nan_is_not_flagged():
    score = pd.Series([119.99, 120.0, 120.01, np.nan], index=list("wxyz"))
    got = c.flag_deprived(score, 120.0)
    assert got.dtype == bool
    assert got.tolist() == [False, True, True, False]


def test_ratio_exactly_at_threshold_is_flagged():
    idx = pd.DataFrame({"a": [100.0, 100.0], "b": [140.0, 139.0]}, index=["on", "below"])
    # on: (100 + 140) / 2 = 120 -> flagged ; below: (100 + 139) / 2 = 119.5 -> not flagged
    got = c.flag_deprived(c.composite_ratio(idx), c.thresholds()["ratio"])
    assert got.tolist() == [True, False]


def test_percentile_top_quintile_boundary():
    idx = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, index=list("pqrstu"))
    # N = 6 -> (r-1)/5*100 = 0, 20, 40, 60, 80, 100 ; >= 80 flags t and u
    score = c.composite_percentile(idx)
    assert score.tolist() == [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    assert c.flag_deprived(score, c.thresholds()["percentile"]).tolist() == [
        False,
        False,
        False,
        False,
        True,
        True,
    ]


# --- sensitivity ----------------------------------------------------------------------------------

# Every indicator has the same five values, so the order of units is the same on all of them:
#   low1 = 50 < low2 = 60 < city = 100 < mid = 150 < extreme = 300.
# ratio and log scores equal the common index (any weights); percentile: (rank-1)/4*100 on every
# indicator -> low1 0, low2 25, city 50, mid 75, extreme 100.
# Flags: extreme is >= 120 and >= 80 always -> p_flagged 1; city (100 < 120, 50 < 80) -> 0;
# mid is flagged by ratio/log (150 >= 120) but not by percentile (75 < 80).
SENS_IDX = pd.DataFrame(
    {ind: [50.0, 60.0, 100.0, 150.0, 300.0] for ind in INDICATORS},
    index=["low1", "low2", "city", "mid", "extreme"],
)


def test_sensitivity_is_deterministic_for_a_seed():
    first = c.sensitivity(SENS_IDX, n=300, seed=7)
    np.random.seed(1)  # the legacy global generator must play no part
    second = c.sensitivity(SENS_IDX, n=300, seed=7)
    pd.testing.assert_frame_equal(first, second)


def test_sensitivity_extreme_and_city_level_units():
    got = c.sensitivity(SENS_IDX, n=500)
    assert got.loc["extreme", "p_flagged"] == 1.0
    assert got.loc["city", "p_flagged"] == 0.0
    assert 0.0 < got.loc["mid", "p_flagged"] < 1.0
    # the order never changes: ranks are 5, 4, 3, 2, 1 in every draw
    assert got["median_rank"].tolist() == [5.0, 4.0, 3.0, 2.0, 1.0]
    assert got["rank_p05"].tolist() == [5.0, 4.0, 3.0, 2.0, 1.0]
    assert (got["n_draws"] == 500).all()


def test_sensitivity_flag_depends_only_on_construction_for_mid():
    only_pct = c.sensitivity(SENS_IDX, n=100, constructions=("percentile",))
    only_ratio_log = c.sensitivity(SENS_IDX, n=100, constructions=("ratio", "log"))
    assert only_pct.loc["mid", "p_flagged"] == 0.0
    assert only_ratio_log.loc["mid", "p_flagged"] == 1.0


def test_sensitivity_rank_intervals_are_ordered():
    # u_a is 130 on the odd-numbered indicators and 90 on the others, u_b the reverse; u_c (85)
    # and u_d (80) are below both everywhere. Equal weights tie u_a and u_b (ratio: (3*130 +
    # 3*90) / 6 = 110 each; percentile: 130 -> 100, 90 -> 200/3 on every indicator), so the
    # jittered weights and the two leave-one-out sets make them swap ranks 1 and 2 (each about
    # half the draws), while u_c stays 3rd (percentile 100/3) and u_d 4th (percentile 0).
    idx = pd.DataFrame(
        {ind: [130.0, 90.0, 85.0, 80.0] if i % 2 else [90.0, 130.0, 85.0, 80.0] for i, ind in enumerate(INDICATORS)},
        index=["u_a", "u_b", "u_c", "u_d"],
    )
    got = c.sensitivity(idx, n=400)
    assert (got["rank_p05"] <= got["median_rank"]).all()
    assert (got["median_rank"] <= got["rank_p95"]).all()
    assert ((got["rank_p05"] >= 1) & (got["rank_p95"] <= len(idx))).all()
    for unit in ("u_a", "u_b"):
        assert got.loc[unit, "rank_p05"] == 1.0
        assert got.loc[unit, "rank_p95"] == 2.0
    assert got.loc["u_c", ["rank_p05", "median_rank", "rank_p95"]].tolist() == [3.0, 3.0, 3.0]
    assert got.loc["u_d", ["rank_p05", "median_rank", "rank_p95"]].tolist() == [4.0, 4.0, 4.0]


def test_sensitivity_unit_without_data_gets_no_draws():
    idx = SENS_IDX.copy()
    idx.loc["nodata"] = np.nan
    got = c.sensitivity(idx, n=50)
    assert got.loc["nodata", "n_draws"] == 0
    assert math.isnan(got.loc["nodata", "median_rank"])
    assert math.isnan(got.loc["nodata", "p_flagged"])


def test_default_indicator_sets_use_only_present_columns():
    sets = c.default_indicator_sets(INDICATORS)
    assert set(sets) == {"all", "without_non_western", "without_install_deficiency"}
    assert "non_western" not in sets["without_non_western"]
    assert len(sets["without_install_deficiency"]) == 5
    assert c.default_indicator_sets(["low_income", "no_education"]) == {"all": ["low_income", "no_education"]}


def test_sensitivity_rejects_unknown_indicator_set_column():
    with pytest.raises(ValueError, match="unknown columns"):
        c.sensitivity(SENS_IDX, n=10, indicator_sets={"x": ["nope"]})


def test_sensitivity_runtime_at_city_scale():
    # 396 roder x 6 indicators x 2000 draws must stay well under 5 s (values need not be real)
    rng = np.random.default_rng(0)
    idx = pd.DataFrame(rng.lognormal(4.6, 0.4, size=(396, 6)), columns=INDICATORS)
    start = time.perf_counter()
    got = c.sensitivity(idx, n=2000)
    assert time.perf_counter() - start < 5.0
    assert len(got) == 396


# --- Moran ----------------------------------------------------------------------------------------


def grid(values: dict[tuple[int, int], float], size: int = 5) -> gpd.GeoDataFrame:
    """size x size unit squares keyed 'r{row}c{col}', value 0 unless given."""
    cells = [(r, col) for r in range(size) for col in range(size)]
    return gpd.GeoDataFrame(
        {"v": [float(values.get(cell, 0.0)) for cell in cells]},
        geometry=[box(col, -r - 1, col + 1, -r) for r, col in cells],
        index=[f"r{r}c{col}" for r, col in cells],
    )


# 3 x 3 block of 10s in the top-left corner of a 5 x 5 grid of 0s: mean 90/25 = 3.6.
BLOCK = grid({(r, col): 10.0 for r in range(3) for col in range(3)})


@ESDA_ALTERNATIVE
def test_local_moran_block_is_high_high():
    got = spatial.local_moran(BLOCK, "v", permutations=999)
    assert list(got.columns) == ["Is", "p_sim", "quadrant", "significant", "cluster"]
    # Quadrants from the neighbour means (row-standardised queen lag) against the mean 3.6:
    #   r1c1 (block centre): 8 neighbours all 10 -> high/high
    #   r2c2 (block corner): 3 of 8 neighbours are 10 -> 30/8 = 3.75 > 3.6 -> high/high
    #   r0c3: neighbours r0c2, r0c4, r1c2, r1c3, r1c4 -> 2 tens -> 20/5 = 4 > 3.6 -> low/high
    #   r4c4: neighbours r3c3, r3c4, r4c3 all 0 -> low/low
    block_cells = [f"r{r}c{col}" for r in range(3) for col in range(3)]
    assert (got.loc[block_cells, "quadrant"] == "HH").all()
    assert got.loc["r0c3", "quadrant"] == "LH"
    assert got.loc["r4c4", "quadrant"] == "LL"
    # r1c1: a permutation reaches the observed I only if all 8 neighbours drawn from the other 24
    # values are among the 8 tens: 1 / C(24, 8) = 1 / 735471, so p_sim = (0 + 1) / (999 + 1)
    # = 0.001 <= BH bound 1 * 0.05 / 25 = 0.002 -> significant after FDR.
    assert got.loc["r1c1", "p_sim"] == pytest.approx(0.001)
    assert got.loc["r1c1", "significant"]
    assert got.loc["r1c1", "cluster"] == "Høj-høj"
    # r4c4: all 3 neighbours low happens with P = C(15, 3) / C(24, 3) = 455 / 2024 ~ 0.22
    assert got.loc["r4c4", "cluster"] == "Ikke signifikant"
    assert set(got["cluster"]) <= {"Høj-høj", "Lav-lav", "Høj-lav", "Lav-høj", "Ikke signifikant"}
    # every significant unit carries the label of its quadrant
    sig = got[got["significant"]]
    assert (sig["cluster"] == sig["quadrant"].map(spatial.CLUSTER_LABELS)).all()


@ESDA_ALTERNATIVE
def test_local_moran_is_reproducible():
    first = spatial.local_moran(BLOCK, "v", permutations=999, seed=3)
    second = spatial.local_moran(BLOCK, "v", permutations=999, seed=3)
    pd.testing.assert_frame_equal(first, second)


@ESDA_ALTERNATIVE
def test_local_moran_no_data_and_islands():
    gdf = BLOCK.copy()
    gdf.loc["r4c4", "v"] = np.nan
    far = gpd.GeoDataFrame(
        {"v": [5.0, 7.0, np.nan]},
        geometry=[box(20, 20, 21, 21), box(30, 30, 31, 31), box(31, 30, 32, 31)],
        index=["alone", "pair_ok", "pair_nan"],
    )
    gdf = pd.concat([gdf, far])
    got = spatial.local_moran(gdf, "v", permutations=999)
    # NaN rows are dropped before the weights: "Ingen data"
    assert got.loc["r4c4", "cluster"] == "Ingen data"
    assert got.loc["pair_nan", "cluster"] == "Ingen data"
    # 'alone' never had a neighbour; 'pair_ok' lost its only neighbour with the NaN row
    assert got.loc["alone", "cluster"] == "Ingen naboer"
    assert got.loc["pair_ok", "cluster"] == "Ingen naboer"
    assert got.loc[["alone", "pair_ok", "r4c4"], "Is"].isna().all()
    assert not got.loc[["alone", "pair_ok", "r4c4"], "significant"].any()
    # the grid itself is still computed
    assert got.loc["r1c1", "quadrant"] == "HH"
    assert got.drop(index=["alone", "pair_ok", "pair_nan", "r4c4"])["Is"].notna().all()
