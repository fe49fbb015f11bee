"""The area plans: ``plans/<slug>.md``, written by planners, read and validated here.

A plan is Markdown with YAML front matter. The front matter holds the structured plan (vision,
status, goals with targets and initiatives); the body holds the planners' own text under the
chapter's headings. The format, with a full example, is on the book page "Sådan skriver du en
udviklingsplan" (book/skriv-en-plan.md). Every rule broken is reported with file, line, field,
value and what is allowed, and nothing is built from a plan that fails.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import os
import re
import unicodedata
from pathlib import Path

import yaml

from . import book, paths, planner_text, reference
from .plan_format import (
    ID,
    INITIATIVE_STATUSES,
    RULE_KINDS,
    SECTIONS,
    STATUSES,
    Goal,
    Initiative,
    Measure,
    Plan,
    PlanError,
    Rule,
    Target,
)

__all__ = ["Goal", "Initiative", "Measure", "Plan", "PlanError", "Rule", "Target", "load", "load_all", "parse"]

PLANS_ENV = "UDSATTE_PLANS"  # another plans folder (tests; a planner trying a plan out)
MAX_BYTES = 200_000  # a plan is a few pages of text; more is a mistake or an attack
# The characters a plan may use: what the council PDF's fonts draw (Latin, the punctuation of
# Danish text, currency, arrows and ≤ ≥ ±), without control, zero-width and bidi-override characters.
ALLOWED_CHARS = re.compile(
    r"[\t\n\x20-\x7e\xa0-\u024f\u2010-\u2027\u2030-\u205e\u20a0-\u20c0\u2100-\u214f\u2190-\u21ff"
    r"\u2212\u2264\u2265\u00b1]*"
)


def folder() -> Path:
    """The plans folder: $UDSATTE_PLANS, else plans/ in the project."""
    return Path(os.environ.get(PLANS_ENV, paths.ROOT / "plans"))


# --- reading ---------------------------------------------------------------------------------------


class _Checker:
    """Collects problems with their line numbers in the plan file."""

    def __init__(self, file: str, lines: dict[tuple, int]):
        self.file, self.lines, self.items = file, lines, []

    def add(self, where: tuple, value, rule: str) -> None:
        line = next((self.lines[where[:i]] for i in range(len(where), -1, -1) if where[:i] in self.lines), 1)
        name = _field(where) or "(front matter)"
        self.items.append(f"{self.file}:{line}: {name} = {value!r}: {rule}")

    def raise_if_any(self) -> None:
        problems(self.items, "plan")


def _field(where: tuple) -> str:
    """A field's path as planners read it: goals[0].targets[1].rule."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(".")


def problems(items: list[str], where: str) -> None:
    """Raise one PlanError for the problems found: one line for one, a list for several."""
    if len(items) == 1:
        raise PlanError(items[0])
    if items:
        raise PlanError(f"{len(items)} problem(s) in the {where}\n  " + "\n  ".join(items))


def _plain_yaml(front: str, file: str) -> None:
    """Refuse YAML anchors, aliases and tags: a plan needs none of them, and aliases can make a few
    lines expand into gigabytes ("billion laughs"). Scanning is linear in the text."""
    kinds = {yaml.AnchorToken: "an anchor (&)", yaml.AliasToken: "an alias (*)", yaml.TagToken: "a tag (!)"}
    for token in yaml.scan(front, Loader=_LOADER):
        if type(token) in kinds:
            raise PlanError(
                f"{file}:{token.start_mark.line + 2}: the front matter uses {kinds[type(token)]}; "
                "write every value out in full"
            )


DANISH_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")  # '1.100' is 1100 written the Danish way, not 1.1
TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _scalars(node):
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(key)
            yield from _scalars(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)


def _check_scalars(node, file: str) -> None:
    """Values YAML would misread: a Danish thousands separator ('1.100' read as 1.1) and a date
    that does not exist (2012-13-12, which YAML's date reader fails on without a line)."""
    for n in _scalars(node):
        line = n.start_mark.line + 2
        if n.tag.endswith(":float") and DANISH_THOUSANDS.match(n.value):
            raise PlanError(
                f"{file}:{line}: {n.value!r} would be read as {float(n.value):g}; write numbers without thousands "
                f"separators, e.g. {n.value.replace('.', '')}"
            )
        if n.tag == TIMESTAMP:
            try:
                dt.date(*map(int, n.value[:10].split("-")))
            except ValueError:
                raise PlanError(
                    f"{file}:{line}: {n.value!r} is not a date; expected YYYY-MM-DD, e.g. 2012-12-13"
                ) from None


