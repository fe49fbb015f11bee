"""Cross-source checks: every figure is compared with an independent source before it is used.

Checks (tolerances and reference dates in analysis/reference/checks.toml):

- bydel_population: bydel file residents vs Statistikbank BE4.3, per bydel and year;
- rode_population: sum of the bydel's roder (rode file) vs BE4.3, per bydel and year;
- income_persons: bydel file income persons vs IN74 persons (each bydel's share of the city);
- rode_shares: bydel file shares vs the same shares pooled from the bydel's roder;
- city_totals: bydel file city totals vs rode file city totals;
- rode_coverage and labour_coverage: years with missing roder or a break in a definition.

Each check names the file under test first and the reference second (``files=(a, b)``); a failure
is blamed on the file under test. A bydel-year whose roder are not all in the rode file is not
compared (a partial sum is not the bydel's figure); it is listed as skipped.

Why one module of about 580 lines: seven checks of one shape (compare, tolerate, name both files),
kept side by side so their tolerances and messages can be read and reviewed together.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import load, paths, reference

CHECKS_FILE = paths.REFERENCE / "checks.toml"
CITY = "København"

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


def tolerances(path: Path = CHECKS_FILE) -> Tolerances:
    """The check parameters from checks.toml (a missing or unknown key is an error)."""
    with open(path, "rb") as fh:
        return Tolerances(**tomllib.load(fh))


@dataclass(frozen=True)
class Failure:
    """One comparison outside its tolerance: value_a from files[0], value_b from files[1]."""

    check: str
    files: tuple[str, str]
    unit: str
    year: int
    value_a: float
    value_b: float
    tolerance: float
    relative: bool = True  # tolerance on (a - b) / b; else on a - b in percentage points
    percent: bool = False  # the values are percentages
    what: str = ""
    note: str = ""

    @property
    def deviation(self) -> float:
        diff = self.value_a - self.value_b
        return diff / self.value_b if self.relative else diff

    @property
    def message(self) -> str:
        def value(v: float) -> str:
            return f"{v:.1f} %" if self.percent else f"{v:,.0f}"

        if self.relative:
            dev, tol = f"{100 * self.deviation:+.1f} %", f"±{100 * self.tolerance:g} %"
        else:
            dev, tol = f"{self.deviation:+.2f} pp", f"±{self.tolerance:g} pp"
        note = f" ({self.note})" if self.note else ""
        return (
            f"{self.check}: {self.unit}, {self.year}: {self.what} {value(self.value_a)} in {self.files[0]} "
            f"vs {value(self.value_b)} in {self.files[1]}{note}; difference {dev}, tolerance {tol}"
        )


@dataclass(frozen=True)
class CheckResult:
    name: str
    level: str  # "bydel" (figures per bydel), "city" (city totals) or "coverage"
    files: tuple[str, str]  # (file under test, reference)
    description: str
    tolerance: float
    compared: int
    failures: tuple[Failure, ...]
    skipped: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class Report:
    checks: tuple[CheckResult, ...]
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)  # per year, see coverage()
    labour: pd.Series = field(default_factory=pd.Series)  # per year, see labour_coverage()
    notes: tuple[str, ...] = ()

    def check(self, name: str) -> CheckResult:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check {name!r}; known: {', '.join(c.name for c in self.checks)}")

    @property
    def failures(self) -> list[Failure]:
        return [f for c in self.checks for f in c.failures]


# ---------------------------------------------------------------------------------------- helpers


def unit_label(bydel_nr, names: Mapping[int, str] | None = None) -> str:
    """'1 Indre By' (or 'bydel 1' without names); the city for a missing number."""
    if bydel_nr is None or pd.isna(bydel_nr):
        return CITY
    nr = int(bydel_nr)
    return f"{nr} {names[nr]}" if names and nr in names else f"bydel {nr}"


def compare(
    a: pd.Series,
    b: pd.Series,
    *,
    check: str,
    files: tuple[str, str],
    tolerance: float,
    relative: bool,
    what: str,
    percent: bool = False,
    names: Mapping[int, str] | None = None,
    note: Callable[[int, object], str] | None = None,
) -> tuple[int, list[Failure], list[str]]:
    """Compare a and b (indexed by year or by (year, bydel_nr)) on their common index.

    Returns (number compared, failures, skipped): a key with a value on one side only is skipped.
    """
    both = pd.concat({"a": a, "b": b}, axis=1).sort_index()
    failures, skipped, compared = [], [], 0
    for key, row in both.iterrows():
        year, nr = key if isinstance(key, tuple) else (key, None)
        unit = unit_label(nr, names)
        if pd.isna(row["a"]) or pd.isna(row["b"]):
            side = files[0] if pd.isna(row["a"]) else files[1]
            skipped.append(f"{unit}, {int(year)}: no {what} in {side}")
            continue
        compared += 1
        diff = row["a"] - row["b"]
        deviation = diff / row["b"] if relative else diff
        if abs(deviation) > tolerance:
            extra = note(int(year), nr) if note else ""
            failures.append(
                Failure(
                    check,
                    files,
                    unit,
                    int(year),
                    float(row["a"]),
                    float(row["b"]),
                    tolerance,
                    relative=relative,
                    percent=percent,
                    what=what,
                    note=extra,
                )
            )
    return compared, failures, skipped


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


def _result(name, level, files, description, tolerance, parts) -> CheckResult:
    compared = sum(p[0] for p in parts)
    failures = tuple(f for p in parts for f in p[1])
    skipped = tuple(s for p in parts for s in p[2])
    return CheckResult(name, level, files, description, tolerance, compared, failures, skipped)


# ----------------------------------------------------------------------------------------- checks


def _against_population(name, file, a, population, tolerance, year_offset, names, what, description, skipped=()):
    """A population check: counts `a` (indexed by year, bydel_nr) from `file` vs BE4.3."""
    b = bydel_population(population, year_offset).reindex(a.index)
    files = (file, load.POPULATION_FILE)
    part = compare(
        a,
        b,
        check=name,
        files=files,
        tolerance=tolerance,
        relative=True,
        what=what,
        names=names,
        note=lambda y, _: f"BE4.3 on 31 Dec {y + year_offset}",
    )
    return _result(name, "bydel", files, description, tolerance, [(*part[:2], list(skipped) + part[2])])


def check_bydel_population(bydel, population, tolerance, year_offset=-1, names=None) -> CheckResult:
    """(a) bydel file antal_beboere vs BE4.3 per bydel and year (relative tolerance)."""
    a = bydel.set_index(["year", "bydel_nr"])["antal_beboere"].astype(float)
    return _against_population(
        BYDEL_POPULATION,
        load.BYDEL_FILE,
        a,
        population,
        tolerance,
        year_offset,
        names,
        "residents",
        "bydel file residents vs BE4.3 population",
    )


def check_rode_population(rode, roster, population, tolerance, year_offset=-1, names=None) -> CheckResult:
    """(b) sum of each bydel's roder vs BE4.3; bydel-years with missing roder are skipped."""
    complete, reasons = _complete(rode, roster, names)
    return _against_population(
        RODE_POPULATION,
        load.RODE_FILE,
        rode_sums(rode, roster).reindex(complete),
        population,
        tolerance,
        year_offset,
        names,
        "residents (sum of roder)",
        "sum of the bydel's roder vs BE4.3 population",
        reasons,
    )


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
    files = (load.BYDEL_FILE, load.INCOME_FILE)

    def note(year, nr):
        nan = float("nan")
        return f"income persons {a_count.get((year, nr), nan):,.0f} vs {b_count.get((year, nr), nan):,.0f}"

    part = compare(
        income_shares(a_count),
        income_shares(b_count).reindex(a_count.index),
        check=INCOME_PERSONS,
        files=files,
        tolerance=tolerance,
        relative=True,
        percent=True,
        what="share of the city's income persons",
        names=names,
        note=note,
    )
    return _result(
        INCOME_PERSONS, "bydel", files, "bydel file income persons vs IN74 persons (share of city)", tolerance, [part]
    )


