"""Chapter content from the prepared results: tables, generated Danish text and saved figures.

The notebooks call these functions and display what they return; nothing here reads raw files.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown

from . import disclosure, fmt, indicators, paths, reference, targets, trends

FIGURES = paths.FIGURES_DIR


@dataclass
class Results:
    """The prepared, city-wide results (written by pipeline.prepare)."""

    folder: Path = paths.DERIVED

    def _csv(self, name: str, **kw) -> pd.DataFrame:
        return pd.read_csv(self.folder / name, **kw)

    @cached_property
    def series(self) -> pd.DataFrame:
        return self._csv("area_series.csv")

    @cached_property
    def roder(self) -> gpd.GeoDataFrame:
        return gpd.read_file(self.folder / "roder.geojson")

    @cached_property
    def bydele(self) -> gpd.GeoDataFrame:
        return gpd.read_file(self.folder / "bydele.geojson")

    @cached_property
    def areas(self) -> gpd.GeoDataFrame:
        return gpd.read_file(self.folder / "areas.geojson")

    @cached_property
    def members(self) -> pd.DataFrame:
        return self._csv("area_members.csv")

    @cached_property
    def estates(self) -> gpd.GeoDataFrame:
        return gpd.read_file(self.folder / "estates.geojson")

    @cached_property
    def renewal(self) -> pd.DataFrame:
        return self._csv("renewal.csv")

    @cached_property
    def income(self) -> pd.DataFrame:
        return self._csv("income_bydel.csv")

    @cached_property
    def notes(self) -> list[str]:
        return json.loads((self.folder / "notes.json").read_text(encoding="utf-8"))

    @cached_property
    def data_key(self) -> str:
        """Checksum of the raw data the results were computed from (written by the build)."""
        return (self.folder / ".raw").read_text()[:12] if (self.folder / ".raw").is_file() else "ukendt"

    @cached_property
    def period(self) -> str:
        """The years the socio-economic panels cover, e.g. "2008–2014"."""
        return period_text(self.series)


# --- display helpers -------------------------------------------------------------------------------


def figure(fig, name: str, alt: str, caption: str) -> Markdown:
    """Save a figure as PNG (stable bytes: no timestamp metadata) and return a MyST figure."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURES / f"{name}.png", metadata={"Software": None})  # layout="constrained" already fits
    plt.close(fig)
    alt = " ".join(alt.split()).replace(":", " –")
    return Markdown(
        f":::{{figure}} /book/chapters/figures/{name}.png\n:alt: {alt}\n:name: fig-{name}\n:width: 100%\n\n"
        f"{caption}\n:::\n"
    )


