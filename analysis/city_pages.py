"""What the city-wide pages show (front page, "i tal", targets, waves, data): one function per cell.

One module for the five city-wide pages (they share the prepared results and a few helpers), hence
a little over 400 lines.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from . import (
    charts,
    display,
    fmt,
    follow_up,
    indicators,
    outputs,
    plans,
    reference,
    registry,
    supplied,
    tables,
    wording,
)
from . import trends as tr
from .pages import listed_estates
from .results import Results


@cache
def res() -> Results:
    return Results()


def _rode_keys() -> list[str]:
    return [i.key for i in reference.indicators() if i.rode_column]


# --- front page ------------------------------------------------------------------------------------


def policy_summary():
    pol = reference.policy()
    goals = "\n".join(f"{i}. **{g['name']}** – {g['text']}" for i, g in enumerate(pol.goals.values(), 1))
    levers = "\n".join(f"- {lever}" for lever in pol.levers)
    return display.md(
        f"**Visionen:** {pol.vision}\n\n**De tre overordnede mål frem mod 2020:**\n\n{goals}\n\n"
        f"**De fem greb, der skal løfte områderne:**\n\n{levers}"
    )


def overview_map():
    return display.figure(
        charts.locator_map(res().bydele, res().areas),
        "forside-kort",
        alt="Kort over Københavns ti bydele med de seks udsatte byområder markeret med orange: "
        + ", ".join(a.name for a in reference.areas())
        + ".",
        caption=f"De seks udsatte byområder, afgrænset som de roder, der {wording.rule_text()}.",
    )


def interactive_map():
    return display.interactive_map(2, "Kort over Københavns roder med de seks udsatte byområder")


def area_list():
    members = res().members.groupby("slug").agg(roder=("rode_nr", "size"), beboere=("residents", "sum"))
    all_plans = plans.load_all()
    lines = []
    for w in reference.waves():
        lines.append(f"**{w.title}** (budget {w.budget}):\n")
        for a in reference.areas_in_wave(w.year):
            m, p = members.loc[a.slug], all_plans[a.slug]
            lines.append(
                f"- {{doc}}`{a.name} </book/chapters/omraader/{a.slug}>` – {m['roder']} roder, "
                f"{fmt.number(m['beboere'])} beboere ({reference.delineation().baseline_year}); "
                f"plan: {wording.PLAN_STATUS[p.status].lower()}, {len(p.goals)} mål"
            )
        lines.append("")
    lines.append(
        f"Bogen bygger på data for {res().period}. Alle tal kan hentes som åbne data, og hver side fortæller, "
        "hvad der ikke kan måles med de åbne data. Læs om beregningerne under {doc}`/book/metode`, og om "
        "kilderne under {doc}`/book/chapters/data`."
    )
    return display.md("\n".join(lines))


# --- the city in figures ---------------------------------------------------------------------------


def soek_text():
    roder, rule = res().roder, reference.delineation()
    small = int(roder["composite_ratio"].isna().sum())
    names = wording.join_da([reference.indicator(k).name.lower() for k in _rode_keys()])
    return display.md(
        f"I {rule.baseline_year} lå {int(roder['flagged'].sum())} af byens {len(roder)} roder mindst "
        f"{fmt.number(rule.threshold - 100)} % over byens niveau på det sammensatte indeks (gennemsnittet af indeks "
        f"for {names} – de SØK-indikatorer, der findes for roder). Roder med under "
        f"{reference.param('disclosure', 'min_residents')} beboere ({small}) indgår ikke."
    )


def soek_map():
    roder, rule = res().roder, reference.delineation()
    names = dict(zip(res().bydele["bydel_nr"], res().bydele["navn"], strict=True))
    most = roder[roder["flagged"]].groupby("bydel_nr").size().sort_values(ascending=False).head(4)
    return display.figure(
        charts.index_map(
            roder,
            "composite_ratio",
            f"Sammensat SØK-indeks, {rule.baseline_year}",
            outline=res().areas,
            bydele=res().bydele,
        ),
        "tal-soek-kort",
        alt=f"Kort over Københavns {len(roder)} roder farvet efter sammensat SØK-indeks i {rule.baseline_year}. "
        f"Flest udsatte roder ligger i {wording.join_da([f'{names[b]} ({n})' for b, n in most.items()])}. "
        "De seks områders grænser er tegnet med sort.",
        caption="Sammensat SØK-indeks pr. rode (København = 100). "
        "Sort linje: de seks områder, som de er afgrænset her.",
    )


def sensitivity_text():
    p = res().roder["p_flagged"]
    sure_at, unsure_at = reference.param("sensitivity", "sure_share"), reference.param("sensitivity", "unsure_share")
    sure, maybe = int((p >= sure_at).sum()), int(((p >= unsure_at) & (p < sure_at)).sum())
    return display.md(
        f"Udpegningen afhænger af, hvordan indekset bygges. I {fmt.number(res().draws)} alternative beregninger "
        f"(andre vægte, tre konstruktioner, med og uden herkomst) udpeges {sure} roder i mindst "
        f"{fmt.number(100 * sure_at)} % af beregningerne, og {maybe} roder er usikre (udpeget i "
        f"{fmt.number(100 * unsure_at)}–{fmt.number(100 * sure_at)} %). "
        "Kortet viser sandsynligheden for, at en rode udpeges."
    )


def sensitivity_map():
    return display.figure(
        charts.probability_map(res().roder, res().areas),
        "tal-foelsomhed",
        alt="Kort over roderne farvet efter sandsynligheden for at blive udpeget i følsomhedsanalysen.",
        caption=f"Andel af {fmt.number(res().draws)} alternative beregninger, hvor roden udpeges som udsat.",
    )


def cluster_text():
    roder = res().roder
    hh = roder["cluster"] == "Høj-høj"
    inside = int((hh & roder["rode_nr"].isin(res().members["rode_nr"])).sum())
    return display.md(
        f"**Ligger de udsatte roder samlet?** Local Moran's I finder {int(hh.sum())} roder i signifikante klynger af "
        "høje værdier (høj-høj), efter kontrol for falske fund blandt alle roder. Kontrollen er streng: med næsten "
        f"400 samtidige test skal en klynge være meget tydelig for at tælle. {inside} af de {int(hh.sum())} roder "
        'ligger inden for de seks områder, som de er afgrænset her – et tegn på de "større sammenhængende områder", '
        "politikken beskriver."
    )


def policy_ratios():
    t = indicators.policy_ratios(res().series, reference.delineation().baseline_year)
    shown = pd.DataFrame(
        {
            "Indikator": t["label"],
            "Politikken": t["published_text"] + " = " + t["published"].map(lambda v: fmt.number(v, 2)),
            "De seks områder her": t["reproduced"].map(lambda v: fmt.number(v, 2)),
            "Alle roder i områdernes bydele": t["bydele"].map(lambda v: fmt.number(v, 2)),
            "Andel i områderne": t["area"].map(fmt.percent),
            "Andel i resten af byen": t["rest"].map(fmt.percent),
        }
    )
    return display.table(
        shown,
        caption="Andelen i de seks områder i forhold til andelen i resten af byen, "
        f"{reference.delineation().baseline_year}",
    )


def policy_ratios_text():
    t = indicators.policy_ratios(res().series, reference.delineation().baseline_year).dropna(subset=["reproduced"])
    between = t[(t["bydele"] <= t["published"]) & (t["published"] <= t["reproduced"])]["label"].str.lower().tolist()
    return display.md(
        "Politikken skriver fx, at når der i resten af byen er to borgere med kort eller ingen uddannelse, så er der "
        "tre i de udsatte byområder. Forskellen har en klar retning: afgrænsningen her udvælger netop de roder, der "
        "ligger højt på de samme indikatorer, og giver derfor større forhold, end når alle roder i områdernes bydele "
        "regnes med. Politikken offentliggjorde ikke sine grænser; for "
        f"{wording.join_da(between) or 'ingen af indikatorerne'} ligger dens tal mellem de to. Andelen uden for "
        "arbejdsmarkedet kan ikke beregnes for områderne: den findes kun for hele byen."
    )


def six_areas():
    rows = []
    for a in reference.areas():
        comp = indicators.area_comparison(res().series, a.slug).set_index("indicator")
        rows.append(
            {
                "Område": a.name,
                "Bølge": str(a.wave),
                **{comp.loc[k, "label"]: fmt.percent(comp.loc[k, "area"]) for k in comp.index},
            }
        )
    comp = indicators.area_comparison(res().series, reference.areas()[0].slug)
    rows.append({"Område": "København", "Bølge": "", **{r.label: fmt.percent(r.city) for r in comp.itertuples()}})
    return display.table(pd.DataFrame(rows), caption="Andele i seneste år med data. " + wording.coverage_note(comp))


def city_only_table():
    city = indicators.city_only(res().series)
    latest = city[city["year"] == city.groupby("indicator")["year"].transform("max")]
    return display.table(
        tables.city_only(latest), caption="Indikatorer, der kun findes for hele byen (seneste år med data)"
    )


def income():
    rel = tr.relative_income(res().income)
    first, last, policy_year = int(rel["year"].min()), int(rel["year"].max()), reference.param("targets", "base_year")
    st = tr.income_slopes(rel, first, policy_year)
    names = dict(zip(res().bydele["bydel_nr"], res().bydele["navn"], strict=True))
    falling = [names[n] for n in st.loc[st["verdict"] == "falling", "bydel_nr"]]
    words = {"falling": "faldet", "rising": "steget", "unclear": "ingen klar ændring"}
    text = display.md(
        "Politikken siger, at de udsatte byområder de sidste 15 år er stagneret i forhold til resten af byen. "
        f"Indkomst findes for bydele fra {first} i Statistikbanken (tabel IN74). Målt som gennemsnitlig disponibel "
        f"indkomst i forhold til hele byen er den relative indkomst faldet signifikant fra {first} til {policy_year} i "
        + (wording.join_da(falling) if falling else "ingen bydele")
        + ". Det er bydelsgennemsnit: de dækker både udsatte og velstillede kvarterer, "
        "og de kan ikke vise områderne selv."
    )
    chart = display.figure(
        charts.income_relative(
            rel, {r.bydel_nr: words[r.verdict] for r in st.itertuples()}, names, (first, policy_year)
        ),
        "tal-indkomst",
        alt=f"Linjediagram {first}–{last} over hver bydels gennemsnitlige disponible indkomst i forhold til hele "
        f"København. Orange: relativ indkomst faldet {first}–{policy_year}; blå: steget; grå: ingen klar ændring.",
        caption=f"Gennemsnitlig disponibel indkomst pr. bydel, København = 100, farvet efter udviklingen "
        f"{first}–{policy_year} (Theil–Sen, 95 %). Løbende priser; forholdet til byen er upåvirket af prisudviklingen.",
    )
    table = display.table(
        pd.DataFrame(
            {
                "Bydel": st["bydel_nr"].map(names),
                f"Indeks {first}": st["first"].map(fmt.number),
                f"Indeks {policy_year}": st["last"].map(fmt.number),
                "Hældning pr. år (95 %-interval)": [
                    wording.with_interval(*v) for v in zip(st["slope"], st["low"], st["high"], strict=True)
                ],
                "Relativ indkomst": st["verdict"].map(words),
            }
        ),
        caption=f"Relativ indkomst {first}–{policy_year} (Theil–Sen-hældning, indekspoint pr. år)",
    )
    return [text, chart, table]


# --- targets ---------------------------------------------------------------------------------------


def policy_status_table():
    pol = reference.policy()
    listed = listed_estates(res())
    status = {a.slug: follow_up.policy_table(res().series, a.slug, listed) for a in reference.areas()}
    city = follow_up.policy_table(res().series, "alle", listed)
    rows = []
    for i, t in enumerate(pol.targets):
        row = {
            "Mål 2020": t.text + (" (stedfortræder)" if t.proxy else ""),
            "Hele byen / alle seks": wording.status_badge(city.iloc[i]["status"]),
        }
        for a in reference.areas():
            row[a.name] = wording.status_badge(status[a.slug].iloc[i]["status"])
        rows.append(row)
    cols = ("Hele byen / alle seks", *(a.name for a in reference.areas()))
    return display.table(pd.DataFrame(rows), caption="Status for politikkens mål pr. område", html_columns=cols)


def area_goals(areas=None):
    """The area plans' goals and targets next to the policy goal they serve."""
    all_plans = plans.load_all()
    data = supplied.load()
    out = []
    for a in areas or reference.areas():
        p = all_plans[a.slug]
        status = follow_up.plan_table(p, res().series, data)
        out.append(
            display.md(
                f"**{{doc}}`{a.name} </book/chapters/omraader/{a.slug}>`** – {wording.PLAN_STATUS[p.status].lower()}, "
                f"{len(p.goals)} mål, {len(status)} delmål ({tables.status_counts(status['status']) or 'ingen'})."
            )
        )
        if len(status):
            pol = reference.policy().goals
            t = pd.DataFrame(
                {
                    "Områdets mål": [display.escape(g.title) for g in p.goals for _ in g.targets],
                    "Tjener": [pol[g.policy_goal]["name"] for g in p.goals for _ in g.targets],
                    "Delmål": [display.escape(t) for t in status["text"]],
                    "Status": [wording.status_badge(s) for s in status["status"]],
                }
            )
            out.append(
                display.table(t, caption=f"{a.name}: planens mål", html_columns=("Områdets mål", "Delmål", "Status"))
            )
    return out