def _line_map(node, offset: int, file: str, where: tuple = ()) -> dict[tuple, int]:
    """Line number (1-based, in the plan file) of every mapping key and list item in a YAML node;
    a key given twice in one mapping is an error (YAML would keep the last silently)."""
    out = {where: node.start_mark.line + 1 + offset}
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key, _ in node.value:
            if key.value in seen:
                line = key.start_mark.line + 1 + offset
                raise PlanError(f"{file}:{line}: {_field((*where, key.value))} is given twice; keep one")
            seen.add(key.value)
        for key, value in node.value:
            out[(*where, key.value)] = key.start_mark.line + 1 + offset
            out.update(
                {
                    k: v
                    for k, v in _line_map(value, offset, file, (*where, key.value)).items()
                    if k != (*where, key.value)
                }
            )
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.update(_line_map(item, offset, file, (*where, i)))
    return out


def decode(data: bytes, file: str) -> str:
    """A plan file's text: UTF-8, with or without a byte order mark, of at most MAX_BYTES."""
    if len(data) > MAX_BYTES:
        raise PlanError(f"{file}: {len(data):,} bytes; a plan file holds at most {MAX_BYTES:,}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise PlanError(
            f"{file}:{line}: byte {data[err.start]:#04x} is not UTF-8; save the plan as UTF-8 "
            "(it looks like another encoding, e.g. Latin-1 or Windows-1252)"
        ) from None
    return text


def check_characters(text: str, file: str) -> None:
    """Every character must be one the council PDF can print (ALLOWED_CHARS)."""
    for n, line in enumerate(text.splitlines(), start=1):
        if (m := ALLOWED_CHARS.match(line)).end() < len(line):
            ch = line[m.end()]
            raise PlanError(
                f"{file}:{n}:{m.end() + 1}: character {ch!r} (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')}) "
                "cannot be printed in the council PDF; use letters, digits and ordinary punctuation"
            )


