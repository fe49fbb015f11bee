"""Charts readable on a phone: every text at least MIN_FONT points (11 px on a 390 px screen),
inside its figure, and line labels that do not overlap; every chart carries the table it plots."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from PIL import Image

from analysis import charts, display, reference, results, trends
from analysis.pages import AreaPage

PHONE_COLUMN_PX = 342  # the article column at 390 px


def _texts(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    hidden = {id(t) for ax in fig.axes if not ax.axison for axis in (ax.xaxis, ax.yaxis) for t in axis.findobj(Text)}
    for ax in fig.axes:  # tick labels outside the view limits are not drawn
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            hidden |= {id(t.label1) for t in axis.get_major_ticks() if not lo - 1e-9 <= t.get_loc() <= hi + 1e-9}
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text().strip() and id(t) not in hidden:
            yield t, t.get_window_extent(renderer)


def check(fig):
    assert len(fig.data) and all(isinstance(c, str) and c for c in fig.data.columns), "no data table (fig.data)"
    width_px = fig.get_figwidth() * fig.dpi
    problems = []
    for t, box in _texts(fig):
        on_phone = t.get_fontsize() * fig.dpi / 72 * min(1, PHONE_COLUMN_PX / width_px)
        if on_phone < 11:
            problems.append(f"{t.get_text()!r}: {on_phone:.1f} px on a phone")
        if box.x0 < -1 or box.y0 < -1 or box.x1 > fig.bbox.width + 1 or box.y1 > fig.bbox.height + 1:
            problems.append(f"{t.get_text()!r} is cut off: {box.bounds} outside {fig.bbox.bounds}")
    plt.close(fig)
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def page(built_site):
    return AreaPage("noerrebro")


def test_area_charts(page):
    res = page.res
    geom = res.areas[res.areas["slug"] == "noerrebro"]
    check(charts.locator_map(res.bydele, res.areas, highlight=["noerrebro"], roder=page.roder, focus=True))
    bars = page.comp.sort_values("index", ascending=False)
    check(charts.index_bars(bars, "Højest: ikke-vestlig herkomst, indeks 233"))
    check(
        charts.index_map(
            res.roder,
            "index_non_western",
            "Ikke-vestlig herkomst, indeks 2010",
            outline=geom,
            bydele=res.bydele,
            focus=geom,
        )
    )
    ts = trends.series_with_interval(res.series, "noerrebro")
    check(charts.trend_panel(ts, [("low_education", "Lav/ingen uddannelse"), ("low_income", "Lav indkomst")]))
    check(charts.rank_intervals(page.members.dropna(subset=["median_rank"]), "Nørrebro: roderne"))


def test_city_charts(built_site):
    res = results.shared()
    check(charts.locator_map(res.bydele, res.areas))
    check(charts.probability_map(res.roder, res.areas))
    rel = trends.relative_income(res.income)
    names = dict(zip(res.bydele["bydel_nr"], res.bydele["navn"], strict=True))
    check(charts.income_relative(rel, {}, names, (2000, 2011)))


def test_spread_labels_keeps_a_gap_and_order():
    # 10, 10.5 and 11 with a gap of 1: spread to 9.5, 10.5, 11.5 (centred on the lines' mean 10.5)
    assert charts.spread_labels([10.0, 10.5, 11.0], gap=1.0) == pytest.approx([9.5, 10.5, 11.5])
    # already apart: unchanged
    assert charts.spread_labels([1.0, 5.0], gap=1.0) == pytest.approx([1.0, 5.0])


def test_index_map_greys_a_rode_the_open_data_withhold():
    """A map class is a rate in disguise: a rode whose rate disclosure control withholds gets none."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import box

    roder = gpd.GeoDataFrame(
        {"rode_nr": [1, 2], "rodenavn": ["A", "B"], "residents": [500, 500], "index_x": [150.0, 80.0]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
        crs="EPSG:25832",
    )
    fig = charts.index_map(roder, "index_x", "T", hidden=pd.Series([True, False]))
    table = fig.data.set_index("Rodenummer")
    plt.close(fig)
    assert pd.isna(table.loc[1, "T: klasse (København = 100)"])
    assert "diskretionering" in table.loc[1, charts.NO_NUMBER]
    assert table.loc[2, "T: klasse (København = 100)"] == charts.INDEX_LABELS[1]  # 80 is in the second class
    assert table.loc[2, charts.NO_NUMBER] == ""


def test_hidden_roder_are_those_without_a_rate_in_the_open_data(built_site):
    """The mask the static maps use agrees with the published indicators.csv."""
    import pandas as pd

    res = results.Results()
    published = pd.read_csv(built_site / "data" / "indicators.csv", dtype={"unit_id": str})
    year = reference.delineation().baseline_year
    rows = published[(published["level"] == "rode") & (published["indicator"] == "non_western")]
    rows = rows[rows["year"] == year]
    withheld = set(rows.loc[rows["rate"].isna() & rows["suppressed"], "unit_id"])
    mask = res.hidden_roder("non_western", year)
    assert set(res.roder.loc[mask, "rode_nr"].astype(str)) == withheld
    assert withheld  # the test would be empty otherwise


def test_a_saved_chart_has_the_pixels_of_a_plain_savefig(tmp_path, monkeypatch):
    """save_png lays the figure out once and writes no alpha channel: the pixels must not change."""
    monkeypatch.setattr(display, "FIGURES", tmp_path)
    monkeypatch.setattr(display, "FIGURE_CACHE", tmp_path / "cache")

    def chart():
        fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
        ax.plot([2008, 2014], [10.5, 12.25], label="Området")
        ax.set_title("Lav indkomst", loc="left")
        fig.legend(loc="outside lower center")
        fig.data = pd.DataFrame({"year": [2008, 2014], "rate": [10.5, 12.25]})
        return fig

    display.save_png(chart(), "test")
    chart().savefig(tmp_path / "plain.png", format="png")
    saved, plain = (Image.open(tmp_path / name) for name in ("test.png", "plain.png"))
    assert saved.mode == "RGB" and plain.mode == "RGBA"  # opaque: no alpha channel is written
    assert saved.info["dpi"] == plain.info["dpi"]
    assert np.array_equal(np.asarray(saved), np.asarray(plain.convert("RGB")))
    assert (np.asarray(plain)[..., 3] == 255).all()
