"""Build the book: fetch → validate and prepare → papermill per chapter → Jupyter Book → publish.

Incremental: the prepare step and every chapter are keyed by a digest of what they depend on
(raw data checksums, analysis code, reference data, template, parameters); a chapter whose key is
unchanged is reused, not re-executed. Consistent: before anything is published every chapter's key
is checked against the current inputs, and a chapter outside an --area/--wave selection that is
stale makes the build refuse (it names the chapters and the command), so the site never mixes
results of different data or code. Atomic: the site is built in a staging folder and published by
swapping the ``_build/html`` symlink only when the whole build succeeded; Ctrl-C stops the kernels
and leaves the last good site and no partial files.

Why one module of about 700 lines: each step's key, its leftover cleanup and its failure message
belong to the same build transaction; split, they would have to share its state. The Danish
revision notes are in analysis.wording.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import contextlib
import copy
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from . import book, cache, errors, paths, planner_text, plans, registry
from .cache import code_digest, digest_files, digest_named, digest_text
from .errors import BuildError, SelectionError, StaleError, UserError

if TYPE_CHECKING:
    import nbformat

    from . import kernels

KERNEL = "python3"
STOP_TIMEOUT = 10  # seconds the chapter threads get to clean up after Ctrl-C

# --- prepare ---------------------------------------------------------------------------------------


def raw_digest(raw_dir: Path) -> str:
    """The data version: the registered checksums and the content of the files actually present
    (they must agree after fetch), each under its name in data/raw wherever raw_dir lies, so the
    same files in another folder give the same version."""
    files = registry.load_registry()
    under = paths.RAW.relative_to(paths.ROOT)
    present = digest_named((str(under / f.name), raw_dir / f.name) for f in files)
    return digest_text("".join(f"{f.name}={f.sha256}" for f in files), present)


def prepare_key(raw_dir: Path) -> str:
    return digest_text(raw_digest(raw_dir), code_digest())


def prepare_into(raw_dir: Path, out: Path) -> None:
    """pipeline.prepare but the identification of the roder (scores_into) into out, with the
    build's bookkeeping (.coverage.json, .raw)."""
    from . import pipeline  # heavy imports only when needed

    pipeline.prepare(raw_dir, out, scores=False)
    (out / ".coverage.json").write_text(json.dumps(coverage(out)))
    (out / KEY_FIGURES).write_text(json.dumps(all_key_figures(out), ensure_ascii=False), encoding="utf-8")
    (out / ".raw").write_text(raw_digest(raw_dir))  # the data alone, for revision notes


def scores_into(raw_dir: Path, out: Path) -> None:
    """The identification of the roder (scores, sensitivity, Local Moran's I) as out/roder.geojson:
    a third of the preparation, which a build runs in a second kernel beside prepare_into."""
    from . import pipeline

    pipeline.write_scores(raw_dir, out / "roder.geojson")


# A function of this module called with paths in a warm kernel; a UserError comes back by class
# name and message.
KERNEL_CALL = """
import json as _j
from analysis import build as _b, errors as _e
try:
    _b.{name}(*map(_b.Path, {args!r}))
    _r = None
except _e.UserError as _x:
    _r = {{"error": type(_x).__name__, "message": str(_x)}}
print(_j.dumps(_r))
del _j, _b, _e, _r
"""


def submit_call(pool, fn, *args: Path) -> cf.Future:
    """fn(*args) in a warm kernel of the pool, which has the packages imported anyway, so that this
    process need not import them too (about 2 s of the build's start)."""

    def job(kernel):
        printed = kernel.output(KERNEL_CALL.format(name=fn.__name__, args=[str(a) for a in args]))
        result = json.loads(printed.strip().splitlines()[-1])
        if result is not None:
            raise getattr(errors, result["error"])(result["message"])

    return pool.submit(job)


def outcome(running: cf.Future, fn, *args: Path) -> None:
    """Wait for a submit_call: its UserError is raised here; after a bug or a lost kernel, fn runs
    again in this process, so that a bug shows its traceback."""
    try:
        running.result()
    except RuntimeError as err:
        if isinstance(err, errors.UserError):
            raise
        fn(*args)


