"""The book's structure (analysis.book): chapters, selection, the committed _toc.yml, templates,
and the committed area membership."""

import ast
import re

import jupytext
import pandas as pd
import pytest
import yaml

from analysis import book, paths, reference


def _toc_files(entries) -> list[str]:
    out = []
    for entry in entries:
        out.append(entry["file"])
        out.extend(_toc_files(entry.get("sections", [])))
    return out


def test_committed_toc_matches_reference_data():
    # _toc.yml is generated (`python -m analysis toc`); a drift means areas.toml changed without it
    committed = (paths.ROOT / "_toc.yml").read_text(encoding="utf-8")
    assert committed == book.toc_text()


def test_every_area_once_in_toc_under_its_wave():
    toc = yaml.safe_load((paths.ROOT / "_toc.yml").read_text(encoding="utf-8"))
    all_files = [f for part in toc["parts"] for f in _toc_files(part["chapters"])]
    titles = {w.year: w.title for w in reference.waves()}
    for a in reference.areas():
        doc = f"book/chapters/omraader/{a.slug}"
        assert all_files.count(doc) == 1, doc
        (part,) = [p for p in toc["parts"] if doc in _toc_files(p["chapters"])]
        assert part["caption"] == titles[a.wave]
        # the area is a section of its wave page
        (wave_page,) = part["chapters"]
        assert wave_page["file"] == f"book/chapters/boelge-{a.wave}"
        assert {"file": doc} in wave_page["sections"]
    # no file appears twice anywhere in the TOC
    assert len(all_files + [toc["root"]]) == len(set(all_files + [toc["root"]]))


def test_toc_files_exist_or_are_generated():
    toc = book.toc()
    generated = {c.docname for c in book.chapters()}
    for f in [toc["root"], *(f for p in toc["parts"] for f in _toc_files(p["chapters"]))]:
        assert f in generated or (paths.ROOT / f"{f}.md").is_file(), f


def test_chapters():
    chapters = book.chapters()
    names = [c.name for c in chapters]
    assert len(names) == len(set(names))
    # forside, tal, maal, udfald, 2 wave pages, 6 areas, data
    assert len(chapters) == 4 + 2 + 6 + 1
    assert names[0] == "forside" and names[-1] == "data"
    for a in reference.areas():
        (c,) = [c for c in chapters if c.area == a.slug]
        assert c.wave == a.wave
        assert c.parameters == {"area": a.slug}
        assert c.context == {"area_name": a.name}


def test_select_by_area_includes_the_pages_that_show_its_plan():
    chapters = book.chapters()
    got = [c.name for c in book.select(chapters, areas=["noerrebro"])]
    # the front page and the targets page summarise every plan; the 2012 wave page Nørrebro's
    assert got == ["forside", "maal", "boelge-2012", "omraader/noerrebro"]
    two = book.select(chapters, areas=["amager-sundby", "noerrebro"])
    assert {c.name for c in two} == {
        "forside",
        "maal",
        "boelge-2012",
        "boelge-2013",
        "omraader/amager-sundby",
        "omraader/noerrebro",
    }


def test_select_by_wave():
    got = [c.name for c in book.select(book.chapters(), wave=2013)]
    assert got == [
        "forside",
        "maal",
        "boelge-2013",
        "omraader/vesterbro-sydhavnen",
        "omraader/valby-vigerslev",
        "omraader/amager-sundby",
    ]


def test_select_nothing_means_everything():
    chapters = book.chapters()
    assert book.select(chapters) == chapters


def test_select_unknown():
    with pytest.raises(KeyError, match="atlantis"):
        book.select(book.chapters(), areas=["atlantis"])
    with pytest.raises(KeyError, match="2099"):
        book.select(book.chapters(), wave=2099)


def _declared_parameters(path) -> set[str]:
    nb = jupytext.read(path)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    if not cells:
        return set()
    tree = ast.parse(cells[0].source)
    return {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}


def test_every_template_named_by_a_chapter_exists_and_declares_its_parameters():
    for c in book.chapters():
        assert c.template_path.is_file(), c.template_path
        assert set(c.parameters) <= _declared_parameters(c.template_path), c.name
        text = c.template_path.read_text(encoding="utf-8")
        for key in c.context:
            assert "{{ " + key + " }}" in text, (c.template, key)


def test_committed_area_members():
    members = pd.read_csv(paths.MEMBERS)
    areas = {a.slug: a for a in reference.areas()}
    assert not members.empty
    assert set(members["slug"]) <= set(areas)
    assert not members.duplicated(["slug", "rode_nr"]).any()
    # every area has roder, and they lie in the bydele its name points to
    assert set(members["slug"]) == set(areas)
    for slug, group in members.groupby("slug"):
        assert set(group["bydel_nr"]) <= set(areas[slug].bydele), slug


def test_no_notebook_or_raw_data_is_committed():
    """Generated chapters are outputs and raw inputs are fetched: neither belongs in git."""
    import shutil
    import subprocess

    from analysis import paths

    if shutil.which("git") is None or not (paths.ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files"], cwd=paths.ROOT, capture_output=True, text=True, check=True).stdout
    files = tracked.splitlines()
    assert not [f for f in files if f.endswith(".ipynb")]
    assert not [f for f in files if f.startswith("data/raw/")]


def test_no_line_of_a_page_or_template_is_dropped_as_a_myst_comment():
    """MyST drops a line that starts with '%' (a comment): a wrapped '20,2\\n% mod…' lost its text."""
    files = [paths.ROOT / f"{p}.md" for p in book.STATIC_PAGES] + sorted(paths.TEMPLATES.glob("*.md"))
    dropped = []
    for f in files:
        fenced = False
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            fenced ^= line.lstrip().startswith(("```", "~~~"))
            if not fenced and line.lstrip().startswith("%"):
                dropped.append(f"{f.relative_to(paths.ROOT)}:{n}: {line}")
    assert dropped == []


def test_templates_write_no_data_year_by_hand():
    """The years of the data come from the data ('slutter i 2014' was written into two templates)."""
    hand = []
    for f in sorted(paths.TEMPLATES.glob("*.md")):
        for cell in jupytext.reads(f.read_text(encoding="utf-8"), fmt="md:myst").cells:
            if cell.cell_type == "markdown":
                sentences = re.split(r"(?<=[.:])\s", cell.source)
                hand += [f"{f.name}: {s}" for s in sentences if re.search(r"\bdata\b.*\b20\d\d\b", s)]
    assert hand == []
