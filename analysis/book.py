"""The book's structure: which chapters exist, their templates and parameters, and the _toc.yml.

Everything is derived from the reference data, so the table of contents, the CLI and the
notebooks cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from . import paths, reference

CHAPTER_DIR = "book/chapters"  # generated, executed notebooks (relative to the book root)


@dataclass(frozen=True)
class Chapter:
    name: str  # path below book/chapters without suffix, e.g. "omraader/noerrebro"
    template: str  # file stem in book/templates
    parameters: dict = field(default_factory=dict)
    area: str | None = None
    wave: int | None = None

    @property
    def context(self) -> dict[str, str]:
        """Values filled into {{ placeholders }} of the template's markdown cells (titles)."""
        if self.area:
            return {"area_name": reference.area(self.area).name}
        if self.wave:
            return {"wave_title": next(w.title for w in reference.waves() if w.year == self.wave)}
        return {}

    @property
    def docname(self) -> str:
        return f"{CHAPTER_DIR}/{self.name}"

    @property
    def path(self):
        return paths.ROOT / f"{self.docname}.ipynb"

    @property
    def plan_files(self) -> list:
        """The plans a chapter shows: its own area's, a wave's areas', or all (targets, front page)."""
        from .plans import plan_path

        if self.area:
            return [plan_path(self.area)]
        if self.wave:
            return [plan_path(a.slug) for a in reference.areas_in_wave(self.wave)]
        if self.name in ("maal", "forside"):
            return [plan_path(a.slug) for a in reference.areas()]
        return []

    @property
    def template_path(self):
        return paths.TEMPLATES / f"{self.template}.md"


def chapters() -> list[Chapter]:
    """All generated chapters, in reading order."""
    out = [Chapter("forside", "forside"), Chapter("tal", "tal"), Chapter("maal", "maal"), Chapter("udfald", "udfald")]
    for wave in reference.waves():
        out.append(Chapter(f"boelge-{wave.year}", "wave", {"wave": wave.year}, wave=wave.year))
        for area in reference.areas_in_wave(wave.year):
            out.append(Chapter(f"omraader/{area.slug}", "area", {"area": area.slug}, area.slug, wave.year))
    out.append(Chapter("data", "data"))
    return out


CITY_PAGES = ["book/sammenlign"]  # static pages under "Byen"
METHOD_PAGES = ["book/metode", "book/ordliste", "book/skriv-en-plan", "book/rettelser"]
STATIC_PAGES = CITY_PAGES + METHOD_PAGES


def select(all_chapters: list[Chapter], areas=None, wave: int | None = None) -> list[Chapter]:
    """Chapters a planner asked for: areas by slug and/or a wave (its page and its areas), plus the
    pages that summarise those areas' plans (their wave pages, the targets page, the front page),
    so that a plan edit rebuilds everything that shows the plan.

    No selection means every chapter.
    """
    if not areas and wave is None:
        return list(all_chapters)
    known = {a.slug for a in reference.areas()}
    unknown = sorted(set(areas or ()) - known)
    if unknown:
        raise KeyError(f"unknown area(s) {unknown}; known: {sorted(known)}")
    if wave is not None and wave not in {w.year for w in reference.waves()}:
        raise KeyError(f"unknown wave {wave}; known: {[w.year for w in reference.waves()]}")
    chosen = [c for c in all_chapters if (c.area in set(areas or ())) or (wave is not None and c.wave == wave)]
    shown = {f for c in chosen for f in c.plan_files}
    return [c for c in all_chapters if c in chosen or (c.area is None and shown & set(c.plan_files))]


def toc() -> dict:
    """The _toc.yml content: city pages, one part per plan wave, method and data."""
    by_name = {c.name: c for c in chapters()}
    city = [{"file": by_name[c].docname} for c in ("tal", "maal", "udfald")] + [{"file": p} for p in CITY_PAGES]
    parts = [{"caption": "Byen", "chapters": city}]
    for wave in reference.waves():
        page = by_name[f"boelge-{wave.year}"]
        sections = [{"file": by_name[f"omraader/{a.slug}"].docname} for a in reference.areas_in_wave(wave.year)]
        parts.append({"caption": wave.title, "chapters": [{"file": page.docname, "sections": sections}]})
    parts.append(
        {
            "caption": "Metode og data",
            "chapters": [{"file": p} for p in METHOD_PAGES] + [{"file": by_name["data"].docname}],
        }
    )
    return {"format": "jb-book", "root": by_name["forside"].docname, "parts": parts}


TOC_HEADER = "# Generated from analysis/reference/areas.toml by `python -m analysis toc`; do not edit.\n"


def toc_text() -> str:
    return TOC_HEADER + yaml.safe_dump(toc(), sort_keys=False, allow_unicode=True)