def prepare_cached(raw_dir: Path, derived: Path, log, pool=None, meanwhile=lambda: None) -> bool:
    """Run pipeline.prepare unless its inputs are unchanged, in a warm kernel of the pool if given,
    calling meanwhile() while it runs. Returns True if it ran."""
    key = prepare_key(raw_dir)
    if cache.is_current("prepare", key, derived / ".raw"):
        meanwhile()
        log("prepare: reused (data and code unchanged)")
        return False
    t0 = time.perf_counter()
    tmp = derived.with_name(derived.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    steps = [(prepare_into, raw_dir, tmp), (scores_into, raw_dir, tmp)]
    running: list[cf.Future] = []
    try:
        if pool is not None:  # in two kernels at once, when there are two
            running = [submit_call(pool, *step) for step in steps]
        meanwhile()
        if pool is None:
            for fn, *args in steps:
                fn(*args)
        else:
            for fut, step in zip(running, steps, strict=True):
                outcome(fut, *step)  # the first step's error first: it validates every input
    except BaseException as err:
        pending = [fut for fut in running if not fut.done()]  # kernels still writing into tmp
        if pending:
            if not isinstance(err, Exception):
                from . import kernels

                kernels.stop_all()  # Ctrl-C
            cf.wait(pending, timeout=STOP_TIMEOUT)
        shutil.rmtree(tmp, ignore_errors=True)  # no half-prepared results, also after Ctrl-C
        raise
    shutil.rmtree(derived, ignore_errors=True)
    os.replace(tmp, derived)
    cache.store("prepare", key)
    where = " in warm kernels (their start included)" if pool is not None else ""
    log(f"prepare: computed{where} in {time.perf_counter() - t0:.1f} s")
    return True


# --- chapters --------------------------------------------------------------------------------------


@functools.cache
def _parsed_template(text: str) -> nbformat.NotebookNode:
    import jupytext  # imported when a chapter runs: a no-op build stays light

    return jupytext.reads(text, fmt="md:myst")


def load_template(chapter: book.Chapter) -> nbformat.NotebookNode:
    """The chapter's notebook from its template, parsed once per template text (the six area
    chapters share one, and the parameters are checked before the run)."""
    nb = copy.deepcopy(_parsed_template(chapter.template_path.read_text(encoding="utf-8")))
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


def inputs_for(chapter: book.Chapter, data: str, code: str) -> dict[str, str]:
    """Digests of everything a chapter depends on, by kind (shown in its revision note)."""
    return {
        "template": digest_text(chapter.template_path.read_text(encoding="utf-8")),
        "parameters": json.dumps(chapter.parameters, sort_keys=True),
        "data": data,
        "code": code,
        "plan": plan_digest(chapter),
        "edition": last_edition_digest(),  # the revision note compares with it
    }


def plan_digest(chapter: book.Chapter) -> str:
    """The plans a chapter shows, by file name and content (wherever the plans folder is): the
    whole plan for an area's page, the summary (plans.summary_digest) for the pages that summarise
    plans, so a planner's edit of the area's own texts re-runs only the area's page."""
    if chapter.area:
        return digest_text(*(f"{f.name}={registry.sha256_of(f)}" for f in chapter.plan_files))
    return digest_text(*(f"{f.name}={plans.summary_digest(f)}" for f in chapter.plan_files))


def last_edition_digest() -> str:
    """Name and checksum of the last published edition, "" before the first."""
    from .editions import edition_files

    files = edition_files()
    return f"{files[-1].name}={registry.cached_sha256(files[-1])}" if files else ""


def chapter_inputs(chapter: book.Chapter, derived: Path, code: str) -> dict[str, str]:
    return inputs_for(chapter, (derived / ".raw").read_text(), code)


def chapter_key(chapter: book.Chapter, derived: Path, code: str) -> str:
    return digest_text(*chapter_inputs(chapter, derived, code).values())


def step(chapter: book.Chapter) -> str:
    """The chapter's name in the cache."""
    return f"chapters/{chapter.name.replace('/', '__')}"


INPUT_LABELS = {
    "template": "template",
    "parameters": "parameters",
    "data": "data",
    "code": "analysis code",
    "plan": "plan",
    "edition": "published edition",
}


def chapter_state(chapter: book.Chapter, data: str, code: str) -> tuple[str, str]:
    """("up to date" | "stale" | "never built", why) against the given data version and code."""
    record = cache.record(step(chapter))
    if not chapter.path.is_file() or not record:
        return "never built", ""
    now = inputs_for(chapter, data, code)
    if record.get("key") == digest_text(*now.values()):
        return "up to date", ""
    changed = [INPUT_LABELS[k] for k in now if record.get("inputs", {}).get(k, "") != now[k]]
    return "stale", (" and ".join(changed) + " changed") if changed else "its record is from another version"


KEY_FIGURES = ".key_figures.json"  # in the prepared results: {area: key figures}


def all_key_figures(derived: Path) -> dict[str, dict[str, float]]:
    """The figures whose movement a revision note reports, for every area: its latest rate per
    indicator (computed with the prepared results, where pandas is imported anyway)."""
    import pandas as pd

    from . import reference
    from .indicators import area_comparison

    series = pd.read_csv(derived / "area_series.csv")
    return {
        a.slug: {r.label: round(float(r.area), 1) for r in area_comparison(series, a.slug).itertuples()}
        for a in reference.areas()
    }


def key_figures(chapter: book.Chapter, derived: Path) -> dict[str, float]:
    """The area chapter's key figures (all_key_figures); none for other chapters."""
    if chapter.area is None:
        return {}
    return json.loads((derived / KEY_FIGURES).read_text(encoding="utf-8"))[chapter.area]


def plan_items(chapter: book.Chapter) -> dict[str, str]:
    """An area chapter's plan as {item: content}, to tell which goals, targets and initiatives a
    plan edit added, removed or changed."""
    if chapter.area is None:
        return {}
    from .plans import load

    out = {}
    for g in load(chapter.area).goals:
        out[f"målet »{g.title}«"] = repr((g.title, g.policy_goal, g.problems, g.why))
        out.update({f"delmålet »{t.text}«": repr(t) for t in g.targets})
        out.update({f"indsatsen »{i.name}«": repr(i) for i in g.initiatives})
    return out


def keep_hand_edits(chapter: book.Chapter, previous: dict) -> None:
    """A generated notebook edited by hand would be lost when it is regenerated: keep a copy and say
    where the text belongs instead."""
    if not chapter.path.is_file() or "notebook" not in previous:
        return
    if registry.sha256_of(chapter.path) == previous["notebook"]:
        return
    backup = paths.CACHE / "hand-edits" / f"{chapter.name.replace('/', '__')}.ipynb"
    backup.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(chapter.path, backup)
    where = f"plans/{chapter.area}.md" if chapter.area else f"book/templates/{chapter.template}.md"
    print(
        f"warning: {chapter.path.relative_to(paths.ROOT)} was edited by hand; it is regenerated, and the edited "
        f"copy is kept in {backup.relative_to(paths.ROOT)}. Write such text in {where}.",
        file=sys.stderr,
    )


def add_revision_note(path: Path, note: str) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_markdown_cell(
        f":::{{admonition}} Ændringer siden sidste udgave\n{note}\n:::", id="revision-note"
    )
    cell.metadata["tags"] = ["revision-note"]
    nb.cells = [c for c in nb.cells if c.get("id") != "revision-note"] + [cell]
    nbformat.write(nb, path)


def scrub(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop volatile metadata (timings, papermill run info) so two builds give identical files.

    Execution counts are renumbered 1, 2, ... as a fresh kernel would count them (a warm kernel goes
    on counting from the chapter before); nbval needs them to know which cells ran."""
    nb.metadata.pop("papermill", None)
    ran = [c for c in nb.cells if c.cell_type == "code" and c.get("execution_count") is not None]
    for n, cell in enumerate(ran, 1):
        cell.execution_count = n
        for out in cell.outputs:
            if "execution_count" in out:
                out.execution_count = n
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell.id = "injected-parameters"  # papermill gives it a random id
            if "remove-cell" not in tags:
                cell.metadata["tags"] = [*tags, "remove-cell"]  # papermill does not copy our tags
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    return nb


def run_notebook(kernel: kernels.WarmKernel, chapter: book.Chapter, dest: Path) -> None:
    """Execute a chapter's template with papermill in a warm kernel into dest (scrubbed of
    volatile metadata).

    Raises BuildError naming the chapter, cell and error; the failed notebook is kept for reading.
    """
    import nbformat
    import papermill

    from . import kernels

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".part.ipynb")
    kernel.reset()  # a fresh namespace: the chapter sees nothing of the one before
    try:
        papermill.execute_notebook(
            load_template(chapter),
            str(tmp),
            parameters=chapter.parameters,
            engine_name=kernels.warm_engine(),
            km=kernel.km,
            kc=kernel.kc,
            kernel_name=KERNEL,
            progress_bar=False,
            request_save_on_cell_execute=False,  # written once, when the chapter is done
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


def execute_chapter(kernel: kernels.WarmKernel, chapter: book.Chapter, derived: Path, code: str) -> float:
    """Execute one chapter; publish its notebook (with a revision note) and record only if it ran."""
    t0 = time.perf_counter()
    from .editions import published_chapter
    from .wording import revision_note

    inputs = chapter_inputs(chapter, derived, code)
    previous = cache.record(step(chapter))
    edition, as_published = published_chapter(chapter.name)
    tmp = chapter.path.with_name(chapter.path.stem + ".new.ipynb")
    items = plan_items(chapter)
    try:
        run_notebook(kernel, chapter, tmp)
        figures = key_figures(chapter, derived)
        add_revision_note(tmp, revision_note(as_published, inputs, figures, items, edition))
        keep_hand_edits(chapter, previous)
        os.replace(tmp, chapter.path)
    finally:
        tmp.unlink(missing_ok=True)  # only left if the run failed or was stopped
    cache.store(
        step(chapter),
        digest_text(*inputs.values()),
        inputs=inputs,
        figures=figures,
        plan=items,
        notebook=registry.sha256_of(chapter.path),
        seconds=round(time.perf_counter() - t0, 1),
    )
    return time.perf_counter() - t0


@dataclass
class ChapterResult:
    name: str
    status: str  # executed | reused | kept | failed
    seconds: float = 0.0
    error: str = ""


def not_current(chapters, data: str, code: str) -> list[tuple[book.Chapter, str]]:
    """Chapters not built from these inputs, with "stale: why" or "never built"."""
    states = ((ch, *chapter_state(ch, data, code)) for ch in chapters)
    return [(ch, f"{state}: {why}" if why else state) for ch, state, why in states if state != "up to date"]


def grouped(bad: list[tuple[book.Chapter, str]]) -> str:
    """Reasons with their chapters, e.g. `a, b (stale: data changed); c (never built)`."""
    groups: dict[str, list[str]] = {}
    for ch, reason in bad:
        groups.setdefault(reason, []).append(ch.name)
    return "; ".join(f"{', '.join(names)} ({reason})" for reason, names in groups.items())


def stale_outside(kept, data: str, code: str) -> None:
    """Refuse a selection that would publish chapters built from other inputs (a mixed site)."""
    bad = not_current(kept, data, code)
    if not bad:
        return
    hint = "build them too: `make book` (python -m analysis build, all chapters)"
    if all(ch.area for ch, _ in bad):
        hint += " or add " + " ".join(f"--area {ch.area}" for ch, _ in bad) + " to your command"
    raise StaleError(
        f"{len(bad)} chapter(s) outside the selection are not current, so the site would mix old and new "
        f"results; nothing was executed: {grouped(bad)}",
        hint=hint,
    )


def plan(selected, all_chapters, data: str, code: str, force: bool):
    """Which chapters to execute; the others are reused (selected, current) or kept (not selected).
    Refuses a mixed site before anything runs (undeclared parameters: check_all_parameters)."""
    stale_outside([ch for ch in all_chapters if ch not in selected], data, code)
    results, todo = [], []
    for ch in all_chapters:
        if ch not in selected:
            results.append(ChapterResult(ch.name, "kept"))
            continue
        state, why = chapter_state(ch, data, code)
        if state == "up to date" and not force:
            results.append(ChapterResult(ch.name, "reused"))
        else:
            todo.append((ch, "forced" if force else (why or state)))
    return results, todo


def check_all_parameters(todo) -> None:
    """Refuse undeclared parameters before any chapter runs (reading the templates takes 1 s: the
    build does it while its kernels are being adopted or started)."""
    for ch, _ in todo:
        check_parameters(ch)


def log_plan(results, todo, log) -> None:
    for r in results:
        log(f"  {r.status:8s} {r.name}")
    for ch, why in todo:
        log(f"  to run   {ch.name} ({why})")


IDLE_ENV = "UDSATTE_KERNEL_IDLE_MINUTES"
IDLE_DEFAULT = 15  # minutes; 0 under CI (nothing is left running there)


def kernel_idle_minutes() -> float:
    """How long a build's warm kernels wait for the next build (kernels.Parking); 0: shut down."""
    raw = os.environ.get(IDLE_ENV, "0" if os.environ.get("CI") else str(IDLE_DEFAULT))
    try:
        minutes = float(raw)
    except ValueError:
        minutes = -1.0
    if not (minutes == 0 or 1 <= minutes < 10_000):
        raise UserError(
            f"{IDLE_ENV}={raw!r}: expected the minutes a build's kernels wait for the next build, "
            f"0 (shut them down at once) or a number from 1 to 9999; default {IDLE_DEFAULT}"
        )
    return minutes


# The environment a kernel's work can depend on (by prefix): the project's settings (a plans folder
# set by UDSATTE_PLANS, for one), Python's, matplotlib's, Jupyter's, locale, time zone, paths.
# Not make's MAKEFLAGS, which differ with every ARGS, nor the shell's.
KERNEL_ENV = ("UDSATTE_", "SOURCE_DATE_EPOCH", "CI", "PYTHON", "MPL", "JUPYTER", "IPYTHON", "LANG", "LC_", "TZ")
KERNEL_ENV += ("PATH", "HOME", "VIRTUAL_ENV", "XDG_")


def parking():
    """Where kernels are parked (None: switched off), tagged with everything they were started
    with: all the package's code and reference data, the interpreter, the lock file, the folder
    and the environment (KERNEL_ENV)."""
    minutes = kernel_idle_minutes()
    if not minutes:
        return None
    from . import kernels

    files = [*(paths.ROOT / "analysis").glob("*.py"), *paths.REFERENCE.glob("*"), paths.ROOT / "uv.lock"]
    env = json.dumps(sorted((k, v) for k, v in os.environ.items() if k.startswith(KERNEL_ENV)))
    tag = digest_text(digest_files([f for f in files if f.is_file()]), sys.executable, str(paths.ROOT), env)
    return kernels.Parking(paths.CACHE / "kernels", tag, minutes * 60)


@contextlib.contextmanager
def warm_kernels(jobs: int, todo):
    """A pool of warm kernels for the chapters to run (none if there is nothing to run): adopted
    from the last build or started at once, so their start-up overlaps whatever the build does
    before the chapters. Afterwards the healthy ones are parked for the next build (if parking is
    on); after Ctrl-C all are killed."""
    if not todo:
        yield None
        return
    from . import kernels

    kernels.reset()
    pool = kernels.KernelPool(min(jobs, len(todo)), KERNEL, paths.ROOT, parking())
    try:
        yield pool
    except BaseException as err:  # an error leaves the healthy kernels parked; Ctrl-C kills them
        if not isinstance(err, Exception):
            kernels.stop_all()  # one may be running Sphinx
        pool.close(cancel=True, park=isinstance(err, Exception))
        pool.join(STOP_TIMEOUT)
        raise
    pool.close()
    pool.join(STOP_TIMEOUT)


def stop(pool, futures) -> None:
    """Ctrl-C: drop queued chapters, kill the running kernels, let the threads remove their files."""
    from . import kernels

    pool.close(cancel=True, park=False)
    kernels.stop_all()
    cf.wait(futures, timeout=STOP_TIMEOUT)


def _outcome(ch: book.Chapter, fut: cf.Future) -> ChapterResult:
    try:
        return ChapterResult(ch.name, "executed", fut.result())
    except BuildError as err:
        return ChapterResult(ch.name, "failed", error=str(err))


def expected_seconds(chapter: book.Chapter) -> float:
    """How long the chapter ran the last time, else a guess from its code cells (0.1 s each)."""
    seconds = cache.record(step(chapter)).get("seconds")
    if seconds is None:
        cells = _parsed_template(chapter.template_path.read_text(encoding="utf-8")).cells
        seconds = 0.1 * sum(cell.cell_type == "code" for cell in cells)
    return seconds


def execute_all(pool, todo, derived: Path, code: str, log) -> list[ChapterResult]:
    """Run chapters in the pool's warm kernels; log lines go above the progress bar (terminals only)."""
    from tqdm import tqdm

    results = []
    # longest first, so no worker is left with a long one at the end
    longest_first = sorted((ch for ch, _ in todo), key=lambda ch: -expected_seconds(ch))
    futures = {pool.submit(execute_chapter, ch, derived, code): ch for ch in longest_first}
    bar = tqdm(
        total=len(futures), desc="chapters", unit="ch", file=sys.stderr, leave=False, disable=not sys.stderr.isatty()
    )
    try:
        for fut in cf.as_completed(futures):
            results.append(_outcome(futures[fut], fut))
            r = results[-1]
            with tqdm.external_write_mode(file=sys.stderr):
                log(f"  executed {r.name} ({r.seconds:.1f} s)" if r.status == "executed" else f"  FAILED   {r.name}")
            bar.update()
    except BaseException:
        stop(pool, futures)
        raise
    finally:
        bar.close()
    return results


def run_chapters(selected, all_chapters, derived: Path, jobs: int, log, force: bool = False) -> list[ChapterResult]:
    """Plan and execute the chapters against the prepared results in derived."""
    code = code_digest()
    results, todo = plan(selected, all_chapters, (derived / ".raw").read_text(), code, force)
    log_plan(results, todo, log)
    with warm_kernels(jobs, todo) as pool:
        check_all_parameters(todo)
        return results + (execute_all(pool, todo, derived, code, log) if todo else [])


def check_all_current(all_chapters, derived: Path, data: str | None = None, error=BuildError) -> None:
    """Last check before publishing: every chapter was built from the current inputs (data: the
    data version, by default the prepared one)."""
    bad = not_current(all_chapters, data or (derived / ".raw").read_text(), code_digest())
    if bad:
        raise error(f"not publishing: chapter(s) not built from the current inputs: {grouped(bad)}")


# --- the book --------------------------------------------------------------------------------------


def build_stamp(derived: Path) -> dict:
    """Version, commit, data checksum and the years covered, for the footer of every page."""
    from importlib.metadata import version

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
        **json.loads((derived / ".coverage.json").read_text()),
    }


