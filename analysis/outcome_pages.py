"""What the chapter "Nåede områderne målene?" and each area page's section of the same name show.

The numbers come from analysis.outcome (the mapping and the kvarter figures, prepared once per
build) and the prepared rode series; the verdict rules are in analysis.outcome; the Danish words in
analysis.wording. Every verdict's figures are written to a CSV beside the page's charts
(``udfald-<slug>.csv``, ``udfald-alle.csv``), linked under its table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import pandas as pd

from . import charts, display, fmt, follow_up, outputs, paths, reference, wording
from . import outcome as oc
from .results import Results, shared

CSV_COLUMNS = ["Område", "Mål", "Dom", "Kilde", "Tal", "År", "Området", "Sammenligning", "Forskel", "Enhed"]
KVARTER_SOURCE = "Statistikbanken pr. kvarter"
RODE_SOURCE = "Roder 2008–2014"
SHORT_VERDICTS = {oc.NAAET: "nået", oc.IKKE_NAAET: "ikke nået", oc.UAFGJORT: "kan ikke afgøres"}


@dataclass
class Evidence:
    res: Results

    @cached_property
    def prepared(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        mapping, values = oc.read(self.res.folder)
        names = {a.slug: a.name for a in reference.areas()}
        return mapping.assign(area_name=mapping["slug"].map(names)), values

    @property
    def mapping(self) -> pd.DataFrame:
        return self.prepared[0]

    @property
    def values(self) -> pd.DataFrame:
        return self.prepared[1]

    @cached_property
    def area_values(self) -> pd.DataFrame:
        return oc.area_values(self.values, self.mapping)

    @cached_property
    def kvarterer(self) -> gpd.GeoDataFrame:
        return gpd.read_file(self.res.folder / oc.GEO_FILE)

    def series(self, slug: str, key: str) -> pd.DataFrame:
        a = self.area_values
        return a[(a["slug"] == slug) & (a["indicator"] == key)].sort_values("year")

    def rode(self, slug: str, key: str) -> pd.DataFrame:
        """The area and the rest of the city from the rode data, one row per year (area, rest, gap)."""
        s = self.res.series
        s = s[(s["slug"] == slug) & (s["level"] == "rode") & (s["indicator"] == key)].dropna(subset=["rate"])
        t = s.pivot_table(index="year", columns="group", values="rate").reset_index()
        return t.assign(gap=t["area"] - t["rest"])

    def policy(self, slug: str) -> pd.DataFrame:
        from .pages import listed_estates

        return follow_up.policy_table(self.res.series, slug, listed_estates(self.res)).set_index("key")

    def unemployment(self, slug: str) -> tuple[str, float, float, int]:
        """The registered unemployment of the bydel that holds most of the area's kvarterer' weight,
        and the median of the ten bydele (the file repeats a bydel's figure on each of its kvarterer)."""
        m = self.mapping[self.mapping["slug"] == slug]
        bydel = m.groupby("bydel")["weight"].sum().idxmax()
        u = self.values[self.values["indicator"] == "unemp"]
        year = int(u["year"].max())
        per_bydel = u[u["year"] == year].groupby("bydel")["value"].first()
        return bydel, float(per_bydel[bydel]), float(per_bydel.median()), year

    # --- verdicts ------------------------------------------------------------------------------

    def last(self, slug: str, key: str) -> pd.Series:
        return self.series(slug, key).iloc[-1]

    def lift(self, slug: str) -> tuple[str, dict]:
        gaps = {k: oc.gap_of(self.last(slug, k), k) for k in oc.LIFT_PROXIES}
        m = self.mapping[self.mapping["slug"] == slug]
        return oc.lift_verdict(gaps, float(m.loc[m["mostly_outside"], "weight"].sum())), gaps

    def verdicts(self, slug: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The verdict table (Mål, Dom, Belæg) and the figures behind it (CSV_COLUMNS)."""
        area = reference.area(slug).name
        rows, figures = [], []

        def fig(target, verdict, source, label, year, a, c, unit):
            gap = a - c if not (isinstance(a, float) and math.isnan(a)) else math.nan
            figures.append(
                dict(zip(CSV_COLUMNS, [area, target, verdict, source, label, year, a, c, gap, unit], strict=True))
            )

        def kvarter_fig(target, verdict, key, row):
            unit = {"income_med": "kr.", "avg_m2": "m² pr. bolig"}.get(key, "%")
            label = wording.OUTCOME_MEASURES[key][0] + " (kvartererne mod det midterste kvarter)"
            fig(target, verdict, KVARTER_SOURCE, label, int(row["year"]), row["area"], row["city"], unit)

        def rode_fig(target, verdict, key, year):
            r = self.rode(slug, key).set_index("year").loc[year]
            label = reference.indicator(key).name + " (området mod resten af byen)"
            fig(target, verdict, RODE_SOURCE, label, int(year), r["area"], r["rest"], "%")

        # the overall goal of 2011, on the kvarter proxies
        lift, _ = self.lift(slug)
        target = reference.policy().goals["lift"]["name"] + " (politikkens overordnede mål)"
        after = [
            wording.outcome_gap_text(
                k, self.last(slug, k)["area"], self.last(slug, k)["city"], self.last(slug, k)["year"]
            )
            for k in oc.LIFT_PROXIES
        ]
        before = []
        for key in ("low_education", "low_income"):
            r = self.rode(slug, key).iloc[-1]
            before.append(
                wording.outcome_rode_text(reference.indicator(key).phrase, r["area"], r["rest"], int(r["year"]))
            )
            rode_fig(target, lift, key, int(r["year"]))
        for k in oc.LIFT_PROXIES:
            kvarter_fig(target, lift, k, self.last(slug, k))
        rows.append((target, lift, wording.outcome_lift_evidence(after, before)))

        pol = self.policy(slug)
        for t in reference.policy().targets:
            if t.key == "youth_education":
                verdict = oc.UAFGJORT
                edu = self.series(slug, "higher_ed")
                r = self.rode(slug, "low_education").iloc[-1]
                before = wording.outcome_rode_text(
                    reference.indicator("low_education").phrase, r["area"], r["rest"], int(r["year"])
                )
                after = wording.outcome_gap_text(
                    "higher_ed", edu.iloc[-1]["area"], edu.iloc[-1]["city"], edu.iloc[-1]["year"]
                )
                text = wording.outcome_youth_evidence(after, before)
                rode_fig(t.text, verdict, "low_education", int(r["year"]))
                kvarter_fig(t.text, verdict, "higher_ed", edu.iloc[0])
                kvarter_fig(t.text, verdict, "higher_ed", edu.iloc[-1])
            elif t.key == "employment":
                verdict = oc.UAFGJORT
                bydel, value, median, year = self.unemployment(slug)
                text = wording.outcome_employment_evidence(bydel, value, median, year)
                fig(
                    t.text,
                    verdict,
                    KVARTER_SOURCE,
                    f"Registreret ledighed, {bydel} mod midterste bydel",
                    year,
                    value,
                    median,
                    "% af beboerne",
                )
            elif t.key == "public_housing":
                verdict = oc.UAFGJORT
                p = pol.loc["public_housing"]
                h = self.series(slug, "almene")
                text = wording.outcome_housing_evidence(
                    p["latest"], h.iloc[0]["area"], h.iloc[-1]["area"], int(h.iloc[0]["year"]), int(h.iloc[-1]["year"])
                )
                fig(
                    t.text,
                    verdict,
                    "Bydelsfilens bytal",
                    "Almene boliger, hele byen",
                    int(p["latest_year"]),
                    p["latest"],
                    t.floor,
                    "%",
                )
                kvarter_fig(t.text, verdict, "almene", h.iloc[0])
                kvarter_fig(t.text, verdict, "almene", h.iloc[-1])
            elif t.key == "ghetto_list":
                p = pol.loc["ghetto_list"]
                verdict = oc.count_verdict(p["status"])
                text = wording.outcome_list_evidence(p["note"])
                if not math.isnan(p.get("baseline", math.nan)):
                    label = "Boligområder på regeringens liste i området"
                    fig(
                        t.text,
                        verdict,
                        "Regeringens lister",
                        label,
                        int(p["baseline_year"]),
                        p["baseline"],
                        math.nan,
                        "antal",
                    )
                    fig(
                        t.text,
                        verdict,
                        "Regeringens lister",
                        label,
                        int(p["at_target_year"]),
                        p["at_target"],
                        p["goal_value"],
                        "antal",
                    )
                    fig(
                        t.text,
                        verdict,
                        "Regeringens lister",
                        label,
                        int(p["latest_year"]),
                        p["latest"],
                        p["goal_value"],
                        "antal",
                    )
            else:
                verdict = oc.UAFGJORT
                text = wording.outcome_no_data_evidence(t.measured_by)
            rows.append((t.text, verdict, text))

        # the 2017 goal, as far as the data reach
        target = "Efterslæbet halveret på mindst halvdelen af fem kriterier inden 2025 (politikken fra 2017)"
        n_halved = n_gap = 0
        for key, (direction, _, _) in oc.PROXIES.items():
            s = self.series(slug, key)
            first, last = s.iloc[0], s.iloc[-1]
            h = oc.halved(oc.gap_of(first, key), oc.gap_of(last, key), direction)
            n_gap += h is not None
            n_halved += bool(h)
            kvarter_fig(target, oc.UAFGJORT, key, first)
            kvarter_fig(target, oc.UAFGJORT, key, last)
        rows.append((target, oc.UAFGJORT, wording.outcome_2017_evidence(n_halved, n_gap)))
        table = pd.DataFrame(rows, columns=["Mål", "Dom", "Belæg"])
        return table, pd.DataFrame(figures, columns=CSV_COLUMNS)


_state: dict = {}


def evidence() -> Evidence:
    """The evidence of the prepared results, built once per kernel and preparation."""
    res = shared()
    if _state.get("res") is not res:
        _state.update(res=res, ev=Evidence(res))
    return _state["ev"]


def _csv(frame: pd.DataFrame, name: str, depth: int) -> str:
    """Write the figures as a CSV beside the charts; a Markdown link to it from a page at depth."""
    paths.FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    outputs.write_csv(frame, paths.FIGURES_DIR / f"{name}.csv")
    return f"[Tallene bag dommene (CSV)](/book/chapters/figures/{name}.csv)"


# --- the area pages ----------------------------------------------------------------------------------


def area_intro(slug: str):
    ev = evidence()
    m = ev.mapping[ev.mapping["slug"] == slug]
    parts = [f"{r.name} ({fmt.number(100 * r.weight)} %)" for r in m.itertuples()]
    outside = list(m.loc[m["mostly_outside"], "name"])
    text = wording.outcome_area_intro(parts, outside)
    return display.md(text)


def area_verdicts(slug: str):
    table, figures = evidence().verdicts(slug)
    link = _csv(figures, f"udfald-{slug}", 3)
    shown = table.assign(Dom=table["Dom"].map(wording.outcome_verdict_cell))
    return [
        display.table(
            shown,
            caption="Politikkens mål: nået, ikke nået eller kan ikke afgøres med åbne data",
            html_columns=("Dom",),
        ),
        display.md(link),
    ]


def area_chart(slug: str):
    ev = evidence()
    name = reference.area(slug).name

    def rode(key):
        t = ev.rode(slug, key)
        return pd.DataFrame({"year": t["year"], "value": t["gap"]})

    def kv(key, pct: bool):
        s = ev.series(slug, key)
        return pd.DataFrame({"year": s["year"], "value": -(s["gap_pct"] if pct else s["gap"])})

    panels = [
        {
            "title": "Uddannelse",
            "before": rode("low_education"),
            "after": kv("higher_ed", pct=False),
            "before_label": "Uden uddannelse: området minus resten af byen",
            "after_label": "Videregående uddannelse: midterste kvarter minus områdets kvarterer",
            "unit": "Procentpoint",
        },
        {
            "title": "Indkomst",
            "before": rode("low_income"),
            "after": kv("income_med", pct=True),
            "before_label": "Lav indkomst: området minus resten af byen (procentpoint)",
            "after_label": "Medianindkomst: områdets kvarterer under midterste kvarter (procent)",
            "unit": "Procentpoint / procent",
        },
    ]
    fig = charts.gap_break(panels, f"{name}: efterslæb før og efter 2014")
    return display.figure(
        fig,
        f"{slug}-udfald",
        alt=f"To linjediagrammer for {name}: områdets efterslæb i uddannelse og indkomst 2008–2014 (roder) "
        "og 2016–2025 (kvarterer), adskilt af et brud i 2015. Over nul er området dårligere stillet.",
        caption="Over nul: området er dårligere stillet end sammenligningen. 2008–2014: andel uden uddannelse og "
        "med lav indkomst, området mod resten af byen (roder). Fra 2016: andel med videregående uddannelse og "
        "medianindkomst, områdets kvarterer mod det midterste kvarter. Målene er forskellige, så linjerne er ikke "
        "forbundet.",
    )


def area_sentence(slug: str):
    """One plain sentence on the outcome, for "Kort fortalt"."""
    return display.md("**Nåede området målene?** " + _sentence(slug) + " Se afsnittet »Nåede området målene?«.")


def _sentence(slug: str) -> str:
    ev = evidence()
    lift, _ = ev.lift(slug)
    gaps = {}
    for k in oc.LIFT_PROXIES:
        r = ev.last(slug, k)
        gaps[k] = (oc.gap_of(r, k), int(r["year"]))
    m = ev.mapping[ev.mapping["slug"] == slug]
    outside = float(m.loc[m["mostly_outside"], "weight"].sum()) > oc.MAX_OUTSIDE_WEIGHT
    return wording.outcome_sentence(reference.area(slug).name, lift, gaps, outside)


# --- the city chapter ---------------------------------------------------------------------------------


def front_page_list():
    lines = [f"- {{doc}}`{a.name} </book/chapters/omraader/{a.slug}>`: {_sentence(a.slug)}" for a in reference.areas()]
    return display.md("\n".join(lines) + "\n\n" + wording.OUTCOME_FRONT_PAGE_TAIL)


def overview():
    """One row per area: the overall goal, the government list, the 2017 goal, the rest."""
    ev = evidence()
    rows, figures = [], []
    for a in reference.areas():
        table, figs = ev.verdicts(a.slug)
        figures.append(figs)
        d = dict(zip(table["Mål"], table["Dom"], strict=True))
        counts = table["Dom"].value_counts()
        rows.append(
            {
                "Område": a.name,
                "Løftet til københavnerniveau": wording.outcome_verdict_cell(table["Dom"].iloc[0]),
                "Regeringens liste halveret (2020)": wording.outcome_verdict_cell(
                    d[next(t.text for t in reference.policy().targets if t.key == "ghetto_list")]
                ),
                "Halvering fra 2017": wording.outcome_verdict_cell(table["Dom"].iloc[-1]),
                f"Alle {len(table)} mål": ", ".join(
                    f"{counts.get(v, 0)} {short}" for v, short in SHORT_VERDICTS.items()
                ),
            }
        )
    link = _csv(pd.concat(figures, ignore_index=True), "udfald-alle", 2)
    return [
        display.table(
            pd.DataFrame(rows),
            caption="Nåede områderne målene? Dommene for de seks områder",
            html_columns=("Løftet til københavnerniveau", "Regeringens liste halveret (2020)", "Halvering fra 2017"),
        ),
        display.md(link),
    ]


def mapping_table():
    m = evidence().mapping
    t = pd.DataFrame(
        {
            "Område": m["area_name"],
            "Kvarter": m["name"] + " (" + m["code"] + ")",
            "Andel af områdets beboere": (100 * m["weight"]).map(lambda x: fmt.percent(x, 0)),
            "Andel af kvarterets beboere i området": (100 * m["inside_share"]).map(lambda x: fmt.percent(x, 0)),
            "Bemærkning": m["mostly_outside"].map({True: "mest uden for området", False: ""}),
        }
    )
    return display.table(
        t, caption="De seks områder og kvartererne, de overlapper (beboere 2014, fordelt efter rodernes areal)"
    )


def mapping_map():
    ev = evidence()
    return display.figure(
        charts.kvarter_map(ev.kvarterer, ev.res.areas, ev.mapping),
        "udfald-kvarterkort",
        alt="Kort over Københavns 67 kvarterer med de seks udsatte byområders grænser. Kvarterer, der bruges for "
        "et område, er farvet; de, der mest ligger uden for området, er skraveret.",
        caption="Kvartererne, som områdernes tal efter 2014 bygger på. Sort linje: områdernes grænse (roder).",
    )


def criteria_2017():
    """The five criteria of the 2017 policy and how far the open data reach."""
    rows = wording.outcome_criteria_2017()
    return display.table(
        pd.DataFrame(rows, columns=["Kriterium (2017)", "Når de åbne data det?", "Hvordan"]),
        caption="Politikken fra 2017: de fem udpegningskriterier og de åbne data",
    )


def method_text():
    return display.md(wording.outcome_method_text())