def status_legend():
    return display.md("\n".join(f"- {wording.status_badge(k)} {v}" for k, v in wording.STATUS_EXPLAINED.items()))


def no_open_data():
    pol = reference.policy()
    missing = [t for t in pol.targets if t.indicator is None and t.type != "count"]
    return display.md(
        f"**{len(missing)} af {len(pol.targets)} mål kan ikke følges med åbne data.** De måles med kilder, "
        "som ikke er offentliggjort som data, og vises derfor som manglende i stedet for at blive gættet:\n\n"
        + "\n".join(f"- {t.text} – *{t.measured_by}*" for t in missing)
    )


# --- waves -----------------------------------------------------------------------------------------


def wave_intro(wave: int):
    w = next(x for x in reference.waves() if x.year == wave)
    return display.md(
        f"Udviklingsplanerne i denne bølge skrives i {wave} og indgår i forhandlingerne om budget {w.budget}. "
        "Hver plan analyserer områdets problemer og potentialer og dets udvikling og sætter områdets egne mål "
        "under byens tre overordnede mål, med konkrete mål for 2020 og indsatser."
    )


def wave_table(wave: int):
    rows = []
    for a in reference.areas_in_wave(wave):
        comp = indicators.area_comparison(res().series, a.slug).set_index("indicator")
        m = res().members[res().members["slug"] == a.slug]
        rows.append(
            {
                "Område": a.name,
                "Roder": str(len(m)),
                f"Beboere ({reference.delineation().baseline_year})": fmt.number(m["residents"].sum()),
                **{comp.loc[k, "label"] + " (indeks)": fmt.index(comp.loc[k, "index"]) for k in comp.index},
            }
        )
    return display.table(
        pd.DataFrame(rows), caption="Indeks i seneste år med data, København = 100 (områdernes egne roder)"
    )


