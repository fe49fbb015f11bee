"""Editions of the book and the review of a change against the last published one.

``python -m analysis publish`` records what the current build publishes (figures, target statuses,
the prose of every chapter, the pages, the data and plan versions) in ``editions/<n>.json``, which is
committed. ``python -m analysis review`` compares the current build with the last edition (or with
the edition at a git ref) and writes a Markdown report, for the CI log and a pull request, plus an
HTML page.
"""

from __future__ import annotations

import difflib
import html
import json
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from . import book, cache, paths, plans, reference

if TYPE_CHECKING:
    from .results import Results

ROUNDING = 0.05  # figures are shown with one decimal: smaller moves are rounding
NO_CHANGES = "Ingen ændringer i bogen"


# --- what a build publishes ------------------------------------------------------------------------


def figures(res: Results) -> dict[str, float]:
    """Every published rate: area (and city) × indicator × year, rounded to 2 decimals."""
    s = res.series.dropna(subset=["rate"])
    s = s[(s["group"] == "area") | ((s["group"] == "city") & (s["slug"] == "alle"))]
    keys = s["slug"].where(s["group"] == "area", "kbh") + "|" + s["indicator"] + "|" + s["year"].astype(str)
    return {k: round(float(v), 2) for k, v in sorted(zip(keys, s["rate"], strict=True))}


def statuses(res: Results) -> dict[str, str]:
    """Status of every target: the plans' (area|goal/target) and the policy's (area|policy/key)."""
    from .follow_up import plan_table, policy_table
    from .pages import listed_estates

    out = {}
    from . import supplied  # pandas: not for the build's quick look at the editions

    data, listed = supplied.load(), listed_estates(res)
    for slug, plan in plans.load_all().items():
        for r in plan_table(plan, res.series, data).itertuples():
            out[f"{slug}|{r.target_id}"] = r.status
        for r in policy_table(res.series, slug, listed).itertuples():
            out[f"{slug}|politik/{r.key}"] = r.status
    return dict(sorted(out.items()))


def _text(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", html_text))


# MyST markup around the prose (figure directives and their options, admonition fences)
_MARKUP = re.compile(r"^(:::.*|:(alt|name|width|class|loading):.*)$", re.MULTILINE)


def _markdown(text: str) -> str:
    return _text(_MARKUP.sub("", text))


def prose(path: Path) -> str:
    """A chapter's reader-visible text: markdown cells and text outputs (HTML as text), no code."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.get("id") != "revision-note":
            parts.append(_markdown(cell.source))
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/markdown" in data:
                parts.append(_markdown(data["text/markdown"]))
            elif "text/html" in data:
                parts.append(_text(data["text/html"]))
    return " ".join(" ".join(parts).split())


def chapter_records() -> dict[str, dict]:
    """What each chapter's next revision note compares with: its inputs (data, plan, template and
    code versions), key figures and plan items, as last built."""
    from .build import step

    out = {}
    for chapter in book.chapters():
        rec = cache.record(step(chapter))
        out[chapter.name] = {k: rec[k] for k in ("inputs", "figures", "plan") if k in rec}
    return out


def snapshot(res: Results | None = None) -> dict:
    from .results import Results

    res = res or Results()
    chapters = {c.name: c.path for c in book.chapters()}
    return {
        "data": res.data_key,
        "plans": {p.stem: _sha(p) for p in sorted(plans.folder().glob("*.md"))},
        "pages": sorted([*chapters, *book.STATIC_PAGES]),
        "figures": figures(res),
        "statuses": statuses(res),
        "prose": {name: prose(path) for name, path in chapters.items() if path.is_file()},
        "chapters": chapter_records(),
    }


def _sha(path: Path) -> str:
    from .registry import sha256_of

    return sha256_of(path)[:12]


# --- editions --------------------------------------------------------------------------------------


def edition_files(folder: Path | None = None) -> list[Path]:
    return sorted((folder or paths.EDITIONS).glob("*.json"), key=lambda p: int(p.stem))


def publish(folder: Path | None = None) -> Path:
    """Record the current build as the next edition."""
    folder = folder or paths.EDITIONS
    folder.mkdir(exist_ok=True)
    files = edition_files(folder)
    path = folder / f"{int(files[-1].stem) + 1 if files else 1}.json"
    path.write_text(json.dumps(snapshot(), ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def last_edition(folder: Path | None = None, ref: str | None = None) -> dict | None:
    """The last published edition: from the working tree, or as it was at a git ref."""
    if ref is None:
        files = edition_files(folder)
        return json.loads(files[-1].read_text(encoding="utf-8")) if files else None
    rel = (folder or paths.EDITIONS).relative_to(paths.ROOT)
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", ref, f"{rel}/"], cwd=paths.ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    if not names:
        return None
    last = max(names, key=lambda n: int(Path(n).stem))
    text = subprocess.run(["git", "show", f"{ref}:{last}"], cwd=paths.ROOT, capture_output=True, text=True, check=True)
    return json.loads(text.stdout)


def published_chapter(name: str, folder: Path | None = None) -> tuple[int | None, dict]:
    """The last edition's number and its record of a chapter ((None, {}) before the first edition)."""
    files = edition_files(folder)
    if not files:
        return None, {}
    return int(files[-1].stem), json.loads(files[-1].read_text(encoding="utf-8")).get("chapters", {}).get(name, {})


# --- the review ------------------------------------------------------------------------------------


