"""Reference data: areas, waves, indicators and the policy's 2020 targets (analysis/reference/*.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from . import paths


@dataclass(frozen=True)
class Wave:
    """A plan wave (areas.toml): the year its plans are written and the budget they feed."""

    year: int
    budget: int
    title: str


@dataclass(frozen=True)
class Area:
    """One of the six areas (areas.toml), with the bydele its name points to and the policy's words on it."""

    slug: str
    name: str
    wave: int
    bydele: tuple[int, ...]
    policy_text: str


@dataclass(frozen=True)
class Indicator:
    """A share and where it comes from (indicators.toml; see the comments at the top of that file)."""

    key: str
    name: str
    short: str
    definition: str
    soek: bool
    bydel_numerator: tuple[str, ...]
    bydel_denominator: tuple[str, ...]
    rode_column: str | None = None
    rode_population: dict[str, float] | None = None  # age columns -> weight; None: all residents
    neutral: bool = False  # True: a higher share is neither better nor worse
    phrase: str = ""  # the indicator in a Danish sentence, e.g. "andelen med lav indkomst"


@dataclass(frozen=True)
class Target:
    """One of the policy's 2020 targets (targets.toml): its goal, how it is measured, and by which
    open-data indicator if any (a proxy cannot decide the target)."""

    key: str
    goal: str
    text: str
    measured_by: str
    type: str
    tools: tuple[str, ...]
    indicator: str | None = None
    proxy: bool = False
    proxy_note: str = ""
    floor: float | None = None
    baseline_year: int | None = None  # a target's own baseline, when the policy states one (the 2010 list)
    reduction: float | None = None  # a count target: the share to be removed by the target year (0.5 = halved)


@dataclass(frozen=True)
class Delineation:
    """The rule that delineates the six areas (areas.toml [delineation]; method page, "Afgrænsning af
    de seks områder")."""

    baseline_year: int
    construction: str
    threshold: float
    min_cluster_residents: int


@dataclass(frozen=True)
class Policy:
    """The policy's change strategy: vision, levers, goals and 2020 targets (targets.toml)."""

    vision: str
    levers: tuple[str, ...]
    goals: dict[str, dict] = field(default_factory=dict)
    targets: tuple[Target, ...] = ()


def _read(name: str, folder: Path = paths.REFERENCE) -> dict:
    with open(folder / name, "rb") as fh:
        return tomllib.load(fh)


def _tuples(d: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}


def age_columns() -> list[str]:
    """The rode file's age columns that the indicators' reference populations use."""
    return sorted({c for i in indicators() if i.rode_population for c in i.rode_population})


@cache
def areas() -> tuple[Area, ...]:
    data = _read("areas.toml")
    result = tuple(Area(**_tuples(a)) for a in data["area"])
    known_waves = {w["year"] for w in data["wave"]}
    slugs = [a.slug for a in result]
    if len(set(slugs)) != len(slugs):
        raise ValueError("areas.toml: area slugs must be unique")
    for a in result:
        if a.wave not in known_waves:
            raise ValueError(f"areas.toml: area {a.slug!r} has wave {a.wave}, not one of {known_waves}")
    return result


@cache
def waves() -> tuple[Wave, ...]:
    return tuple(Wave(**w) for w in _read("areas.toml")["wave"])


@cache
def delineation() -> Delineation:
    return Delineation(**_read("areas.toml")["delineation"])


@cache
def administrations() -> dict[str, str]:
    """The allowed leads of a plan's initiatives: code -> administration (administrations.toml)."""
    return _read("administrations.toml")


@cache
def method() -> dict[str, dict]:
    """The method's rule parameters (method.toml), by section: disclosure, sensitivity, trends, ..."""
    return _read("method.toml")


def param(section: str, name: str):
    """One rule parameter, e.g. param("disclosure", "min_residents")."""
    try:
        return method()[section][name]
    except KeyError:
        raise KeyError(f"method.toml has no parameter [{section}] {name}") from None