def table(df: pd.DataFrame, caption: str | None = None) -> HTML:
    """A plain, scrollable HTML table (values already formatted as Danish text)."""
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in df.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>" for r in df.itertuples(index=False)
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return HTML(
        # focusable scroll container (WCAG: keyboard users must be able to scroll a wide table)
        f'<div class="tabel-wrap" tabindex="0" role="region" aria-label="{html.escape(caption or "Tabel")}">'
        f'<table class="tabel">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def downloads(slug: str | None, depth: int) -> str:
    """HTML links to the open-data files in the site's /data folder, relative to a page `depth`
    folders below the site root (so the links work wherever the site is hosted)."""
    up = "../" * depth
    links = []
    if slug:
        links += [(f"omraader/{slug}.csv", "Områdets tal (CSV)"), (f"omraader/{slug}.xlsx", "Områdets tal (Excel)")]
    links += [
        ("indicators.csv", "Alle indikatorer (CSV)"),
        ("areas.geojson", "Områdegrænser (GeoJSON)"),
        ("area_members.csv", "Roder i områderne (CSV)"),
        ("ordbog.csv", "Dataordbog (CSV)"),
    ]
    items = " · ".join(f'<a href="{up}data/{f}" download>{t}</a>' for f, t in links)
    return f'<span class="downloads">Hent data: {items}</span>'


def md(text: str) -> Markdown:
    return Markdown(text)


# --- indicator comparisons -------------------------------------------------------------------------


def rule_text() -> str:
    """The delineation rule in Danish words, from the reference data."""
    r = reference.delineation()
    return (
        f"i {r.baseline_year} lå mindst {fmt.number(r.threshold - 100)} % over byens niveau "
        "på det sammensatte SØK-indeks"
    )


def draws(results: Results) -> str:
    """Number of Monte Carlo draws behind the sensitivity results, as Danish text."""
    return fmt.number(results.roder["n_draws"].max())


def period_text(series: pd.DataFrame) -> str:
    """First–last year with data in a series, e.g. "2008–2014"."""
    years = series.dropna(subset=["rate"])["year"]
    return f"{years.min()}–{years.max()}"


def coverage_note(comp: pd.DataFrame) -> str:
    """Say which indicators stop before the latest year (e.g. income missing in the last year)."""
    last = comp["year"].max()
    short = comp[comp["year"] < last]
    return " ".join(f"{r.label} findes ikke for {last} i kildedata; her vises {r.year}." for r in short.itertuples())


def indicator_name(key: str) -> str:
    return reference.indicator(key).name


def latest_year(series: pd.DataFrame) -> int:
    has = series.dropna(subset=["rate"])
    return int(has["year"].max())


def comparison(results: Results, slug: str) -> pd.DataFrame:
    """The area's latest rate per indicator against the rest of the city and the city."""
    return indicators.area_comparison(results.series, slug)


def comparison_table(comp: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Indikator": comp["label"],
            "Geografi": comp["level"].map({"rode": "området", "bydel": "bydel(e)"}),
            "År": comp["year"].astype(str),
            "Området": comp["area"].map(fmt.percent),
            "Resten af byen": comp["rest"].map(fmt.percent),
            "København": comp["city"].map(fmt.percent),
            "Indeks (Kbh. = 100)": comp["index"].map(fmt.index),
        }
    )


_PROBLEM_SENTENCES = [
    "Størst er forskellen for {label_l}: {area} i området mod {rest} i resten af byen – {ratio_text}.",
    "Dernæst kommer {label_l}, hvor området ligger på {area}, mens resten af byen ligger på {rest}.",
    "For {label_l} er andelen {area}, hvilket svarer til indeks {index} i forhold til hele København.",
    "Også {label_l} ligger over byens niveau ({area} mod {city} for hele byen).",
    "Endelig er andelen med {label_l} højere end i byen som helhed: {area} mod {city}.",
    "Det samme gælder {label_l} med {area} mod {city} i hele byen.",
]


def ratio_text(r: float) -> str:
    """'2,1 gange så høj' or 'en fjerdedel højere' style comparison."""
    if r >= 1.5:
        return f"{fmt.number(r, 1)} gange så højt"
    return f"{fmt.number(100 * (r - 1))} % højere"


def problem_text(comp: pd.DataFrame, bydel_names: list[str]) -> str:
    """Sentences on the indicators where the area lies above the city, largest first; varied
    skeletons so the text does not repeat itself. Bydel-level figures are labelled as such."""
    above = comp[comp["soek"] & (comp["index"] > 105)].sort_values("index", ascending=False)
    if above.empty:
        return "Området ligger ikke markant over byens niveau på nogen af SØK-indikatorerne i det seneste år."
    parts = []
    for i, r in enumerate(above.itertuples()):
        sentence = _PROBLEM_SENTENCES[min(i, len(_PROBLEM_SENTENCES) - 1)].format(
            label_l=r.label.lower(),
            area=fmt.percent(r.area),
            rest=fmt.percent(r.rest),
            city=fmt.percent(r.city),
            index=fmt.index(r.index),
            ratio_text=ratio_text(r.ratio_rest),
        )
        if r.level == "bydel":
            sentence = sentence.rstrip(".") + f" (tal for hele {' og '.join(bydel_names)})."
        parts.append(sentence)
    return " ".join(parts)