def check_shares(bydel, rode, roster, tolerance_pp, names=None) -> CheckResult:
    """(d) bydel file shares vs the shares pooled from the bydel's roder (percentage points)."""
    complete, reasons = _complete(rode, roster, names)
    a = bydel_shares(bydel, ["year", "bydel_nr"]).reindex(complete)
    b = pooled_shares(rode.assign(bydel_nr=rode["rodenavn"].map(roster)), ["year", "bydel_nr"]).reindex(complete)
    parts = [
        compare(
            a[col],
            b[col],
            check=RODE_SHARES,
            files=(load.BYDEL_FILE, load.RODE_FILE),
            tolerance=tolerance_pp,
            relative=False,
            percent=True,
            what=f"'{col}' share",
            names=names,
        )
        for col in a.columns
    ]
    parts.append((0, [], reasons))
    return _result(
        RODE_SHARES,
        "bydel",
        (load.BYDEL_FILE, load.RODE_FILE),
        "bydel file shares vs shares pooled from the bydel's roder",
        tolerance_pp,
        parts,
    )


def check_city_totals(bydel, rode, residents_tolerance, share_tolerance_pp) -> CheckResult:
    """(e) bydel file city totals vs rode file city totals: residents (relative) and shares (pp)."""
    files = (load.BYDEL_FILE, load.RODE_FILE)
    parts = [
        compare(
            bydel.groupby("year")["antal_beboere"].sum().astype(float),
            rode.groupby("year")["residents"].sum(),
            check=CITY_TOTALS,
            files=files,
            tolerance=residents_tolerance,
            relative=True,
            what="residents",
        )
    ]
    a, b = bydel_shares(bydel, ["year"]), pooled_shares(rode, ["year"])
    for col in a.columns:
        parts.append(
            compare(
                a[col],
                b[col],
                check=CITY_TOTALS,
                files=files,
                tolerance=share_tolerance_pp,
                relative=False,
                percent=True,
                what=f"'{col}' share",
            )
        )
    return _result(
        CITY_TOTALS,
        "city",
        files,
        "bydel file city totals vs rode file city totals",
        min(residents_tolerance, share_tolerance_pp),
        parts,
    )


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
    failures = tuple(
        Failure(
            RODE_COVERAGE,
            files,
            CITY,
            int(year),
            float(r.roder),
            float(n_roder_expected),
            1 - threshold,
            what="roder",
            note=f"{100 * r.roder_share:.1f} % of roder, threshold {100 * threshold:g} %",
        )
        for year, r in cov[cov["below"]].iterrows()
    )
    return CheckResult(
        RODE_COVERAGE, "coverage", files, "roder present per year vs rode polygons", threshold, len(cov), failures
    )


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
    part = compare(
        series,
        others,
        check=LABOUR_COVERAGE,
        files=files,
        tolerance=tolerance_pp,
        relative=False,
        percent=True,
        what="labour-market persons per resident",
        note=lambda y, _: "value_b: median of the other years",
    )
    return _result(
        LABOUR_COVERAGE, "coverage", files, "labour-market coverage per year vs the other years", tolerance_pp, [part]
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


def _trusted(report: Report, file: str, level: str) -> bool:
    return not any(c.failures for c in report.checks if c.level == level and c.files[0] == file)


def trusted_for_units(report: Report, file: str) -> bool:
    """False if a per-bydel check that tests this file failed (its district figures are not usable)."""
    return _trusted(report, file, "bydel")


def trusted_for_city(report: Report, file: str) -> bool:
    """False if a city-total check that tests this file failed."""
    return _trusted(report, file, "city")


def summary(report: Report, max_failures: int = 3) -> list[str]:
    """Lines for the command line: each check with pass/fail counts and its first failures."""
    lines = []
    for c in report.checks:
        status = "PASS" if c.passed else "FAIL"
        skipped = f", {len(c.skipped)} skipped" if c.skipped else ""
        lines.append(f"{status} {c.name}: {c.description}: {len(c.failures)} of {c.compared} failed{skipped}")
        lines += [f"    {f.message}" for f in c.failures[:max_failures]]
        if len(c.failures) > max_failures:
            lines.append(f"    ... and {len(c.failures) - max_failures} more")
        lines += [f"    skipped: {s}" for s in c.skipped[:max_failures]]
    files = sorted({c.files[0] for c in report.checks if c.level in ("bydel", "city")})
    for file in files:
        units = "yes" if trusted_for_units(report, file) else "NO"
        city = "yes" if trusted_for_city(report, file) else "NO"
        lines.append(f"trusted {file}: bydel figures {units}, city totals {city}")
    lines += [f"note: {n}" for n in report.notes]
    return lines