def wave_map(wave: int):
    areas = reference.areas_in_wave(wave)
    return display.figure(
        charts.locator_map(
            res().bydele,
            res().areas,
            highlight=[a.slug for a in areas],
            labels=(f"Bølge {wave}", "De andre udsatte byområder"),
        ),
        f"boelge-{wave}-kort",
        alt=f"Kort over København, hvor bølgens tre områder – {wording.join_da([a.name for a in areas])} – "
        "er markeret med orange.",
        caption=f"Områderne i bølge {wave} (orange) og de øvrige udsatte byområder (lyseblå).",
    )


def wave_policy_texts(wave: int):
    return display.md(
        "\n\n".join(
            f"**{{doc}}`{a.name} </book/chapters/omraader/{a.slug}>`:** »{a.policy_text}«"
            for a in reference.areas_in_wave(wave)
        )
    )


# --- data ------------------------------------------------------------------------------------------


def source_files():
    files = registry.load_registry()
    return display.table(
        pd.DataFrame(
            {
                "Fil": [f.name for f in files],
                "Kilde": [f.kilde for f in files],
                "Kontrolsum (SHA-256, start)": [f.sha256[:16] for f in files],
            }
        ),
        caption="Rådata, som bogen bygger på (data/registry.toml)",
    )


def known_gaps():
    return display.md(
        "\n".join(f"- {display.escape(n)}" for n in res().notes)
        + "\n- Bydelsfilen (kk-opendata/bydel_socio_2008_2014.csv) fordeler sine tal forkert på bydelene; den "
        "bruges kun til tal for hele byen (se {doc}`/book/rettelser`)."
        + "\n- Tryghedsindeks, sundhedsindeks, tilfredshedsmålinger og skolevalg findes ikke som åbne data; "
        "mål, der måles med dem, vises som manglende, indtil en forvaltning leverer tallene."
    )


def download_links():
    return display.md(
        display.downloads(None, depth=2) + "\n\nÉn fil pr. område findes på hvert områdes side. "
        "Alle downloads er diskretioneret efter reglerne på siden om metode."
    )


def dictionary():
    d = pd.DataFrame(outputs.DICTIONARY, columns=["Fil", "Kolonne", "Betydning"])
    return display.table(d, caption="Dataordbog")
