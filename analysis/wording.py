"""Every generated Danish sentence and label of the book, in one place for review.

Functions take computed tables (never raw data) and return text; numbers pass through
:mod:`analysis.fmt` for the Danish number format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import fmt, reference
from .markup import escape

if TYPE_CHECKING:  # the build process writes revision notes without importing pandas
    import pandas as pd

STATUS_LABELS: dict[str, str] = {
    "met": "Nået",
    "green": "På vej",
    "amber": "Delvist på vej",
    "red": "Ikke på vej",
    "missed": "Ikke nået",
    "grey": "Kan ikke vurderes",
    "no-data": "Ingen åbne data",
}

STATUS_EXPLAINED: dict[str, str] = {
    "met": "målet er nået nu (området ligger på eller under resten af byens niveau, "
    "eller gulvet er nået ud over usikkerheden)",
    "green": "mindst 95 % af den fremgang, en lige linje frem mod 2020 kræver",
    "amber": "60–95 % af den krævede fremgang",
    "red": "under 60 % af den krævede fremgang, eller udviklingen går den modsatte vej",
    "missed": "målåret er passeret, og målet blev ikke nået (efter målåret er et mål nået eller ikke nået, "
    "aldrig »på vej«)",
    "grey": "kan ikke vurderes: forskellen i udgangsåret er mindre end usikkerheden, usikkerheden "
    "spænder over mere end én farve, eller udviklingen kan ikke fremskrives",
    "no-data": "målet måles med en kilde, der ikke findes som åbne data; kilden er nævnt",
}

TREND_WORDS = {
    # (trend, side) -> verdict; side "behind" = the area has the higher share, "ahead" = the lower
    ("grows", "behind"): "Afstanden er vokset",
    ("shrinks", "behind"): "Afstanden er blevet mindre",
    ("grows", "ahead"): "Forspringet er vokset",
    ("shrinks", "ahead"): "Forspringet er blevet mindre",
    # origin describes who lives there: the difference is described, never judged
    ("grows", "neutral"): "Forskellen er vokset",
    ("shrinks", "neutral"): "Forskellen er blevet mindre",
}
NO_CLEAR_CHANGE = "Ingen klar ændring"

FIGURE_DATA = "Data bag figuren (CSV)"  # the link under every chart to the numbers it plots

PLAN_STATUS = {"udkast": "Udkast", "vedtaget": "Vedtaget"}
INITIATIVE_STATUS = {"planlagt": "Planlagt", "i gang": "I gang", "afsluttet": "Afsluttet"}


NUMBER_WORDS = ["nul", "én", "to", "tre", "fire", "fem", "seks", "syv", "otte", "ni", "ti"]


def number_word(n: int, neuter: bool = False) -> str:
    """A small count in words, as Danish text writes it ('tre'; one is 'ét' before a neuter noun
    such as 'mål'); from 11 in digits."""
    if n == 1 and neuter:
        return "ét"
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else fmt.number(n)


def join_da(items: list[str]) -> str:
    """ "a", "a og b", "a, b og c"."""
    items = list(items)
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1]


def in_place(name: str) -> str:
    """'på Nørrebro', 'på Amager Øst', 'i Valby': Copenhagen's districts take 'på' or 'i'."""
    on = ("Nørrebro", "Østerbro", "Vesterbro", "Amager", "Frederiksberg")
    return ("på " if name.startswith(on) else "i ") + name


def status_badge(status: str) -> str:
    """A coloured badge with the status word (never colour alone); styled in udsatte.css."""
    return f'<span class="status status-{status}">{STATUS_LABELS[status]}</span>'


def rule_text() -> str:
    """The delineation rule in Danish words, from the reference data."""
    r = reference.delineation()
    return (
        f"i {r.baseline_year} lå mindst {fmt.number(r.threshold - 100)} % over byens niveau "
        "på det sammensatte SØK-indeks"
    )


