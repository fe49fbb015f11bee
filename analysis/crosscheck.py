"""Cross-source checks: every figure is compared with an independent source before it is used.

Checks (tolerances, reference dates and column meanings in analysis/reference/checks.toml):

- bydel_population: bydel file residents vs Statistikbank BE4.3, per bydel and year;
- rode_population: sum of the bydel's roder (rode file) vs BE4.3, per bydel and year;
- income_persons: bydel file income persons vs IN74 persons (each bydel's share of the city);
- rode_shares: bydel file shares vs the same shares pooled from the bydel's roder;
- city_totals: bydel file city totals vs rode file city totals;
- rode_coverage and labour_coverage: years with missing roder or a break in a definition;
- the rode columns' meanings vs the copy of the rode file with the original Danish column names
  (check_glossary: a mismatch stops the build).

A bydel-year whose roder are not all in the rode file is not compared (a partial sum is not the
bydel's figure); it is listed as skipped. How two series are compared and recorded is in
:mod:`analysis.comparison`.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from . import load, paths, reference
from .comparison import CITY, Check, CheckResult, Report, unit_label
from .errors import DataError

CHECKS_FILE = paths.REFERENCE / "checks.toml"
GLOSSARY_TABLE = "rode_glossary"  # the table of checks.toml with the rode columns' Danish names

BYDEL_POPULATION = "bydel_population"
RODE_POPULATION = "rode_population"
INCOME_PERSONS = "income_persons"
RODE_SHARES = "rode_shares"
CITY_TOTALS = "city_totals"
RODE_COVERAGE = "rode_coverage"
LABOUR_COVERAGE = "labour_coverage"

INCOME_COLUMNS = ("antal_lav_indkomst", "antal_middel_indkomst", "antal_hoj_indkomst")
LABOUR_COLUMNS = ("antal_tilkn_arb_markedet", "antal_udf_arb_markedet")
# Reference population each rode share is pooled with (method page, "Indikatorerne"); residents if absent.
SHARE_WEIGHTS = {"non-Western": "residents", "No education": "working_age", "Low income": "adults"}


@dataclass(frozen=True)
class Tolerances:
    population_year_offset: int
    population_tolerance: float
    income_year_offset: int
    income_tolerance: float
    share_tolerance_pp: float
    city_residents_tolerance: float
    city_share_tolerance_pp: float
    coverage_threshold: float
    labour_coverage_tolerance_pp: float


def _read_checks(path: Path) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def tolerances(path: Path = CHECKS_FILE) -> Tolerances:
    """The check parameters from checks.toml (a missing or unknown key is an error)."""
    data = _read_checks(path)
    data.pop(GLOSSARY_TABLE, None)
    return Tolerances(**data)


def glossary_names(path: Path = CHECKS_FILE) -> dict[str, str]:
    """The rode file's column -> the original Danish name it is assumed to be (checks.toml)."""
    return dict(_read_checks(path)[GLOSSARY_TABLE])


# ---------------------------------------------------------------------------------------- helpers


def bydel_population(population: pd.DataFrame, year_offset: int) -> pd.Series:
    """BE4.3 per (year, bydel_nr) for data year = count year - year_offset (ten bydele only)."""
    p = population.dropna(subset=["bydel_nr"])
    index = pd.MultiIndex.from_arrays([p["year"] - year_offset, p["bydel_nr"].astype(int)], names=["year", "bydel_nr"])
    return pd.Series(p["population"].to_numpy(float), index=index)


def bydel_coverage(rode: pd.DataFrame, roster: pd.Series) -> pd.DataFrame:
    """Per (year, bydel_nr): roder present in the rode frame and roder expected (roster:
    rodenavn -> bydel_nr for every rode polygon)."""
    expected = roster.value_counts().rename("expected")
    present = rode.assign(bydel_nr=rode["rodenavn"].map(roster)).groupby(["year", "bydel_nr"]).size()
    years = sorted(rode["year"].unique())
    index = pd.MultiIndex.from_product([years, expected.index.sort_values()], names=["year", "bydel_nr"])
    out = present.rename("present").reindex(index, fill_value=0).to_frame()
    out["expected"] = out.index.get_level_values("bydel_nr").map(expected)
    return out


