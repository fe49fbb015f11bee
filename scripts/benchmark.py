"""Measure build times on this machine and write docs/benchmarks.md.

Scenarios (each a real `python -m analysis build` in a subprocess, wall-clock time):
1. full clean build (environment installed, raw data fetched; generated files removed);
2. no-op rebuild;
3. one area regenerated after its plan text changed (a sentence added to plans/noerrebro.md, built
   with --area: the area's page);
4. one area after a goal changed (a goal title edited: the area's page and the three pages that
   summarise plans: front page, targets, wave);
5. the naive baseline: the same book with Jupyter Book executing the notebooks itself
   (execute_notebooks: force), no papermill, no caching.
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
REPEATS = 3  # the no-op and one-area scenarios are short: report the median of three runs


LOG: dict[str, str] = {}  # the build log of each scenario's last run, for the phase table


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


def one_area(edit) -> tuple[float, str]:
    """Median seconds of REPEATS builds of Nørrebro, each after another edit; the last build's log."""
    plan = paths.ROOT / "plans" / "noerrebro.md"
    plan_text = plan.read_text(encoding="utf-8")
    times = []
    try:
        for step in range(1, REPEATS + 1):  # a different edit each time, so each run has work to do
            edit("noerrebro", step)
            times.append(run("build", "--area", "noerrebro"))
    finally:
        plan.write_text(plan_text, encoding="utf-8")
    return statistics.median(times), LOG["build --area noerrebro"]


def naive_baseline(tmp: Path) -> float:
    """The naive pipeline: compute the prepared results, then let Jupyter Book execute every
    chapter itself (execute_notebooks: force), one after the other, with no caching."""
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
    shutil.copytree(paths.SITE_EXTRA, root / ".cache" / "site")
    shutil.copy(ROOT / "_toc.yml", root / "_toc.yml")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["execute"] = {"execute_notebooks": "force", "timeout": 600}
    config.setdefault("parse", {})["myst_substitutions"] = build.substitutions(build.build_stamp(paths.DERIVED))
    (root / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    exe = Path(PY).parent / "jupyter-book"
    t0 = time.perf_counter()
    code = (  # no caches: the identification is computed afresh as well
        "import tempfile, pathlib; from analysis import paths, pipeline; "
        "paths.CACHE = pathlib.Path(tempfile.mkdtemp()); pipeline.prepare(paths.RAW, paths.DERIVED)"
    )
    subprocess.run([PY, "-c", code], check=True, cwd=ROOT)
    subprocess.run([str(exe), "build", str(root), "-W", "-n", "-q"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
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
    results = {}
    clean()
    results["Full clean build"] = run("build")
    clean_log = LOG["build"]
    results["No-op rebuild"] = statistics.median(run("build") for _ in range(REPEATS))
    results["One area after its plan text changed (--area noerrebro)"], area_log = one_area(edit_text)
    results["One area after a goal changed (--area noerrebro, 4 pages)"], goal_log = one_area(edit_goal)
    with tempfile.TemporaryDirectory() as tmp:
        results["Naive baseline (Jupyter Book executes, no cache)"] = naive_baseline(Path(tmp))
    run("build")  # back to the registered data
    full, naive = results["Full clean build"], results["Naive baseline (Jupyter Book executes, no cache)"]
    rows = "\n".join(f"| {name} | {seconds:.1f} |" for name, seconds in results.items())
    text = f"""# Build benchmarks

Measured by `scripts/benchmark.py` (`make benchmark`) on {time.strftime("%Y-%m-%d")}: {machine()}.
Wall-clock seconds of `python -m analysis build` in a subprocess, environment installed and raw data
fetched; no-op and one-area rows are the median of {REPEATS} runs. This is a shared virtual machine:
repeated runs vary by about 20 %. {len(book.chapters())} chapters plus {len(book.STATIC_PAGES)} static pages.

| Scenario | Seconds |
|---|---|
{rows}

The papermill pipeline is {naive / full:.1f}× faster than the naive baseline on a clean build (it runs
chapters in parallel, computes the city-wide results once instead of in every notebook, and never
executes a notebook twice); a no-op rebuild executes nothing. The clean build starts with no warm
kernel; the builds after it adopt the kernels the previous build left (README, "Regenerate one
area"). A data change re-runs the city-wide prepare step and every chapter (a site never mixes data
versions). An edit of an area's own text re-executes its page; an edit of its goals also the pages
that summarise plans (its wave page, the targets page, the front page). The naive baseline makes no
council PDFs; the build's own log gives the phases (the clean build, then the last build of each
one-area scenario):

{phases(clean_log)}

{phases(area_log)}

{phases(goal_log)}
"""
    (ROOT / "docs" / "benchmarks.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
