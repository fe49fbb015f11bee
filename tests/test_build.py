"""The build pipeline: parameters, incremental keys, atomic publish, end-to-end and reproducibility."""

import asyncio
import concurrent.futures
import dataclasses
import filecmp
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import AsyncKernelManager
from small_book import small_book_toc

from analysis import book, build, cache, editions, kernels, load, outputs, paths, pipeline, reference, wording
from analysis.errors import BuildError, DataError, FetchError, SelectionError, StaleError, UserError

BROKEN_TEMPLATE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# Broken

```{code-cell} python
:tags: [parameters]
area = "x"
```

```{code-cell} python
raise ValueError("bad input in column 'rate'")
```
"""


def _template_dir(tmp_path, monkeypatch, name="broken", text=BROKEN_TEMPLATE) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.md").write_text(text, encoding="utf-8")
    monkeypatch.setattr(paths, "TEMPLATES", folder)
    return folder


def test_declared_parameters_are_read_from_the_parameters_cell():
    nb = build.load_template(book.Chapter("omraader/noerrebro", "area", {"area": "noerrebro"}, "noerrebro"))
    assert build.declared_parameters(nb) == {"area"}


def test_unknown_parameter_is_refused_before_running():
    chapter = book.Chapter("omraader/noerrebro", "area", {"area": "noerrebro", "aera": "x"}, "noerrebro")
    with pytest.raises(build.BuildError, match=r"\['aera'\] are not declared"):
        build.check_parameters(chapter)


def test_title_placeholder_is_filled_from_reference_data():
    nb = build.load_template(book.Chapter("omraader/noerrebro", "area", {"area": "noerrebro"}, "noerrebro"))
    assert nb.cells[0].source.startswith("# Nørrebro")


def test_chapter_key_changes_with_each_kind_of_input(tmp_path, monkeypatch):
    _template_dir(tmp_path, monkeypatch)
    derived = tmp_path / "derived"
    derived.mkdir()
    (derived / ".raw").write_text("data-1")
    chapter = book.Chapter("x", "broken", {"area": "a"})
    base = build.chapter_key(chapter, derived, "code-1")
    assert build.chapter_key(chapter, derived, "code-1") == base  # deterministic
    assert build.chapter_key(chapter, derived, "code-2") != base  # analysis code
    assert build.chapter_key(book.Chapter("x", "broken", {"area": "b"}), derived, "code-1") != base  # parameters
    (derived / ".raw").write_text("data-2")
    assert build.chapter_key(chapter, derived, "code-1") != base  # data checksums
    (derived / ".raw").write_text("data-1")
    (paths.TEMPLATES / "broken.md").write_text(BROKEN_TEMPLATE + "\n<!-- edit -->\n")
    assert build.chapter_key(chapter, derived, "code-1") != base  # template


def test_revision_note_names_what_changed_and_what_moved():
    inputs = {"template": "t1", "parameters": "{}", "data": "a" * 64, "code": "c1"}
    assert wording.revision_note({}, inputs, {}) == f"Første udgave af kapitlet, bygget på dataversion {'a' * 12}."
    previous = {"inputs": dict(inputs, data="b" * 64), "figures": {"Lav indkomst": 40.0, "Almene boliger": 20.0}}
    note = wording.revision_note(previous, inputs, {"Lav indkomst": 38.5, "Almene boliger": 20.0})
    assert note.startswith("Siden sidste udgave af bogen er data ændret (dataversion bbbbbbbbbbbb → aaaaaaaaaaaa).")
    assert "lav indkomst 40,0\xa0% → 38,5\xa0%" in note and "almene boliger" not in note
    note = wording.revision_note({"inputs": dict(inputs, template="t0"), "figures": {}}, inputs, {}, edition=3)
    assert note == "Siden udgave 3 af bogen er skabelonen ændret. Ingen nøgletal har flyttet sig."
    assert wording.revision_note({"inputs": inputs}, inputs, {}, edition=3) == (
        "Uændret siden udgave 3 af bogen (dataversion aaaaaaaaaaaa)."
    )


def test_revision_note_compares_with_the_published_edition_not_the_local_cache(tmp_path, monkeypatch, kernel):
    """After `make clean` (an empty cache) the note still says what changed since the edition."""
    chapter = next(c for c in book.chapters() if c.name == "data")
    data = (paths.DERIVED / ".raw").read_text()
    inputs = build.inputs_for(chapter, data, build.code_digest())
    (tmp_path / "editions").mkdir()
    edition = {"chapters": {"data": {"inputs": dict(inputs, data="0" * 64), "figures": {}}}}
    (tmp_path / "editions" / "7.json").write_text(json.dumps(edition), encoding="utf-8")
    monkeypatch.setattr(paths, "EDITIONS", tmp_path / "editions")
    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")  # as after make clean
    monkeypatch.setattr(book.Chapter, "path", property(lambda self: tmp_path / "out" / f"{self.name}.ipynb"))
    build.execute_chapter(kernel, chapter, paths.DERIVED, build.code_digest())
    note = nbformat.read(chapter.path, as_version=4).cells[-1].source
    assert f"Siden udgave 7 af bogen er data ændret (dataversion 000000000000 → {data[:12]})." in note


def test_the_build_process_writes_revision_notes_without_pandas():
    """The scientific packages are imported in the kernels only; the build process's modules, the
    revision notes' included, must not pull in pandas (0.7 s of its start)."""
    code = (
        "import sys\n"
        "from analysis import build, council_pdf, editions, fmt, kernels, wording\n"
        "note = wording.revision_note({'inputs': {'data': 'a' * 12}, 'figures': {'Lav indkomst': 20.04}},\n"
        "    {'data': 'b' * 12}, {'Lav indkomst': 21.26})\n"
        "moved = note.endswith('lav indkomst 20,0\u00a0% → 21,3\u00a0%.')\n"
        "print(fmt.number(2.5), moved, sorted({'pandas', 'numpy'} & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=paths.ROOT)
    assert out.stdout.split() == ["3", "True", "[]"]


def test_prepare_key_changes_when_a_raw_file_changes(tmp_path, built_site):
    raw = tmp_path / "raw"
    shutil.copytree(paths.RAW, raw)
    before = build.prepare_key(raw)
    with open(raw / "kk-opendata" / "bydel_ids.json", "a") as fh:
        fh.write(" ")
    assert build.prepare_key(raw) != before


def test_data_version_depends_on_the_files_not_their_folder(tmp_path):
    raw = tmp_path / "elsewhere"
    shutil.copytree(paths.RAW, raw)
    assert build.raw_digest(raw) == build.raw_digest(paths.RAW)
    assert build.prepare_key(raw) == build.prepare_key(paths.RAW)


def test_noop_rebuild_executes_nothing(built_site, monkeypatch):
    def forbidden(*_):
        raise AssertionError("a current chapter was re-executed")

    monkeypatch.setattr(build, "execute_chapter", forbidden)
    chapters = book.chapters()
    results = build.run_chapters(chapters, chapters, paths.DERIVED, jobs=2, log=lambda _: None)
    assert {r.status for r in results} == {"reused"}


def test_failing_chapter_reports_cell_and_keeps_published_site(tmp_path, monkeypatch, built_site, published_site):
    _template_dir(tmp_path, monkeypatch)
    site = published_site
    monkeypatch.setattr(book, "chapters", lambda: [book.Chapter("broken-test", "broken", {"area": "y"})])
    monkeypatch.setattr(book.Chapter, "path", property(lambda self: tmp_path / "out" / f"{self.name}.ipynb"))
    with pytest.raises(build.BuildError) as err:
        build.build(site=site, log=lambda _: None)
    message = str(err.value)
    assert "broken-test" in message and "ValueError" in message and "bad input in column 'rate'" in message
    assert "code cell" in message and "published site is unchanged" in message
    assert (site / "index.html").read_text() == "good"
    assert not (tmp_path / "out" / "broken-test.ipynb").exists()  # no half-written chapter


def test_interrupted_site_build_leaves_no_half_written_site(tmp_path, monkeypatch, built_site, published_site):
    site = published_site

    def interrupted(work, config, pool=None):
        (work / "_build" / "html").mkdir(parents=True)
        (work / "_build" / "html" / "index.html").write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "jupyter_book", interrupted)
    monkeypatch.setattr(build, "site_key", lambda stamp: "never-matches")
    monkeypatch.setattr(paths, "BUILD", tmp_path)
    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    monkeypatch.setattr(build, "plan", lambda *args: ([], []))  # chapters are current; test the site step
    monkeypatch.setattr(build, "check_all_current", lambda *args: None)
    with pytest.raises(KeyboardInterrupt):
        build.build(site=site, log=lambda _: None)
    assert (site / "index.html").read_text() == "good"
    assert not list(tmp_path.glob("staging-*"))
    assert not (tmp_path / "cache" / "jupyter-book").exists()  # next build starts clean