def ratio_text(r: float) -> str:
    """'andelen er 2,5 gange så høj' or 'andelen er 25 % højere'."""
    if r >= 1.5:
        return f"andelen er {fmt.number(r, 1)} gange så høj"
    return f"andelen er {fmt.number(100 * (r - 1))} % højere"


_PROBLEM_SENTENCES = [
    "Størst er forskellen for {label_l}: {area} i området mod {rest} i resten af byen – {ratio_text}.",
    "Dernæst kommer {label_l}, hvor området ligger på {area}, mens resten af byen ligger på {rest}.",
    "For {label_l} er andelen {area}, hvilket svarer til indeks {index} i forhold til hele København.",
]


def problem_indicators(comp: pd.DataFrame) -> pd.DataFrame:
    """The SØK indicators that can be problems or potentials: all but origin (neutral), which
    describes the residents and is shown under "Beboerne"."""
    return comp[comp["soek"] & ~comp["neutral"]]


def problem_text(comp: pd.DataFrame) -> str:
    """Sentences on the SØK indicators where the area lies clearly above the city, largest first."""
    soek = problem_indicators(comp)
    above = soek[soek["index"] > reference.param("problems", "above_city")]
    above = above.sort_values("index", ascending=False)
    if above.empty:
        return "Området ligger ikke markant over byens niveau på nogen af SØK-indikatorerne i det seneste år."
    parts = []
    for i, r in enumerate(above.itertuples()):
        parts.append(
            _PROBLEM_SENTENCES[min(i, len(_PROBLEM_SENTENCES) - 1)].format(
                label_l=r.label.lower(),
                area=fmt.percent(r.area),
                rest=fmt.percent(r.rest),
                index=fmt.index(r.index),
                ratio_text=ratio_text(r.ratio_rest),
            )
        )
    return " ".join(parts)


def _figures(rows: pd.DataFrame) -> list[str]:
    return [
        f"{r.label.lower()} ({fmt.percent(r.area)} mod {fmt.percent(r.city)} i hele byen)" for r in rows.itertuples()
    ]


def potential_text(comp: pd.DataFrame) -> str:
    """Where the area is at the city level or below it ('' where it is above on all)."""
    soek = problem_indicators(comp)
    low, high = reference.param("problems", "below_city"), reference.param("problems", "above_city")
    better = soek[soek["index"] < low].sort_values("index")
    level = soek[soek["index"].between(low, high)].sort_values("index")
    out = []
    if not better.empty:
        out.append("Området ligger under byens niveau for " + join_da(_figures(better)) + ".")
    if not level.empty:
        out.append("Det ligger på niveau med byen for " + join_da(_figures(level)) + ".")
    return " ".join(out)  # nothing: "Potentialer" does not open with a problem


def trend_verdict(row) -> str:
    if row.trend == "unclear":
        return NO_CLEAR_CHANGE
    side = "neutral" if row.neutral else ("ahead" if row.area_better else "behind")
    return TREND_WORDS[(row.trend, side)]


def distance_word(row) -> str:
    """What the gap is called: 'forspringet' where the area is better off, 'forskellen' for origin
    (neither better nor worse), else 'afstanden' (method page, "Udvikling over tid")."""
    return "forskellen" if row.neutral else "forspringet" if row.area_better else "afstanden"


def trend_text(summary: pd.DataFrame) -> str:
    """One sentence per verdict, grouping the indicators that share it."""
    verdicts = {
        r.label.lower(): (trend_verdict(r), distance_word(r) if r.trend == "unclear" else "")
        for r in summary.itertuples()
    }
    out = []
    for verdict, word in dict.fromkeys(verdicts.values()):
        labels = join_da([k for k, v in verdicts.items() if v == (verdict, word)])
        if verdict == NO_CLEAR_CHANGE:
            out.append(
                f"For {labels} viser tallene ingen klar ændring i {word} til resten af byen: enten er "
                "usikkerheden for stor, eller ændringen er under grænsen for en væsentlig ændring."
            )
        else:
            out.append(f"For {labels}: {verdict.lower()} i forhold til resten af byen.")
    return " ".join(out)