def _complete(rode: pd.DataFrame, roster: pd.Series, names) -> tuple[pd.Index, list[str]]:
    """(year, bydel_nr) keys with every rode present, and a skip reason for the others."""
    cov = bydel_coverage(rode, roster)
    full = cov["present"] == cov["expected"]
    reasons = [
        f"{unit_label(nr, names)}, {year}: {r.present} of {r.expected} roder in {load.RODE_FILE}; not compared"
        for (year, nr), r in cov[~full].iterrows()
    ]
    return cov.index[full], reasons


def rode_sums(rode: pd.DataFrame, roster: pd.Series) -> pd.Series:
    """Residents per (year, bydel_nr) summed over the bydel's roder."""
    by = rode.assign(bydel_nr=rode["rodenavn"].map(roster))
    return by.groupby(["year", "bydel_nr"])["residents"].sum()


def pooled_shares(rode: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Rode shares pooled over `by` groups, each weighted by its reference population
    (SHARE_WEIGHTS column if present, else residents). A group without values stays missing."""
    out = {}
    for col in SHARE_WEIGHTS:
        weight = SHARE_WEIGHTS.get(col, "residents")
        w = rode[weight] if weight in rode.columns else rode["residents"]
        ok = rode[col].notna() & w.notna()
        frame = pd.DataFrame({"num": (rode[col] * w).where(ok), "den": w.where(ok)})
        sums = frame.groupby([rode[k] for k in by]).sum(min_count=1)
        out[col] = sums["num"] / sums["den"].where(sums["den"] > 0)
    return pd.DataFrame(out)


def bydel_shares(bydel: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The bydel file's shares (%) for the indicators that also exist at rode level, by rode column."""
    out = {}
    for ind in reference.indicators():
        if ind.rode_column is None:
            continue
        num = bydel[list(ind.bydel_numerator)].sum(axis=1)
        den = bydel[list(ind.bydel_denominator)].sum(axis=1)
        sums = pd.DataFrame({"num": num, "den": den}).groupby([bydel[k] for k in by]).sum()
        out[ind.rode_column] = 100.0 * sums["num"] / sums["den"].where(sums["den"] > 0)
    return pd.DataFrame(out)


# ----------------------------------------------------------------------------------------- checks


def _against_population(check: Check, a, population, year_offset, names, what, skipped=()) -> CheckResult:
    """A population check: counts `a` (indexed by year, bydel_nr) from the file under test vs BE4.3."""
    b = bydel_population(population, year_offset).reindex(a.index)
    part = check.compare(a, b, what, names, note=lambda y, _: f"BE4.3 on 31 Dec {y + year_offset}")
    return check.result(part, skipped=skipped)


def check_bydel_population(bydel, population, tolerance, year_offset=-1, names=None) -> CheckResult:
    """(a) bydel file antal_beboere vs BE4.3 per bydel and year (relative tolerance)."""
    a = bydel.set_index(["year", "bydel_nr"])["antal_beboere"].astype(float)
    files = (load.BYDEL_FILE, load.POPULATION_FILE)
    check = Check(BYDEL_POPULATION, "bydel", files, "bydel file residents vs BE4.3 population", tolerance)
    return _against_population(check, a, population, year_offset, names, "residents")


def check_rode_population(rode, roster, population, tolerance, year_offset=-1, names=None) -> CheckResult:
    """(b) sum of each bydel's roder vs BE4.3; bydel-years with missing roder are skipped."""
    complete, reasons = _complete(rode, roster, names)
    files = (load.RODE_FILE, load.POPULATION_FILE)
    check = Check(RODE_POPULATION, "bydel", files, "sum of the bydel's roder vs BE4.3 population", tolerance)
    a = rode_sums(rode, roster).reindex(complete)
    return _against_population(check, a, population, year_offset, names, "residents (sum of roder)", reasons)


def income_shares(persons: pd.Series) -> pd.Series:
    """Each bydel's share (%) of its year's persons (index (year, bydel_nr)); a year without any
    persons (not reported) stays missing."""
    total = persons.groupby(level="year").transform("sum")
    return 100.0 * persons / total.where(total > 0)


def check_income_persons(bydel, income, tolerance, year_offset=0, names=None) -> CheckResult:
    """(c) each bydel's share of the city's income persons: bydel file (low + middle + high income,
    residents 18+) vs IN74 persons (the income statistics' population). The levels differ by
    definition, so the shares are compared (relative tolerance)."""
    a_count = bydel.set_index(["year", "bydel_nr"])[list(INCOME_COLUMNS)].sum(axis=1).astype(float)
    inc = income.dropna(subset=["bydel_nr"])
    idx = pd.MultiIndex.from_arrays(
        [inc["year"] - year_offset, inc["bydel_nr"].astype(int)], names=["year", "bydel_nr"]
    )
    b_count = pd.Series(inc["persons"].to_numpy(float), index=idx)
    b_count = b_count[b_count.index.get_level_values("year").isin(a_count.index.get_level_values("year"))]

    def note(year, nr):
        nan = float("nan")
        return f"income persons {a_count.get((year, nr), nan):,.0f} vs {b_count.get((year, nr), nan):,.0f}"

    files = (load.BYDEL_FILE, load.INCOME_FILE)
    description = "bydel file income persons vs IN74 persons (share of city)"
    check = Check(INCOME_PERSONS, "bydel", files, description, tolerance, percent=True)
    a, b = income_shares(a_count), income_shares(b_count).reindex(a_count.index)
    return check.result(check.compare(a, b, "share of the city's income persons", names, note))


def check_shares(bydel, rode, roster, tolerance_pp, names=None) -> CheckResult:
    """(d) bydel file shares vs the shares pooled from the bydel's roder (percentage points)."""
    complete, reasons = _complete(rode, roster, names)
    a = bydel_shares(bydel, ["year", "bydel_nr"]).reindex(complete)
    b = pooled_shares(rode.assign(bydel_nr=rode["rodenavn"].map(roster)), ["year", "bydel_nr"]).reindex(complete)
    files = (load.BYDEL_FILE, load.RODE_FILE)
    description = "bydel file shares vs shares pooled from the bydel's roder"
    check = Check(RODE_SHARES, "bydel", files, description, tolerance_pp, relative=False, percent=True)
    parts = [check.compare(a[col], b[col], f"'{col}' share", names) for col in a.columns]
    return check.result(*parts, skipped=reasons)


def check_city_totals(bydel, rode, residents_tolerance, share_tolerance_pp) -> CheckResult:
    """(e) bydel file city totals vs rode file city totals: residents (relative) and shares (pp)."""
    files = (load.BYDEL_FILE, load.RODE_FILE)
    description = "bydel file city totals vs rode file city totals"
    residents = Check(CITY_TOTALS, "city", files, description, residents_tolerance)
    shares = replace(residents, tolerance=share_tolerance_pp, relative=False, percent=True)
    parts = [
        residents.compare(
            bydel.groupby("year")["antal_beboere"].sum().astype(float),
            rode.groupby("year")["residents"].sum(),
            "residents",
        )
    ]
    a, b = bydel_shares(bydel, ["year"]), pooled_shares(rode, ["year"])
    parts += [shares.compare(a[col], b[col], f"'{col}' share") for col in a.columns]
    return residents.result(*parts, tolerance=min(residents_tolerance, share_tolerance_pp))


# --------------------------------------------------------------------------------------- coverage


def coverage(rode, n_roder_expected, threshold, population=None, year_offset=-1) -> pd.DataFrame:
    """Per year: roder present and their share of n_roder_expected, residents and (with BE4.3)
    their share of the ten bydele's population; `below` marks a roder share under threshold."""
    g = rode.groupby("year")
    out = pd.DataFrame({"roder": g["rodenavn"].nunique(), "residents": g["residents"].sum()})
    out["roder_share"] = out["roder"] / n_roder_expected
    if population is not None:
        city = bydel_population(population, year_offset).groupby(level="year").sum()
        out["population"] = city.reindex(out.index)
        out["residents_share"] = out["residents"] / out["population"]
    out["below"] = out["roder_share"] < threshold
    return out


def check_coverage(cov: pd.DataFrame, n_roder_expected: int, threshold: float) -> CheckResult:
    """Years whose share of roder is below threshold, as failures (roder present vs expected)."""
    files = (load.RODE_FILE, load.RODE_GEO_FILE)
    check = Check(RODE_COVERAGE, "coverage", files, "roder present per year vs rode polygons", 1 - threshold)
    failures = tuple(
        check.failure(
            CITY,
            int(year),
            float(r.roder),
            float(n_roder_expected),
            "roder",
            f"{100 * r.roder_share:.1f} % of roder, threshold {100 * threshold:g} %",
        )
        for year, r in cov[cov["below"]].iterrows()
    )
    return replace(check.result(tolerance=threshold), compared=len(cov), failures=failures)


def missing_roder(rode: pd.DataFrame, roster: pd.Series) -> pd.DataFrame:
    """(year, rodenavn, bydel_nr) for every rode polygon absent from a year of the rode frame."""
    rows = [
        {"year": int(year), "rodenavn": name, "bydel_nr": int(roster[name])}
        for year, g in rode.groupby("year")
        for name in sorted(set(roster.index) - set(g["rodenavn"]))
    ]
    return pd.DataFrame(rows, columns=["year", "rodenavn", "bydel_nr"])


def missing_roder_notes(missing: pd.DataFrame, roster: pd.Series, names=None) -> list[str]:
    """One note per year with missing roder, by bydel."""
    expected = roster.value_counts()
    notes = []
    for year, g in missing.groupby("year"):
        parts = [
            f"{unit_label(nr, names)} {len(b)} of {expected[nr]} ({', '.join(b['rodenavn'])})"
            for nr, b in g.groupby("bydel_nr")
        ]
        notes.append(f"{year}: {len(g)} of {len(roster)} roder missing in {load.RODE_FILE}: {'; '.join(parts)}.")
    return notes


def labour_coverage(bydel: pd.DataFrame, denominator=("antal_beboere",)) -> pd.Series:
    """City labour-market coverage per year (%): (attached + outside the labour market) / denominator.
    The file has no 16-66 count, so the default denominator is all residents."""
    g = bydel.groupby("year")
    return 100.0 * g[list(LABOUR_COLUMNS)].sum().sum(axis=1) / g[list(denominator)].sum().sum(axis=1)


def check_labour_coverage(series: pd.Series, tolerance_pp: float) -> CheckResult:
    """Years whose value differs from the median of the other years by more than tolerance_pp."""
    others = pd.Series({y: series.drop(y).median() for y in series.index})
    files = (load.BYDEL_FILE, load.BYDEL_FILE)
    description = "labour-market coverage per year vs the other years"
    check = Check(LABOUR_COVERAGE, "coverage", files, description, tolerance_pp, relative=False, percent=True)
    what = "labour-market persons per resident"
    return check.result(check.compare(series, others, what, note=lambda y, _: "value_b: median of the other years"))


# --------------------------------------------------------------------------------- column meanings


def _values(column: pd.Series) -> Counter:
    """A column's numbers as a multiset: the two files order their rows differently, and the glossary
    has no year column to join on."""
    return Counter(pd.to_numeric(column, errors="coerce").dropna().round(6))


def _shared(a: Counter, b: Counter) -> int:
    return sum((a & b).values())


def check_glossary(rode: pd.DataFrame, glossary: pd.DataFrame, expected: Mapping[str, str] | None = None) -> None:
    """Each rode column the project reads must share most of its values with the glossary column of
    the Danish name the project assumes for it (checks.toml [rode_glossary], e.g. 'Ages 50-59' is
    alder_pct_50_64), more than with any other glossary column: the two files may cover different
    years (an update of one of them), but not swap columns. rode: load.load_rode().frame; glossary:
    load.load_rode_glossary(). A DataError names the rode column, the Danish column expected and the
    one found, with the number of values each shares with it."""
    expected = glossary_names() if expected is None else expected
    rode = rode.rename(columns={new: old for old, new in load.RODE_RENAMES.items()})
    danish = {c: _values(glossary[c]) for c in glossary.columns if c not in ("area_id", "area_name")}
    problems = []
    for column in ["Number of residents", *load.rode_share_columns()]:
        want = expected.get(column)
        if want is None:
            problems.append(f"column {column!r}: no Danish name in {CHECKS_FILE.name} [{GLOSSARY_TABLE}]")
            continue
        values = _values(rode[column])
        shared = {c: _shared(values, v) for c, v in danish.items()}
        found = max(shared, key=shared.get)
        if want in shared and shared[want] == shared[found] and 2 * shared[want] > values.total():
            continue
        where = f"in column {found!r} ({shared[found]})" if shared[found] else "in no column"
        problems.append(
            f"column {column!r}: expected its values in {load.GLOSSARY_FILE} column {want!r} "
            f"({shared.get(want, 0)} of {values.total()} there), found them {where}"
        )
    if problems:
        raise DataError(
            f"{load.RODE_FILE}: {len(problems)} column(s) do not mean what the project assumes\n  "
            + "\n  ".join(problems),
            hint=f"correct the names in analysis/reference/{CHECKS_FILE.name} [{GLOSSARY_TABLE}] only if the "
            "indicators (analysis/reference/indicators.toml) really read these columns; otherwise the extract is wrong",
        )


# ------------------------------------------------------------------------------------------ run


def run(bydel, rode, roster, population, income, names=None, tol: Tolerances | None = None) -> Report:
    """All checks. bydel: load.load_bydel(); rode: load.load_rode().frame (optionally with the
    pipeline.weighted_roder() columns); roster: rodenavn -> bydel_nr for every rode polygon;
    population: load.load_population(); income: load.load_income(); names: bydel_nr -> name."""
    tol = tol or tolerances()
    cov = coverage(rode, len(roster), tol.coverage_threshold, population, tol.population_year_offset)
    labour = labour_coverage(bydel)
    checks = (
        check_bydel_population(bydel, population, tol.population_tolerance, tol.population_year_offset, names),
        check_rode_population(rode, roster, population, tol.population_tolerance, tol.population_year_offset, names),
        check_income_persons(bydel, income, tol.income_tolerance, tol.income_year_offset, names),
        check_shares(bydel, rode, roster, tol.share_tolerance_pp, names),
        check_city_totals(bydel, rode, tol.city_residents_tolerance, tol.city_share_tolerance_pp),
        check_coverage(cov, len(roster), tol.coverage_threshold),
        check_labour_coverage(labour, tol.labour_coverage_tolerance_pp),
    )
    notes = missing_roder_notes(missing_roder(rode, roster), roster, names)
    notes += [
        f"{f.year}: labour-market coverage {f.value_a:.1f} % of residents in {load.BYDEL_FILE} vs "
        f"{f.value_b:.1f} % in the other years (a definition break)"
        for f in checks[-1].failures
    ]
    return Report(checks, cov, labour, tuple(notes))
