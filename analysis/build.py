"""Build the book: fetch → validate and prepare → papermill per chapter → Jupyter Book → publish.

Incremental: the prepare step and every chapter are keyed by a digest of what they depend on
(raw data checksums, analysis code, reference data, template, parameters); a chapter whose key is
unchanged is reused, not re-executed. Atomic: the site is built in a staging folder and published
by swapping the ``_build/html`` symlink only when the whole build succeeded.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
import papermill
import yaml

from . import book, paths, registry

KERNEL = "python3"


class BuildError(RuntimeError):
    """A build step failed; the message says which chapter, cell or input, and what to do."""


# --- digests ---------------------------------------------------------------------------------------


def digest_files(files) -> str:
    h = hashlib.sha256()
    for f in sorted(Path(p) for p in files):
        h.update(str(f.relative_to(paths.ROOT) if f.is_relative_to(paths.ROOT) else f.name).encode())
        h.update(registry.sha256_of(f).encode())
    return h.hexdigest()


def code_digest() -> str:
    """The analysis package and its reference data: any change re-runs everything downstream."""
    pkg = paths.ROOT / "analysis"
    orchestration = {"__main__.py"}  # the CLI only parses arguments
    return digest_files([*(p for p in pkg.glob("*.py") if p.name not in orchestration), *paths.REFERENCE.glob("*")])


def digest_text(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


# --- prepare ---------------------------------------------------------------------------------------


def raw_digest(raw_dir: Path) -> str:
    """The registered checksums and the files actually present (they must agree after fetch)."""
    files = registry.load_registry()
    return digest_text("".join(f"{f.name}={f.sha256}" for f in files), digest_files([raw_dir / f.name for f in files]))


def prepare_key(raw_dir: Path) -> str:
    return digest_text(raw_digest(raw_dir), code_digest())


def prepare_cached(raw_dir: Path, derived: Path, log) -> bool:
    """Run pipeline.prepare unless its inputs are unchanged. Returns True if it ran."""
    from . import pipeline  # heavy imports only when needed

    stamp = derived / ".key"
    key = prepare_key(raw_dir)
    if stamp.is_file() and stamp.read_text() == key:
        log("prepare: reused (data and code unchanged)")
        return False
    t0 = time.perf_counter()
    tmp = derived.with_name(derived.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    pipeline.prepare(raw_dir, tmp)
    (tmp / ".key").write_text(key)
    (tmp / ".raw").write_text(raw_digest(raw_dir))  # the data alone, for revision notes
    shutil.rmtree(derived, ignore_errors=True)
    os.replace(tmp, derived)
    log(f"prepare: computed in {time.perf_counter() - t0:.1f} s")
    return True


# --- chapters --------------------------------------------------------------------------------------


def load_template(chapter: book.Chapter) -> nbformat.NotebookNode:
    nb = jupytext.read(chapter.template_path)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for key, value in chapter.context.items():
                cell.source = cell.source.replace("{{ " + key + " }}", value)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    nb.metadata.pop("jupytext", None)
    for i, cell in enumerate(nb.cells):
        cell.metadata.setdefault("tags", [])
        cell.id = f"{chapter.template}-{i}"  # jupytext makes random ids; stable ones keep builds identical
    return nb


def declared_parameters(nb: nbformat.NotebookNode) -> set[str]:
    """Names assigned in the cell tagged "parameters" (papermill's convention)."""
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    if not cells:
        return set()
    tree = ast.parse(cells[0].source)
    return {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}


def check_parameters(chapter: book.Chapter) -> None:
    """Papermill only warns on unknown parameters; we refuse them before running anything."""
    declared = declared_parameters(load_template(chapter))
    unknown = sorted(set(chapter.parameters) - set(declared))
    if unknown:
        raise BuildError(
            f"chapter {chapter.name}: parameters {unknown} are not declared in the parameters cell "
            f"of {chapter.template_path.relative_to(paths.ROOT)} (declared: {sorted(declared)})"
        )


def chapter_inputs(chapter: book.Chapter, derived: Path, code: str) -> dict[str, str]:
    """Digests of everything a chapter depends on, by kind (shown in its revision note)."""
    return {
        "template": digest_text(chapter.template_path.read_text(encoding="utf-8")),
        "parameters": json.dumps(chapter.parameters, sort_keys=True),
        "data": (derived / ".raw").read_text(),
        "code": code,
    }


def chapter_key(chapter: book.Chapter, derived: Path, code: str) -> str:
    return digest_text(*chapter_inputs(chapter, derived, code).values())


def _record_file(chapter: book.Chapter) -> Path:
    return paths.CACHE / "chapters" / f"{chapter.name.replace('/', '__')}.json"


def previous_record(chapter: book.Chapter) -> dict:
    f = _record_file(chapter)
    return json.loads(f.read_text()) if f.is_file() else {}


def is_current(chapter: book.Chapter, key: str) -> bool:
    return chapter.path.is_file() and previous_record(chapter).get("key") == key


INPUT_NAMES = {"template": "skabelonen", "parameters": "parametrene", "data": "data", "code": "beregningskoden"}


def key_figures(chapter: book.Chapter, derived: Path) -> dict[str, float]:
    """The figures whose movement a revision note reports: the area's latest rate per indicator."""
    if chapter.area is None:
        return {}
    import pandas as pd

    from .indicators import area_comparison

    comp = area_comparison(pd.read_csv(derived / "area_series.csv"), chapter.area)
    return {r.label: round(float(r.area), 1) for r in comp.itertuples()}


def revision_note(previous: dict, inputs: dict, figures: dict) -> str:
    """Danish note on what changed since the chapter was last built (deterministic text)."""
    from . import fmt

    data = inputs["data"][:12]
    if not previous:
        return f"Første udgave af kapitlet, bygget på dataversion {data}."
    changed = [INPUT_NAMES[k] for k in INPUT_NAMES if previous.get("inputs", {}).get(k) != inputs[k]]
    text = "Kapitlet er genberegnet, fordi " + (" og ".join(changed) if changed else "intet") + " er ændret"
    text += f" (dataversion {previous['inputs']['data'][:12]} → {data})." if "data" in changed else "."
    moved = [
        f"{label.lower()} {fmt.percent(old)} → {fmt.percent(figures[label])}"
        for label, old in previous.get("figures", {}).items()
        if label in figures and abs(figures[label] - old) >= 0.05
    ]
    text += (
        (" Nøgletal, der har flyttet sig: " + "; ".join(moved) + ".") if moved else " Ingen nøgletal har flyttet sig."
    )
    return text


def add_revision_note(path: Path, note: str) -> None:
    nb = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_markdown_cell(
        f":::{{admonition}} Ændringer siden sidste udgave\n{note}\n:::", id="revision-note"
    )
    cell.metadata["tags"] = ["revision-note"]
    nb.cells = [c for c in nb.cells if c.get("id") != "revision-note"] + [cell]
    nbformat.write(nb, path)


def scrub(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop volatile metadata (timings, papermill run info) so two builds give identical files.

    Execution counts stay: they are deterministic (a fresh kernel runs the cells in order) and
    nbval needs them to know which cells ran."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell.id = "injected-parameters"  # papermill gives it a random id
            if "remove-cell" not in tags:
                cell.metadata["tags"] = [*tags, "remove-cell"]  # papermill does not copy our tags
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    return nb


def run_notebook(chapter: book.Chapter, dest: Path) -> None:
    """Execute a chapter's template with papermill into dest (scrubbed of volatile metadata).

    Raises BuildError naming the chapter, cell and error; the failed notebook is kept for reading.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".part.ipynb")
    try:
        papermill.execute_notebook(
            load_template(chapter),
            str(tmp),
            parameters=chapter.parameters,
            kernel_name=KERNEL,
            progress_bar=False,
            cwd=str(paths.ROOT),
            # the kernel's start-up notice about local TCP transport is noise in the build log
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except papermill.PapermillExecutionError as err:
        failed = paths.CACHE / "failed" / f"{chapter.name.replace('/', '__')}.ipynb"
        failed.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            os.replace(tmp, failed)
        raise BuildError(
            f"chapter {chapter.name} (template book/templates/{chapter.template}.md, parameters "
            f"{chapter.parameters}) failed in code cell {err.exec_count}: {err.ename}: {err.evalue}. "
            f"The executed notebook with the traceback is at {failed.relative_to(paths.ROOT)}; "
            f"the last good version of the chapter is kept."
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    nbformat.write(scrub(nbformat.read(tmp, as_version=4)), tmp)
    os.replace(tmp, dest)


def execute_chapter(chapter: book.Chapter, derived: Path, code: str) -> float:
    """Execute one chapter; publish its notebook (with a revision note) and record only if it ran."""
    t0 = time.perf_counter()
    inputs = chapter_inputs(chapter, derived, code)
    previous = previous_record(chapter)
    tmp = chapter.path.with_name(chapter.path.stem + ".new.ipynb")
    run_notebook(chapter, tmp)
    figures = key_figures(chapter, derived)
    add_revision_note(tmp, revision_note(previous, inputs, figures))
    os.replace(tmp, chapter.path)
    record = {"key": digest_text(*inputs.values()), "inputs": inputs, "figures": figures}
    _record_file(chapter).parent.mkdir(parents=True, exist_ok=True)
    _record_file(chapter).write_text(json.dumps(record, ensure_ascii=False, indent=1))
    return time.perf_counter() - t0


@dataclass
class ChapterResult:
    name: str
    status: str  # executed | reused | kept | failed
    seconds: float = 0.0
    error: str = ""


def run_chapters(selected, all_chapters, derived: Path, jobs: int, log) -> list[ChapterResult]:
    code = code_digest()
    todo, results = [], []
    for ch in all_chapters:
        if ch not in selected:
            if not ch.path.is_file():
                raise BuildError(
                    f"chapter {ch.name} has never been built; run a full build (without --area/--wave) first"
                )
            results.append(ChapterResult(ch.name, "kept"))
            continue
        check_parameters(ch)
        if is_current(ch, chapter_key(ch, derived, code)):
            results.append(ChapterResult(ch.name, "reused"))
        else:
            todo.append(ch)
    for r in results:
        log(f"  {r.status:8s} {r.name}")
    if todo:
        from tqdm import tqdm

        with cf.ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(execute_chapter, ch, derived, code): ch for ch in todo}
            bar = tqdm(total=len(futures), desc="chapters", unit="ch", file=sys.stderr, leave=False)
            for fut in cf.as_completed(futures):
                ch = futures[fut]
                try:
                    results.append(ChapterResult(ch.name, "executed", fut.result()))
                    log(f"  executed {ch.name} ({results[-1].seconds:.1f} s)")
                except BuildError as err:
                    results.append(ChapterResult(ch.name, "failed", error=str(err)))
                    log(f"  FAILED   {ch.name}")
                bar.update()
            bar.close()
    return results


# --- the book --------------------------------------------------------------------------------------


def build_stamp(derived: Path) -> dict:
    """Version, commit, data checksum and the years covered, for the footer of every page."""
    from importlib.metadata import version

    import pandas as pd

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=paths.ROOT, capture_output=True, text=True
        ).stdout.strip()
        commit += "+ændringer" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "ukendt"
    return {
        "version": version("udsatte-byomraader"),
        "commit": commit,
        "data": (derived / ".raw").read_text()[:12],  # the same data version the chapters show
        "years": "–".join(
            map(str, pd.read_csv(derived / "area_series.csv").dropna(subset=["rate"])["year"].agg(["min", "max"]))
        ),
    }


def write_config(stamp: dict, dest: Path) -> Path:
    """The committed _config.yml plus the build stamp in the footer of every page."""
    config = yaml.safe_load((paths.ROOT / "_config.yml").read_text(encoding="utf-8"))
    footer = (
        "<p>Data: Københavns Kommune (åbne data og Statistikbanken); kilder og kontrolsummer står på siden "
        f"»Data og kilder«. Version {stamp['version']}, commit {stamp['commit']}, "
        f"data-kontrolsum {stamp['data']}, data for {stamp['years']}.</p>"
    )
    config.setdefault("sphinx", {}).setdefault("config", {})
    config["sphinx"]["config"].setdefault("html_theme_options", {})["extra_footer"] = footer
    # Sphinx rewrites a page only when its source or a template is newer than it, and copies the
    # static files only when it writes pages: a digest of the static files, templates and
    # translations in the HTML config makes it rewrite every page, and copy, when one changes.
    config["sphinx"]["config"].setdefault("html_context", {})["theme_files"] = digest_files(theme_files())
    dest.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dest


def write_site_data_cached(derived: Path) -> None:
    """The open-data downloads, rewritten only when the prepared results changed."""
    from . import outputs

    stamp = paths.CACHE / "site-data.key"
    key = (derived / ".key").read_text()
    if paths.SITE_DATA.is_dir() and stamp.is_file() and stamp.read_text() == key:
        return
    outputs.write_site_data(derived, paths.SITE_DATA)
    stamp.write_text(key)


def theme_files() -> list[Path]:
    """The site's look: static files (book/_static), theme overrides (book/_templates) and
    Danish labels (book/locales, the .po files; Sphinx compiles them)."""
    folder = paths.ROOT / "book"
    files = [*(folder / "_static").rglob("*"), *(folder / "_templates").rglob("*.html")]
    return sorted(f for f in [*files, *(folder / "locales").rglob("*.po")] if f.is_file())


def site_key(stamp: dict) -> str:
    sources = [c.path for c in book.chapters()] + [paths.ROOT / f"{p}.md" for p in book.STATIC_PAGES]
    sources += [paths.ROOT / "_config.yml", paths.ROOT / "_toc.yml", *sorted(paths.SITE_EXTRA.rglob("*"))]
    sources += theme_files()
    return digest_text(digest_files([s for s in sources if s.is_file()]), json.dumps(stamp, sort_keys=True))


def jupyter_book(stage: Path, config: Path, log) -> None:
    cmd = [
        str(Path(sys.executable).parent / "jupyter-book"),
        "build",
        str(paths.ROOT),
        "--path-output",
        str(stage),
        "--config",
        str(config),
        "--toc",
        str(paths.ROOT / "_toc.yml"),
        "-W",
        "-n",
        "--keep-going",
        "-q",
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=paths.ROOT)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise BuildError(f"jupyter-book build failed (warnings are errors); the published site is unchanged.\n{tail}")
    log(f"jupyter-book: built in {time.perf_counter() - t0:.1f} s")


def publish(stage_html: Path, site_link: Path) -> Path:
    """Point site_link at the new site in one atomic rename; remove the old site afterwards."""
    sites = site_link.parent / "sites"
    sites.mkdir(parents=True, exist_ok=True)
    target = sites / f"site-{time.strftime('%Y%m%d-%H%M%S')}-{time.perf_counter_ns()}"
    os.replace(stage_html, target)
    tmp_link = site_link.with_name(site_link.name + ".new")
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(target.relative_to(site_link.parent))
    old = site_link.resolve() if site_link.is_symlink() else None
    if site_link.exists() and not site_link.is_symlink():
        shutil.rmtree(site_link)  # a plain folder from an older layout
    os.replace(tmp_link, site_link)
    if old is not None and old != target and old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    return site_link


def build(
    areas=None,
    wave: int | None = None,
    jobs: int | None = None,
    raw_dir: Path = paths.RAW,
    mirror: Path | None = None,
    site: Path = paths.BUILD / "html",
    log=print,
) -> dict:
    """The whole pipeline; returns a summary. Raises BuildError with an explanation on failure."""
    t0 = time.perf_counter()
    jobs = jobs or max(1, os.cpu_count() or 1)
    files = registry.load_registry()
    try:
        registry.fetch_all(files, raw_dir, mirror if mirror is not None else registry.default_mirror())
    except registry.FetchError as err:
        raise BuildError(f"fetching the raw data failed; nothing was built:\n{err}") from None
    derived = paths.DERIVED
    from .load import DataError

    try:
        prepare_cached(raw_dir, derived, log)
    except (DataError, ValueError, KeyError) as err:
        raise BuildError(f"the data did not validate; nothing was built or published:\n{err}") from None
    all_chapters = book.chapters()
    selected = book.select(all_chapters, areas, wave)
    with cf.ThreadPoolExecutor(max_workers=1) as side:  # downloads are written while chapters run
        downloads = side.submit(write_site_data_cached, derived)
        results = run_chapters(selected, all_chapters, derived, jobs, log)
        downloads.result()
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise BuildError("; ".join(r.error for r in failed) + "\nThe published site is unchanged.")
    (paths.ROOT / "_toc.yml").write_text(book.toc_text(), encoding="utf-8")
    stamp = build_stamp(derived)
    key = site_key(stamp)
    key_file = paths.CACHE / "site.key"
    if site.exists() and key_file.is_file() and key_file.read_text() == key:
        log("site: unchanged, nothing to publish")
    else:
        # Sphinx works in a persistent folder (it re-reads only changed pages); the result is
        # copied to a staging folder and published by an atomic swap. After any failure the
        # persistent folder is removed, so the next build starts clean and reports every warning.
        work = paths.CACHE / "jupyter-book"
        stage = paths.BUILD / f"staging-{os.getpid()}"
        shutil.rmtree(stage, ignore_errors=True)
        try:
            config = write_config(stamp, paths.CACHE / "_config.build.yml")
            jupyter_book(work, config, log)
            shutil.copytree(work / "_build" / "html", stage, symlinks=True)
            publish(stage, site)
            key_file.write_text(key)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    counts = {s: sum(r.status == s for r in results) for s in ("executed", "reused", "kept")}
    return {"site": site, "seconds": time.perf_counter() - t0, "chapters": results, **counts}