def test_publish_swaps_the_link_and_removes_the_old_site(tmp_path):
    site = tmp_path / "html"
    old, new = tmp_path / "stage1", tmp_path / "stage2"
    for folder, text in ((old, "old"), (new, "new")):
        folder.mkdir()
        (folder / "index.html").write_text(text)
    build.publish(old, site)
    first = site.resolve()
    build.publish(new, site)
    assert (site / "index.html").read_text() == "new"
    assert not first.exists()


@pytest.fixture(scope="module")
def kernel():
    """One warm kernel, as a build worker has, shared by the tests that run chapters."""
    warm = kernels.WarmKernel.start(build.KERNEL, paths.ROOT)
    yield warm
    warm.shutdown()


def test_a_warm_kernel_gives_each_chapter_a_fresh_namespace(kernel):
    kernel.run("leftover = 1")
    kernel.reset()
    with pytest.raises(RuntimeError, match="NameError"):
        kernel.run("leftover")
    kernel.run("import sys; assert 'analysis.pages' in sys.modules")  # the imports stay warm


def test_a_failed_job_does_not_poison_the_next_one():
    pool = kernels.KernelPool(1, build.KERNEL, paths.ROOT)
    try:
        first = pool.submit(lambda k: k.run("1/0"))
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            first.result(timeout=120)
        assert pool.submit(lambda k: k.run("x = 2") or "ok").result(timeout=120) == "ok"  # a new kernel
    finally:
        pool.close()
        pool.join(30)


