"""Comparing figures with an independent source: a check's rule (Check), what it found (Failure,
CheckResult) and all checks of a build together (Report).

The checks themselves (which files, which figures, which tolerances) are in
:mod:`analysis.crosscheck`; this module only knows how to compare two series and record the result.
A check names the file under test first and the reference second (``files=(a, b)``); a failure is
blamed on the file under test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd

CITY = "København"


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
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)  # per year, see crosscheck.coverage()
    labour: pd.Series = field(default_factory=pd.Series)  # per year, see crosscheck.labour_coverage()
    notes: tuple[str, ...] = ()

    def check(self, name: str) -> CheckResult:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check {name!r}; known: {', '.join(c.name for c in self.checks)}")

    @property
    def failures(self) -> list[Failure]:
        return [f for c in self.checks for f in c.failures]

    def _trusted(self, file: str, level: str) -> bool:
        return not any(c.failures for c in self.checks if c.level == level and c.files[0] == file)

    def trusted_for_units(self, file: str) -> bool:
        """False if a per-bydel check that tests this file failed (its district figures are not usable)."""
        return self._trusted(file, "bydel")

    def trusted_for_city(self, file: str) -> bool:
        """False if a city-total check that tests this file failed."""
        return self._trusted(file, "city")

    def summary(self, max_failures: int = 3) -> list[str]:
        """Lines for the command line: each check with pass/fail counts and its first failures."""
        lines = []
        for c in self.checks:
            status = "PASS" if c.passed else "FAIL"
            skipped = f", {len(c.skipped)} skipped" if c.skipped else ""
            lines.append(f"{status} {c.name}: {c.description}: {len(c.failures)} of {c.compared} failed{skipped}")
            lines += [f"    {f.message}" for f in c.failures[:max_failures]]
            if len(c.failures) > max_failures:
                lines.append(f"    ... and {len(c.failures) - max_failures} more")
            lines += [f"    skipped: {s}" for s in c.skipped[:max_failures]]
        for file in sorted({c.files[0] for c in self.checks if c.level in ("bydel", "city")}):
            units = "yes" if self.trusted_for_units(file) else "NO"
            city = "yes" if self.trusted_for_city(file) else "NO"
            lines.append(f"trusted {file}: bydel figures {units}, city totals {city}")
        lines += [f"note: {n}" for n in self.notes]
        return lines


class Part(NamedTuple):
    """What one comparison of a check found."""

    compared: int
    failures: list[Failure]
    skipped: list[str]


def unit_label(bydel_nr, names: Mapping[int, str] | None = None) -> str:
    """'1 Indre By' (or 'bydel 1' without names); the city for a missing number."""
    if bydel_nr is None or pd.isna(bydel_nr):
        return CITY
    nr = int(bydel_nr)
    return f"{nr} {names[nr]}" if names and nr in names else f"bydel {nr}"


@dataclass(frozen=True)
class Check:
    """One cross-source check: which file is tested against which reference, and how far apart the
    two may be (``tolerance``, relative to the reference or in percentage points)."""

    name: str
    level: str  # "bydel" (figures per bydel), "city" (city totals) or "coverage"
    files: tuple[str, str]  # (file under test, reference)
    description: str
    tolerance: float
    relative: bool = True  # tolerance on (a - b) / b; else on a - b in percentage points
    percent: bool = False  # the values are percentages

    def compare(
        self,
        a: pd.Series,
        b: pd.Series,
        what: str,
        names: Mapping[int, str] | None = None,
        note: Callable[[int, object], str] | None = None,
    ) -> Part:
        """Compare a and b (indexed by year or by (year, bydel_nr)) on their common index; a key with
        a value on one side only is skipped."""
        both = pd.concat({"a": a, "b": b}, axis=1).sort_index()
        failures, skipped, compared = [], [], 0
        for key, row in both.iterrows():
            year, nr = key if isinstance(key, tuple) else (key, None)
            unit = unit_label(nr, names)
            if pd.isna(row["a"]) or pd.isna(row["b"]):
                side = self.files[0] if pd.isna(row["a"]) else self.files[1]
                skipped.append(f"{unit}, {int(year)}: no {what} in {side}")
                continue
            compared += 1
            diff = row["a"] - row["b"]
            if abs(diff / row["b"] if self.relative else diff) > self.tolerance:
                failures.append(self.failure(unit, int(year), float(row["a"]), float(row["b"]), what, note, nr))
        return Part(compared, failures, skipped)

    def failure(self, unit, year, value_a, value_b, what, note=None, nr=None) -> Failure:
        return Failure(
            self.name,
            self.files,
            unit,
            year,
            value_a,
            value_b,
            self.tolerance,
            relative=self.relative,
            percent=self.percent,
            what=what,
            note=note(year, nr) if callable(note) else (note or ""),
        )

    def result(self, *parts: Part, skipped=(), tolerance: float | None = None) -> CheckResult:
        """The check's result from its comparisons; `skipped` adds keys left out before comparing."""
        return CheckResult(
            self.name,
            self.level,
            self.files,
            self.description,
            self.tolerance if tolerance is None else tolerance,
            sum(p.compared for p in parts),
            tuple(f for p in parts for f in p.failures),
            tuple(skipped) + tuple(s for p in parts for s in p.skipped),
        )
