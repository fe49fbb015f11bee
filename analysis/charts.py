"""Charts and maps for the book: Danish labels and numbers, colour-blind-safe colours.

Every function draws on a new figure and returns it with the numbers it plots as a tidy table
(``fig.data``: Danish headers with units, a hidden value as an empty cell with the reason beside
it); :func:`analysis.display.figure` saves both, with alt text and a caption that names the source
(``fig.source``) and links the data. Figures are WIDTH inches wide at DPI
and every text is at least MIN_FONT points, so that on a 390 px phone, where the image is shrunk to
the column (about 342 px), no text is smaller than 11 px; on a desktop they are shown at their own
size.

One module of a little over 400 lines: the charts share the palette, the sizes, the map helpers and
the table each one carries, and a reviewer reads them side by side.
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

from . import disclosure, fmt  # noqa: E402

DPI = 110
WIDTH = 5.0  # inches: 550 px
MIN_FONT = 12.5  # points: 12.5 pt = 19.1 px at 110 dpi, 11.9 px on screen at 342/550

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
AREA, REST, CITY, ACCENT = "#D55E00", "#0072B2", "#555555", "#009E73"
GROUP_STYLE = {
    "area": {"color": AREA, "label": "Området", "lw": 2.6, "ls": "-"},
    "rest": {"color": REST, "label": "Resten af byen", "lw": 2.0, "ls": "--"},
    "city": {"color": CITY, "label": "Hele København", "lw": 1.6, "ls": ":"},
}
INDEX_BINS = [0, 80, 100, 120, 150, 200, np.inf]
INDEX_LABELS = ["under 80", "80–100", "100–120", "120–150", "150–200", "200 og derover"]
INDEX_COLOURS = ["#f7f7f7", "#fee6ce", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"]
SOURCE = "Kilde: Københavns Kommune, åbne data (socioøkonomiske nøgletal); egne beregninger."
SOURCE_MAP = "Kilde: Københavns Kommune, åbne data (rodegrænser 2014); afgrænsning: egne beregninger."
SOURCE_INCOME = "Kilde: Københavns Kommunes Statistikbank, tabel IN74; egne beregninger."

plt.rcParams.update(
    {
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "font.size": MIN_FONT,
        "axes.titlesize": MIN_FONT + 1,
        "axes.labelsize": MIN_FONT,
        "xtick.labelsize": MIN_FONT,
        "ytick.labelsize": MIN_FONT,
        "legend.fontsize": MIN_FONT,
        "legend.title_fontsize": MIN_FONT,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titleweight": "bold",
        "svg.hashsalt": "udsatte",
        "legend.frameon": False,
    }
)


def _figure(height: float, source: str = SOURCE, **kw):
    fig, ax = plt.subplots(figsize=(WIDTH, height), layout="constrained", **kw)
    fig.source = source
    # geopandas asks for a redraw after each layer: a whole draw of the map each time (0.1 s);
    # the figure is drawn once, when it is saved
    fig.canvas.draw_idle = lambda *args, **kwargs: None
    return fig, ax


NO_NUMBER = "Bemærkning"  # the column that says why a value is empty


def _no_number_reason(roder: pd.DataFrame, has: pd.Series, hidden: pd.Series | None = None) -> pd.Series:
    """Why a rode is grey ("ingen tal") on a map: too few residents, withheld by disclosure control
    (as in the open data), else no figure in the source."""
    few = roder["residents"].fillna(0) < disclosure.MIN_RESIDENTS
    reason = np.where(few, "ingen tal: " + disclosure.REASON_FEW_RESIDENTS, "ingen tal i kilden")
    if hidden is not None:
        reason = np.where(~few & hidden, "ingen tal: " + disclosure.REASON_HIDDEN, reason)
    return pd.Series(np.where(has, "", reason), index=roder.index)


def _rode_table(roder: gpd.GeoDataFrame, values: dict, has: pd.Series, outline=None, hidden=None) -> pd.DataFrame:
    """One row per rode on a map: number, name, the plotted values, inside the outline, reason."""
    table = pd.DataFrame({"Rodenummer": roder["rode_nr"], "Rodenavn": roder["rodenavn"], **values})
    if outline is not None:
        inside = roder.geometry.representative_point().within(outline.union_all())
        table["Inden for områdegrænsen (sort linje)"] = np.where(inside, "ja", "nej")
    table[NO_NUMBER] = _no_number_reason(roder, has, hidden)
    return table.sort_values("Rodenummer").reset_index(drop=True)


def scale_bar(ax, length_m: float = 2000) -> None:
    """A plain scale bar for maps in a metric CRS (EPSG:25832)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x, y = x0 + 0.05 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    ax.plot([x, x + length_m], [y, y], color="black", lw=3, solid_capstyle="butt")
    ax.text(x + length_m / 2, y + 0.015 * (y1 - y0), f"{fmt.number(length_m / 1000)} km", ha="center", va="bottom")