def coverage(derived: Path) -> dict:
    """The years with data and the number of roder, read once when the data are prepared."""
    import pandas as pd

    years = pd.read_csv(derived / "area_series.csv").dropna(subset=["rate"])["year"]
    return {
        "years": f"{years.min()}–{years.max()}",
        "roder": int(pd.read_csv(derived / "obs_rode.csv", usecols=["unit_id"])["unit_id"].nunique()),
    }


def substitutions(stamp: dict) -> dict[str, str]:
    """{{ name }} values for the static pages (analysis.placeholders): the rule parameters and the
    data's coverage."""
    from . import reference

    first, last = stamp["years"].split("–")
    return {
        **reference.substitutions(),
        "period": stamp["years"],
        "last_year": last,
        "first_year": first,
        "n_roder": str(stamp["roder"]),
    }


def write_config(stamp: dict, dest: Path) -> Path:
    """The committed _config.yml plus the build stamp in the footer of every page."""
    config = yaml.safe_load((paths.ROOT / "_config.yml").read_text(encoding="utf-8"))
    footer = (
        "<p>Bygget på Københavns Kommunes åbne data og Statistikbanken; ikke en udgivelse fra Københavns "
        f"Kommune. Kilder og kontrolsummer står på siden »Data og kilder«. Version {stamp['version']}, "
        f"commit {stamp['commit']}, dataversion {stamp['data']}, data for {stamp['years']}.</p>"
    )
    config.setdefault("sphinx", {}).setdefault("config", {})["udsatte_values"] = substitutions(stamp)
    config["sphinx"]["config"].setdefault("html_theme_options", {})["extra_footer"] = footer
    # Sphinx rewrites a page only when its source or a template is newer than it, and copies the
    # static files only when it writes pages: a digest of the static files, templates and
    # translations in the HTML config makes it rewrite every page, and copy, when one changes.
    config["sphinx"]["config"].setdefault("html_context", {})["theme_files"] = digest_files(theme_files())
    dest.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dest


