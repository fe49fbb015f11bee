"""What the chapter templates show, section by section: each function returns display objects.

The templates (book/templates/*.md) hold headings and call one function per cell; the numbers
come from :mod:`analysis.results`, the rules from their own modules, the Danish words from
:mod:`analysis.wording`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from . import (
    charts,
    disclosure,
    display,
    fmt,
    follow_up,
    planner_text,
    plans,
    reference,
    supplied,
    tables,
    trends,
    turnout,
    wording,
)
from .indicators import area_comparison, city_only
from .results import Results, shared


@dataclass
class AreaPage:
    slug: str

    @cached_property
    def res(self) -> Results:
        return shared()  # read once per kernel and preparation

    @cached_property
    def area(self) -> reference.Area:
        return reference.area(self.slug)

    @cached_property
    def wave(self) -> reference.Wave:
        return next(w for w in reference.waves() if w.year == self.area.wave)

    @cached_property
    def plan(self) -> plans.Plan:
        return plans.load(self.slug)

    @cached_property
    def comp(self) -> pd.DataFrame:
        return area_comparison(self.res.series, self.slug)

    @cached_property
    def roder(self):
        return self.res.area_roder(self.slug)

    @cached_property
    def summary(self) -> pd.DataFrame:
        return trends.summary(self.res.series, self.slug)

    @cached_property
    def status(self) -> pd.DataFrame:
        return follow_up.plan_table(self.plan, self.res.series, supplied.load())

    @cached_property
    def bydel_names(self) -> list[str]:
        names = self.res.bydele.set_index("bydel_nr")["navn"]
        return [names[b] for b in self.area.bydele]

    def pdf_link(self):
        return display.pdf_link(self.slug, depth=3)

    # --- Kort fortalt --------------------------------------------------------------------------------

    def in_brief(self):
        """Three or four plain sentences and the headline figures, with the trend verdicts."""
        top = wording.problem_indicators(self.comp).sort_values("index", ascending=False).iloc[0]
        lines = [
            f"{self.area.name} har {fmt.number(self.roder['residents'].sum())} beboere "
            f"({reference.delineation().baseline_year}). Størst er forskellen til resten af byen for "
            f"{reference.indicator(top['indicator']).phrase}: {fmt.percent(top['area'])} mod "
            f"{fmt.percent(top['rest'])} ({top['year']}).",
            wording.trend_text(self.summary),
            wording.plan_in_brief(
                self.plan.status,
                len(self.plan.goals),
                len(self.status),
                tables.status_counts(self.status["status"]) if len(self.status) else "",
            ),
        ]
        verdicts = {r.indicator: wording.trend_verdict(r) for r in self.summary.itertuples()}
        figures = [
            f"- **{r.label}:** {fmt.percent(r.area)} i området, {fmt.percent(r.rest)} i resten af byen ({r.year}). "
            f"Udvikling: {verdicts.get(r.indicator, wording.NO_CLEAR_CHANGE).lower()}."
            for r in self.comp.itertuples()
        ]
        return display.md(" ".join(lines) + "\n\n" + "\n".join(figures))

    # --- Indledning ---------------------------------------------------------------------------------

    def intro(self):
        base = reference.delineation().baseline_year
        text = wording.plan_intro(self.plan, self.area, self.wave) + (
            f"\n\nOmrådet er her afgrænset som {len(self.roder)} små statistiske områder (roder) "
            f"{wording.join_da([wording.in_place(n) for n in self.bydel_names])} med "
            f"{fmt.number(self.roder['residents'].sum())} beboere i {base}: "
            f"de roder, der {wording.rule_text()} (se {{doc}}`/book/metode`)."
        )
        return display.md(text)

    def planners(self, section: str):
        """The planners' own text for a section, marked as theirs (nothing when they wrote none)."""
        text = self.plan.sections.get(section)
        return display.HTML(planner_text.to_html(text, depth=3)) if text else None

    def map(self):
        return display.figure(
            charts.locator_map(self.res.bydele, self.res.areas, highlight=[self.slug], roder=self.roder, focus=True),
            f"{self.slug}-kort",
            alt=f"Kort over {self.area.name} og omegn. Områdets {len(self.roder)} roder er markeret med orange "
            f"{wording.join_da([wording.in_place(n) for n in self.bydel_names])}.",
            caption=f"{self.area.name}: områdets roder (orange) og nabobydelene.",
        )

    def interactive_map(self):
        return display.interactive_map(3, f"Kort over roderne i og omkring {self.area.name}", focus=self.slug)

    # --- i dag --------------------------------------------------------------------------------------

    def key_figures(self):
        return display.table(
            tables.comparison(self.comp), caption=f"{self.area.name} sammenlignet med resten af byen og hele København"
        )

    def key_figures_note(self):
        keys = city_only(self.res.series)["indicator"].unique()
        names = wording.join_da([reference.indicator(k).phrase for k in keys])
        return display.md(
            f"Andelene er beregnet for områdets egne roder. {wording.coverage_note(self.comp)} "
            f"Tal for {names} findes i de åbne data kun for hele byen: kildefilen med bydelstal fordeler dem "
            "forkert på bydelene (se {doc}`/book/rettelser`), og der findes ingen tal for roder. De vises "
            "derfor ikke for området."
        )

    def turnout(self):
        """Turnout at the 2013 municipal election, from the polling areas that lie mostly in the area."""
        t = self.res.turnout
        rows, city = t[t["slug"] == self.slug], t[t["slug"] == turnout.CITY].iloc[0]
        return [
            display.md("**Valgdeltagelse.** " + wording.turnout_text(self.area.name, rows, city)),
            display.table(
                tables.turnout(rows, city),
                caption="Valgdeltagelse ved kommunalvalget 2013 i de afstemningsområder, hvor områdets beboere bor. "
                "Kilde: valgresultatet pr. afstemningsområde; Københavns Kommune, afstemningsområder og roder; "
                "egne beregninger.",
            ),
        ]

    def residents(self):
        origin = self.comp.set_index("indicator").loc["non_western"]
        base = reference.delineation().baseline_year
        text = wording.residents_text(self.area.name, self.roder["residents"].sum(), base, origin)
        return display.md(f"**Beboerne.** {text}")

    def problems(self):
        return display.md(wording.problem_text(self.comp))

    def index_chart(self):
        bars = wording.problem_indicators(self.comp).sort_values("index", ascending=False)
        top = bars.iloc[0]
        return display.figure(
            charts.index_bars(bars, f"Højest: {top['label'].lower()}, indeks {fmt.index(top['index'])}"),
            f"{self.slug}-indeks",
            alt="Søjlediagram over områdets indeks for SØK-indikatorerne med tal for roder, København = 100: "
            + "; ".join(f"{r.label} {fmt.index(r.index)}" for r in bars.itertuples())
            + ".",
            caption="Indeks over 100 betyder, at andelen er højere end i hele København. "
            "Orange: over byens niveau; blå: under.",
        )

    def problem_map(self):
        top = wording.problem_indicators(self.comp).sort_values("index", ascending=False).iloc[0]
        col = f"index_{top['indicator']}"
        base = reference.delineation().baseline_year
        geom = self.res.areas[self.res.areas["slug"] == self.slug]
        hidden = self.res.hidden_roder(top["indicator"], base)  # as the open data and the web map
        shown = self.roder[
            (self.roder["residents"] >= reference.param("disclosure", "min_residents"))
            & ~hidden.reindex(self.roder.index)
        ]
        worst = shown.sort_values(col, ascending=False).head(3)
        return display.figure(
            charts.index_map(
                self.res.roder,
                col,
                f"{top['label']}, indeks {base}",
                outline=geom,
                bydele=self.res.bydele,
                focus=geom,
                hidden=hidden,
            ),
            f"{self.slug}-problemkort",
            alt=f"Kort over roderne i og omkring {self.area.name}, farvet efter indeks for "
            f"{top['label'].lower()} i {base}. "
            f"Højest i området ligger {wording.join_da(list(worst['rodenavn']))}.",
            caption=f"Roderne med den højeste andel med {top['label'].lower()}: indeks i {base} (København = 100). "
            "Sort linje: områdets grænse.",
        )

    def potentials(self):
        est = self.res.estates[self.res.estates["slug"] == self.slug]
        ren = self.res.renewal[self.res.renewal["slug"] == self.slug]
        recent = int(ren.loc[ren["period"] == "2011–2020", "decisions"].sum())
        before = int(ren.loc[ren["period"].isin(["før 2001", "2001–2010"]), "decisions"].sum())
        parts = [
            wording.potential_text(self.comp),
            wording.favourable_trends_text(self.summary),
            f"I området ligger {len(est)} almene boligafdelinger med i alt "
            f"{fmt.number(est['dwellings'].sum())} boliger "
            "– lokale samarbejdspartnere for boligsociale helhedsplaner.",
            f"Borgerrepræsentationen har besluttet byfornyelse af {fmt.number(before)} ejendomme i området før 2011 "
            f"og {fmt.number(recent)} i 2011–2020, som indsatsen kan bygge videre på.",
        ]
        return display.md(" ".join(p for p in parts if p))

    def estates(self):
        est = self.res.estates[self.res.estates["slug"] == self.slug].sort_values("dwellings", ascending=False).head(8)
        t = pd.DataFrame(
            {
                "Afdeling": est["estate"],
                "Boligorganisation (kode)": est["association"].str.rstrip("_"),
                "Boliger": est["dwellings"].map(fmt.number),
            }
        )
        return display.table(
            t,
            caption="De største almene boligafdelinger i området (antal boliger). Kommunens datasæt angiver "
            "boligorganisationen med en forkortelse (fx FSB eller AKB); navnene står ikke i de åbne data.",
        )

    def trend_text(self):
        return display.md(
            wording.trend_text(self.summary) + " Bemærk, at et områdes gennemsnit blander mennesker, der flytter "
            "ind og ud: uændrede tal kan dække over, at mange beboere har fået det bedre og er flyttet."
        )

    def trend_chart(self):
        ts = trends.series_with_interval(self.res.series, self.slug)
        panels = [(i.key, i.short) for i in reference.indicators() if i.rode_column]
        return display.figure(
            charts.trend_panel(ts, panels),
            f"{self.slug}-udvikling",
            alt=f"Tre små linjediagrammer {self.res.period} for {self.area.name}, resten af byen og hele København, "
            "et for hver indikator med tal for roder. " + wording.trend_text(self.summary),
            caption="Andele i procent. Det skraverede bånd er 95 %-konfidensintervallet for områdets andel.",
        )

    def trend_table(self):
        return display.table(
            tables.trends(self.summary), caption="Afstanden til resten af byen (procentpoint) og dens udvikling"
        )

    # --- Forandringsstrategi ------------------------------------------------------------------------

    def vision(self):
        return display.md(f"> {display.escape(self.plan.vision)}")

    def goals(self):
        """One subsection per area goal: why, targets, initiatives, measured by."""
        out = []
        if self.plan.published_goals:
            pages = sorted({p for _, p in self.plan.published_goals if p})
            src = display.escape(self.plan.source_text() + (f", s. {', '.join(map(str, pages))}" if pages else ""))
            items = "\n".join(f"{i}. {display.escape(t)}" for i, (t, _) in enumerate(self.plan.published_goals, 1))
            out.append(display.md(f"**Planens mål** ({src}):\n\n{items}"))
        if not self.plan.goals:
            out.append(
                display.md(
                    "Der er endnu ingen mål med konkrete delmål i planens datadel, så der vises ingen status. "
                    "Politikkens fælles mål og deres status står under Opfølgning."
                )
            )
        for goal in self.plan.goals:
            mine = self.status[self.status["goal_id"] == goal.id]
            policy_goal = reference.policy().goals[goal.policy_goal]["name"]
            src = display.escape(self.plan.source_text(goal.page))
            lines = [f"### {display.escape(goal.title)}", "", f"*Tjener politikkens mål: {policy_goal}.*"]
            if src:
                lines[-1] += f" *Kilde: {src}.*"
            why = [display.escape(goal.why)] if goal.why else []
            why += [_problem_line(self.comp, key) for key in goal.problems if key in set(self.comp["indicator"])]
            if why:
                lines += ["", "**Hvorfor:** " + " ".join(w for w in why if w)]
            out.append(display.md("\n".join(lines)))
            out.append(
                display.table(tables.plan_targets(mine), caption=f"Mål under »{goal.title}«", html_columns=("Status",))
            )
            if goal.initiatives:
                out.append(
                    display.table(
                        tables.initiatives(goal),
                        caption=f"Indsatser under »{goal.title}«",
                    )
                )
            else:
                tools = dict.fromkeys(
                    tool for t in reference.policy().targets if t.goal == goal.policy_goal for tool in t.tools
                )
                out.append(
                    display.md(
                        "**Indsatser:** Planen nævner endnu ingen indsatser. Eksempler på redskaber fra politikken: "
                        + "; ".join(tools)
                        + "."
                    )
                )
            measured = dict.fromkeys(
                display.escape(wording.measure_text(t.measure.kind, t.measure.name)) for t in goal.targets
            )
            notes = [display.escape(n) for n in mine["note"] if n]
            out.append(
                display.md(
                    "**Måles ved:** "
                    + "; ".join(measured)
                    + "."
                    + ("" if not notes else " " + " ".join(dict.fromkeys(notes)))
                )
            )
        return out

    # --- Opfølgning ---------------------------------------------------------------------------------

    def follow_up(self):
        if self.status.empty:
            return display.md("Planen har endnu ingen delmål, der kan følges op på.")
        t = tables.plan_targets(self.status)
        return display.table(
            t.assign(Delmål=list(self.status["goal"]))[["Delmål", *t.columns]],
            caption=f"Alle planens mål ({tables.status_counts(self.status['status'])})",
            html_columns=("Status",),
        )

    def policy_targets_intro(self):
        target = reference.param("targets", "target_year")
        return display.md(
            f"Byens politik har desuden fælles mål for {target} for alle seks områder. De socioøkonomiske data slutter "
            f"i {self.res.last_year}, så for de mål, der måles med dem, er »seneste« det seneste år med tal, ikke "
            f"{target}. Regeringens lister findes også for {target} og senere."
        )

    def policy_targets(self):
        status = follow_up.policy_table(self.res.series, self.slug, listed_estates(self.res))
        notes = " ".join(dict.fromkeys(n for n in status["note"] if n))
        return [
            display.table(
                tables.policy_targets(status),
                caption="Politikkens fælles mål for 2020 målt for området",
                html_columns=("Status",),
            ),
            display.md(notes),
        ]

    # --- Data og metode -----------------------------------------------------------------------------

    def members_text(self):
        mt = self.members
        sure = int((mt["p_flagged"] >= reference.param("sensitivity", "sure_share")).sum())
        return display.md(
            f"Af områdets {len(mt)} roder udpeges {sure} som udsatte i mindst "
            f"{fmt.number(100 * reference.param('sensitivity', 'sure_share'))} % af de {fmt.number(self.res.draws)} "
            "alternative beregninger i følsomhedsanalysen (andre vægte, konstruktioner og indikatorsæt). "
            f"Roder med under {reference.param('disclosure', 'min_residents')} beboere vises ikke. "
            + display.downloads(self.slug, depth=3)
            + f" Beregnet med analysis-pakken; dataversion {self.res.data_key}."
        )

    @cached_property
    def members(self) -> pd.DataFrame:
        m = self.res.members[self.res.members["slug"] == self.slug]
        r = self.res.roder.set_index("rode_nr").loc[m["rode_nr"]]
        t = pd.DataFrame(
            {
                "rode_nr": m["rode_nr"].to_numpy(),
                "rodenavn": m["rodenavn"].to_numpy(),
                "residents": m["residents"].to_numpy(),
                "composite": m["composite"].to_numpy(),
                **{c: r[c].to_numpy() for c in ("p_flagged", "median_rank", "rank_p05", "rank_p95")},
            }
        )
        return disclosure.suppress(t, count_cols=(), rate_cols=("composite",))

    def rank_chart(self):
        mt = self.members.dropna(subset=["median_rank"])
        return display.figure(
            charts.rank_intervals(mt, f"{self.area.name}: roderne rang i følsomhedsanalysen"),
            f"{self.slug}-foelsomhed",
            alt=f"Diagram med medianrang og 5–95 %-interval for hver af {len(mt)} roder i {self.area.name}.",
            caption=f"Punkt: medianrang blandt byens roder over {fmt.number(self.res.draws)} beregninger; "
            "streg: 5–95 %-interval.",
        )


def _problem_line(comp: pd.DataFrame, key: str) -> str:
    r = comp.set_index("indicator").loc[key]
    return (
        f"{r['label']}: {fmt.percent(r['area'])} i området mod {fmt.percent(r['rest'])} i resten af byen ({r['year']})."
    )


def listed_estates(res: Results) -> pd.DataFrame | None:
    """Estates on the government's lists by year, with the area they lie in (None without lists)."""
    from . import ghetto_lists

    return ghetto_lists.located(res.estates)