@cache
def indicators() -> tuple[Indicator, ...]:
    return tuple(Indicator(**_tuples(i)) for i in _read("indicators.toml")["indicator"])


@cache
def policy() -> Policy:
    data = _read("targets.toml")
    goals = {g["key"]: g for g in data["goal"]}
    targets = tuple(Target(**_tuples(t)) for t in data["target"])
    known = {i.key for i in indicators()}
    for t in targets:
        if t.goal not in goals:
            raise ValueError(f"targets.toml: target {t.key!r} names unknown goal {t.goal!r}")
        if t.indicator is not None and t.indicator not in known:
            raise ValueError(f"targets.toml: target {t.key!r} names unknown indicator {t.indicator!r}")
    return Policy(data["vision"], tuple(data["levers"]), goals, targets)


def area(slug: str) -> Area:
    for a in areas():
        if a.slug == slug:
            return a
    raise KeyError(f"unknown area {slug!r}; known: {', '.join(a.slug for a in areas())}")


def indicator(key: str) -> Indicator:
    for i in indicators():
        if i.key == key:
            return i
    raise KeyError(f"unknown indicator {key!r}")


def areas_in_wave(year: int) -> tuple[Area, ...]:
    return tuple(a for a in areas() if a.wave == year)


def substitutions() -> dict[str, str]:
    """The rule parameters as Danish text for the static pages ({{ name }} in book/*.md)."""
    from . import fmt

    m, r = method(), delineation()
    count = m["disclosure"]["min_count"]
    return {
        "threshold": fmt.number(r.threshold),
        "baseline_year": str(r.baseline_year),
        "min_cluster": fmt.number(r.min_cluster_residents),
        "draws": fmt.number(m["sensitivity"]["draws"]),
        "weight_low": fmt.number(1 - m["sensitivity"]["weight_spread"], 2),
        "weight_high": fmt.number(1 + m["sensitivity"]["weight_spread"], 2),
        "permutations": fmt.number(m["sensitivity"]["permutations"]),
        "confidence": fmt.number(100 * m["trends"]["confidence"]),
        "materiality": fmt.number(m["trends"]["materiality"], 1),
        "base_year": str(m["targets"]["base_year"]),
        "target_year": str(m["targets"]["target_year"]),
        "green_at": fmt.number(m["targets"]["green_at"], 2),
        "amber_at": fmt.number(m["targets"]["amber_at"], 2),
        "floor": fmt.number(next(t.floor for t in policy().targets if t.floor is not None)),
        "min_count": str(count),
        "min_count_minus": str(count - 1),
        "min_residents": fmt.number(m["disclosure"]["min_residents"]),
        "protection_persons": fmt.number(m["disclosure"]["protection_persons"]),
        "protection_width": fmt.number(2 * m["disclosure"]["protection_persons"]),
        "protection_share": fmt.number(100 * m["disclosure"]["protection_share"]),
        "min_coverage": fmt.number(100 * _read("checks.toml")["coverage_threshold"]),
        "turnout_majority": fmt.number(100 * m["turnout"]["majority"]),
        **_list_values(m["targets"]["target_year"]),
    }


def _list_values(target_year: int) -> dict[str, str]:
    """The government-list target's rule (wording.count_rule) and the lists' sources, for the method page."""
    from . import fmt, ghetto_lists, wording

    t = next(t for t in policy().targets if t.type == "count")
    lines = []
    for lst in ghetto_lists._data().get("list", []):
        n = ghetto_lists.stated_count(lst["year"])
        names = ", ".join(lst.get("estates", [])) or ("navnene er ikke fundet" if n else "ingen i København")
        source = f"[{lst['source']}]({lst['url']})" if lst.get("url") else lst["source"]
        lines.append(f"- {lst['year']}: {fmt.number(n)}" + f" ({names})" + f". Kilde: {source}.")
    return {
        "count_rule": wording.count_rule(
            t.baseline_year, ghetto_lists.stated_count(t.baseline_year), t.reduction, target_year
        ),
        "list_sources": "\n".join(lines),
    }