def write_site_data_cached(derived: Path) -> None:
    """The open-data downloads, rewritten only when the prepared results changed."""
    key = cache.record("prepare").get("key", "")
    if cache.is_current("site-data", key, paths.SITE_DATA):
        return
    from . import outputs  # heavy imports only when needed

    outputs.write_site_data(derived, paths.SITE_DATA)
    cache.store("site-data", key)


def theme_files() -> list[Path]:
    """The site's look: static files (book/_static), theme overrides (book/_templates), Danish
    labels (book/locales, the .po files; Sphinx compiles them) and the glossary links
    (analysis/glossary.py, applied when Sphinx writes a page)."""
    folder = paths.ROOT / "book"
    files = [*(folder / "_static").rglob("*"), *(folder / "_templates").rglob("*.html")]
    files += [*(folder / "locales").rglob("*.po"), paths.ROOT / "analysis" / "glossary.py"]
    return sorted(f for f in files if f.is_file())


def site_key(stamp: dict) -> str:
    sources = [c.path for c in book.chapters()] + [paths.ROOT / f"{p}.md" for p in book.STATIC_PAGES]
    sources += [paths.ROOT / "_config.yml", paths.ROOT / "_toc.yml", *theme_files()]
    sources.append(paths.ROOT / "analysis" / "council_pdf.py")  # the council PDFs (their stylesheet is in _static)
    sources += plans.images()
    downloads = cache.record("prepare").get("key", "")  # what the open-data downloads are made from
    return digest_text(digest_files([s for s in sources if s.is_file()]), json.dumps(stamp, sort_keys=True), downloads)


