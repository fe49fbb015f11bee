"""Charts and maps for the book: Danish labels and numbers, colour-blind-safe colours, sources.

Every function draws on a new figure and returns it; ``report.figure`` saves it with alt text.
"""

from __future__ import annotations

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from . import fmt  # noqa: E402

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
AREA, REST, CITY, ACCENT = "#D55E00", "#0072B2", "#555555", "#009E73"
GROUP_STYLE = {
    "area": {"color": AREA, "label": "Området", "lw": 2.4, "ls": "-"},
    "rest": {"color": REST, "label": "Resten af byen", "lw": 1.8, "ls": "--"},
    "city": {"color": CITY, "label": "Hele København", "lw": 1.4, "ls": ":"},
}
INDEX_BINS = [0, 80, 100, 120, 150, 200, np.inf]
INDEX_LABELS = ["under 80", "80–100", "100–120", "120–150", "150–200", "200 og derover"]
INDEX_COLOURS = ["#f7f7f7", "#fee6ce", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"]
SOURCE = "Kilde: Københavns Kommune, åbne data (socioøkonomiske nøgletal); egne beregninger."

plt.rcParams.update(
    {
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titleweight": "bold",
        "svg.hashsalt": "udsatte",
        "legend.frameon": False,
    }
)


def _source(fig, text: str = SOURCE) -> None:
    """The source line at the bottom, in a strip the layout keeps free of axes and legends."""
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, 0.035, 1, 0.965))
    fig.text(0.01, 0.005, text, fontsize=7.5, color="#444444", ha="left", va="bottom")


