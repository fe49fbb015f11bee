"""Measure build times on this machine and write docs/benchmarks.md.

Scenarios (each a real `python -m analysis build` in a subprocess, wall-clock time):
1. full clean build (environment installed, raw data fetched; generated files removed);
2. no-op rebuild;
3. one area regenerated after a change to its data (a new extract with one value changed in one of
   the area's roder, registered with its new checksum, built with --area);
4. the naive baseline: the same book with Jupyter Book executing the notebooks itself
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
from analysis import book, build, paths, registry  # noqa: E402

PY = sys.executable
REPEATS = 3  # the no-op and one-area scenarios are short: report the median of three runs


def run(*args: str, env: dict | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run([PY, "-m", "analysis", *args], cwd=ROOT, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def clean() -> None:
    for p in (paths.BUILD, paths.CACHE, paths.ROOT / "book" / "chapters"):
        shutil.rmtree(p, ignore_errors=True)


def changed_extract(tmp: Path, step: float) -> Path:
    """A copy of the mirror with one share changed (by `step` points) in one Nørrebro rode (2013)."""
    mirror = tmp / f"mirror-{step}"
    shutil.copytree(registry.default_mirror() or paths.RAW, mirror)
    target = mirror / "kk-opendata" / "rode_socio_2008_2014.csv"
    target.chmod(0o644)
    members = (paths.MEMBERS).read_text(encoding="utf-8").splitlines()
    rode = next(line.split(",")[2] for line in members[1:] if line.startswith("noerrebro,"))
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        cells = line.split(",")
        if cells[0].strip() == rode and cells[2] == "2013":
            cells[15] = f"{float(cells[15]) + step:.8f}"  # 'No education' + step percentage points
            lines[i] = ",".join(cells)
            break
    target.write_text("".join(lines), encoding="utf-8")
    return mirror


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
    shutil.copy(ROOT / "book" / "metode.md", root / "book" / "metode.md")
    shutil.copytree(ROOT / "book" / "_static", root / "book" / "_static")
    shutil.copytree(paths.SITE_EXTRA, root / ".cache" / "site")
    shutil.copy(ROOT / "_toc.yml", root / "_toc.yml")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["execute"] = {"execute_notebooks": "force", "timeout": 600}
    (root / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    exe = Path(PY).parent / "jupyter-book"
    t0 = time.perf_counter()
    code = (  # no caches: the identification is computed afresh as well
        "import tempfile, pathlib; from analysis import paths, pipeline; "
        "pipeline.SCORES_CACHE = pathlib.Path(tempfile.mkdtemp()); pipeline.prepare(paths.RAW, paths.DERIVED)"
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
    results["No-op rebuild"] = statistics.median(run("build") for _ in range(REPEATS))
    registry_text = paths.REGISTRY.read_text(encoding="utf-8")
    name = "kk-opendata/rode_socio_2008_2014.csv"
    old_sha = next(f.sha256 for f in registry.load_registry() if f.name == name)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        shutil.copytree(paths.RAW, raw)
        times = []
        try:
            for step in range(1, REPEATS + 1):  # a different change each time, so each run has work to do
                mirror = changed_extract(Path(tmp), float(step))
                new_sha = registry.sha256_of(mirror / name)
                paths.REGISTRY.write_text(registry_text.replace(old_sha, new_sha), encoding="utf-8")
                times.append(run("--raw", str(raw), "build", "--area", "noerrebro", "--mirror", str(mirror)))
        finally:
            paths.REGISTRY.write_text(registry_text, encoding="utf-8")
        results["One area after a data change (--area noerrebro)"] = statistics.median(times)
        results["Naive baseline (Jupyter Book executes, no cache)"] = naive_baseline(Path(tmp))
    run("build")  # back to the registered data
    full, naive = results["Full clean build"], results["Naive baseline (Jupyter Book executes, no cache)"]
    rows = "\n".join(f"| {name} | {seconds:.1f} |" for name, seconds in results.items())
    text = f"""# Build benchmarks

Measured by `scripts/benchmark.py` (`make benchmark`) on {time.strftime("%Y-%m-%d")}: {machine()}.
Wall-clock seconds of `python -m analysis build` in a subprocess, environment installed and raw data
fetched; no-op and one-area rows are the median of {REPEATS} runs. This is a shared virtual machine:
repeated runs vary by about 20 %. {len(book.chapters())} chapters (6 areas, 2 waves, 4 city pages) plus the method page.

| Scenario | Seconds |
|---|---|
{rows}

The papermill pipeline is {naive / full:.1f}× faster than the naive baseline on a clean build (it runs
chapters in parallel, computes the city-wide results once instead of in every notebook, and never
executes a notebook twice); a no-op rebuild executes nothing. A data change re-runs the city-wide
prepare step (the city and rest-of-city comparators change with any rode), reusing the 2010
identification when the baseline year's data are unchanged; `--area` then regenerates only that
chapter and keeps the others.
"""
    (ROOT / "docs" / "benchmarks.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