def favourable_trends_text(summary: pd.DataFrame) -> str:
    """SØK indicators where an area behind the rest of the city has clearly closed in."""
    good = summary[summary["soek"] & ~summary["neutral"] & (summary["trend"] == "shrinks") & ~summary["area_better"]]
    if good.empty:
        return ""
    return f"Afstanden til resten af byen er blevet mindre for {join_da(good['label'].str.lower().tolist())}."


def signed(x: float, decimals: int = 1) -> str:
    """'+2,3' / '−0,5': a signed Danish number for tables whose header names the unit."""
    return fmt.pp(x, decimals).replace(" procentpoint", "")


def with_interval(x: float, lo: float, hi: float, decimals: int = 2) -> str:
    return f"{signed(x, decimals)} ({fmt.number(lo, decimals)} til {fmt.number(hi, decimals)})"


def coverage_note(comp: pd.DataFrame) -> str:
    """Say which indicators stop before the latest year (e.g. income missing in the last year)."""
    last = comp["year"].max()
    short = comp[comp["year"] < last]
    return " ".join(f"{r.label} findes ikke for {last} i kildedata; her vises {r.year}." for r in short.itertuples())


def turnout_text(area: str, rows: pd.DataFrame, city) -> str:
    """Turnout at the 2013 municipal election in the polling areas that lie mostly in the area
    (rows: analysis.turnout.area_turnout for the area; city: its city row)."""
    majority = fmt.number(100 * reference.param("turnout", "majority"))
    rule = (
        f"Et afstemningsområde regnes med, når mindst {majority} % af dets beboere bor i områdets roder "
        "(hver rode hører til det afstemningsområde, der dækker det meste af den)."
    )
    in_city = f"I hele København stemte {fmt.percent(100 * city.voted / city.eligible)} af de stemmeberettigede."
    counted = rows[rows["assigned"]]
    if counted.empty:
        return (
            f"Valgresultater findes kun for afstemningsområder, og intet af dem ligger overvejende i {area}; "
            f"valgdeltagelsen kan derfor ikke opgøres for området. {rule} {in_city}"
        )
    rate = 100 * counted["voted"].sum() / counted["eligible"].sum()
    covered = 100 * counted["residents_in_area"].sum() / rows["residents_in_area"].sum()
    one = len(counted) == 1
    these = "det afstemningsområde, der" if one else "de afstemningsområder, der"
    there = "det" if one else "dem"
    return (
        f"Ved kommunalvalget i november 2013 stemte {fmt.percent(rate)} af de stemmeberettigede i "
        f"{join_da(counted['name'].tolist())}, {these} overvejende ligger i {area}, mod "
        f"{fmt.percent(100 * city.voted / city.eligible)} i hele København. {fmt.percent(covered)} af områdets "
        f"beboere bor i {there} (tabellen viser det omvendte: hvor stor en del af hvert afstemningsområdes "
        f"beboere, der bor i området). {rule} Valgdeltagelsen er et almindeligt mål for, hvor meget beboerne "
        "deltager i byens demokrati."
    )


def residents_text(area: str, residents: int, year: int, origin) -> str:
    """Who lives in the area, neutrally: residents and the share with non-western origin (a row
    of area_comparison), which is never counted as a problem or judged better or worse."""
    return (
        f"{area} havde {fmt.number(residents)} beboere i {year}. I {origin.year} havde "
        f"{fmt.percent(origin.area)} af beboerne ikke-vestlig herkomst mod {fmt.percent(origin.rest)} i resten af "
        "byen. Herkomst "
        "beskriver, hvem der bor i området. Bogen regner den ikke som et problem og vurderer ikke, om en "
        "højere eller lavere andel er bedre eller værre."
    )


