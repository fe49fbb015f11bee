"""Shared fixtures. Tests that read the built book need `make book` first (`make test` does it)."""

import os
from pathlib import Path

import pytest

from analysis import build, paths

# Builds in the tests shut their kernels down (the parking tests park their own, in tmp_path).
os.environ.setdefault(build.IDLE_ENV, "0")


@pytest.fixture(scope="session")
def built_site() -> Path:
    site = paths.BUILD / "html"
    if not (site / "index.html").is_file() or not (paths.DERIVED / ".raw").is_file():
        pytest.fail("the book has not been built: run `make book` first (`make test` does it for you)")
    return site


@pytest.fixture
def published_site(tmp_path) -> Path:
    """A published site (the _build/html link) in tmp_path whose index page says "good": a failed
    build must leave it as it is."""
    good = tmp_path / "sites" / "good"
    good.mkdir(parents=True)
    (good / "index.html").write_text("good")
    site = tmp_path / "html"
    site.symlink_to(good)
    return site


def small_book_toc(root: Path, root_doc: str, built: set[str]) -> None:
    """_toc.yml of a small test book: its root page, the static pages, the chapters it built, and a
    one-line page for every other chapter, so that links between pages resolve (Sphinx -n -W)."""
    from analysis import book

    lines = [f"format: jb-book\nroot: {root_doc}\nchapters:"]
    lines += [f"- file: {page}" for page in book.STATIC_PAGES]
    for ch in book.chapters():
        if ch.docname == root_doc:
            continue
        if ch.name not in built:
            page = root / f"{ch.docname}.md"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(f"# {ch.name}\n", encoding="utf-8")
        lines.append(f"- file: {ch.docname}")
    (root / "_toc.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