def scale_bar(ax, length_m: float = 2000) -> None:
    """A plain scale bar for maps in a metric CRS (EPSG:25832)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x, y = x0 + 0.05 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    ax.plot([x, x + length_m], [y, y], color="black", lw=3, solid_capstyle="butt")
    ax.text(
        x + length_m / 2,
        y + 0.015 * (y1 - y0),
        f"{fmt.number(length_m / 1000)} km",
        ha="center",
        va="bottom",
        fontsize=8,
    )


def _map_axes(figsize=(6.4, 6.4)):
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    ax.set_axis_off()
    ax.set_aspect("equal")
    return fig, ax


def index_map(
    roder: gpd.GeoDataFrame,
    column: str,
    title: str,
    outline: gpd.GeoDataFrame | None = None,
    bydele: gpd.GeoDataFrame | None = None,
    focus: gpd.GeoDataFrame | None = None,
):
    """Choropleth of an index (city = 100) in fixed classes; grey = no data (or too few residents)."""
    fig, ax = _map_axes()
    cmap = ListedColormap(INDEX_COLOURS)
    norm = BoundaryNorm(INDEX_BINS[:-1] + [1e9], cmap.N)
    has = roder[column].notna()
    roder[~has].plot(ax=ax, color="#d9d9d9", edgecolor="white", linewidth=0.3, hatch="///")
    roder[has].plot(ax=ax, column=column, cmap=cmap, norm=norm, edgecolor="white", linewidth=0.3)
    if bydele is not None:
        bydele.boundary.plot(ax=ax, color="#333333", linewidth=0.6)
    if outline is not None:
        outline.boundary.plot(ax=ax, color="black", linewidth=1.8)
    if focus is not None:
        xmin, ymin, xmax, ymax = focus.total_bounds
        pad = 0.15 * max(xmax - xmin, ymax - ymin)
        ax.set_xlim(xmin - pad, xmax + pad)
        ax.set_ylim(ymin - pad, ymax + pad)
    handles = [
        Patch(facecolor=c, edgecolor="#999999", label=lab) for c, lab in zip(INDEX_COLOURS, INDEX_LABELS, strict=True)
    ]
    handles.append(Patch(facecolor="#d9d9d9", hatch="///", edgecolor="#999999", label="ingen data / under 100 beboere"))
    if outline is not None:
        handles.append(Line2D([], [], color="black", lw=1.8, label="områdets grænse"))
    ax.legend(
        handles=handles,
        title="Indeks (København = 100)",
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        title_fontsize=8.5,
    )
    ax.set_title(title, loc="left")
    scale_bar(ax)
    _source(fig)
    return fig


def locator_map(
    bydele: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    highlight: list[str] | None = None,
    roder: gpd.GeoDataFrame | None = None,
    label_bydele: bool = True,
    labels: tuple[str, str] = ("Området (dets roder)", "De fem andre udsatte byområder"),
    focus: bool = False,
):
    """The city with the six areas; the highlighted ones in orange (with their roder, if given),
    the others in light blue. focus: zoom to the highlighted areas with a margin."""
    fig, ax = _map_axes()
    bydele.plot(ax=ax, color="#f0f0f0", edgecolor="#888888", linewidth=0.8)
    if highlight is None:
        areas.plot(ax=ax, color=AREA, edgecolor="#7f2704", linewidth=0.6)
        handles = [Patch(facecolor=AREA, label="De seks udsatte byområder")]
    else:
        mine = areas["slug"].isin(highlight)
        areas[~mine].plot(ax=ax, color="#9ecae1", edgecolor="#3182bd", linewidth=0.6)
        (roder if roder is not None else areas[mine]).plot(ax=ax, color=AREA, edgecolor="white", linewidth=0.5)
        areas[mine].boundary.plot(ax=ax, color="black", linewidth=1.5)
        handles = [Patch(facecolor=AREA, label=labels[0]), Patch(facecolor="#9ecae1", label=labels[1])]
    if focus and highlight:
        x0, y0, x1, y1 = areas[areas["slug"].isin(highlight)].total_bounds
        pad = max(x1 - x0, y1 - y0) * 0.25 + 500
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
    if label_bydele:
        xlim, ylim = ax.get_xlim(), ax.get_ylim()
        for _, b in bydele.iterrows():
            p = b.geometry.representative_point()
            if xlim[0] < p.x < xlim[1] and ylim[0] < p.y < ylim[1]:
                ax.annotate(b["navn"], (p.x, p.y), ha="center", fontsize=8, color="#333333")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.02), fontsize=8, ncol=2)
    scale_bar(ax)
    _source(fig, "Kilde: Københavns Kommune, åbne data (rodegrænser 2014); afgrænsning: egne beregninger.")
    return fig


def trend_panel(
    series: pd.DataFrame,
    indicators: list[tuple[str, str]],
    target_lines: dict[str, float] | None = None,
    ncols: int = 2,
):
    """Small multiples, one indicator per panel: area, rest of city and city over the years.

    series: rows per (indicator, group, year) with rate, and for the area optional ci_low/ci_high
    of the area's rate. indicators: (key, Danish title) in panel order.
    """
    n = len(indicators)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.2, 2.6 * nrows + 0.6), layout="constrained", squeeze=False)
    target_lines = target_lines or {}
    for ax, (key, title) in zip(axes.flat, indicators, strict=False):
        data = series[series["indicator"] == key]
        for group, style in GROUP_STYLE.items():
            g = data[data["group"] == group].sort_values("year")
            ax.plot(g["year"], g["rate"], color=style["color"], lw=style["lw"], ls=style["ls"], marker="o", ms=3)
            if group == "area" and {"ci_low", "ci_high"} <= set(g.columns):
                ax.fill_between(g["year"], g["ci_low"], g["ci_high"], color=AREA, alpha=0.18, lw=0)
        if key in target_lines:
            ax.axhline(target_lines[key], color=ACCENT, lw=1.2, ls="-.")
            ax.annotate("mål 2020", (data["year"].min(), target_lines[key]), fontsize=7.5, color=ACCENT, va="bottom")
        ax.set_title(title, loc="left", fontsize=9.5)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10], integer=True))
        ax.yaxis.set_major_formatter(fmt.mpl_formatter(0, " %"))
        ax.set_xticks(sorted(data["year"].unique()))
        ax.tick_params(axis="x", labelsize=7.5, rotation=45)
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    handles = [Line2D([], [], color=s["color"], lw=s["lw"], ls=s["ls"], label=s["label"]) for s in GROUP_STYLE.values()]
    handles.append(Patch(facecolor=AREA, alpha=0.18, label="95 % konfidensinterval"))
    fig.legend(handles=handles, loc="outside upper center", ncol=2, fontsize=8)
    _source(fig)
    return fig


def index_bars(table: pd.DataFrame, title: str):
    """Horizontal bars of indices (city = 100), one row per indicator, sorted as given."""
    fig, ax = plt.subplots(figsize=(7.2, 0.5 * len(table) + 1.4), layout="constrained")
    colours = [AREA if v >= 100 else REST for v in table["index"]]
    ax.barh(table["label"], table["index"], color=colours)
    ax.axvline(100, color="black", lw=1)
    ax.invert_yaxis()
    for y, v in enumerate(table["index"]):
        ax.text(v + 2, y, fmt.index(v), va="center", fontsize=8.5)
    ax.set_xlabel("Indeks (København = 100)")
    ax.xaxis.set_major_formatter(fmt.mpl_formatter(0))
    ax.set_xlim(0, max(120, float(table["index"].max()) * 1.15))
    ax.set_title(title, loc="left")
    _source(fig)
    return fig


def rank_intervals(table: pd.DataFrame, title: str):
    """Median rank with its 5–95 % interval per rode (sensitivity analysis)."""
    t = table.sort_values("median_rank")
    fig, ax = plt.subplots(figsize=(7.2, 0.28 * len(t) + 1.4), layout="constrained")
    y = np.arange(len(t))
    ax.hlines(y, t["rank_p05"], t["rank_p95"], color=REST, lw=2)
    ax.plot(t["median_rank"], y, "o", color=AREA, ms=4)
    ax.set_yticks(y, t["rodenavn"], fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlabel("Rang blandt byens roder (1 = mest udsat)")
    ax.xaxis.set_major_formatter(fmt.mpl_formatter(0))
    ax.set_title(title, loc="left")
    _source(fig)
    return fig


TREND_COLOURS = {"faldet": AREA, "steget": REST, "ingen klar ændring": "#999999"}


def income_relative(income: pd.DataFrame, verdict: dict[int, str], names: dict[int, str], window: tuple[int, int]):
    """Mean disposable income per bydel relative to the city (city = 100), coloured by the verdict
    of the trend test over `window` (first year, policy year): fallen / risen / no clear change."""
    y0, y1 = window
    fig, ax = plt.subplots(figsize=(7.2, 4.6), layout="constrained")
    for nr, g in income.groupby("bydel_nr"):
        colour = TREND_COLOURS[verdict.get(nr, "ingen klar ændring")]
        g = g.sort_values("year")
        ax.plot(g["year"], g["relative"], color=colour, lw=2 if colour != "#999999" else 1.2)
        last = g.iloc[-1]
        ax.annotate(
            names.get(nr, str(nr)),
            (last["year"], last["relative"]),
            fontsize=7,
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            color=colour,
        )
    handles = [
        Line2D([], [], color=c, lw=2, label=f"Relativ indkomst {y0}–{y1}: {k}") for k, c in TREND_COLOURS.items()
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=7.5)
    ax.axhline(100, color="black", lw=0.8)
    ax.axvline(y1, color=ACCENT, lw=1, ls="-.")
    ax.annotate(
        "politikken vedtages", (y1, ax.get_ylim()[1]), fontsize=7.5, color=ACCENT, va="top", ha="right", rotation=90
    )
    ax.set_ylabel("Gennemsnitlig disponibel indkomst,\nindeks (København = 100)")
    ax.yaxis.set_major_formatter(fmt.mpl_formatter(0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years: no thousands separator
    ax.set_xlim(income["year"].min(), income["year"].max() + 3.5)
    ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    _source(fig, "Kilde: Københavns Kommunes Statistikbank, tabel IN74; egne beregninger.")
    return fig


def probability_map(roder: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, column: str = "p_flagged"):
    """Share of sensitivity draws in which each rode is flagged (0–1), with the six areas outlined."""
    fig, ax = _map_axes()
    has = roder[column].notna()
    roder[~has].plot(ax=ax, color="#d9d9d9", edgecolor="white", linewidth=0.3, hatch="///")
    roder[has].plot(
        ax=ax,
        column=column,
        cmap="cividis_r",
        vmin=0,
        vmax=1,
        edgecolor="white",
        linewidth=0.3,
        legend=True,
        legend_kwds={"label": "Sandsynlighed for at blive udpeget", "shrink": 0.6, "format": fmt.mpl_formatter(1)},
    )
    areas.boundary.plot(ax=ax, color="black", linewidth=1.2)
    ax.set_title("Sandsynlighed for at blive udpeget som udsat", loc="left")
    scale_bar(ax)
    _source(fig)
    return fig