def plan_intro(plan, area, wave) -> str:
    """The opening of an area chapter: what kind of plan, its status and where it comes from."""
    status = PLAN_STATUS[plan.status]
    title = f"**{escape(plan.title)}** · {wave.title.split(': ')[0]} ({area.wave}, budget {wave.budget})"
    text = f"{title} · Status: **{status}**"
    if plan.adopted:
        text += f", vedtaget {escape(plan.adopted)}"
    if plan.council_ref:
        text += f" ({escape(plan.council_ref)})"
    text += "."
    if plan.source and plan.goals:
        text += f" Målene er gengivet fra {escape(plan.source_text())}."
    elif plan.source:
        text += (
            f" Planen er offentliggjort som {escape(plan.source_text())}. "
            "Dens mål er gengivet under Forandringsstrategi; delmål, indsatser og budgetter kunne ikke læses i de "
            "offentligt tilgængelige kilder og er ikke gengivet."
        )
    if plan.status == "udkast" and plan.goals:
        text += (
            " Målene i denne udgave er et udkast foreslået ud fra data og er ikke vedtaget. Planlæggerne "
            f"retter dem i plans/{area.slug}.md."
        )
    return text


def measure_text(kind: str, name: str) -> str:
    if kind == "indicator":
        return reference.indicator(name).name + " (åbne data)"
    if kind == "supplied":
        return f"{name} (leveres af forvaltningen)"
    return name


def policy_ratios_text(t: pd.DataFrame) -> str:
    """How the policy's ratios compare with the two reproduced ones (indicators.policy_ratios): an
    explanation for the indicators whose published ratio lies between them, and an honest 'we
    cannot tell' for those where it lies outside both."""
    known = t.dropna(subset=["reproduced"])
    low, high = known[["bydele", "reproduced"]].min(axis=1), known[["bydele", "reproduced"]].max(axis=1)
    names = known["indicator"].map(lambda k: reference.indicator(k).phrase)
    between = names[(low <= known["published"]) & (known["published"] <= high)].tolist()
    outside = names[(known["published"] < low) | (known["published"] > high)].tolist()
    text = (
        "Politikken skriver fx, at når der i resten af byen er to borgere med kort eller ingen uddannelse, så er "
        "der tre i de udsatte byområder. Afgrænsningen her udvælger netop de roder, der ligger højt på de samme "
        "indikatorer, og giver derfor større forhold, end når alle roder i områdernes bydele regnes med. "
        "Politikken offentliggjorde ikke sine grænser"
    )
    text += (
        f"; for {join_da(between)} ligger dens tal mellem de to, som afgrænsningen kan forklare." if between else "."
    )
    if outside:
        text += (
            f" For {join_da(outside)} ligger politikkens tal uden for begge beregninger, og det kan afgrænsningen "
            "ikke forklare: politikken kan have brugt en anden definition eller et andet år, som den ikke oplyser."
        )
    missing = [reference.indicator(k).phrase for k in t.loc[t["reproduced"].isna(), "indicator"]]
    if missing:
        text += f" {join_da(missing).capitalize()} kan ikke beregnes for områderne: den findes kun for hele byen."
    return text


def city_only_text(soek: int, of: int, others: list[str]) -> str:
    """'Tre af de seks SØK-indikatorer og andelen af almene boliger findes … kun i en fil med bydelstal'."""
    subject = f"{number_word(soek).capitalize()} af de {number_word(of)} SØK-indikatorer"
    if others:
        subject += " samt " + join_da(others)
    return f"{subject} findes i de åbne data kun i en fil med bydelstal, som fordeler tallene forkert på bydelene"


def unpublished_source(measured_by: str) -> str:
    """A target's source, saying what is not published: the SØK is open data, its measure of a
    target such as the resident mix is not."""
    if measured_by == "Det Socioøkonomiske Københavnerkort":
        return f"{measured_by} (opgørelsen for dette mål er ikke offentliggjort)"
    return measured_by


def goals_text(plan) -> str:
    """How many goals a plan has, the same on every page: its goals in the data part, else the goals
    its published plan names ('4 mål, endnu uden delmål')."""
    if plan.goals or not plan.published_goals:
        return f"{len(plan.goals)} mål"
    return f"{len(plan.published_goals)} mål, endnu uden delmål"