def word_diff(old: str, new: str, context: int = 6, limit: int = 6) -> list[str]:
    """Compact word-level changes: '… context [-old words-] {+new words+} context …'."""
    a, b = old.split(), new.split()
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        before = " ".join(a[max(0, i1 - context) : i1])
        after = " ".join(a[i2 : i2 + context])
        removed = f"[-{' '.join(a[i1:i2])}-] " if i2 > i1 else ""
        added = f"{{+{' '.join(b[j1:j2])}+}} " if j2 > j1 else ""
        out.append(f"… {before} {removed}{added}{after} …")
    return out[:limit] + ([f"… og {len(out) - limit} ændringer mere"] if len(out) > limit else [])


def compare(old: dict, new: dict) -> dict:
    moved = [
        (k, old["figures"][k], v)
        for k, v in new["figures"].items()
        if k in old["figures"] and abs(v - old["figures"][k]) >= ROUNDING
    ]
    return {
        "moved": moved,
        "figures_added": sorted(set(new["figures"]) - set(old["figures"])),
        "figures_removed": sorted(set(old["figures"]) - set(new["figures"])),
        "statuses": [
            (k, old["statuses"].get(k, "ny"), v) for k, v in new["statuses"].items() if old["statuses"].get(k) != v
        ]
        + [(k, v, "fjernet") for k, v in old["statuses"].items() if k not in new["statuses"]],
        "prose": {
            name: word_diff(old["prose"].get(name, ""), text)
            for name, text in new["prose"].items()
            if old["prose"].get(name) != text
        },
        "pages_added": sorted(set(new["pages"]) - set(old["pages"])),
        "pages_removed": sorted(set(old["pages"]) - set(new["pages"])),
        "data": (old["data"], new["data"]),
        "plans": {k: (old["plans"].get(k), v) for k, v in new["plans"].items() if old["plans"].get(k) != v},
    }


def _figure_name(key: str) -> str:
    slug, indicator, year = key.split("|")
    names = {a.slug: a.name for a in reference.areas()} | {"kbh": "København", "alle": "De seks områder samlet"}
    area = names.get(slug, slug)
    return f"{area}, {reference.indicator(indicator).name.lower()}, {year}"


def report(diff: dict, against: str) -> str:
    """The review as Markdown."""
    lines = [f"# Bogens ændringer i forhold til {against}", ""]
    old_data, new_data = diff["data"]
    lines.append(f"Data: {old_data} → {new_data}" if old_data != new_data else f"Data: uændret ({new_data})")
    for slug, (a, b) in diff["plans"].items():
        lines.append(f"Plan {slug}: {a or 'ny'} → {b}")
    changed = any(diff[k] for k in ("moved", "figures_added", "figures_removed", "statuses", "prose"))
    changed |= bool(diff["pages_added"] or diff["pages_removed"])
    if not changed:
        return "\n".join([*lines, "", NO_CHANGES, ""])
    if diff["moved"]:
        lines += ["", f"## Tal, der har flyttet sig ({len(diff['moved'])})", "", "| Tal | Før | Nu |", "|---|---|---|"]
        lines += [f"| {_figure_name(k)} | {a:.1f} | {b:.1f} |".replace(".", ",") for k, a, b in diff["moved"][:60]]
        if len(diff["moved"]) > 60:
            lines.append(f"| … og {len(diff['moved']) - 60} mere | | |")
    for word, key in (("Nye tal", "figures_added"), ("Fjernede tal", "figures_removed")):
        if diff[key]:
            lines += ["", f"{word}: {len(diff[key])} ({', '.join(_figure_name(k) for k in diff[key][:5])} …)"]
    if diff["statuses"]:
        lines += ["", f"## Status for mål, der har skiftet ({len(diff['statuses'])})", ""]
        lines += [f"- {k}: {a} → {b}" for k, a, b in diff["statuses"]]
    if diff["prose"]:
        lines += ["", f"## Kapitler med ændret tekst ({len(diff['prose'])})", ""]
        for name, changes in diff["prose"].items():
            lines += [f"### {name}", "", *[f"- `{c}`" for c in changes], ""]
    for word, key in (("Nye sider", "pages_added"), ("Fjernede sider", "pages_removed")):
        if diff[key]:
            lines += ["", f"{word}: {', '.join(diff[key])}"]
    return "\n".join(lines) + "\n"


def summary(diff: dict) -> str:
    """One line for the CI log."""
    parts = [
        f"{len(diff['moved'])} tal flyttet",
        f"{len(diff['statuses'])} status skiftet",
        f"{len(diff['prose'])} kapitler med ændret tekst",
        f"{len(diff['pages_added'])} nye og {len(diff['pages_removed'])} fjernede sider",
    ]
    return ", ".join(parts)


def review(out_dir: Path, ref: str | None = None) -> tuple[str, Path]:
    """Write review.md and review.html to out_dir; returns (summary line, markdown path)."""
    old = last_edition(ref=ref)
    new = snapshot()
    against = f"udgaven i {ref}" if ref else "sidste offentliggjorte udgave"
    if old is None:
        text, line = (
            f"# Bogens ændringer\n\nDer er ingen offentliggjort udgave at sammenligne med ({against}).\n",
            "ingen udgave",
        )
    else:
        diff = compare(old, new)
        text = report(diff, against)
        line = NO_CHANGES if NO_CHANGES in text else summary(diff)
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / "review.md"
    md.write_text(text, encoding="utf-8")
    (out_dir / "review.html").write_text(review_html(text), encoding="utf-8")
    return line, md


def review_html(text: str) -> str:
    """The review as an HTML page. Raw HTML is off: the report quotes plan text and data, which
    are shown as text, never as markup."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    return f'<!doctype html><html lang="da"><meta charset="utf-8"><title>Review</title><body>{body}</body></html>'