def potential_text(comp: pd.DataFrame) -> str:
    """Where the area is at the city level (index 95–105) or better (below 95)."""
    soek = comp[comp["soek"]]
    better = soek[soek["index"] < 95].sort_values("index")
    level = soek[soek["index"].between(95, 105)].sort_values("index")
    out = []
    if not better.empty:
        out.append("Området ligger under byens niveau for " + join_da(_figures(better)) + ".")
    if not level.empty:
        out.append("Det ligger på niveau med byen for " + join_da(_figures(level)) + ".")
    if not out:
        return "Området ligger over byens niveau på alle de SØK-indikatorer, der findes tal for."
    return " ".join(out)


def favourable_trends_text(summary: pd.DataFrame) -> str:
    """Indicators where a disadvantaged area has clearly closed in on the rest of the city."""
    good = summary[summary["soek"] & (summary["trend"] == "narrowing") & ~summary["area_better"]]
    good = good["label"].str.lower().tolist()
    if not good:
        period = f"{summary['y0'].min()}–{summary['y1'].max()}"
        return f"Ingen af indikatorerne viser en klar forbedring i forhold til resten af byen i {period}."
    return f"Udviklingen går den rigtige vej for {join_da(good)}: her er afstanden til resten af byen blevet mindre."


def _figures(rows: pd.DataFrame) -> list[str]:
    return [
        f"{r.label.lower()} ({fmt.percent(r.area)} mod {fmt.percent(r.city)} i hele byen)" for r in rows.itertuples()
    ]


# --- trends ----------------------------------------------------------------------------------------


def gap_table(series: pd.DataFrame, slug: str, level: str, indicator: str) -> pd.DataFrame:
    s = series[(series["slug"] == slug) & (series["level"] == level) & (series["indicator"] == indicator)]
    wide = s.pivot_table(index="year", columns="group", values=["numerator", "denominator"])
    wide = wide.dropna()
    df = pd.DataFrame(
        {
            "year": wide.index,
            "num_area": wide[("numerator", "area")].to_numpy(),
            "den_area": wide[("denominator", "area")].to_numpy(),
            "num_rest": wide[("numerator", "rest")].to_numpy(),
            "den_rest": wide[("denominator", "rest")].to_numpy(),
        }
    )
    return trends.gap_by_year(df) if len(df) else df


def trend_summary(series: pd.DataFrame, slug: str) -> pd.DataFrame:
    """Per indicator: gap first and last year, change with CI, Theil–Sen slope with CI, wording."""
    rows = []
    for ind in reference.indicators():
        level = "rode" if ind.rode_column else "bydel"
        g = gap_table(series, slug, level, ind.key)
        if len(g) < 3:
            continue
        y0, y1 = int(g["year"].min()), int(g["year"].max())
        change = trends.difference_in_change(g, y0, y1)
        since = trends.difference_in_change(g, POLICY_YEAR, y1)  # around the policy's adoption
        slope = trends.theil_sen(g["year"], g["gap_pp"])
        side = np.sign(g["gap_pp"].mean()) or 1.0
        cls = trends.trend_class(slope["low"], slope["high"], higher_is_worse=side > 0)
        rows.append(
            {
                "indicator": ind.key,
                "label": ind.name,
                "level": level,
                "soek": ind.soek,
                "y0": y0,
                "y1": y1,
                "gap0": change["gap_y0"],
                "gap1": change["gap_y1"],
                "delta": change["delta_pp"],
                "delta_low": change["ci_low"],
                "delta_high": change["ci_high"],
                "since": since["delta_pp"],
                "since_low": since["ci_low"],
                "since_high": since["ci_high"],
                "slope": slope["slope"],
                "slope_low": slope["low"],
                "slope_high": slope["high"],
                "trend": cls,
                "area_better": side < 0,
            }
        )
    return pd.DataFrame(rows)


POLICY_YEAR = targets.BASE_YEAR  # the policy was adopted in 2011


def _with_interval(d: float, lo: float, hi: float) -> str:
    return f"{signed(d)} ({fmt.number(lo, 1)} til {fmt.number(hi, 1)})"


def signed(x: float, decimals: int = 1) -> str:
    """'+2,3' / '−0,5': a signed Danish number for tables whose header names the unit."""
    return fmt.pp(x, decimals).replace(" procentpoint", "")


