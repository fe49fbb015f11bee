"""The build pipeline: parameters, incremental keys, atomic publish, end-to-end and reproducibility."""

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis import book, build, outputs, paths, pipeline

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
    assert build.revision_note({}, inputs, {}) == f"Første udgave af kapitlet, bygget på dataversion {'a' * 12}."
    previous = {"inputs": dict(inputs, data="b" * 64), "figures": {"Lav indkomst": 40.0, "Almene boliger": 20.0}}
    note = build.revision_note(previous, inputs, {"Lav indkomst": 38.5, "Almene boliger": 20.0})
    assert note.startswith("Kapitlet er genberegnet, fordi data er ændret (dataversion bbbbbbbbbbbb → aaaaaaaaaaaa).")
    assert "lav indkomst 40,0\xa0% → 38,5\xa0%" in note and "almene boliger" not in note
    note = build.revision_note({"inputs": dict(inputs, template="t0"), "figures": {}}, inputs, {})
    assert note == "Kapitlet er genberegnet, fordi skabelonen er ændret. Ingen nøgletal har flyttet sig."


def test_prepare_key_changes_when_a_raw_file_changes(tmp_path, built_site):
    raw = tmp_path / "raw"
    shutil.copytree(paths.RAW, raw)
    before = build.prepare_key(raw)
    with open(raw / "kk-opendata" / "bydel_ids.json", "a") as fh:
        fh.write(" ")
    assert build.prepare_key(raw) != before


def test_noop_rebuild_executes_nothing(built_site, monkeypatch):
    def forbidden(*_):
        raise AssertionError("a current chapter was re-executed")

    monkeypatch.setattr(build, "execute_chapter", forbidden)
    chapters = book.chapters()
    results = build.run_chapters(chapters, chapters, paths.DERIVED, jobs=2, log=lambda _: None)
    assert {r.status for r in results} == {"reused"}


def test_failing_chapter_reports_cell_and_keeps_published_site(tmp_path, monkeypatch, built_site):
    _template_dir(tmp_path, monkeypatch)
    site = tmp_path / "html"
    good = tmp_path / "good"
    good.mkdir()
    (good / "index.html").write_text("good")
    site.symlink_to(good)
    monkeypatch.setattr(book, "chapters", lambda: [book.Chapter("broken-test", "broken", {"area": "y"})])
    monkeypatch.setattr(book.Chapter, "path", property(lambda self: tmp_path / "out" / f"{self.name}.ipynb"))
    with pytest.raises(build.BuildError) as err:
        build.build(site=site, log=lambda _: None)
    message = str(err.value)
    assert "broken-test" in message and "ValueError" in message and "bad input in column 'rate'" in message
    assert "code cell" in message and "published site is unchanged" in message
    assert (site / "index.html").read_text() == "good"
    assert not (tmp_path / "out" / "broken-test.ipynb").exists()  # no half-written chapter


def test_interrupted_site_build_leaves_no_half_written_site(tmp_path, monkeypatch, built_site):
    site = tmp_path / "html"
    good = tmp_path / "sites" / "good"
    good.mkdir(parents=True)
    (good / "index.html").write_text("good")
    site.symlink_to(good)

    def interrupted(work, config, log):
        (work / "_build" / "html").mkdir(parents=True)
        (work / "_build" / "html" / "index.html").write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "jupyter_book", interrupted)
    monkeypatch.setattr(build, "site_key", lambda stamp: "never-matches")
    monkeypatch.setattr(paths, "BUILD", tmp_path)
    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    monkeypatch.setattr(build, "run_chapters", lambda *args: [])  # chapters are current; test the site step
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


@pytest.mark.slow
def test_template_runs_with_defaults_and_builds_a_small_book(tmp_path, built_site):
    """End to end: papermill runs the area template with its default parameters, then a real
    Jupyter Book build (warnings as errors) turns it into HTML in a temporary folder."""
    root = tmp_path / "book"
    chapter = book.Chapter("omraader/default", "area", {}, area="noerrebro")  # defaults only
    build.run_notebook(chapter, root / "book" / "chapters" / "omraader" / "default.ipynb")
    data_page = next(c for c in book.chapters() if c.name == "data")
    build.run_notebook(data_page, root / "book" / "chapters" / "data.ipynb")
    shutil.copytree(paths.FIGURES_DIR, root / "book" / "chapters" / "figures")
    shutil.copytree(paths.SITE_EXTRA, root / ".cache" / "site")
    shutil.copy(paths.ROOT / "book" / "metode.md", root / "book" / "metode.md")
    for folder in ("_static", "_templates", "locales"):
        shutil.copytree(paths.ROOT / "book" / folder, root / "book" / folder, ignore=shutil.ignore_patterns("*.mo"))
    shutil.copy(paths.ROOT / "_config.yml", root / "_config.yml")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/chapters/omraader/default\nchapters:\n- file: book/metode\n"
        "- file: book/chapters/data\n",
        encoding="utf-8",
    )
    exe = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run(
        [str(exe), "build", str(root), "-W", "-n", "--keep-going", "-q"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    html = (root / "_build" / "html" / "book" / "chapters" / "omraader" / "default.html").read_text(encoding="utf-8")
    for heading in ("Nøgletal", "Problemer", "Potentialer", "Udvikling", "Forandringsstrategi", "Data og metode"):
        assert f">{heading}<" in html
    assert "# Parameters" not in html  # code is hidden from readers
    assert 'aria-label="Vis eller skjul navigationen"' in html  # the site's theme overrides apply


@pytest.mark.slow
def test_chapter_reexecutes_to_identical_notebook(tmp_path, built_site):
    """Reproducibility: executing a chapter again gives a byte-identical notebook."""
    chapter = next(c for c in book.chapters() if c.area == "husum-tingbjerg")
    again = tmp_path / "again.ipynb"
    build.run_notebook(chapter, again)
    published = nbformat.read(chapter.path, as_version=4)
    published.cells = [c for c in published.cells if c.get("id") != "revision-note"]  # added after the run
    assert nbformat.writes(nbformat.read(again, as_version=4)) == nbformat.writes(published)


@pytest.mark.slow
def test_prepare_and_downloads_are_reproducible(tmp_path, built_site, monkeypatch):
    """Two runs of prepare from the same data give identical results and identical downloads
    (scores, sensitivity and LISA recomputed, not taken from the cache)."""
    monkeypatch.setattr(pipeline, "SCORES_CACHE", tmp_path / "scores")
    derived = pipeline.prepare(paths.RAW, tmp_path / "derived")
    for name in os.listdir(paths.DERIVED):
        if not name.startswith("."):  # .key/.raw: build bookkeeping, written by prepare_cached
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
