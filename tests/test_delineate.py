"""Delineation of the areas from flagged roder (analysis.delineate), on a hand-made grid."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from analysis import delineate
from analysis.reference import Area

TEST_AREA = Area(slug="testby", name="Testby", wave=2012, bydele=(1,), policy_text="")


def test_touching_clusters_row_and_separate_square():
    # a, b, c share edges (x 0-1, 1-2, 2-3); d (x 5-6) touches nothing
    geoms = gpd.GeoSeries(
        [box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1), box(5, 0, 6, 1)],
        index=["a", "b", "c", "d"],
    )
    labels = delineate.touching_clusters(geoms)
    assert list(labels.index) == ["a", "b", "c", "d"]
    assert labels["a"] == labels["b"] == labels["c"]
    assert labels["d"] != labels["a"]
    assert labels.nunique() == 2


def test_touching_clusters_corner_contact_counts_as_touching():
    # squares meeting in the single point (1, 1) touch in the shapely sense: one group
    geoms = gpd.GeoSeries([box(0, 0, 1, 1), box(1, 1, 2, 2)])
    assert delineate.touching_clusters(geoms).nunique() == 1


def test_touching_clusters_empty():
    assert len(delineate.touching_clusters(gpd.GeoSeries([], dtype="geometry"))) == 0


# The grid, 1 km squares, rode numbers:
#
#   y 1-2:   4   5   6
#   y 0-1:   1   2   3
#          x 0-1 1-2 2-3
#
# rode  bydel  composite  residents
#   1     1      150        600      flagged
#   2     1      119.9      900      below the threshold 120 -> out
#   3     1      130       1200      flagged
#   4     1      120        900      flagged (exactly at the threshold: >= 120)
#   5     2      200        800      outside the area's bydele -> out
#   6     1      125       1300      flagged
# With 2 and 5 out, column x 1-2 is empty, so the flagged roder form two clusters:
#   west {1, 4}: 600 + 900 = 1500 residents; east {3, 6}: 1200 + 1300 = 2500 residents.
ROWS = [
    # rode_nr, x, y, bydel, composite, residents
    (1, 0, 0, 1, 150.0, 600),
    (2, 1, 0, 1, 119.9, 900),
    (3, 2, 0, 1, 130.0, 1200),
    (4, 0, 1, 1, 120.0, 900),
    (5, 1, 1, 2, 200.0, 800),
    (6, 2, 1, 1, 125.0, 1300),
]


def _inputs():
    geo = gpd.GeoDataFrame(
        {
            "rode_nr": [r[0] for r in ROWS],
            "rodenavn": [f"Rode {r[0]}" for r in ROWS],
            "geometry": [box(1000 * r[1], 1000 * r[2], 1000 * (r[1] + 1), 1000 * (r[2] + 1)) for r in ROWS],
        },
        crs="EPSG:25832",
    )
    scores = pd.DataFrame(
        {"composite": [r[4] for r in ROWS], "residents": [r[5] for r in ROWS]},
        index=[str(r[0]) for r in ROWS],
    )
    rode_bydel = pd.Series({r[0]: r[3] for r in ROWS})
    return scores, geo, rode_bydel


def test_delineate_threshold_bydele_and_cluster_order():
    scores, geo, rode_bydel = _inputs()
    out = delineate.delineate(scores, geo, rode_bydel, areas=[TEST_AREA], threshold=120, min_cluster_residents=1000)
    assert list(out.columns) == delineate.MEMBER_COLUMNS
    # rode 2 (119.9 < 120) and rode 5 (bydel 2) are excluded
    assert out["rode_nr"].tolist() == [1, 3, 4, 6]
    assert (out["slug"] == "testby").all()
    assert (out["bydel_nr"] == 1).all()
    # clusters numbered by size: east {3, 6} has 2500 residents -> 1; west {1, 4} has 1500 -> 2
    assert dict(zip(out["rode_nr"], out["cluster"], strict=True)) == {1: 2, 3: 1, 4: 2, 6: 1}
    assert out.set_index("rode_nr").loc[4, "composite"] == 120.0
    assert out.set_index("rode_nr").loc[3, "residents"] == 1200
    assert out.set_index("rode_nr").loc[1, "rodenavn"] == "Rode 1"


def test_delineate_drops_small_cluster():
    scores, geo, rode_bydel = _inputs()
    # minimum 2500: east (2500, exactly at the minimum) stays, west (1500) is dropped
    out = delineate.delineate(scores, geo, rode_bydel, areas=[TEST_AREA], threshold=120, min_cluster_residents=2500)
    assert out["rode_nr"].tolist() == [3, 6]
    assert out["cluster"].tolist() == [1, 1]
    # minimum 2501: both clusters are too small, the area has no roder
    out = delineate.delineate(scores, geo, rode_bydel, areas=[TEST_AREA], threshold=120, min_cluster_residents=2501)
    assert out.empty
    assert list(out.columns) == delineate.MEMBER_COLUMNS


def test_delineate_each_area_only_takes_its_own_bydele():
    scores, geo, rode_bydel = _inputs()
    other = Area(slug="andetby", name="Andetby", wave=2013, bydele=(2,), policy_text="")
    out = delineate.delineate(
        scores, geo, rode_bydel, areas=[TEST_AREA, other], threshold=120, min_cluster_residents=500
    )
    # andetby (bydel 2) gets rode 5 only (800 residents >= 500); sorted by slug then rode_nr
    assert list(zip(out["slug"], out["rode_nr"], strict=True)) == [
        ("andetby", 5),
        ("testby", 1),
        ("testby", 3),
        ("testby", 4),
        ("testby", 6),
    ]
    assert out.set_index("slug").loc["andetby", "cluster"] == 1


def test_delineate_higher_threshold_leaves_non_touching_roder():
    scores, geo, rode_bydel = _inputs()
    # threshold 126: only roder 1 (150) and 3 (130) are flagged; they do not touch
    # (x 0-1 and x 2-3), so they are two clusters: 3 (1200) -> 1, 1 (600) -> 2
    out = delineate.delineate(scores, geo, rode_bydel, areas=[TEST_AREA], threshold=126, min_cluster_residents=0)
    assert dict(zip(out["rode_nr"], out["cluster"], strict=True)) == {1: 2, 3: 1}


@pytest.mark.parametrize("order", [[0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0]])
def test_delineate_does_not_depend_on_row_order(order):
    scores, geo, rode_bydel = _inputs()
    geo = geo.iloc[order].reset_index(drop=True)
    out = delineate.delineate(scores, geo, rode_bydel, areas=[TEST_AREA], threshold=120, min_cluster_residents=1000)
    assert dict(zip(out["rode_nr"], out["cluster"], strict=True)) == {1: 2, 3: 1, 4: 2, 6: 1}