def plan_in_brief(status: str, goals: int, targets: int, counts: str) -> str:
    """The plan in one sentence for "Kort fortalt", e.g. "Planen (vedtaget) har 3 mål med 5 delmål: …"."""
    if not goals:
        return f"Planen ({PLAN_STATUS[status].lower()}) har endnu ingen egne mål med delmål, der kan følges i tallene."
    return f"Planen ({PLAN_STATUS[status].lower()}) har {goals} mål med {targets} delmål" + (
        f": {counts}." if counts else "."
    )


# --- revision notes ---------------------------------------------------------------------------------

INPUT_NAMES = {
    "template": "skabelonen",
    "parameters": "parametrene",
    "data": "data",
    "code": "beregningskoden",
    "plan": "planen",
}


def plan_changes(before: dict, after: dict) -> str:
    """'tilføjet: …; fjernet: …; ændret: …' or ''."""
    parts = [
        ("tilføjet", [k for k in after if k not in before]),
        ("fjernet", [k for k in before if k not in after]),
        ("ændret", [k for k in after if k in before and before[k] != after[k]]),
    ]
    return "; ".join(f"{word}: {', '.join(map(escape, items))}" for word, items in parts if items)


def revision_note(previous: dict, inputs: dict, figures: dict, items: dict | None = None, edition=None) -> str:
    """Danish note on what changed since the chapter as published in the last edition
    (``previous``: the edition's record of the chapter; deterministic text)."""
    data = inputs["data"][:12]
    if not previous:
        return f"Første udgave af kapitlet, bygget på dataversion {data}."
    since = f"Siden udgave {edition}" if edition else "Siden sidste udgave"
    changed = [INPUT_NAMES[k] for k in INPUT_NAMES if previous.get("inputs", {}).get(k, "") != inputs.get(k, "")]
    if not changed:
        return f"Uændret siden udgave {edition} af bogen (dataversion {data})." if edition else "Uændret."
    text = f"{since} af bogen er " + " og ".join(changed) + " ændret"
    text += f" (dataversion {previous['inputs']['data'][:12]} → {data})." if "data" in changed else "."
    if "planen" in changed and (diff := plan_changes(previous.get("plan", {}), items or {})):
        text += f" Ændringer i planen – {diff}."
    moved = [
        f"{label.lower()} {fmt.percent(old)} → {fmt.percent(figures[label])}"
        for label, old in previous.get("figures", {}).items()
        if label in figures and abs(figures[label] - old) >= 0.05
    ]
    text += (
        (" Nøgletal, der har flyttet sig: " + "; ".join(moved) + ".") if moved else " Ingen nøgletal har flyttet sig."
    )
    return text


# --- the government-list target ----------------------------------------------------------------------


def _areas(n: float) -> str:
    return f"{fmt.number(n)} {'område' if n == 1 else 'områder'}"


def _at_most(goal: float) -> str:
    import math

    n = math.floor(goal + 1e-9)  # a count: at most half of 3 is 1
    return _areas(0) if n == 0 else f"højst {_areas(n)}"


def count_rule(base_year: int, base_count: int, reduction: float, target_year: int) -> str:
    """The rule of a count target, stated once: the method page says it, the table and its note follow it."""
    return (
        f"antallet af områder i København på regeringens liste i {base_year} – {_areas(base_count)}, som "
        f"politikken selv nævner – mod den sidste liste ved udgangen af {target_year}. Målet er nået, når "
        f"antallet er skåret med {fmt.number(100 * reduction)} % ({_at_most((1 - reduction) * base_count)}). "
        f"Da {target_year} er passeret, er målet nået eller ikke nået, aldrig »på vej«. Den seneste liste vises "
        "ved siden af og bedømmes efter samme mål. Navnene på listen fra "
        f"{base_year} er ikke fundet, så for det enkelte område er udgangspunktet den første liste med navne"
    )