class _FakeKernel:
    """Stands in for a kernel where only the pool's scheduling is tested."""

    def __init__(self, slot: int):
        self.slot, self.ran = slot, []

    def run(self, code: str) -> None:
        self.ran.append(code)

    def shutdown(self) -> None:
        pass


def test_the_site_step_runs_in_the_kernel_that_imported_for_it(monkeypatch):
    monkeypatch.setattr(kernels.KernelPool, "_obtain", lambda self, slot: _FakeKernel(slot))
    pool = kernels.KernelPool(2, build.KERNEL, paths.ROOT)
    try:
        pool.submit_prepare().result(timeout=10)
        # the other kernel is idle too, but every job for the site step waits for the readied one
        kernels_used = {pool.submit(lambda k: k, prepared=True).result(timeout=10) for _ in range(20)}
        assert len(kernels_used) == 1 and kernels.PREPARE in kernels_used.pop().ran
    finally:
        pool.close()
        pool.join(10)


def test_a_job_queued_after_the_site_step_runs_beside_it(monkeypatch):
    """publish_site queues Sphinx (for the readied kernel), then the downloads: they run at once."""
    monkeypatch.setattr(kernels.KernelPool, "_obtain", lambda self, slot: _FakeKernel(slot))
    pool = kernels.KernelPool(2, build.KERNEL, paths.ROOT)
    beside = threading.Event()
    try:
        pool.submit_prepare().result(timeout=10)
        sphinx = pool.submit(lambda k: beside.wait(10) and k.slot, prepared=True)
        downloads = pool.submit(lambda k: beside.set() or k.slot)
        assert {sphinx.result(timeout=15), downloads.result(timeout=15)} == {0, 1}
    finally:
        pool.close()
        pool.join(10)


def test_never_built_chapters_run_longest_first_by_their_code_cells(monkeypatch):
    order = []
    monkeypatch.setattr(build, "execute_chapter", lambda kernel, ch, derived, code: order.append(ch.name) or 1.0)

    class Pool:
        def submit(self, fn, *args):
            fut = concurrent.futures.Future()
            fut.set_result(fn(None, *args))
            return fut

    monkeypatch.setattr(cache, "record", lambda step: {})
    todo = [(ch, "never built") for ch in book.chapters()]
    build.execute_all(Pool(), todo, paths.DERIVED, "code", log=lambda *a: None)
    assert [name.startswith("omraader/") for name in order] == [True] * 6 + [False] * (len(order) - 6)
    assert order[6] == "tal" and order[-1] in ("forside", "maal", "data")  # 11 code cells, then 5


