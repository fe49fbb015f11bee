"""A small test book's table of contents (tests/test_build.py, tests/test_hostile.py)."""

from pathlib import Path


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
