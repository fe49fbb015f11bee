"""What the city-wide pages show (front page, targets, waves, data): one function per cell. The page
"Byens udsatte byområder i tal" has its own module, :mod:`analysis.figures_page`.
"""

from __future__ import annotations

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
                    "Områdets mål": [g.title for g in p.goals for _ in g.targets],
                    "Tjener": [pol[g.policy_goal]["name"] for g in p.goals for _ in g.targets],
                    "Delmål": list(status["text"]),
                    "Status": [wording.status_badge(s) for s in status["status"]],
                }
            )
            out.append(
                display.table(t, caption=f"{a.name}: planens mål", html_columns=("Status",))
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
        display.downloads(None, depth=2) + "\n\nÉn fil pr. område findes på hvert områdes side, og tallene bag "
        "hver figur kan hentes som CSV under figuren. Alle downloads er diskretioneret efter reglerne på siden om "
        "metode."
    )


def dictionary():
    d = outputs.DICTIONARY.set_axis(["Fil", "Kolonne", "Betydning"], axis=1)
    return display.table(d, caption="Dataordbog")