def _wait_until(predicate, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def _pool_run(parking, code: str = "x = 1") -> int:
    """Run one job in a one-kernel pool with this parking; returns the kernel's process id."""
    pool = kernels.KernelPool(1, build.KERNEL, paths.ROOT, parking)
    try:
        return pool.submit(lambda k: k.run(code) or k.pid).result(timeout=120)
    finally:
        pool.close()
        pool.join(30)


def test_a_parked_kernel_is_adopted_by_the_next_build_with_empty_caches(tmp_path):
    parking = kernels.Parking(tmp_path / "kernels", "tag-1", idle=120)
    first = _pool_run(parking, "from analysis import reference; reference.areas()")
    assert parking.path(0).is_file() and kernels.alive(first)  # parked, not shut down
    assert parking.path(0).stat().st_mode & 0o077 == 0  # its connection key is the user's alone
    try:
        second = _pool_run(parking)
        assert second == first  # adopted: no new kernel
        # the package's caches are emptied (plans, reference data); the prepared results are kept
        # while the data are those of the last preparation (test_shared_results_follow_the_preparation)
        _pool_run(parking, "from analysis import reference; assert reference.areas.cache_info().currsize == 0")
        # another tag (code, environment ...) replaces the kernel and kills the parked one
        third = _pool_run(kernels.Parking(tmp_path / "kernels", "tag-2", idle=120))
        assert third != first and _wait_until(lambda: not kernels.alive(first), 10)
    finally:
        kernels.end_parked(tmp_path / "kernels")


def test_a_parked_kernel_exits_when_its_parking_file_goes_or_it_idles(tmp_path):
    gone = _pool_run(kernels.Parking(tmp_path / "a", "t", idle=120))
    idle = _pool_run(kernels.Parking(tmp_path / "b", "t", idle=2))
    try:
        shutil.rmtree(tmp_path / "a")  # make clean
        assert _wait_until(lambda: not kernels.alive(gone), 10)
        assert _wait_until(lambda: not kernels.alive(idle), 15)
    finally:
        kernels._kill(gone)
        kernels._kill(idle)


def test_a_dead_or_foreign_parked_record_is_replaced(tmp_path):
    parking = kernels.Parking(tmp_path, "t", idle=60)
    parking.path(0).write_text(json.dumps({"tag": "t", "pid": os.getpid(), "connection": {"file": "/nope.json"}}))
    assert kernels.WarmKernel.adopt(parking, 0, build.KERNEL) is None  # this test process is no kernel
    assert not parking.path(0).exists()
    parking.path(0).write_text("{not json")
    assert kernels.WarmKernel.adopt(parking, 0, build.KERNEL) is None


def test_sphinx_in_a_warm_kernel_reports_what_went_wrong(tmp_path, kernel):
    code, output = build.sphinx_in_kernel(kernel, tmp_path, tmp_path / "missing_config.yml")
    assert code != 0 and "missing_config.yml" in output + str(code)
    message = build.sphinx_failure(code, output)
    assert message.startswith("jupyter-book build failed") and "missing_config.yml" in message


def test_shared_results_follow_the_preparation(tmp_path, monkeypatch):
    from analysis import results

    monkeypatch.setattr(paths, "DERIVED", tmp_path / "derived")
    monkeypatch.setattr(results, "_shared", None)
    (tmp_path / "derived").mkdir()
    (tmp_path / "derived" / ".raw").write_text("d1")
    first = results.shared()
    assert results.shared() is first and first.folder == tmp_path / "derived"
    shutil.move(tmp_path / "derived", tmp_path / "old")  # prepare replaces the whole folder
    (tmp_path / "derived").mkdir()
    (tmp_path / "derived" / ".raw").write_text("d1")
    assert results.shared() is not first


def test_kernel_idle_minutes_setting(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv(build.IDLE_ENV, raising=False)
    assert build.kernel_idle_minutes() == build.IDLE_DEFAULT
    monkeypatch.setenv("CI", "true")
    assert build.kernel_idle_minutes() == 0 and build.parking() is None
    monkeypatch.setenv(build.IDLE_ENV, "2.5")
    assert build.kernel_idle_minutes() == 2.5
    monkeypatch.delenv("CI")
    tag = build.parking().tag
    monkeypatch.setenv("MAKEFLAGS", " -- ARGS=--area noerrebro")  # make's, with every ARGS: not in the tag
    assert build.parking().tag == tag
    monkeypatch.setenv("UDSATTE_PLANS", "/elsewhere")  # what a chapter reads: in the tag
    assert build.parking().tag != tag
    for bad in ("ti", "0.5", "-1", "nan"):
        monkeypatch.setenv(build.IDLE_ENV, bad)
        with pytest.raises(UserError, match=f"UDSATTE_KERNEL_IDLE_MINUTES='{bad}': expected the minutes"):
            build.kernel_idle_minutes()


@pytest.mark.slow
def test_template_runs_with_defaults_and_builds_a_small_book(tmp_path, built_site, kernel):
    """End to end: papermill runs the area template with its default parameters, then a real
    Jupyter Book build (warnings as errors) turns it into HTML in a temporary folder."""
    root = tmp_path / "book"
    chapter = book.Chapter("omraader/default", "area", {}, area="noerrebro")  # defaults only
    build.run_notebook(kernel, chapter, root / "book" / "chapters" / "omraader" / "default.ipynb")
    data_page = next(c for c in book.chapters() if c.name == "data")
    build.run_notebook(kernel, data_page, root / "book" / "chapters" / "data.ipynb")
    shutil.copytree(paths.FIGURES_DIR, root / "book" / "chapters" / "figures")
    for page in book.STATIC_PAGES:
        shutil.copy(paths.ROOT / f"{page}.md", root / f"{page}.md")
    for folder in ("_static", "_templates", "locales"):
        shutil.copytree(paths.ROOT / "book" / folder, root / "book" / folder, ignore=shutil.ignore_patterns("*.mo"))
    build.write_config(build.build_stamp(paths.DERIVED), root / "_config.yml")  # with the substitutions
    small_book_toc(root, "book/chapters/omraader/default", {"data"})
    exe = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run(
        [str(exe), "build", str(root), "-W", "-n", "--keep-going", "-q"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    html = (root / "_build" / "html" / "book" / "chapters" / "omraader" / "default.html").read_text(encoding="utf-8")
    for heading in ("Indledning", "Problemer", "Potentialer", "Udvikling", "Forandringsstrategi", "Opfølgning"):
        assert f">{heading}<" in html
    assert "# Parameters" not in html  # code is hidden from readers
    assert 'aria-label="Vis eller skjul navigationen"' in html  # the site's theme overrides apply


@pytest.mark.slow
def test_chapter_reexecutes_to_identical_notebook(tmp_path, built_site, kernel):
    """Reproducibility: executing a chapter again, in a kernel that ran another chapter before,
    gives a byte-identical notebook."""
    chapters = {c.name: c for c in book.chapters()}
    again = tmp_path / "again.ipynb"
    build.run_notebook(kernel, chapters["omraader/noerrebro"], tmp_path / "before.ipynb")
    chapter = chapters["omraader/husum-tingbjerg"]
    build.run_notebook(kernel, chapter, again)
    published = nbformat.read(chapter.path, as_version=4)
    published.cells = [c for c in published.cells if c.get("id") != "revision-note"]  # added after the run
    assert nbformat.writes(nbformat.read(again, as_version=4)) == nbformat.writes(published)


def test_a_baseline_year_without_rode_figures_stops_prepare_with_a_clear_error(tmp_path, monkeypatch):
    rule = reference.delineation()
    monkeypatch.setattr(reference, "delineation", lambda: dataclasses.replace(rule, baseline_year=2031))
    with pytest.raises(load.DataError, match=r"rode_socio_2008_2014\.csv: the baseline year 2031 .* nothing is"):
        pipeline.prepare(paths.RAW, tmp_path / "derived")


@pytest.mark.slow
def test_prepare_and_downloads_are_reproducible(tmp_path, built_site, monkeypatch):
    """Two runs of prepare from the same data give identical results and identical downloads
    (scores, sensitivity and LISA recomputed, not taken from the cache). The build computed the
    identification of the roder in a second kernel (scores_into), this prepare in one go."""
    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")  # an empty cache: everything is recomputed
    derived = pipeline.prepare(paths.RAW, tmp_path / "derived")
    for name in os.listdir(paths.DERIVED):
        if not name.startswith("."):  # .raw/.coverage.json: build bookkeeping, written by prepare_cached
            assert filecmp.cmp(derived / name, paths.DERIVED / name, shallow=False), name
    site_data = outputs.write_site_data(derived, tmp_path / "data")
    cmp = filecmp.dircmp(site_data, built_site / "data")
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    assert not cmp.subdirs["omraader"].diff_files


def test_generated_chapters_carry_no_volatile_metadata(built_site):
    for chapter in book.chapters():
        nb = nbformat.read(chapter.path, as_version=4)
        assert "papermill" not in nb.metadata
        for cell in nb.cells:
            assert "execution" not in cell.metadata and "papermill" not in cell.metadata


def test_plan_edit_reexecutes_only_the_chapters_that_show_it(tmp_path, monkeypatch, built_site):
    """Round trip as a planner: add an initiative to Amager/Sundby's plan, rebuild: the area page shows
    it, its revision note names it, and only the pages that show that plan are executed."""
    from analysis import plans

    shutil.copytree(plans.folder(), tmp_path / "plans")
    path = tmp_path / "plans" / "amager-sundby.md"
    text = path.read_text(encoding="utf-8")
    assert "  initiatives: []" in text
    path.write_text(
        text.replace(
            "  initiatives: []",
            "  initiatives:\n  - name: Lektiecafé i Urbanplanen\n    lead: BUF\n    partners: [Bydelsmødrene]",
            1,
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv(plans.PLANS_ENV, str(tmp_path / "plans"))
    out, records = tmp_path / "out", tmp_path / "records"
    for ch in book.chapters():  # start from the current build, in a scratch folder
        (out / ch.name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ch.path, out / f"{ch.name}.ipynb")
    shutil.copytree(paths.CACHE / "keys" / "chapters", records / "keys" / "chapters")
    (tmp_path / "editions").mkdir()  # the current build, published as edition 1 (same name and checksum)
    (tmp_path / "editions" / "1.json").write_text(json.dumps({"chapters": editions.chapter_records()}))
    digest = build.last_edition_digest()
    monkeypatch.setattr(build, "last_edition_digest", lambda: digest)
    monkeypatch.setattr(paths, "EDITIONS", tmp_path / "editions")
    monkeypatch.setattr(book.Chapter, "path", property(lambda self: out / f"{self.name}.ipynb"))
    monkeypatch.setattr(paths, "CACHE", records)

    chapters = book.chapters()
    results = build.run_chapters(chapters, chapters, paths.DERIVED, jobs=2, log=lambda _: None)
    executed = sorted(r.name for r in results if r.status == "executed")
    assert executed == ["boelge-2013", "forside", "maal", "omraader/amager-sundby"]
    page = (out / "omraader" / "amager-sundby.ipynb").read_text(encoding="utf-8")
    assert "Lektiecafé i Urbanplanen" in page and "Bydelsmødrene" in page
    note = nbformat.read(out / "omraader" / "amager-sundby.ipynb", as_version=4).cells[-1].source
    assert "planen" in note and "tilføjet: indsatsen »Lektiecafé i Urbanplanen«" in note


def _edit_section_text(folder: Path, slug: str) -> Path:
    """A planner's edit of the area's own text: one more sentence at the end of the plan file."""
    path = folder / f"{slug}.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nEn ny sætning fra planlæggerne.\n", encoding="utf-8")
    return path


def test_an_edit_of_the_areas_own_text_leaves_the_summary_pages_current(tmp_path, monkeypatch, built_site):
    from analysis import plans

    shutil.copytree(plans.folder(), tmp_path / "plans")
    monkeypatch.setenv(plans.PLANS_ENV, str(tmp_path / "plans"))
    data, code = (paths.DERIVED / ".raw").read_text(), cache.code_digest()
    by_name = {c.name: c for c in book.chapters()}
    assert all(build.chapter_state(c, data, code)[0] == "up to date" for c in by_name.values())

    path = _edit_section_text(tmp_path / "plans", "amager-sundby")
    assert "En ny sætning" in plans.load("amager-sundby").sections[list(plans.load("amager-sundby").sections)[-1]]
    stale = sorted(n for n, c in by_name.items() if build.chapter_state(c, data, code)[0] != "up to date")
    assert stale == ["omraader/amager-sundby"]

    # a change the summaries show (a goal's title) makes them stale too
    text = path.read_text(encoding="utf-8")
    title = plans.load("amager-sundby").goals[0].title
    path.write_text(text.replace(title, title + " (ændret)", 1), encoding="utf-8")
    stale = sorted(n for n, c in by_name.items() if build.chapter_state(c, data, code)[0] != "up to date")
    assert stale == ["boelge-2013", "forside", "maal", "omraader/amager-sundby"]


def test_the_summary_pages_show_nothing_of_the_areas_own_texts(monkeypatch, built_site):
    """What lets an edit of those texts skip the summary pages (plans.summary_digest): every
    function of the front page, the targets page and the wave pages, with each section text
    replaced by a marker, shows no marker."""
    import dataclasses

    from analysis import city_pages, plans, reference

    real = plans.load_all()
    marked = {s: dataclasses.replace(p, sections={k: "MARKØR-TEKST" for k in p.sections}) for s, p in real.items()}
    assert any(p.sections for p in marked.values())
    monkeypatch.setattr(plans, "load_all", lambda where=None: marked)
    monkeypatch.setattr(plans, "load", lambda slug, where=None: marked[slug])
    waves = [w.year for w in reference.waves()]
    shown = [
        city_pages.policy_summary(),
        city_pages.area_list(),
        city_pages.follow_up_intro(),
        city_pages.policy_status_table(),
        city_pages.proxy_notes(),
        *city_pages.area_goals(),
        city_pages.status_legend(),
        city_pages.no_open_data(),
        *(f(w) for w in waves for f in (city_pages.wave_intro, city_pages.wave_table, city_pages.wave_policy_texts)),
    ]  # the maps show no plan; every other call of the front page, targets and wave templates is here
    text = " ".join(str(getattr(item, "data", item)) for item in shown)
    assert "Amager" in text and "MARKØR-TEKST" not in text


# --- chapter states and the stale-site check ---------------------------------------------------------


@pytest.fixture
def chapter_env(tmp_path, monkeypatch):
    """Chapters from the broken template, notebooks and records in tmp_path, data version "d2"."""
    _template_dir(tmp_path, monkeypatch)
    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(book.Chapter, "path", property(lambda self: tmp_path / "out" / f"{self.name}.ipynb"))
    derived = tmp_path / "derived"
    derived.mkdir()
    (derived / ".raw").write_text("d2")
    return derived


def _chapter(area: str | None) -> book.Chapter:
    name = f"omraader/{area}" if area else "forside"
    return book.Chapter(name, "broken", {"area": area or "x"}, area)


def _pretend_built(chapter: book.Chapter, data: str, code: str = "c1") -> None:
    chapter.path.parent.mkdir(parents=True, exist_ok=True)
    chapter.path.write_text("{}")
    inputs = build.inputs_for(chapter, data, code)
    cache.store(build.step(chapter), build.digest_text(*inputs.values()), inputs=inputs)


def test_chapter_state_names_what_changed(chapter_env):
    ch = _chapter("noerrebro")
    assert build.chapter_state(ch, "d1", "c1") == ("never built", "")
    _pretend_built(ch, "d1")
    assert build.chapter_state(ch, "d1", "c1") == ("up to date", "")
    assert build.chapter_state(ch, "d2", "c1") == ("stale", "data changed")
    assert build.chapter_state(ch, "d2", "c2") == ("stale", "data and analysis code changed")
    ch.path.unlink()
    assert build.chapter_state(ch, "d1", "c1") == ("never built", "")


def test_selection_refuses_stale_chapters_outside_it(chapter_env):
    # --area noerrebro after a data change: amager-sundby would be published from the old data
    noerrebro, amager = _chapter("noerrebro"), _chapter("amager-sundby")
    for ch in (noerrebro, amager):
        _pretend_built(ch, "d1")
    with pytest.raises(StaleError) as err:
        build.plan([noerrebro], [noerrebro, amager], "d2", "c1", force=False)
    assert "1 chapter(s) outside the selection are not current" in str(err.value)
    assert "omraader/amager-sundby (stale: data changed)" in str(err.value)
    assert "omraader/noerrebro" not in str(err.value)
    assert "make book" in err.value.hint and "--area amager-sundby" in err.value.hint


def test_stale_page_without_area_hints_only_the_full_build(chapter_env):
    noerrebro, front = _chapter("noerrebro"), _chapter(None)
    _pretend_built(noerrebro, "d2")
    with pytest.raises(StaleError) as err:
        build.plan([noerrebro], [noerrebro, front], "d2", "c1", force=False)
    assert "forside (never built)" in str(err.value)
    assert err.value.hint == "build them too: `make book` (python -m analysis build, all chapters)"


def test_plan_reexecutes_stale_selected_chapters_and_keeps_current_ones(chapter_env):
    noerrebro, amager = _chapter("noerrebro"), _chapter("amager-sundby")
    _pretend_built(noerrebro, "d1")
    _pretend_built(amager, "d2")
    results, todo = build.plan([noerrebro], [noerrebro, amager], "d2", "c1", force=False)
    assert [(r.name, r.status) for r in results] == [("omraader/amager-sundby", "kept")]
    assert todo == [(noerrebro, "data changed")]


def test_force_reexecutes_current_chapters(chapter_env):
    noerrebro = _chapter("noerrebro")
    _pretend_built(noerrebro, "d2")
    assert build.plan([noerrebro], [noerrebro], "d2", "c1", force=False) == (
        [build.ChapterResult("omraader/noerrebro", "reused")],
        [],
    )
    assert build.plan([noerrebro], [noerrebro], "d2", "c1", force=True)[1] == [(noerrebro, "forced")]


def test_nothing_is_published_unless_every_chapter_is_current(chapter_env, monkeypatch):
    monkeypatch.setattr(build, "code_digest", lambda: "c1")
    noerrebro = _chapter("noerrebro")
    _pretend_built(noerrebro, "d2")
    build.check_all_current([noerrebro], chapter_env)  # current: no error
    _pretend_built(noerrebro, "d1")
    with pytest.raises(BuildError, match=r"not publishing: .*omraader/noerrebro \(stale: data changed\)"):
        build.check_all_current([noerrebro], chapter_env)


def test_unknown_area_is_a_selection_error():
    with pytest.raises(SelectionError, match="unknown area"):
        build.build(areas=["noerrebr"], log=lambda _: None)


# --- error kinds -------------------------------------------------------------------------------------


def _failing_prepare(monkeypatch, err: Exception) -> None:
    def prepare(raw_dir, out_dir, scores=True):
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        (Path(out_dir) / "half.csv").write_text("x")
        raise err

    monkeypatch.setattr(pipeline, "prepare", prepare)


def test_a_bug_in_prepare_is_not_reported_as_bad_data(tmp_path, monkeypatch, built_site):
    # it used to say "the data did not validate" for any ValueError or KeyError
    _failing_prepare(monkeypatch, KeyError("indicator"))
    with pytest.raises(KeyError) as err:
        build.prepare_cached(paths.RAW, tmp_path / "derived", log=lambda _: None)
    assert not isinstance(err.value, UserError)
    assert not (tmp_path / "derived.tmp").exists()  # no half-prepared results


def test_a_data_error_in_prepare_stays_a_data_error(tmp_path, monkeypatch, built_site):
    _failing_prepare(monkeypatch, DataError("x.csv: 1 problem(s)"))
    with pytest.raises(DataError, match="x.csv"):
        build.prepare_cached(paths.RAW, tmp_path / "derived", log=lambda _: None)
    assert not (tmp_path / "derived.tmp").exists()


def test_a_data_error_met_in_a_kernel_is_raised_here_as_itself(tmp_path, built_site):
    # the build prepares the data in a warm kernel; a bad input must read exactly as in-process
    raw = tmp_path / "raw"
    shutil.copytree(paths.RAW, raw)
    victim = sorted(raw.rglob("*.csv"))[0]
    victim.write_text(victim.read_text(encoding="utf-8").replace(",", ";", 3), encoding="utf-8")
    with pytest.raises(UserError) as here:
        build.prepare_into(raw, tmp_path / "here")
    pool = kernels.KernelPool(1, build.KERNEL, paths.ROOT)
    try:
        running = build.submit_call(pool, build.prepare_into, raw, tmp_path / "there")
        with pytest.raises(UserError) as there:
            build.outcome(running, build.prepare_into, raw, tmp_path / "there")
    finally:
        pool.close()
        pool.join(30)
    assert type(there.value) is type(here.value) and str(there.value) == str(here.value)
    assert victim.name in str(there.value)


def test_a_bug_met_in_a_kernel_is_raised_again_here_with_its_traceback():
    failed = concurrent.futures.Future()
    failed.set_exception(RuntimeError("kernel code failed: KeyError: 'indicator'"))

    def bug(*args):
        raise KeyError("indicator")

    with pytest.raises(KeyError):
        build.outcome(failed, bug, Path("x"))


# --- data sources ------------------------------------------------------------------------------------


def test_build_fails_when_the_mirror_differs_from_the_registry(tmp_path, built_site):
    mirror = tmp_path / "mirror"
    (mirror / "kk-opendata").mkdir(parents=True)
    newer = b'{"indre_by": 1, "oesterbro": 2}\n'
    (mirror / "kk-opendata" / "bydel_ids.json").write_bytes(newer)
    before = (paths.RAW / "kk-opendata" / "bydel_ids.json").read_bytes()
    with pytest.raises(FetchError) as err:
        build.build(mirror=mirror, site=tmp_path / "html", log=lambda _: None)
    msg = str(err.value)
    assert "kk-opendata/bydel_ids.json" in msg
    assert "registered sha256 d1aafc1f3bc11932f744eb0a71bc20077c6a6f904bd105c15c6e652e46b2cc8b (229 bytes)" in msg
    assert f"mirror sha256 {hashlib.sha256(newer).hexdigest()} (32 bytes)" in msg
    assert (paths.RAW / "kk-opendata" / "bydel_ids.json").read_bytes() == before
    assert not (tmp_path / "html").exists()


# --- interrupts, leftovers and kernels ----------------------------------------------------------------


def test_leftovers_of_a_killed_build_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "BUILD", tmp_path / "_build")
    monkeypatch.setattr(paths, "DERIVED", tmp_path / ".cache" / "derived")
    chapters = tmp_path / "book" / "chapters" / "omraader"
    leftovers = [
        tmp_path / "_build" / "staging-4242" / "index.html",
        tmp_path / ".cache" / "derived.tmp" / "area_series.csv",
        chapters / "noerrebro.part.ipynb",
        chapters / "noerrebro.new.ipynb",
        tmp_path / "_build" / "sites" / "site-old" / "index.html",
    ]
    kept = [chapters / "noerrebro.ipynb", tmp_path / "_build" / "sites" / "site-new" / "index.html"]
    for f in leftovers + kept:
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("x")
    site = tmp_path / "_build" / "html"
    site.symlink_to("sites/site-new")
    build.remove_leftovers(site)
    assert [f for f in leftovers if f.exists()] == []
    assert not (tmp_path / "_build" / "staging-4242").exists()
    assert all(f.exists() for f in kept)


def test_chapter_kernels_are_not_interrupted_at_shutdown():
    """The source of "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel" in successful builds:
    jupyter_client sends SIGINT before every shutdown. Our manager does not; the stock one does."""

    async def signals_at_shutdown(manager_class) -> list[int]:
        km = manager_class(kernel_name=build.KERNEL)
        await km.start_kernel(extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        sent, send = [], km.provisioner.send_signal

        async def record(signum):
            sent.append(signum)
            await send(signum)

        km.provisioner.send_signal = record
        await km.shutdown_kernel()
        assert km not in kernels._live  # unregistered after shutdown
        return sent

    assert signal.SIGINT not in asyncio.run(signals_at_shutdown(kernels.ChapterKernelManager))
    assert signal.SIGINT in asyncio.run(signals_at_shutdown(AsyncKernelManager))


SLOW_TEMPLATE = BROKEN_TEMPLATE.replace('area = "x"', 'marker = ""').replace(
    "raise ValueError(\"bad input in column 'rate'\")",
    "import pathlib, time\npathlib.Path(marker).touch()\ntime.sleep(120)",
)

DRIVER = """
import sys
from pathlib import Path
from analysis import __main__ as cli, book, paths
tmp = Path(sys.argv[1])
paths.BUILD, paths.CACHE, paths.TEMPLATES = tmp / "_build", tmp / "cache", tmp / "templates"
paths.SITE_DATA = tmp / "site" / "data"
book.chapters = lambda: [book.Chapter(f"slow-{i}", "slow", {"marker": str(tmp / f"started-{i}")}) for i in range(2)]
book.Chapter.path = property(lambda self: tmp / "out" / f"{self.name}.ipynb")
sys.exit(cli.main(["build", "--jobs", "2"]))
"""


def _kernels_of(pid: int) -> list[int]:
    """Processes started by jupyter_client for the process pid (they carry JPY_PARENT_PID)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            env = (proc / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if f"JPY_PARENT_PID={pid}".encode() in env:
            found.append(int(proc.name))
    return found


@pytest.mark.slow
def test_ctrl_c_stops_the_kernels_within_seconds_and_leaves_no_partial_files(tmp_path, built_site):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "slow.md").write_text(SLOW_TEMPLATE, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(tmp_path)], cwd=paths.ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while not all((tmp_path / f"started-{i}").exists() for i in range(2)):  # both kernels are busy
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.2)
        assert len(_kernels_of(proc.pid)) == 2
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        seconds = time.monotonic() - t0
    finally:
        proc.kill()
    assert proc.returncode == 130, err.decode()
    assert seconds < 10
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    assert "KeyboardInterrupt caught" not in err.decode()
    assert _kernels_of(proc.pid) == []
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == []  # no chapter, no .part/.new notebook
    assert not list((tmp_path / "_build").glob("staging-*"))
    assert not (tmp_path / "_build" / "html").exists()


def test_areas_and_members_must_name_bydele_and_roder_that_exist(monkeypatch):
    inputs = pipeline.load_inputs(paths.RAW)
    members = pipeline.members()
    pipeline.check_reference(members, inputs)  # the committed reference data pass
    area = reference.areas()[1]
    monkeypatch.setattr(reference, "areas", lambda: [dataclasses.replace(area, bydele=(99,))])
    with pytest.raises(load.DataError, match=rf"(?s)areas.toml: 1 problem.*'\[{area.slug}\] bydele', value 99: no"):
        pipeline.check_reference(members, inputs)
    monkeypatch.undo()
    members.loc[0, "rode_nr"] = 9999
    with pytest.raises(load.DataError, match=r"(?s)area_members.csv: 1 problem.*column .rode_nr., value 9999") as err:
        pipeline.check_reference(members, inputs)
    assert "git diff analysis/reference" in err.value.hint and "fetch" not in err.value.hint  # in git, not fetched


def test_the_code_key_sees_the_locked_library_versions(tmp_path, monkeypatch):
    """After `uv lock --upgrade` the old numbers are not 'up to date': the lock file is in the key
    of every step that computes (prepare, scores, chapters)."""
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis" / "x.py").write_text("x = 1\n")
    (tmp_path / "uv.lock").write_text('[[package]]\nname = "pandas"\nversion = "2.2.0"\n')
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "REFERENCE", tmp_path / "analysis" / "reference")
    before = cache.code_digest()
    (tmp_path / "uv.lock").write_text('[[package]]\nname = "pandas"\nversion = "3.0.0"\n')
    assert cache.code_digest() != before