def trend_table(summary: pd.DataFrame) -> pd.DataFrame:
    words = {"widening": "Afstanden er vokset", "narrowing": "Afstanden er mindsket", "unclear": "Ingen klar ændring"}
    return pd.DataFrame(
        {
            "Indikator": summary["label"]
            + np.where(summary["y1"] < summary["y1"].max(), " (til " + summary["y1"].astype(str) + ")", ""),
            "Afstand 2008": summary["gap0"].map(signed),
            "Afstand seneste år": summary["gap1"].map(signed),
            "Ændring 2008 til seneste (95 %-interval)": [
                _with_interval(*v)
                for v in zip(summary["delta"], summary["delta_low"], summary["delta_high"], strict=True)
            ],
            f"Ændring {POLICY_YEAR} til seneste (95 %-interval)": [
                _with_interval(*v)
                for v in zip(summary["since"], summary["since_low"], summary["since_high"], strict=True)
            ],
            "Tendens (Theil–Sen)": summary["trend"].map(words),
        }
    )


def trend_text(summary: pd.DataFrame) -> str:
    """Honest wording: a gap grew or shrank only where the slope interval excludes 0; an area that
    is better off than the rest of the city is described by its lead, not by "the gap". Only the
    SØK indicators: a higher public-housing share is neither better nor worse."""
    summary = summary[summary["soek"]]
    worse, better = summary[~summary["area_better"]], summary[summary["area_better"]]

    def labels(rows, trend):
        return rows[rows["trend"] == trend]["label"].str.lower().tolist()

    out = []
    if grew := labels(worse, "widening"):
        out.append(f"Afstanden til resten af byen er vokset for {join_da(grew)}.")
    if shrank := labels(worse, "narrowing"):
        out.append(f"Den er blevet mindre for {join_da(shrank)}.")
    if lead := labels(better, "widening"):
        out.append(f"For {join_da(lead)} ligger området bedre end resten af byen, og forspringet er vokset.")
    if lost := labels(better, "narrowing"):
        out.append(f"For {join_da(lost)} ligger området bedre end resten af byen, men forspringet er blevet mindre.")
    if unclear := summary[summary["trend"] == "unclear"]["label"].str.lower().tolist():
        out.append(
            f"For {join_da(unclear)} viser tallene ingen klar ændring: usikkerheden er så stor, at afstanden "
            "både kan være vokset og mindsket."
        )
    return " ".join(out)


def join_da(items: list[str]) -> str:
    """ "a", "a og b", "a, b og c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1]


def trend_series(series: pd.DataFrame, slug: str) -> pd.DataFrame:
    """Long series for the trend chart, with the area's 95 % Wilson interval per year."""
    from statsmodels.stats.proportion import proportion_confint

    frames = []
    for ind in reference.indicators():
        level = "rode" if ind.rode_column else "bydel"
        s = (
            series[(series["slug"] == slug) & (series["level"] == level) & (series["indicator"] == ind.key)]
            .dropna(subset=["rate"])
            .copy()
        )
        area = s["group"] == "area"
        lo, hi = proportion_confint(
            s.loc[area, "numerator"].round(), s.loc[area, "denominator"].round(), method="wilson"
        )
        s.loc[area, "ci_low"], s.loc[area, "ci_high"] = 100 * lo, 100 * hi
        frames.append(s)
    return pd.concat(frames, ignore_index=True)


# --- targets ---------------------------------------------------------------------------------------


