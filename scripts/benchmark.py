"""Measure build times on this machine and write docs/benchmarks.md.

Scenarios (each a real `python -m analysis build` in a subprocess, wall-clock time):
1. full clean build (environment installed, raw data fetched; generated files removed);
2. no-op rebuild;
3. one area regenerated after its plan text changed (a sentence added to plans/noerrebro.md, built
   with --area: the area's page);
4. one area after a goal changed (a goal title edited: the area's page and the three pages that
   summarise plans: front page, targets, wave);
5. the naive baseline: the same site with Jupyter Book executing the notebooks itself
   (execute_notebooks: force), no papermill, no caching, then the downloads and the council PDFs
   one after the other.
The repository is restored afterwards (registry and a final rebuild from the registered data).
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import papermill
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from analysis import book, build, kernels, paths  # noqa: E402

PY = sys.executable
REPEATS = 3  # every scenario: the median of three runs


CLEAN, NAIVE = "Full clean build", "Naive baseline (Jupyter Book executes, no cache)"
LOG: dict[str, str] = {}  # the build log of each scenario's last run, for the phase table
NAIVE_REST: list[float] = []  # seconds of each naive run spent on the downloads and the council PDFs


def run(*args: str, env: dict | None = None) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([PY, "-m", "analysis", *args], cwd=ROOT, check=True, env=env, capture_output=True, text=True)
    LOG[" ".join(args)] = proc.stdout
    return time.perf_counter() - t0


def phases(log: str) -> str:
    """The build's own timing lines (prepare, Jupyter Book, council PDFs, chapters) from its log."""
    keep = ("prepare:", "jupyter-book:", "council PDFs:", "done in")
    return "\n".join(f"    {line}" for line in log.splitlines() if line.startswith(keep))


def clean() -> None:
    """Generated files removed, and no warm kernel left from an earlier build: a cold start."""
    kernels.end_parked(paths.CACHE / "kernels")
    for p in (paths.BUILD, paths.CACHE, paths.ROOT / "book" / "chapters"):
        shutil.rmtree(p, ignore_errors=True)


def edit_text(slug: str, step: int) -> None:
    """A planner's edit: one more sentence in the area's own text (a different one each time)."""
    path = paths.ROOT / "plans" / f"{slug}.md"
    path.write_text(path.read_text(encoding="utf-8") + f"\nBenchmark-ændring {step}.\n", encoding="utf-8")


def edit_goal(slug: str, step: int) -> None:
    """A planner's edit of what the summary pages show: the plan's last goal title."""
    path = paths.ROOT / "plans" / f"{slug}.md"
    text = path.read_text(encoding="utf-8")
    at = text.rindex('{title: "') + len('{title: "')
    path.write_text(text[:at] + f"Benchmark {step}: " + text[at:], encoding="utf-8")


def one_area(edit) -> tuple[list[float], str]:
    """Seconds of REPEATS builds of Nørrebro, each after another edit; the last build's log."""
    plan = paths.ROOT / "plans" / "noerrebro.md"
    plan_text = plan.read_text(encoding="utf-8")
    times = []
    try:
        for step in range(1, REPEATS + 1):  # a different edit each time, so each run has work to do
            edit("noerrebro", step)
            times.append(run("build", "--area", "noerrebro"))
    finally:
        plan.write_text(plan_text, encoding="utf-8")
    return times, LOG["build --area noerrebro"]