def split(text: str, file: str) -> tuple[str, str, int]:
    """(front matter, body, line where the body starts)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise PlanError(f"{file}:1: a plan starts with '---' and YAML front matter, then '---' and the text")
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    raise PlanError(f"{file}: the front matter is not closed by a line '---'")


def sections(body: str, file: str, first_line: int, images: Path) -> dict[str, str]:
    """The planners' text by its '## ' heading; text before the first heading is not allowed, and
    every link and image must be one the safe profile allows (analysis.planner_text)."""
    out: dict[str, list[str]] = {}
    starts: dict[str, int] = {}
    current = None
    for n, line in enumerate(body.splitlines(), start=first_line):
        if line.startswith("## "):
            current = line[3:].strip()
            if current not in SECTIONS:
                raise PlanError(
                    f"{file}:{n}: heading {current!r} is not a chapter heading; allowed: {', '.join(SECTIONS)}"
                )
            if current in out:
                raise PlanError(f"{file}:{n}: heading {current!r} appears twice")
            out[current], starts[current] = [], n + 1
        elif line.startswith("#") and line.lstrip("#").startswith(" "):
            raise PlanError(f"{file}:{n}: only '## ' headings are allowed in the text (found {line.split()[0]!r})")
        elif current is None:
            if line.strip():
                raise PlanError(f"{file}:{n}: text before the first '## ' heading; put it under '## Indledning'")
        else:
            out[current].append(line)
    pages = {c.docname for c in book.chapters()} | set(book.STATIC_PAGES)
    bad = [
        f"{file}:{starts[k] + line}: {problem}"
        for k, v in out.items()
        for line, problem in planner_text.problems("\n".join(v), pages, images)
    ]
    problems(bad, "text")
    return {k: "\n".join(v).strip() for k, v in out.items() if "\n".join(v).strip()}


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _year(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 2000 <= value <= 2050


def _known(c: _Checker, where: tuple, data: dict, allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            c.add((*where, key), data[key], f"unknown field; allowed: {', '.join(sorted(allowed))}")


def _page(d: dict) -> int | None:
    ref = d.get("ref") or {}
    return ref.get("page") if isinstance(ref, dict) else None


def _measure(c: _Checker, where: tuple, m) -> Measure | None:
    kinds = ("indicator", "supplied", "source")
    if not isinstance(m, dict) or len([k for k in kinds if k in m]) != 1:
        c.add(where, m, f"a target needs a measure with exactly one of: {', '.join(kinds)}")
        return None
    _known(c, where, m, set(kinds))
    kind = next(k for k in kinds if k in m)
    name = m[kind]
    if not isinstance(name, str) or not name.strip():
        c.add((*where, kind), name, "expected a non-empty text")
        return None
    if kind == "indicator" and name not in {i.key for i in reference.indicators()}:
        c.add((*where, kind), name, f"unknown indicator; allowed: {', '.join(i.key for i in reference.indicators())}")
    return Measure(kind, name)


def _rule(c: _Checker, where: tuple, r) -> Rule | None:
    if not isinstance(r, dict) or r.get("kind") not in RULE_KINDS:
        c.add(
            (*where, "kind") if isinstance(r, dict) else where,
            (r or {}).get("kind") if isinstance(r, dict) else r,
            f"expected a rule with kind one of: {', '.join(RULE_KINDS)}",
        )
        return None
    _known(c, where, r, {"kind", "share", "value", "unit", "direction"})
    kind = r["kind"]
    if kind == "close_gap":
        if not _number(r.get("share")) or not 0 < r["share"] <= 1:
            c.add(
                (*where, "share"),
                r.get("share"),
                "close_gap needs share: a number above 0 and at most 1 (0.5 = halve the gap)",
            )
    elif not _number(r.get("value")):
        c.add((*where, "value"), r.get("value"), f"{kind} needs value: a number (no units or thousands separators)")
    if kind == "count_reduction" and _number(r.get("value")) and not 0 < r["value"] <= 1:
        c.add((*where, "value"), r["value"], "count_reduction value is the share to remove: above 0 and at most 1")
    if r.get("direction", "down") not in ("up", "down"):
        c.add((*where, "direction"), r.get("direction"), "expected 'up' (more is better) or 'down' (less is better)")
    if "unit" in r and not isinstance(r["unit"], str):
        c.add((*where, "unit"), r["unit"], "expected a unit as text, e.g. '%', 'procentpoint', 'personer'")
    return Rule(kind, r.get("share"), r.get("value"), str(r.get("unit", "")), r.get("direction", "down"))


def _target(c: _Checker, where: tuple, t) -> Target | None:
    if not isinstance(t, dict):
        c.add(where, t, "expected a target (id, text, measure, rule, baseline_year, target_year)")
        return None
    _known(c, where, t, {"id", "text", "measure", "rule", "baseline_year", "target_year", "ref"})
    if "measure" not in t:
        c.add(where, t.get("id"), "a target needs a measure (indicator, supplied or source)")
    measure = _measure(c, (*where, "measure"), t.get("measure")) if "measure" in t else None
    rule = _rule(c, (*where, "rule"), t.get("rule"))
    for key in ("baseline_year", "target_year"):
        if not _year(t.get(key)):
            c.add((*where, key), t.get(key), "expected a year (a whole number, e.g. 2011)")
    for key in ("id", "text"):
        if not isinstance(t.get(key), str) or not t.get(key, "").strip():
            c.add((*where, key), t.get(key), "expected a non-empty text")
    if isinstance(t.get("id"), str) and not ID.match(t["id"]):
        c.add((*where, "id"), t["id"], "ids use lowercase a-z, digits and hyphens")
    if measure is None or rule is None:
        return None
    return Target(t["id"], t["text"], measure, rule, t.get("baseline_year"), t.get("target_year"), page=_page(t))


def _initiative(c: _Checker, where: tuple, i, admins: dict[str, str]) -> Initiative | None:
    if not isinstance(i, dict):
        c.add(where, i, "expected an initiative (name, lead, partners, period, budget_dkk, status)")
        return None
    _known(c, where, i, {"name", "lead", "partners", "period", "budget_dkk", "status", "ref"})
    if not isinstance(i.get("name"), str) or not i.get("name", "").strip():
        c.add((*where, "name"), i.get("name"), "expected a non-empty text")
    if i.get("lead") not in admins:
        c.add((*where, "lead"), i.get("lead"), f"unknown administration; allowed: {', '.join(admins)}")
    if "budget_dkk" in i and not (_number(i["budget_dkk"]) and float(i["budget_dkk"]).is_integer()):
        c.add((*where, "budget_dkk"), i["budget_dkk"], "expected whole kroner, e.g. 2500000 (no dots or 'kr.')")
    if i.get("status", "planlagt") not in INITIATIVE_STATUSES:
        c.add((*where, "status"), i.get("status"), f"expected one of: {', '.join(INITIATIVE_STATUSES)}")
    partners = i.get("partners", [])
    if not isinstance(partners, list) or not all(isinstance(p, str) for p in partners):
        c.add((*where, "partners"), partners, 'expected a list of names, e.g. ["Boligselskab X"]')
        partners = []
    return Initiative(
        str(i.get("name", "")),
        str(i.get("lead", "")),
        tuple(partners),
        str(i.get("period", "")),
        i.get("budget_dkk"),
        i.get("status", "planlagt"),
        page=_page(i),
    )


def _goal(c: _Checker, where: tuple, g, admins: dict[str, str]) -> Goal | None:
    if not isinstance(g, dict):
        c.add(where, g, "expected a goal (id, title, policy_goal, problems, targets, initiatives)")
        return None
    _known(c, where, g, {"id", "title", "policy_goal", "problems", "targets", "initiatives", "why", "ref"})
    for key in ("id", "title"):
        if not isinstance(g.get(key), str) or not g.get(key, "").strip():
            c.add((*where, key), g.get(key), "expected a non-empty text")
    if isinstance(g.get("id"), str) and not ID.match(g["id"]):
        c.add((*where, "id"), g["id"], "ids use lowercase a-z, digits and hyphens")
    goals = reference.policy().goals
    if g.get("policy_goal") not in goals:
        c.add((*where, "policy_goal"), g.get("policy_goal"), f"expected one of the policy's goals: {', '.join(goals)}")
    problems = g.get("problems", [])
    known = {i.key for i in reference.indicators()}
    if not isinstance(problems, list):
        c.add((*where, "problems"), problems, "expected a list of indicator keys, e.g. [low_income]")
        problems = []
    for n, p in enumerate(problems):
        if p not in known:
            c.add((*where, "problems", n), p, f"unknown indicator; allowed: {', '.join(sorted(known))}")
    targets = g.get("targets") or []
    if not isinstance(targets, list) or not targets:
        c.add((*where, "targets"), g.get("targets"), "a goal needs at least one target")
        targets = []
    initiatives = g.get("initiatives") or []
    if not isinstance(initiatives, list):
        c.add((*where, "initiatives"), initiatives, "expected a list of initiatives")
        initiatives = []
    ts = [_target(c, (*where, "targets", n), t) for n, t in enumerate(targets)]
    ins = [_initiative(c, (*where, "initiatives", n), i, admins) for n, i in enumerate(initiatives)]
    return Goal(
        str(g.get("id")),
        str(g.get("title")),
        str(g.get("policy_goal")),
        tuple(problems),
        tuple(t for t in ts if t),
        tuple(i for i in ins if i),
        str(g.get("why", "")),
        page=_page(g),
    )


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where PyYAML has it: 10× faster


def parse(text: str, file: str, slug: str | None = None, images: Path | None = None) -> Plan:
    """Parse and validate one plan. ``slug`` is the area the file name claims; ``images`` is the
    folder its text's images must be in (plans/billeder)."""
    check_characters(text, file)
    front, body, body_line = split(text, file)
    try:
        _plain_yaml(front, file)
        node = yaml.compose(front, Loader=_LOADER)
        _check_scalars(node, file)
        data = yaml.load(front, Loader=_LOADER)  # a safe loader (_LOADER)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        raise PlanError(f"{file}:{line}: the front matter is not valid YAML: {getattr(err, 'problem', err)}") from None
    if not isinstance(data, dict):
        raise PlanError(f"{file}:2: the front matter must be a set of 'key: value' fields")
    c = _Checker(file, _line_map(node, 1, file))
    allowed = {"area", "title", "status", "adopted", "council_ref", "source", "vision", "goals", "published_goals"}
    _known(c, (), data, allowed)
    slugs = [a.slug for a in reference.areas()]
    if data.get("area") not in slugs:
        c.add(("area",), data.get("area"), f"unknown area; allowed: {', '.join(slugs)}")
    elif slug is not None and data["area"] != slug:
        c.add(("area",), data["area"], f"the file is named for {slug!r}; area must match the file name")
    if data.get("status") not in STATUSES:
        c.add(("status",), data.get("status"), f"expected one of: {', '.join(STATUSES)}")
    adopted = data.get("adopted", "")
    if adopted and not isinstance(adopted, dt.date):
        c.add(("adopted",), adopted, "expected a date as YYYY-MM-DD")
    for key in ("title", "vision"):
        if not isinstance(data.get(key), str) or not data.get(key, "").strip():
            c.add((key,), data.get(key), "expected a non-empty text")
    source = data.get("source") or {}
    if source and (not isinstance(source, dict) or not {"title", "year"} <= set(source)):
        c.add(("source",), source, "expected title, publisher, year and url of the published plan")
        source = {}
    published = data.get("published_goals") or []
    if not isinstance(published, list) or not all(isinstance(g, dict) and g.get("title") for g in published):
        c.add(("published_goals",), published, "expected a list of goals with a title and a page: {title: …, page: 3}")
        published = []
    if published and not source:
        c.add(("published_goals",), len(published), "goals from a published plan need its source block")
    goals = data.get("goals") or []
    if not isinstance(goals, list):
        c.add(("goals",), goals, "expected a list of goals")
        goals = []
    admins = reference.administrations()
    parsed = [_goal(c, ("goals", n), g, admins) for n, g in enumerate(goals)]
    ids = [g.get("id") for g in goals if isinstance(g, dict)]
    for n, i in enumerate(ids):
        if ids.index(i) != n:
            c.add(("goals", n, "id"), i, "duplicate goal id; every goal needs its own id")
    tids = [t.get("id") for g in goals if isinstance(g, dict) for t in (g.get("targets") or []) if isinstance(t, dict)]
    for dup in sorted({t for t in tids if tids.count(t) > 1}):
        c.add(("goals",), dup, "duplicate target id; every target needs its own id")
    c.raise_if_any()
    return Plan(
        area=data["area"],
        title=data["title"],
        status=data["status"],
        vision=data["vision"],
        goals=tuple(g for g in parsed if g),
        source=source,
        adopted=str(adopted or ""),
        council_ref=str(data.get("council_ref", "")),
        sections=sections(body, file, body_line, images or folder() / planner_text.IMAGE_FOLDER),
        file=file,
        published_goals=tuple((g["title"], g.get("page")) for g in published),
    )