# Jupyter Book's `build` command as a call: warnings are errors (-W), missing references too (-n),
# and every warning is reported (--keep-going). Run in a warm kernel, where Sphinx and the book's
# extensions stay imported between builds (about 1.5 s), it prints its result as one JSON line.
SPHINX_CALL = """
import contextlib as _c, io as _io, json as _j
from jupyter_book.sphinx import build_sphinx as _build
_log = _io.StringIO()
with _c.redirect_stdout(_log), _c.redirect_stderr(_log):
    try:
        _code = _build({source!r}, {output!r}, use_external_toc=True, noconfig=True, path_config={config!r},
            confoverrides={{"external_toc_path": {toc!r}, "latex_individualpages": False, "nitpicky": True}},
            builder="html", warningiserror=True, keep_going=True, quiet=True)
    except Exception as _e:
        _code = f"{{type(_e).__name__}}: {{_e}}"
print(_j.dumps({{"code": _code if isinstance(_code, int) else str(_code), "log": _log.getvalue()}}))
del _c, _io, _j, _build, _log, _code
"""


def import_sphinx() -> None:
    """Import what the site step needs: Jupyter Book, Sphinx and every extension and theme the
    book's configuration loads, most of them only when set up, so a Sphinx application is set up
    (not built) in a temporary folder (about 1.5 s; kernels.PREPARE)."""
    from jupyter_book.config import get_final_config
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    config, _ = get_final_config(
        user_yaml=paths.ROOT / "_config.yml",
        cli_config={"latex_individualpages": False},
        sourcedir=paths.ROOT,
        use_external_toc=True,
    )
    with tempfile.TemporaryDirectory() as tmp, patch_docutils(None), docutils_namespace():
        Sphinx(paths.ROOT, None, f"{tmp}/html", f"{tmp}/doctrees", "html", config, status=None, warning=None)