def _map_axes(height: float = 5.0, source: str = SOURCE):
    fig, ax = _figure(height, source)
    ax.set_axis_off()
    ax.set_aspect("equal")
    return fig, ax


def _zoom(ax, bounds, share: float = 0.15, extra: float = 0.0) -> None:
    xmin, ymin, xmax, ymax = bounds
    pad = share * max(xmax - xmin, ymax - ymin) + extra
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)


def index_map(
    roder: gpd.GeoDataFrame,
    column: str,
    title: str,
    outline: gpd.GeoDataFrame | None = None,
    bydele: gpd.GeoDataFrame | None = None,
    focus: gpd.GeoDataFrame | None = None,
    hidden: pd.Series | None = None,
):
    """Choropleth of an index (city = 100) in fixed classes; grey = no data, too few residents, or
    (``hidden``, a mask of roder) a value the open data withhold by disclosure control."""
    fig, ax = _map_axes(7.6)
    cmap = ListedColormap(INDEX_COLOURS)
    norm = BoundaryNorm(INDEX_BINS[:-1] + [1e9], cmap.N)
    hidden = pd.Series(False, index=roder.index) if hidden is None else hidden.reindex(roder.index, fill_value=False)
    has = roder[column].notna() & ~hidden
    roder[~has].plot(ax=ax, color="#d9d9d9", edgecolor="white", linewidth=0.3, hatch="///")
    roder[has].plot(ax=ax, column=column, cmap=cmap, norm=norm, edgecolor="white", linewidth=0.3)
    if bydele is not None:
        bydele.boundary.plot(ax=ax, color="#333333", linewidth=0.6)
    if outline is not None:
        outline.boundary.plot(ax=ax, color="black", linewidth=1.8)
    if focus is not None:
        _zoom(ax, focus.total_bounds)
    handles = [
        Patch(facecolor=c, edgecolor="#999999", label=lab) for c, lab in zip(INDEX_COLOURS, INDEX_LABELS, strict=True)
    ]
    handles.append(Patch(facecolor="#d9d9d9", hatch="///", edgecolor="#999999", label="ingen tal"))
    if outline is not None:
        handles.append(Line2D([], [], color="black", lw=1.8, label="grænse"))
    fig.legend(handles=handles, title="Indeks (København = 100)", loc="outside lower center", ncol=2)
    ax.set_title(title, loc="left")
    scale_bar(ax)
    # the map shows a class, not the index: the data says the same (exact values are in indicators.csv,
    # after disclosure control)
    classes = pd.cut(roder[column], INDEX_BINS, right=False, labels=INDEX_LABELS).astype(object)
    values = {f"{title}: klasse (København = 100)": classes.where(has, None)}
    fig.data = _rode_table(roder, values, has, outline, hidden)
    return fig