def count_note(known, base_year, y0, yt, yl, goal, at_target, latest, stated) -> str:
    """The note under the policy table on the government-list target (counts per list-year)."""
    n0, nt, nl = known[y0], known[yt], known[yl]
    if y0 == base_year:
        start = f"Udgangspunktet er listen for {y0} med {_areas(n0)} i København, som politikken selv nævner."
    else:
        start = (
            f"Politikkens udgangspunkt er listen for {base_year} med {_areas(stated)} i København, men listens "
            "navne er ikke fundet, så de kan ikke fordeles på områderne; områdets udgangspunkt er den første "
            f"liste med navne, {y0}, med {_areas(n0)}."
        )
    text = f"{start} Målet er {_at_most(goal)} på listen for {yt}, hvor der stod {_areas(nt)}: "
    text += f"{STATUS_LABELS[at_target].lower()}."
    if nt > n0:
        text += f" Antallet er steget fra {fmt.number(n0)} i {y0} til {fmt.number(nt)} i {yt}."
    if yl != yt:
        text += f" Seneste liste er fra {yl} med {_areas(nl)}: {STATUS_LABELS[latest].lower()}."
    return text + (" Kriterierne for listen blev ændret i 2013/14 og 2018, så antallene er ikke helt sammenlignelige.")


def status_cell(status: str, year=None, latest: str | None = None, latest_year=None) -> str:
    """A target's status badge; for a target judged at the target year with a later value shown
    beside it (the government list), both: "Nået i 2020; Nået på seneste liste (2023)"."""
    if not isinstance(latest, str):
        return status_badge(status)
    if latest_year == year:
        return f"{status_badge(status)} i {int(year)}"
    return f"{status_badge(status)} i {int(year)}; {status_badge(latest)} på seneste liste ({int(latest_year)})"


# --- Nåede områderne målene? (analysis.outcome, analysis.outcome_pages) ----------------------------

OUTCOME_BADGE = {"nået": "met", "ikke nået": "missed", "kan ikke afgøres med åbne data": "grey"}
OUTCOME_MEASURES = {
    # indicator of the kvarter file -> (label, phrase in a sentence, the rode measure it replaces)
    "income_med": ("Medianindkomst", "den disponible medianindkomst", "andelen med lav indkomst"),
    "higher_ed": (
        "Videregående uddannelse",
        "andelen af de 15–69-årige med en videregående uddannelse",
        "andelen af de 16–64-årige uden uddannelse ud over grundskolen",
    ),
    "avg_m2": ("Boligareal", "det gennemsnitlige boligareal pr. bolig", "boligareal pr. beboer"),
    "almene": ("Almene boliger", "andelen af almene boliger", "andelen af almene boliger"),
    "unemp": ("Registreret ledighed", "de registrerede ledige i procent af alle beboere", "beskæftigelsesgraden"),
}
OUTCOME_COMPARATOR = (
    "Byens tal er medianen af de 67 kvarterers tal samme år: det kvarter, som halvdelen af kvartererne "
    "ligger over og halvdelen under. Det er ikke et gennemsnit vægtet med befolkningen – kvarterfilen har "
    "ingen årlige befolkningstal pr. kvarter, og den har intet tal for hele byen – så »byens niveau« betyder "
    "her »det midterste kvarter«."
)
OUTCOME_AREA_FIGURE = (
    "Områdets tal er et vægtet gennemsnit af kvarterernes tal, vægtet med områdets beboere i hvert kvarter "
    "(2014); for medianindkomsten er det altså et gennemsnit af kvarterernes medianer, ikke områdets egen median."
)


def outcome_verdict_cell(verdict: str) -> str:
    """The verdict as a badge in the book's status colours, with the verdict's own words."""
    status = OUTCOME_BADGE[verdict]
    return f'<span class="status status-{status} status-wrap">{verdict[0].upper() + verdict[1:]}</span>'


def outcome_change_of_measure(key: str) -> str:
    label, phrase, old = OUTCOME_MEASURES[key]
    return f"Målskifte: {phrase} i stedet for {old}."


