"""The review of a change against the last published edition, and the rule check CI relies on."""

from __future__ import annotations

import copy
import dataclasses
import shutil

import pytest

from analysis import editions, pipeline, plans, reference
from analysis.load import DataError


@pytest.fixture(scope="module")
def current(built_site) -> dict:
    return editions.snapshot()


def test_no_change_says_so(current):
    text = editions.report(editions.compare(current, copy.deepcopy(current)), "sidste udgave")
    assert editions.NO_CHANGES in text


def test_data_change_reports_moved_figures_old_and_new(current):
    old = copy.deepcopy(current)
    old["data"] = "000000000000"
    old["figures"]["noerrebro|low_income|2013"] = 40.0  # as if the 2013 extract had said 40.0 %
    old["figures"]["noerrebro|low_income|2012"] += 0.01  # rounding: not reported
    text = editions.report(editions.compare(old, current), "sidste udgave")
    assert "Data: 000000000000 → " in text
    assert "## Tal, der har flyttet sig (1)" in text
    new = current["figures"]["noerrebro|low_income|2013"]
    assert f"| Nørrebro, lav indkomst, 2013 | 40,0 | {new:.1f} |".replace(".", ",") in text


def test_plan_change_reports_the_added_target(current, tmp_path, monkeypatch):
    shutil.copytree(plans.folder(), tmp_path / "plans")
    path = tmp_path / "plans" / "amager-sundby.md"
    text = path.read_text(encoding="utf-8")
    assert "  initiatives: []" in text
    added = (
        "  - id: tryghed-2020\n    text: Flere føler sig trygge\n    measure:\n      source: Tryghedsindekset\n"
        "    rule:\n      kind: change\n      value: 5\n    baseline_year: 2011\n    target_year: 2020\n"
    )
    path.write_text(text.replace("  initiatives: []", added + "  initiatives: []", 1), encoding="utf-8")
    monkeypatch.setenv(plans.PLANS_ENV, str(tmp_path / "plans"))
    changed = editions.snapshot()
    report = editions.report(editions.compare(current, changed), "sidste udgave")
    assert "- amager-sundby|tryghed-2020: ny → no-data" in report
    assert "Plan amager-sundby:" in report
    assert "### omraader/amager-sundby" not in report  # prose comes from the built chapters, not rebuilt here


def test_rule_change_without_redelineation_fails(monkeypatch):
    rule = reference.delineation()
    monkeypatch.setattr(reference, "delineation", lambda: dataclasses.replace(rule, threshold=125.0))
    inputs = pipeline.load_inputs()
    with pytest.raises(DataError, match=r"no longer follows the delineation rule .*`python -m analysis delineate`"):
        pipeline.check_members(pipeline.members(), pipeline.compute_members(inputs))


def test_word_diff_is_compact():
    out = editions.word_diff("a b c d e f g h", "a b c X e f g h", context=2)
    assert out == ["… b c [-d-] {+X+} e f …"]


def test_prose_is_the_text_readers_see(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("page.map()")
    md = (
        ":::{figure} /book/x.png\n:alt: Kort over byen\n:name: fig-x\n:loading: lazy\n\n"
        "Nørrebro: områdets roder.\n:::\n"
    )
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": md})]
    html_cell = nbformat.v4.new_code_cell("page.table()")
    html_cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<td>24,3&nbsp;%</td>"})]
    nb.cells = [nbformat.v4.new_markdown_cell("## Udvikling"), cell, html_cell]
    nbformat.write(nb, tmp_path / "c.ipynb")
    # whitespace (also the no-break space before %) is normalised to single spaces
    assert editions.prose(tmp_path / "c.ipynb") == "## Udvikling Nørrebro: områdets roder. 24,3 %"


def test_a_published_edition_is_never_rewritten():
    """An edition is what was published: each editions/<n>.json is byte for byte the file as it was
    first committed (a correction is a new edition, never an edit of an old one)."""
    import subprocess

    from analysis import paths

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=paths.ROOT, capture_output=True, text=True, check=True).stdout

    for path in editions.edition_files():
        rel = path.relative_to(paths.ROOT).as_posix()
        added = git("log", "--diff-filter=A", "--format=%H", "--", rel).split()
        if not added:
            continue  # not committed yet: `make publish` has just written it
        assert path.read_text(encoding="utf-8") == git("show", f"{added[-1]}:{rel}"), f"{rel} was rewritten"
