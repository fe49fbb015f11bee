"""What the city-wide pages show (front page, targets, waves, data): one function per cell. The page
"Byens udsatte byområder i tal" has its own module, :mod:`analysis.figures_page`.
"""

from __future__ import annotations

import functools

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
from .pages import listed_estates
from .results import shared as res

# --- front page ------------------------------------------------------------------------------------


def follow_up_intro():
    target = reference.param("targets", "target_year")
    return display.md(
        f"Politikken sætter konkrete mål for {target} under tre overordnede mål, og hvert områdes udviklingsplan "
        f"sætter sine egne mål under dem. {target} er passeret, men de socioøkonomiske data slutter i "
        f"{res().last_year}: for de mål, der måles med dem, siger status, om udviklingen frem til de seneste tal var "
        f"på vej mod målet – ikke om målet blev nået i {target}. Målet om regeringens liste kan derimod afgøres: "
        f"listerne findes for {target} og senere."
    )


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
                f"plan: {wording.PLAN_STATUS[p.status].lower()}, {wording.goals_text(p)}"
            )
        lines.append("")
    lines.append(
        f"Bogen bygger på data for {res().period}. Alle tal kan hentes som åbne data, og hver side fortæller, "
        "hvad der ikke kan måles med de åbne data. Læs om beregningerne under {doc}`/book/metode`, og om "
        "kilderne under {doc}`/book/chapters/data`."
    )
    return display.md("\n".join(lines))


# --- targets ---------------------------------------------------------------------------------------


@functools.cache
def policy_statuses() -> dict[str, pd.DataFrame]:
    """The policy targets' status for the whole city ("alle") and each area: what the targets page's
    table and its sentences both read."""
    listed = listed_estates(res())
    return {s: follow_up.policy_table(res().series, s, listed) for s in ["alle", *(a.slug for a in reference.areas())]}


def policy_status_table():
    pol = reference.policy()
    status = policy_statuses()
    city = status["alle"]
    rows = []
    for i, t in enumerate(pol.targets):
        row = {
            "Mål 2020": t.text + (" (stedfortræder)" if t.proxy else ""),
            "Hele byen / alle seks": _status_cell(city.iloc[i]),
        }
        for a in reference.areas():
            row[a.name] = _status_cell(status[a.slug].iloc[i])
        rows.append(row)
    cols = ("Hele byen / alle seks", *(a.name for a in reference.areas()))
    target = reference.param("targets", "target_year")
    caption = (
        f"Status for politikkens mål pr. område. Regeringens liste findes også efter {target}: dens mål er "
        f"nået eller ikke nået på listen for {target} og bedømmes også på den seneste liste"
    )
    return display.table(pd.DataFrame(rows), caption=caption, html_columns=cols)


def _status_cell(r) -> str:
    return wording.status_cell(r["status"], r["at_target_year"], r["status_latest"], r["latest_year"])


def proxy_notes():
    """Why a target measured by a stand-in shows no colour ("Kan ikke vurderes"): its note."""
    proxies = [t for t in reference.policy().targets if t.proxy]
    return display.md(
        "**Stedfortrædere får ingen farve.** Tabellens mål med »(stedfortræder)« vises med et beslægtet tal, "
        "fordi målets eget tal ikke findes som åbne data:\n\n"
        + "\n".join(f"- *{t.text}.* {_sentence(t.proxy_note.split(': ', 1)[-1])}" for t in proxies)
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _why_no_data(target) -> str:
    """Why a policy target has no figures: a stand-in's reason is given above the list (proxy_notes),
    else the target's source, which has not published the figures."""
    if target.proxy:
        return "stedfortræderen findes ikke for områderne (se ovenfor)"
    return f"*{wording.unpublished_source(target.measured_by)}*"


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
                f"{wording.goals_text(p)}, {len(status)} delmål ({tables.status_counts(status['status']) or 'ingen'})."
            )
        )
        if len(status):
            pol = reference.policy().goals
            t = pd.DataFrame(
                {
                    "Områdets mål": [g.title for g in p.goals for _ in g.targets],
                    "Tjener": [pol[g.policy_goal]["name"] for g in p.goals for _ in g.targets],
                    "Delmål": list(status["text"]),
                    "Status": [wording.status_badge(s) for s in status["status"]],
                }
            )
            out.append(display.table(t, caption=f"{a.name}: planens mål", html_columns=("Status",)))
    return out


def status_legend():
    return display.md("\n".join(f"- {wording.status_badge(k)} {v}" for k, v in wording.STATUS_EXPLAINED.items()))


def no_open_data():
    """The targets the table shows without data anywhere, and those it shows for only some columns,
    counted from the same statuses as the table."""
    pol = reference.policy()
    status = policy_statuses()
    has_data = [[s.iloc[i]["status"] != "no-data" for s in status.values()] for i in range(len(pol.targets))]
    nowhere = [t for t, d in zip(pol.targets, has_data, strict=True) if not any(d)]
    names = ["hele byen / alle seks", *(a.name for a in reference.areas())]
    partly = [
        (t, [n for n, ok in zip(names, d, strict=True) if not ok])
        for t, d in zip(pol.targets, has_data, strict=True)
        if any(d) and not all(d)
    ]
    lines = [
        f"**{len(nowhere)} af {len(pol.targets)} mål kan hverken følges for områderne eller for hele byen med "
        "åbne data.** De vises som manglende i stedet for at blive gættet:\n",
        *(f"- {t.text} – {_why_no_data(t)}" for t in nowhere),
    ]
    if partly:
        lines += [
            f"\n{wording.number_word(len(partly), neuter=True).capitalize()} mål kan kun følges i nogle af "
            "tabellens kolonner:\n",
            *(f"- {t.text} – ingen tal for {wording.join_da(missing)}" for t, missing in partly),
        ]
    return display.md("\n".join(lines))


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
        display.downloads(None, depth=2) + "\n\nÉn fil pr. område findes på hvert områdes side, og tallene bag "
        "hver figur kan hentes som CSV under figuren. Alle downloads er diskretioneret efter reglerne på siden om "
        "metode."
    )


def dictionary():
    d = outputs.DICTIONARY.set_axis(["Fil", "Kolonne", "Betydning"], axis=1)
    return display.table(d, caption="Dataordbog")