def locator_map(
    bydele: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    highlight: list[str] | None = None,
    roder: gpd.GeoDataFrame | None = None,
    label_bydele: bool = True,
    labels: tuple[str, str] = ("Området (dets roder)", "De andre udsatte byområder"),
    focus: bool = False,
):
    """The city with the six areas; the highlighted ones in orange (with their roder, if given),
    the others in light blue. focus: zoom to the highlighted areas with a margin."""
    fig, ax = _map_axes(6.2, SOURCE_MAP)
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
        _zoom(ax, areas[areas["slug"].isin(highlight)].total_bounds, 0.25, 500)
    if label_bydele:
        xlim, ylim = ax.get_xlim(), ax.get_ylim()
        for _, b in bydele.iterrows():
            p = b.geometry.representative_point()
            if xlim[0] < p.x < xlim[1] and ylim[0] < p.y < ylim[1]:
                ax.annotate(b["navn"].replace("-", "-\n"), (p.x, p.y), ha="center", va="center", color="#222222")
    fig.legend(handles=handles, loc="outside lower center", ncol=1)
    scale_bar(ax)
    fig.data = _locator_table(areas, highlight, roder, handles)
    return fig


def _locator_table(areas, highlight, roder, handles) -> pd.DataFrame:
    """What a locator map marks: each area with its legend entry, or, given roder, the highlighted
    area's roder one by one."""
    mark = pd.Series(handles[0].get_label(), index=areas.index)
    if highlight is not None:
        mark = mark.where(areas["slug"].isin(highlight), handles[1].get_label())
    rows = pd.DataFrame({"Område": areas["name"], "Rodenummer": None, "Rodenavn": None, "Markering": mark})
    if roder is not None and highlight:
        mine = areas[areas["slug"].isin(highlight)]
        points = roder.geometry.representative_point()
        parts = [
            pd.DataFrame(
                {"Område": a["name"], "Rodenummer": r["rode_nr"], "Rodenavn": r["rodenavn"], "Markering": mark[i]}
            )
            for i, a in mine.iterrows()
            for r in [roder[points.within(a.geometry)].sort_values("rode_nr")]
        ]
        rows = pd.concat([*parts, rows[~areas["slug"].isin(highlight)]], ignore_index=True)
    return rows.astype({"Rodenummer": "Int64"}).reset_index(drop=True)


def trend_panel(series: pd.DataFrame, indicators: list[tuple[str, str]], target_lines: dict[str, float] | None = None):
    """Small multiples stacked in one column, one indicator per panel: area, rest of the city and
    city over the years, with the area's 95 % interval as a band (columns ci_low/ci_high)."""
    n = len(indicators)
    fig, axes = plt.subplots(n, 1, figsize=(WIDTH, 2.5 * n + 1.2), layout="constrained", squeeze=False)
    fig.source = SOURCE
    target_lines = target_lines or {}
    years = sorted(series["year"].unique())
    for ax, (key, title) in zip(axes.flat, indicators, strict=True):
        data = series[series["indicator"] == key]
        for group, style in GROUP_STYLE.items():
            g = data[data["group"] == group].sort_values("year")
            ax.plot(g["year"], g["rate"], color=style["color"], lw=style["lw"], ls=style["ls"], marker="o", ms=3)
            if group == "area" and {"ci_low", "ci_high"} <= set(g.columns):
                ax.fill_between(g["year"], g["ci_low"], g["ci_high"], color=AREA, alpha=0.18, lw=0)
        if key in target_lines:
            ax.axhline(target_lines[key], color=ACCENT, lw=1.2, ls="-.")
        ax.set_title(title, loc="left")
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 5, 10], integer=True))
        ax.yaxis.set_major_formatter(fmt.mpl_formatter(0, " %"))
        ax.set_xticks(years[::2])
        ax.set_xlim(min(years) - 0.3, max(years) + 0.3)
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    handles = [Line2D([], [], color=s["color"], lw=s["lw"], ls=s["ls"], label=s["label"]) for s in GROUP_STYLE.values()]
    handles.append(Patch(facecolor=AREA, alpha=0.18, label="95 %-interval"))
    fig.legend(handles=handles, loc="outside upper center", ncol=2)
    fig.data = _trend_table(series, indicators, target_lines)
    return fig