def naive_baseline(tmp: Path) -> float:
    """The naive pipeline: compute the prepared results, let Jupyter Book execute every chapter
    itself (execute_notebooks: force), one after the other, with no caching, then write the
    downloads and render the council PDFs one by one."""
    root = tmp / "naive"
    for chapter in book.chapters():
        dest = root / f"{chapter.docname}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        nb = build.load_template(chapter)
        papermill.execute_notebook(nb, str(dest), parameters=chapter.parameters, prepare_only=True, progress_bar=False)
    (root / "book" / "chapters" / "figures").symlink_to(paths.FIGURES_DIR)  # the chapters write figures there
    for page in book.STATIC_PAGES:
        shutil.copy(ROOT / f"{page}.md", root / f"{page}.md")
    shutil.copytree(ROOT / "book" / "_static", root / "book" / "_static")
    shutil.copy(ROOT / "_toc.yml", root / "_toc.yml")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["execute"] = {"execute_notebooks": "force", "timeout": 600}
    config.setdefault("parse", {})["myst_substitutions"] = build.substitutions(build.build_stamp(paths.DERIVED))
    (root / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    exe = Path(PY).parent / "jupyter-book"
    shutil.rmtree(paths.CACHE / "figures", ignore_errors=True)  # no chart drawn by the clean build before it
    t0 = time.perf_counter()
    code = (  # no caches: the identification is computed afresh as well
        "import tempfile, pathlib; from analysis import paths, pipeline; "
        "paths.CACHE = pathlib.Path(tempfile.mkdtemp()); pipeline.prepare(paths.RAW, paths.DERIVED)"
    )
    subprocess.run([PY, "-c", code], check=True, cwd=ROOT)
    subprocess.run([str(exe), "build", str(root), "-W", "-n", "-q"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    t1 = time.perf_counter()
    code = (  # the rest of the same site: the open-data downloads and the council PDFs, one by one
        "import sys, tempfile, pathlib; from analysis import build, council_pdf, outputs, paths; "
        "html = pathlib.Path(sys.argv[1]); outputs.write_site_data(paths.DERIVED, html / 'data'); "
        "council_pdf.CACHE = pathlib.Path(tempfile.mkdtemp()); "
        "council_pdf.write_all(html, build.build_stamp(paths.DERIVED), lambda _: None, jobs=1)"
    )
    subprocess.run([PY, "-c", code, str(root / "_build" / "html")], check=True, cwd=ROOT)
    NAIVE_REST.append(time.perf_counter() - t1)
    return time.perf_counter() - t0


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return f"{os.cpu_count()} cores ({cpu}), {int(mem) / 1024**2:.0f} GiB RAM, Python {platform.python_version()}"


def main() -> None:
    run("fetch")
    runs: dict[str, list[float]] = {CLEAN: [], NAIVE: []}
    for _ in range(REPEATS):  # taken in turns, so both see the same machine
        clean()
        runs[CLEAN].append(run("build"))
        clean_log = LOG["build"]
        with tempfile.TemporaryDirectory() as tmp:
            runs[NAIVE].append(naive_baseline(Path(tmp)))
    runs["No-op rebuild"] = [run("build") for _ in range(REPEATS)]
    runs["One area after its plan text changed (--area noerrebro)"], area_log = one_area(edit_text)
    runs["One area after a goal changed (--area noerrebro, 4 pages)"], goal_log = one_area(edit_goal)
    run("build")  # back to the plans as committed
    median = {name: statistics.median(times) for name, times in runs.items()}
    rows = "\n".join(
        f"| {name} | {median[name]:.1f} | {', '.join(f'{t:.1f}' for t in times)} |" for name, times in runs.items()
    )
    ratios = ", ".join(f"{n / c:.1f}×" for c, n in zip(runs[CLEAN], runs[NAIVE], strict=True))
    text = f"""# Build benchmarks

Measured by `scripts/benchmark.py` (`make benchmark`) on {time.strftime("%Y-%m-%d")}: {machine()}.
Wall-clock seconds of `python -m analysis build` in a subprocess, environment installed and raw data
fetched; each scenario is run {REPEATS} times and the table gives the median and every run. This is
a shared virtual machine whose speed varies a lot from minute to minute (two CPU-bound processes
run about 1.4× slower each than one alone), so the clean build and the naive baseline are measured
in turns. {len(book.chapters())} chapters plus {len(book.STATIC_PAGES)} static pages.

| Scenario | Median | Runs |
|---|---|---|
{rows}

The papermill pipeline is {median[NAIVE] / median[CLEAN]:.1f}× faster than the naive baseline on a clean
build (medians; run by run {ratios}): it runs chapters in parallel in warm kernels, computes the
city-wide results once instead of in every notebook, and never executes a notebook twice; a no-op
rebuild executes nothing. The clean build starts with no warm kernel; the builds after it adopt the
kernels the previous build left (README, "Regenerate one area"). A data change re-runs the
city-wide prepare step and every chapter (a site never mixes data versions). An edit of an area's
own text re-executes its page; an edit of its goals also the pages that summarise plans (its wave
page, the targets page, the front page). The naive baseline builds the same site: after Jupyter
Book it writes the downloads and renders the six council PDFs one by one, which took
{statistics.median(NAIVE_REST):.1f} s of it (median); without them it would take
{median[NAIVE] - statistics.median(NAIVE_REST):.1f} s. The build's own log gives the phases (the last
clean build, then the last build of each one-area scenario):

{phases(clean_log)}

{phases(area_log)}

{phases(goal_log)}
"""
    (ROOT / "docs" / "benchmarks.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