def outcome_gap_text(key: str, area: float, city: float, year: int) -> str:
    """ "i 2024 var medianindkomsten 234.262 kr. i områdets kvarterer mod 302.634 kr. i det midterste kvarter
    (22,6 % lavere)"."""
    label, phrase, _ = OUTCOME_MEASURES[key]
    if key == "income_med":
        rel = 100 * (area - city) / city
        side = "lavere" if rel < 0 else "højere"
        return (
            f"{phrase} var {fmt.number(area)} kr. i områdets kvarterer mod {fmt.number(city)} kr. i det midterste "
            f"kvarter i {year} ({fmt.number(abs(rel), 1)} % {side})"
        )
    if key == "avg_m2":
        return (
            f"{phrase} var {fmt.number(area)} m² i områdets kvarterer mod {fmt.number(city)} m² i det midterste "
            f"kvarter i {year}"
        )
    return (
        f"{phrase} var {fmt.percent(area)} i områdets kvarterer mod {fmt.percent(city)} i det midterste kvarter "
        f"i {year} ({fmt.pp(area - city)})"
    )


def outcome_rode_text(phrase: str, area: float, rest: float, year: int) -> str:
    return f"{phrase} var {fmt.percent(area)} i området mod {fmt.percent(rest)} i resten af byen i {year}"


def outcome_lift_evidence(after: list[str], before: list[str]) -> str:
    return (
        "Efter 2014 (kvarterer): "
        + "; ".join(after)
        + ". Før bruddet (roder): "
        + "; ".join(before)
        + ". "
        + outcome_change_of_measure("income_med")
        + " "
        + outcome_change_of_measure("higher_ed")
        + " Reglen: målet er, at intet område adskiller sig negativt. Det er ikke nået, når områdets kvarterer "
        "ligger mere end 10 % (indkomst) eller 5 procentpoint (uddannelse) under det midterste kvarter; ellers "
        "kan det ikke afgøres, og det kan det heller ikke, når over halvdelen af områdets vægt ligger i kvarterer, "
        "der mest ligger uden for området. Nået kan målet ikke blive med åbne data: det gælder også sundhed og "
        "tryghed, som de åbne data ikke måler."
    )


def outcome_youth_evidence(after: str, before: str) -> str:
    return (
        "De åbne data har ikke de unges gennemførelse af en ungdomsuddannelse. Nærmeste tal: "
        f"{before}; {after}. " + outcome_change_of_measure("higher_ed")
    )


def outcome_employment_evidence(bydel: str, value: float, median: float, year: int) -> str:
    return (
        "Beskæftigelsesgraden findes ikke som åbne data for området, og efter 2014 heller ikke andelen uden for "
        f"arbejdsmarkedet. Registreret ledighed findes kun pr. bydel: {fmt.percent(value, 2)} af alle beboere i "
        f"{bydel} mod {fmt.percent(median, 2)} i den midterste bydel ({year}). Det er hele bydelen, ikke området. "
        + outcome_change_of_measure("unemp")
    )


def outcome_housing_evidence(city_2014: float, first: float, last: float, y0: int, y1: int) -> str:
    return (
        f"Målet gælder hele byens boligmasse. I 2014 var {fmt.percent(city_2014)} af byens boliger almene "
        "(bydelsfilens bytal). Kvarterfilen har andelen pr. kvarter, men ikke antallet af boliger, så byens "
        f"andel kan ikke dannes for 2020. I områdets kvarterer var andelen {fmt.percent(first)} i {y0} og "
        f"{fmt.percent(last)} i {y1}."
    )


def outcome_list_evidence(note: str) -> str:
    return "Efter reglen på siden om målene for 2020 (regeringens lister; listen i 2020 afgør målet): " + (
        note or "ingen liste i perioden"
    )


def outcome_no_data_evidence(measured_by: str) -> str:
    return (
        f"Måles med {measured_by}, som ikke findes som åbne data. Kommunens midtvejsstatus i 2016 "
        "fandt, at flere af målene ikke kunne følges, fordi datakilderne var ophørt."
    )


