"""The plan format: the structured parts of plans/<slug>.md as data classes, and the allowed values.

How a plan file is read and checked is in :mod:`analysis.plans`; the guide for planners is the
book page "Sådan skriver du en udviklingsplan".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import PlanError

__all__ = ["PlanError"]  # re-exported: the error of this format

STATUSES = ("udkast", "vedtaget")
RULE_KINDS = ("close_gap", "fixed", "change", "floor", "count_reduction")
INITIATIVE_STATUSES = ("planlagt", "i gang", "afsluttet")
SECTIONS = ("Indledning", "Området i dag", "Problemer", "Potentialer", "Udvikling", "Forandringsstrategi", "Opfølgning")
ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Measure:
    """What a target is measured by."""

    kind: str  # "indicator" | "supplied" | "source"
    name: str  # indicator key, supplied measure name, or the source's name


@dataclass(frozen=True)
class Rule:
    """When a target is met: one of RULE_KINDS with its share (close_gap) or value and unit."""

    kind: str
    share: float | None = None
    value: float | None = None
    unit: str = ""
    direction: str = "down"  # "down": less is better; "up": more is better


@dataclass(frozen=True, kw_only=True)
class Cited:
    """A part of a plan that the published plan states: `page` is where (its `ref` in the plan file)."""

    page: int | None = None


@dataclass(frozen=True)
class Target(Cited):
    id: str
    text: str
    measure: Measure
    rule: Rule
    baseline_year: int
    target_year: int


@dataclass(frozen=True)
class Initiative(Cited):
    """An initiative under a goal; `lead` is one of the administrations (administrations.toml)."""

    name: str
    lead: str
    partners: tuple[str, ...] = ()
    period: str = ""
    budget_dkk: float | None = None
    status: str = "planlagt"


@dataclass(frozen=True)
class Goal(Cited):
    """An area goal under one of the policy's goals, with the problems (indicator keys) it answers."""

    id: str
    title: str
    policy_goal: str
    problems: tuple[str, ...]
    targets: tuple[Target, ...]
    initiatives: tuple[Initiative, ...] = ()
    why: str = ""


@dataclass(frozen=True)
class Plan:
    area: str
    title: str
    status: str
    vision: str
    goals: tuple[Goal, ...]
    source: dict = field(default_factory=dict)
    adopted: str = ""
    council_ref: str = ""
    sections: dict[str, str] = field(default_factory=dict)
    file: str = ""
    # goals named by the published plan whose targets could not be read: (title, page)
    published_goals: tuple[tuple[str, int | None], ...] = ()

    @property
    def targets(self) -> list[tuple[Goal, Target]]:
        return [(g, t) for g in self.goals for t in g.targets]

    def source_text(self, page: int | None = None) -> str:
        """'Udviklingsplan Nørrebro (Københavns Kommune, 2012), s. 12' or ''."""
        if not self.source:
            return ""
        s = self.source
        text = f"{s['title']} ({s.get('publisher', 'Københavns Kommune')}, {s['year']})"
        return text + (f", s. {page}" if page else "")