def _trend_table(series: pd.DataFrame, indicators: list[tuple[str, str]], target_lines: dict) -> pd.DataFrame:
    titles, groups = dict(indicators), {g: s["label"] for g, s in GROUP_STYLE.items()}
    data = series[series["indicator"].isin(titles) & series["group"].isin(groups)]
    table = pd.DataFrame(
        {
            "Indikator": data["indicator"].map(titles),
            "Gruppe": data["group"].map(groups),
            "År": data["year"],
            "Andel (%)": data["rate"],
            "95 %-interval, nedre (%)": data.get("ci_low"),
            "95 %-interval, øvre (%)": data.get("ci_high"),
        }
    )
    if target_lines:
        table["Mål (%)"] = data["indicator"].map(target_lines)
    order = {"indicator": [k for k, _ in indicators], "group": list(groups)}
    key = data["indicator"].map(order["indicator"].index) * 10 + data["group"].map(order["group"].index)
    return table.assign(_key=key).sort_values(["_key", "År"]).drop(columns="_key").reset_index(drop=True)


def index_bars(table: pd.DataFrame, title: str):
    """Horizontal bars of indices (city = 100), one row per indicator, sorted as given; labels above
    the bars so long names need no margin."""
    fig, ax = _figure(0.9 * len(table) + 1.4)
    y = np.arange(len(table))
    colours = [AREA if v >= 100 else REST for v in table["index"]]
    ax.barh(y, table["index"], color=colours, height=0.45)
    ax.axvline(100, color="black", lw=1)
    for i, (label, v) in enumerate(zip(table["label"], table["index"], strict=True)):
        ax.text(0, i - 0.3, label, va="bottom", ha="left")
        ax.text(v + 3, i, fmt.index(v), va="center")
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.invert_yaxis()
    ax.set_ylim(len(table) - 0.5, -0.9)
    ax.set_xlabel("Indeks (København = 100)")
    ax.xaxis.set_major_formatter(fmt.mpl_formatter(0))
    ax.set_xlim(0, max(130, float(table["index"].max()) * 1.18))
    ax.set_title(title, loc="left", wrap=True)
    fig.data = pd.DataFrame({"Indikator": table["label"], "Indeks (København = 100)": table["index"]})
    return fig


def rank_intervals(table: pd.DataFrame, title: str):
    """Median rank with its 5–95 % interval per rode (sensitivity analysis)."""
    t = table.sort_values("median_rank")
    fig, ax = _figure(0.36 * len(t) + 1.6)
    y = np.arange(len(t))
    ax.hlines(y, t["rank_p05"], t["rank_p95"], color=REST, lw=2)
    ax.plot(t["median_rank"], y, "o", color=AREA, ms=5)
    ax.set_yticks(y, t["rodenavn"])
    ax.invert_yaxis()
    ax.set_xlabel("Rang blandt roderne (1 = mest udsat)")
    ax.xaxis.set_major_formatter(fmt.mpl_formatter(0))
    ax.set_title(title, loc="left")
    fig.data = pd.DataFrame(
        {
            "Rodenummer": t["rode_nr"],
            "Rodenavn": t["rodenavn"],
            "Medianrang (1 = mest udsat)": t["median_rank"],
            "Rang, 5 %-fraktil": t["rank_p05"],
            "Rang, 95 %-fraktil": t["rank_p95"],
        }
    )
    return fig


TREND_COLOURS = {"faldet": AREA, "steget": REST, "ingen klar ændring": "#777777"}


def spread_labels(values: list[float], gap: float, lines: list[int] | None = None) -> list[float]:
    """Label positions as close to ``values`` as possible, with neighbouring centres at least
    gap × (mean of their line counts) apart, in the order of the values."""
    lines = lines or [1] * len(values)
    order = np.argsort(values)
    want = np.array(values, dtype=float)[order]
    need = [gap * (lines[order[i - 1]] + lines[order[i]]) / 2 for i in range(1, len(want))]

    def push(start):
        out = start.copy()
        for i in range(1, len(out)):
            out[i] = max(out[i], out[i - 1] + need[i - 1])
        return out

    placed = push(want)
    placed = push(placed - (placed - want).mean())  # centre the block on the lines again
    result = np.empty_like(placed)
    result[order] = placed
    return result.tolist()