def plan_path(slug: str, where: Path | None = None) -> Path:
    return (where or folder()) / f"{slug}.md"


def load(slug: str, where: Path | None = None) -> Plan:
    path = plan_path(slug, where)
    name = f"plans/{path.name}"
    if not path.is_file():
        raise PlanError(
            f"{name}: area {slug!r} has no plan; write one, or run `python -m analysis plan draft --area {slug}`"
        )
    if path.is_symlink():
        raise PlanError(f"{name}: a symbolic link; a plan is a file of its own in plans/")
    return _parsed(decode(path.read_bytes(), name), name, slug, path.parent / planner_text.IMAGE_FOLDER)


@functools.cache
def _parsed(text: str, file: str, slug: str, images: Path) -> Plan:
    return parse(text, file, slug, images)  # a Plan is immutable: one parse per content serves every caller


def summary_digest(path: Path) -> str:
    """What the pages that summarise plans (front page, targets, waves) show of a plan: all of it
    but the planners' own section texts, which only the area's page shows. An edit of those
    texts changes this digest not at all, so it re-runs the area's page alone."""
    summary = dataclasses.replace(load(path.stem, path.parent), sections={})
    return hashlib.sha256(repr(summary).encode()).hexdigest()


def images(where: Path | None = None) -> list[Path]:
    """The files of plans/billeder/ that the plans' texts show (each checked by plan check)."""
    shown = {n for p in load_all(where).values() for t in p.sections.values() for n in planner_text.image_names(t)}
    return [(where or folder()) / planner_text.IMAGE_FOLDER / n for n in sorted(shown)]


def load_all(where: Path | None = None) -> dict[str, Plan]:
    """Every area's plan, validated; a plan file for an unknown area or a missing plan is an error."""
    where = where or folder()
    slugs = [a.slug for a in reference.areas()]
    stray = sorted(p.name for p in where.glob("*.md") if p.stem not in slugs)
    if stray:
        raise PlanError(f"plans/{stray[0]}: no area has this slug; plans are named after: {', '.join(slugs)}")
    return {s: load(s, where) for s in slugs}