def sphinx_in_kernel(kernel, stage: Path, config: Path) -> tuple[int | str, str]:
    """Jupyter Book's build (SPHINX_CALL) in a warm kernel: (exit code or error, log)."""
    code = SPHINX_CALL.format(
        source=str(paths.ROOT),
        output=str(stage / "_build" / "html"),
        config=str(config),
        toc=str(paths.ROOT / "_toc.yml"),
    )
    result = json.loads(kernel.output(code).strip().splitlines()[-1])
    return result["code"], result["log"]


def sphinx_in_process(stage: Path, config: Path) -> tuple[int | str, str]:
    """The same build by the `jupyter-book` command, when no warm kernel is at hand."""
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(paths.ROOT), "--path-output", str(stage)]
    cmd += ["--config", str(config), "--toc", str(paths.ROOT / "_toc.yml"), "-W", "-n", "--keep-going", "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=paths.ROOT)
    return proc.returncode, proc.stdout + proc.stderr


def jupyter_book(stage: Path, config: Path, pool=None) -> Callable:
    """Jupyter Book's build of the site into stage/_build/html: queued in the pool's kernel set up
    for it if given (a kernel whose build failed is not used again), else by the command when
    waited for. Returns the wait, wait(log), which raises BuildError if the build failed."""
    t0 = time.perf_counter()
    # Sphinx does not overwrite a file it copied before (book/_static), so an edited stylesheet or
    # script would stay stale in the persistent folder: remove the old copies.
    static = paths.BOOK / "_static"
    for f in static.rglob("*"):
        if f.is_file():
            (stage / "_build" / "html" / "_static" / f.relative_to(static)).unlink(missing_ok=True)
    if pool is None:
        result = functools.partial(sphinx_in_process, stage, config)
    else:

        def job(kernel):
            code, output = sphinx_in_kernel(kernel, stage, config)
            if code != 0:  # raised, so the pool discards the kernel: Sphinx may have left state behind
                raise BuildError(sphinx_failure(code, output))
            return code, output

        result = pool.submit(job, prepared=True).result  # in the kernel readied for it

    def wait(log) -> None:
        code, output = result()
        if code != 0:
            raise BuildError(sphinx_failure(code, output))
        log(f"jupyter-book: built in {time.perf_counter() - t0:.1f} s")

    return wait


def sphinx_failure(code: int | str, output: str) -> str:
    lines = re.sub(r"\x1b\[[0-9;]*m", "", output).strip().splitlines()
    causes = [line for line in lines if re.search(r"WARNING|ERROR|Error:|error \(", line)]
    tail = "\n".join((causes or lines or [str(code)])[-25:])
    return f"jupyter-book build failed (warnings are errors); the published site is unchanged.\n{tail}"


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


def select(all_chapters, areas, wave) -> list[book.Chapter]:
    try:
        return book.select(all_chapters, areas, wave)
    except KeyError as err:  # book.select names the unknown area or wave and the known ones
        raise SelectionError(err.args[0]) from None


def remove_leftovers(site: Path) -> None:
    """Partial files of a build that was killed: staging folders, half-prepared results,
    unfinished chapter notebooks and unpublished sites (the caller holds the build lock)."""
    for stage in paths.BUILD.glob("staging-*"):
        shutil.rmtree(stage, ignore_errors=True)
    shutil.rmtree(paths.DERIVED.with_name(paths.DERIVED.name + ".tmp"), ignore_errors=True)
    for pattern in ("*.part.ipynb", "*.new.ipynb"):
        for nb in (paths.ROOT / book.CHAPTER_DIR).rglob(pattern):
            nb.unlink(missing_ok=True)
    published = site.resolve() if site.is_symlink() else None
    for old in (site.parent / "sites").glob("site-*"):
        if old != published:
            shutil.rmtree(old, ignore_errors=True)


def fetch(raw_dir: Path, mirror: Path | None, download: bool, log) -> str:
    """Fetch and verify every registered file; returns where the data came from."""
    files = registry.load_checked()
    mirror = None if download else (mirror if mirror is not None else registry.default_mirror())
    results = registry.fetch_all(files, raw_dir, mirror, download=download)
    for name, how in results.items():
        if how != "present":
            log(f"fetched: {name} ({how})")
    for name in registry.unregistered(raw_dir, files):
        log(f"ignored: {raw_dir / name} is not in data/registry.toml (never read)")
    if mirror and (note := registry.mirror_note(mirror, files)):
        log(note.strip())
    return "downloaded from the origin URLs" if download else f"mirror {mirror}" if mirror else "origin URLs"


def build(
    areas=None,
    wave: int | None = None,
    jobs: int | None = None,
    raw_dir: Path = paths.RAW,
    mirror: Path | None = None,
    site: Path | None = None,
    log=print,
    download: bool = False,
    force: bool = False,
) -> dict:
    """The whole pipeline; returns a summary. Raises a UserError with an explanation on failure.

    mirror: folder to copy raw files from (default: registry.default_mirror()); download: fetch
    from the origin URLs instead, even if data/raw is complete; force: re-execute the selection."""
    t0 = time.perf_counter()
    if jobs is not None and jobs < 1:  # no worker would ever take a chapter
        raise SelectionError(f"jobs={jobs}: expected a whole number of at least 1")
    jobs = jobs or max(1, os.cpu_count() or 1)
    site = site or paths.BUILD / "html"
    all_chapters = book.chapters()
    selected = select(all_chapters, areas, wave)
    remove_leftovers(site)
    origin = fetch(raw_dir, mirror, download, log)
    plans.load_all()  # a PlanError names the plan file, line and field; nothing runs before all are valid
    code = code_digest()
    results, todo = plan(selected, all_chapters, raw_digest(raw_dir), code, force)
    derived = paths.DERIVED
    with warm_kernels(jobs, todo) as pool:
        # the data are prepared in the kernels (a DataError names the file, row and rule); one then
        # imports for the site step, and this process reads the templates and imports what running
        # chapters needs here (papermill and the revision notes' modules, which need no pandas:
        # this process never imports it)
        def meanwhile():
            if pool is not None:
                from . import editions, kernels, wording  # noqa: F401

                pool.submit_prepare()
                check_all_parameters(todo)
                kernels.warm_engine()

        prepare_cached(raw_dir, derived, log, pool, meanwhile)
        version = (derived / ".raw").read_text()[:12]
        log(f"data: {raw_dir} (verified against data/registry.toml; {origin}), data version {version}")
        log_plan(results, todo, log)
        if pool is not None:
            results += execute_all(pool, todo, derived, code, log)
        failed = [r for r in results if r.status == "failed"]
        if failed:
            raise BuildError("; ".join(r.error for r in failed) + "\nThe published site is unchanged.")
        check_all_current(all_chapters, derived)
        (paths.ROOT / "_toc.yml").write_text(book.toc_text(), encoding="utf-8")
        publish_site(build_stamp(derived), site, log, pool, derived)  # Sphinx in a warm kernel, if there is one
    counts = {s: sum(r.status == s for r in results) for s in ("executed", "reused", "kept")}
    return {"site": site, "seconds": time.perf_counter() - t0, "chapters": results, "data_version": version, **counts}


# The site root forwards to the front page; Jupyter Book's own version has no language or
# description. Browsers ask the root for /favicon.ico, so the icon is there too.
ROOT_PAGE = """<!doctype html>
<html lang="da">
<head>
<meta charset="utf-8">
<title>Udsatte byområder i København</title>
<meta name="description" content="Udviklingsplaner for Københavns seks udsatte byområder, bygget på åbne data.">
<meta http-equiv="refresh" content="0; url=book/chapters/forside.html">
</head>
<body><p><a href="book/chapters/forside.html">Gå til forsiden</a></p></body>
</html>
"""


def publish_site(stamp: dict, site: Path, log, pool=None, derived: Path = paths.DERIVED) -> None:
    """Jupyter Book into a staging folder with the open-data downloads, then an atomic swap (nothing
    to do if nothing changed). With two kernels the downloads are written in one while Sphinx runs in
    the other (Sphinx uses one core)."""
    key = site_key(stamp)
    if cache.is_current("site", key, site):
        log("site: unchanged, nothing to publish")
        return
    # Sphinx works in a persistent folder (it re-reads only changed pages); the result is
    # copied to a staging folder and published by an atomic swap. After any failure the
    # persistent folder is removed, so the next build starts clean and reports every warning.
    work = paths.CACHE / "jupyter-book"
    stage = paths.BUILD / f"staging-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    from . import council_pdf  # an A4 PDF of each area plan, published with the site

    # the PDF renderer's imports (about 1 s) are done while Sphinx works in a kernel
    imports = threading.Thread(target=council_pdf.import_renderer, daemon=True)
    try:
        config = write_config(stamp, paths.CACHE / "_config.build.yml")
        sphinx = jupyter_book(work, config, pool)  # queued first: it goes to the kernel set up for it
        downloads = submit_call(pool, write_site_data_cached, derived) if pool is not None else None
        imports.start()  # once both are queued: the imports hold this process's interpreter lock
        if downloads is None:
            write_site_data_cached(derived)
        sphinx(log)
        if downloads is not None:
            outcome(downloads, write_site_data_cached, derived)
        if (derived / ".disclosure_audit.json").is_file():  # written by outputs.write_site_data
            log(json.loads((derived / ".disclosure_audit.json").read_text())["line"])
        shutil.copytree(work / "_build" / "html", stage, symlinks=True)
        shutil.rmtree(stage / paths.SITE_DATA.name, ignore_errors=True)
        shutil.copytree(paths.SITE_DATA, stage / paths.SITE_DATA.name)
        (stage / "index.html").write_text(ROOT_PAGE, encoding="utf-8")
        shutil.copyfile(paths.BOOK / "_static" / "favicon.png", stage / "favicon.ico")
        for image in plans.images():  # the planners' images (analysis.planner_text), checked by plan check
            (stage / planner_text.IMAGE_FOLDER).mkdir(exist_ok=True)
            shutil.copyfile(image, stage / planner_text.IMAGE_FOLDER / image.name)
        imports.join()
        council_pdf.write_all(stage, stamp, log)
        publish(stage, site)
        cache.store("site", key)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