def income_relative(income: pd.DataFrame, verdict: dict[int, str], names: dict[int, str], window: tuple[int, int]):
    """Mean disposable income per bydel relative to the city (city = 100), coloured by the verdict
    of the trend test over `window` (first year, policy year): fallen / risen / no clear change.
    Line labels are spread so that none overlaps another."""
    y0, y1 = window
    fig, ax = _figure(7.0, SOURCE_INCOME)
    last = income.sort_values("year").groupby("bydel_nr").tail(1)
    lo, hi = income["relative"].min(), income["relative"].max()
    labels = [names.get(nr, "").replace("-", "-\n") for nr in last["bydel_nr"]]
    line_px = MIN_FONT * DPI / 72 * 1.3
    spots = spread_labels(
        last["relative"].tolist(), gap=(hi - lo) * 1.4 * line_px / 560, lines=[t.count("\n") + 1 for t in labels]
    )
    for nr, g in income.groupby("bydel_nr"):
        colour = TREND_COLOURS[verdict.get(nr, "ingen klar ændring")]
        g = g.sort_values("year")
        ax.plot(g["year"], g["relative"], color=colour, lw=2 if colour != "#777777" else 1.2)
    for (_, end), spot, label in zip(last.iterrows(), spots, labels, strict=True):
        colour = TREND_COLOURS[verdict.get(end["bydel_nr"], "ingen klar ændring")]
        ax.annotate(
            label,
            (end["year"], end["relative"]),
            xytext=(end["year"] + 0.6, spot),
            va="center",
            color=colour,
            arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.6},
        )
    handles = [Line2D([], [], color=c, lw=2, label=f"{k} {y0}–{y1}") for k, c in TREND_COLOURS.items()]
    fig.legend(handles=handles, title="Relativ indkomst", loc="outside lower center", ncol=1)
    ax.axhline(100, color="black", lw=0.8)
    ax.axvline(y1, color=ACCENT, lw=1, ls="-.")
    ax.set_ylabel("Indeks (København = 100)")
    ax.yaxis.set_major_formatter(fmt.mpl_formatter(0))
    ax.set_xticks(range(int(income["year"].min()), int(income["year"].max()) + 1, 4))
    ax.set_xlim(income["year"].min(), income["year"].max() + 9)
    ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    data = income.sort_values(["bydel_nr", "year"])
    fig.data = pd.DataFrame(
        {
            "Bydel": data["bydel_nr"].map(names),
            "År": data["year"],
            "Gennemsnitlig disponibel indkomst, indeks (København = 100)": data["relative"],
            f"Relativ indkomst {y0}–{y1}": data["bydel_nr"].map(lambda nr: verdict.get(nr, "ingen klar ændring")),
        }
    )
    return fig


def probability_map(roder: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, column: str = "p_flagged"):
    """Share of sensitivity draws in which each rode is flagged (0–1), with the six areas outlined."""
    fig, ax = _map_axes(6.4)
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
        legend_kwds={
            "label": "Sandsynlighed for at blive udpeget",
            "orientation": "horizontal",
            "shrink": 0.8,
            "format": fmt.mpl_formatter(1),
        },
    )
    areas.boundary.plot(ax=ax, color="black", linewidth=1.2)
    scale_bar(ax)
    values = {"Udpeget i (% af beregningerne)": 100 * roder[column]}
    fig.data = _rode_table(roder, values, has, areas)
    return fig


# --- the follow-up 2011-2025 (analysis.outcome_pages) ---------------------------------------------

SOURCE_KVARTER = (
    "Kilde: Københavns Kommune, åbne data (roder 2008–2014) og Statistikbanken pr. kvarter "
    "(KKIND4, KKUDD1; 2016–2025); egne beregninger."
)
BEFORE_STYLE = {"color": AREA, "lw": 2.4, "ls": "-", "marker": "o", "ms": 3}
AFTER_STYLE = {"color": REST, "lw": 2.4, "ls": "--", "marker": "s", "ms": 3}