def outcome_2017_evidence(n_halved: int, n_gap: int) -> str:
    return (
        "Politikken fra 2017 måler fem kriterier; de åbne kvartertal når tre af dem, og med andre mål "
        "(medianindkomst, videregående uddannelse, boligareal pr. bolig). Arbejdsmarked og herkomst findes "
        f"ikke pr. kvarter. På de tre er afstanden til det midterste kvarter halveret fra 2016 til seneste år "
        f"på {number_word(n_halved)} af de {number_word(n_gap)}, hvor området lå under. Politikken fra 2017 "
        "udpegede desuden nye områder, så 2011-områderne er ikke de områder, målet gælder."
    )


def outcome_sentence(area: str, lift: str, gaps: dict, outside: bool = False) -> str:
    """One plain sentence on the outcome of an area (front page and "Kort fortalt")."""
    income, edu = gaps["income_med"], gaps["higher_ed"]
    figures = (
        f"medianindkomsten i områdets kvarterer lå {fmt.number(abs(income[0]), 0)} % "
        f"{'under' if income[0] < 0 else 'over'} det midterste kvarters i {income[1]}, og andelen med en "
        f"videregående uddannelse {fmt.number(abs(edu[0]), 0)} procentpoint "
        f"{'under' if edu[0] < 0 else 'over'} i {edu[1]}"
    )
    if lift == "nået":
        head = f"{area} er løftet til københavnerniveau på de mål, de åbne data har"
    elif lift == "ikke nået":
        head = f"{area} er ikke løftet til københavnerniveau"
    else:
        head = f"Om {area} er løftet til københavnerniveau, kan ikke afgøres med åbne data"
    if outside:
        figures += ", men de kvarterer, tallene er fra, ligger mest uden for området"
    return f"{head}: {figures}."


OUTCOME_FRONT_PAGE_TAIL = (
    "De fleste af politikkens mål kan ikke afgøres med åbne data. Læs mere i {doc}`/book/chapters/udfald`."
)


def outcome_area_intro(parts: list[str], outside: list[str]) -> str:
    """The opening of an area's section "Nåede området målene?": its kvarterer and how its figures
    and the city comparator are formed. parts: "Name (48 %)"; outside: kvarterer mostly outside."""
    text = (
        "Politikkens mål gælder 2020, men rodedata slutter i 2014. Kommunens Statistikbank har tal pr. kvarter "
        "fra 2016, med andre mål. Området er ikke et kvarter; det dækker dele af kvartererne "
        + join_da(parts)
        + " (andel af områdets beboere i 2014, beregnet efter rodernes areal i hvert kvarter). "
        + OUTCOME_AREA_FIGURE
        + " "
        + OUTCOME_COMPARATOR
    )
    if outside:
        text += (
            f" {join_da(outside)} ligger mest uden for området: under halvdelen af kvarterets beboere bor i "
            "områdets roder, så tallene beskriver mest andre mennesker. De tælles med, med det forbehold."
        )
    return text + " Se {doc}`/book/chapters/udfald` for hele metoden."


def outcome_method_text() -> str:
    return (
        OUTCOME_AREA_FIGURE
        + " "
        + OUTCOME_COMPARATOR
        + " Afstanden måles i procentpoint for andele og i procent af det midterste kvarters tal for indkomst og "
        "boligareal. Før 2014 sammenlignes områdets egne roder med resten af byen, som i resten af bogen (se "
        "{doc}`/book/metode`)."
    )


def outcome_criteria_2017() -> list[tuple[str, str, str]]:
    """The five designation criteria of the 2017 policy: does open data reach them, and how."""
    return [
        ("Beboere uden for arbejdsmarkedet", "Nej", "Kun registreret ledighed pr. bydel (i procent af alle beboere)."),
        ("Beboere uden uddannelse", "Delvist", outcome_change_of_measure("higher_ed")),
        ("Beboere med lav indkomst", "Delvist", outcome_change_of_measure("income_med")),
        ("Beboere med ikke-vestlig herkomst", "Nej", "Herkomst findes ikke pr. kvarter i de åbne data efter 2014."),
        ("Boligareal pr. beboer", "Delvist", outcome_change_of_measure("avg_m2")),
    ]