def target_status(series: pd.DataFrame, slug: str) -> pd.DataFrame:
    """Each 2020 target: what open data measures it, baseline (2011), latest, status."""
    rows = []
    pol = reference.policy()
    for t in pol.targets:
        row = {
            "goal_key": t.goal,
            "goal": pol.goals[t.goal]["name"],
            "target": t.text,
            "measured_by": t.measured_by,
            "tools": "; ".join(t.tools),
            "baseline": np.nan,
            "latest": np.nan,
            "latest_year": None,
            "status": "grey",
            "note": "",
        }
        if t.indicator is None:
            row["status"] = "no-data"  # the "Måles ved" column names the source that has the data
            rows.append(row)
            continue
        ind = reference.indicator(t.indicator)
        level = "rode" if ind.rode_column else "bydel"
        s = series[(series["slug"] == slug) & (series["level"] == level) & (series["indicator"] == t.indicator)].dropna(
            subset=["rate"]
        )
        area = s[s["group"] == "area"].set_index("year")["rate"]
        city = s[s["group"] == "city"].set_index("year")["rate"]
        year = int(area.index.max())
        row.update(baseline=area.get(targets.BASE_YEAR, np.nan), latest=area[year], latest_year=year, note=t.proxy_note)
        if t.type == "moving" and not t.proxy:
            prog = targets.moving_target_progress(
                area[targets.BASE_YEAR] - city[targets.BASE_YEAR], area[year] - city[year], year_now=year
            )
            row["status"] = targets.status_from_ratio(prog["ratio"])
        elif t.type == "moving":
            # proxy at bydel level: progress is shown, the colour says it is not the area itself
            prog = targets.moving_target_progress(
                area[targets.BASE_YEAR] - city[targets.BASE_YEAR], area[year] - city[year], year_now=year
            )
            row["status"] = targets.status_from_ratio(prog["ratio"])
            row["note"] += (
                f" Andel af afstanden lukket siden 2011: {fmt.number(100 * prog['closed'])} %"
                f" (krævet: {fmt.number(100 * prog['required'])} %)."
            )
        elif t.type == "floor":
            # a city-wide target: judged on the city's share; the area's bydele are context
            row.update(baseline=city.get(targets.BASE_YEAR, np.nan), latest=city[year])
            row["status"] = targets.floor_target_status(city[year], floor=t.floor)
            row["note"] += f" Områdets bydel(e) har {fmt.percent(area[year])} i {year}."
        elif t.type == "fixed":
            row["status"] = "grey"
        rows.append(row)
    out = pd.DataFrame(rows)
    has_note = out["note"] != ""
    out["ref"] = np.where(has_note, has_note.cumsum(), np.nan)  # footnote numbers, in table order
    return out


def target_table(status: pd.DataFrame) -> pd.DataFrame:
    """Compact table of one goal's targets; notes are numbered and shown below it."""
    refs = [f" [{int(r)}]" if r == r else "" for r in status["ref"]]
    return pd.DataFrame(
        {
            "Konkret mål 2020": status["target"].to_numpy(),
            "Måles ved": status["measured_by"].to_numpy(),
            "2011": status["baseline"].map(fmt.percent).to_numpy(),
            "Seneste": [
                f"{fmt.percent(v)} ({int(y)})" if pd.notna(y) else fmt.MISSING
                for v, y in zip(status["latest"], status["latest_year"], strict=True)
            ],
            "Status": [targets.STATUS_LABELS_DA[s] + r for s, r in zip(status["status"], refs, strict=True)],
        }
    )


def target_notes(status: pd.DataFrame) -> str:
    rows = status[status["note"] != ""]
    return "  \n".join(f"[{int(r)}] {note}" for r, note in zip(rows["ref"], rows["note"], strict=True))


def goal_tools(goal_key: str) -> str:
    """The policy's example tools for a goal's targets, without repeats."""
    tools = dict.fromkeys(tool for t in reference.policy().targets if t.goal == goal_key for tool in t.tools)
    return "**Redskaber (eksempler fra politikken):** " + "; ".join(tools) + "."


# --- suppression -----------------------------------------------------------------------------------


def member_table(results: Results, slug: str) -> pd.DataFrame:
    """The area's roder with residents (2010) and composite, through disclosure control."""
    m = results.members[results.members["slug"] == slug]
    r = results.roder.set_index("rode_nr")
    t = pd.DataFrame(
        {
            "rode_nr": m["rode_nr"].to_numpy(),
            "rodenavn": m["rodenavn"].to_numpy(),
            "residents": m["residents"].to_numpy(),
            "composite": m["composite"].to_numpy(),
            "p_flagged": r.loc[m["rode_nr"], "p_flagged"].to_numpy(),
            "median_rank": r.loc[m["rode_nr"], "median_rank"].to_numpy(),
            "rank_p05": r.loc[m["rode_nr"], "rank_p05"].to_numpy(),
            "rank_p95": r.loc[m["rode_nr"], "rank_p95"].to_numpy(),
        }
    )
    return disclosure.suppress(t, count_cols=(), rate_cols=("composite",))