def gap_break(panels: list[dict], title: str):
    """The area's disadvantage before and after the break between the two sources, one panel per
    theme stacked in one column. Each panel dict: title, before and after (tidy frames year, value),
    before_label, after_label, unit. Positive = the area is worse off than its comparator. The two
    series are never joined: a grey band marks the years between them (2015), labelled "brud"."""
    n = len(panels)
    fig, axes = plt.subplots(n, 1, figsize=(WIDTH, 2.9 * n + 1.4), layout="constrained", squeeze=False)
    fig.source = SOURCE_KVARTER
    rows = []
    for ax, p in zip(axes.flat, panels, strict=True):
        b, a = p["before"].sort_values("year"), p["after"].sort_values("year")
        ax.plot(b["year"], b["value"], **BEFORE_STYLE)
        ax.plot(a["year"], a["value"], **AFTER_STYLE)
        ax.axvspan(2014.5, 2015.5, color="#d9d9d9", lw=0)
        ax.text(2015, 0.02, "brud", transform=ax.get_xaxis_transform(), ha="center", va="bottom", rotation=90)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(p["title"], loc="left")
        ax.set_xlim(2007.5, 2025.5)
        ax.set_xticks([2008, 2011, 2014, 2017, 2020, 2023])
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        ax.set_ylabel(p["unit"])
        ax.grid(axis="y", color="#e5e5e5", lw=0.6)
        for label, part in ((p["before_label"], b), (p["after_label"], a)):
            rows += [
                {"Tema": p["title"], "Mål": label, "År": y, p["unit"]: v}
                for y, v in zip(part["year"], part["value"], strict=True)
            ]
    handles = [
        Line2D([], [], color=AREA, lw=2.4, ls="-", label="2008–2014: roder, mod resten af byen"),
        Line2D([], [], color=REST, lw=2.4, ls="--", label="2016–: kvarterer, mod det midterste kvarter"),
    ]
    fig.legend(handles=handles, loc="outside upper center", ncol=1, title=title)
    units = list(dict.fromkeys(p["unit"] for p in panels))
    fig.data = pd.DataFrame(rows, columns=["Tema", "Mål", "År", *units])
    return fig


def kvarter_map(kvarterer: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, mapping: pd.DataFrame, bydele=None):
    """The 67 kvarterer (thin lines), those mapped to an area shaded (hatched when mostly outside
    the area), and the six areas' outlines."""
    fig, ax = _map_axes(
        6.4, "Kilde: Københavns Kommune, kvartergrænser (opendata.dk) og rodegrænser 2014; egne beregninger."
    )
    k = kvarterer.copy()
    k["code"] = k["code"].astype(str)
    inside = set(mapping.loc[~mapping["mostly_outside"], "code"])
    outside = set(mapping.loc[mapping["mostly_outside"], "code"]) - inside
    k.plot(ax=ax, color="#f7f7f7", edgecolor="#999999", linewidth=0.5)
    k[k["code"].isin(inside)].plot(ax=ax, color="#fdd0a2", edgecolor="#999999", linewidth=0.5)
    k[k["code"].isin(outside)].plot(ax=ax, color="#fff5eb", edgecolor="#d94801", linewidth=0.5, hatch="///")
    areas.boundary.plot(ax=ax, color="black", linewidth=1.4)
    handles = [
        Patch(facecolor="#fdd0a2", edgecolor="#999999", label="Kvarter, mest i et område"),
        Patch(facecolor="#fff5eb", edgecolor="#d94801", hatch="///", label="Kvarter, mest uden for området"),
        Line2D([], [], color="black", lw=1.4, label="De seks områders grænse"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=1)
    scale_bar(ax)
    names = kvarterer.assign(code=kvarterer["code"].astype(str)).set_index("code")["name"]
    m = mapping.assign(Kvarter=mapping["code"].astype(str).map(names))
    fig.data = pd.DataFrame(
        {
            "Område": m["area_name"],
            "Kvarter (kode)": m["code"].astype(str),
            "Kvarter": m["Kvarter"],
            "Andel af områdets beboere 2014 (%)": 100 * m["weight"],
            "Andel af kvarterets beboere i området (%)": 100 * m["inside_share"],
            "Vægtgrundlag": m["basis"],
            "Markering": np.where(m["mostly_outside"], handles[1].get_label(), handles[0].get_label()),
        }
    )
    return fig
