"""What the page "Byens udsatte byområder i tal" shows: the SØK index and the delineation, its
sensitivity and clusters, the policy's ratios reproduced, the six areas side by side, and income.
One function per cell of book/templates/tal.md.
"""

from __future__ import annotations

import pandas as pd

from . import charts, display, fmt, indicators, reference, tables, wording
from . import trends as tr
from .results import shared as res


def _rode_keys() -> list[str]:
    return [i.key for i in reference.indicators() if i.rode_column]


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
            hidden=res().hidden_any(rule.baseline_year),
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
        f"400 samtidige test skal en klynge være meget tydelig for at tælle. De høje værdier ligger altså ikke "
        f"spredt tilfældigt ud over byen. {inside} af de {int(hh.sum())} roder ligger inden for de seks områder, men "
        "det er ikke et selvstændigt bevis for områderne: de er selv afgrænset som sammenhængende grupper af roder "
        "med høje værdier."
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
    t = indicators.policy_ratios(res().series, reference.delineation().baseline_year)
    return display.md(wording.policy_ratios_text(t))


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


def city_only_text():
    """Which indicators exist for the whole city only, counted from the data: SØK indicators and
    the others (public housing is not one of the six)."""
    keys = indicators.city_only(res().series)["indicator"].unique()
    soek = [reference.indicator(k) for k in keys if reference.indicator(k).soek]
    other = [reference.indicator(k).phrase for k in keys if not reference.indicator(k).soek]
    return display.md(
        wording.city_only_text(len(soek), sum(i.soek for i in reference.indicators()), other)
        + " (se {doc}`/book/rettelser`). De vises derfor kun for hele byen:"
    )


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