# --- city level ------------------------------------------------------------------------------------

# The policy's own figures ("Byens udsatte byområder – i tal"): persons in the six areas per
# persons in the rest of the city, for the same population size.
POLICY_RATIOS = {"low_education": (3, 2), "outside_labour": (5, 4), "low_income": (5, 4), "non_western": (3, 1)}


def policy_table(series: pd.DataFrame, year: int) -> pd.DataFrame:
    """The policy's ratios next to the same ratios computed from the data (all six areas pooled
    against the rest of the city), at rode level where possible, else for the areas' bydele."""
    rows = []
    for key, (a, b) in POLICY_RATIOS.items():
        ind = reference.indicator(key)
        level = "rode" if ind.rode_column else "bydel"
        s = series[
            (series["slug"] == "alle")
            & (series["level"] == level)
            & (series["indicator"] == key)
            & (series["year"] == year)
        ]
        at = s.set_index("group")["rate"]
        rows.append(
            {
                "indicator": key,
                "label": ind.name,
                "level": level,
                "published": a / b,
                "published_text": f"{a} : {b}",
                "area": at["area"],
                "rest": at["rest"],
                "reproduced": at["area"] / at["rest"],
            }
        )
    return pd.DataFrame(rows)


def policy_table_display(t: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Indikator": t["label"],
            "Politikken (områder : resten)": t["published_text"]
            + " = "
            + t["published"].map(lambda v: fmt.number(v, 2)),
            "Beregnet her": t["reproduced"].map(lambda v: fmt.number(v, 2)),
            "Andel i områderne": t["area"].map(fmt.percent),
            "Andel i resten af byen": t["rest"].map(fmt.percent),
            "Geografi": t["level"].map({"rode": "de seks områders roder", "bydel": "de bydele, områderne ligger i"}),
        }
    )


def relative_income(income: pd.DataFrame) -> pd.DataFrame:
    """Mean disposable income per bydel relative to the whole city (persons-weighted), per year."""
    city = income.groupby("year")[["income_1000", "persons"]].sum()
    city_mean = 1000 * city["income_1000"] / city["persons"]
    b = income.dropna(subset=["bydel_nr"]).copy()
    b["bydel_nr"] = b["bydel_nr"].astype(int)
    b["relative"] = 100 * b["mean_income"] / b["year"].map(city_mean)
    return b


def stagnation_table(rel: pd.DataFrame, names: dict[int, str], y0: int, y1: int = POLICY_YEAR) -> pd.DataFrame:
    """Theil–Sen slope of each bydel's relative income over y0–y1 (index points per year)."""
    rows = []
    for nr, g in rel[(rel["year"] >= y0) & (rel["year"] <= y1)].groupby("bydel_nr"):
        ts = trends.theil_sen(g["year"], g["relative"])
        word = "faldet" if ts["high"] < 0 else "steget" if ts["low"] > 0 else "ingen klar ændring"
        rows.append(
            {
                "bydel_nr": nr,
                "Bydel": names.get(nr, str(nr)),
                f"Indeks {y0}": fmt.number(g.loc[g["year"] == y0, "relative"].iloc[0]),
                f"Indeks {y1}": fmt.number(g.loc[g["year"] == y1, "relative"].iloc[0]),
                "Hældning pr. år (95 %-interval)": (
                    f"{fmt.number(ts['slope'], 2)} ({fmt.number(ts['low'], 2)} til {fmt.number(ts['high'], 2)})"
                ),
                "Relativ indkomst": word,
                "slope_low": ts["low"],
                "slope_high": ts["high"],
            }
        )
    return pd.DataFrame(rows)
