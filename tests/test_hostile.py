"""The hostile-input suite: plan files written as an attacker or a careless planner would.

Each case ends in one of two ways only: a refusal in one line naming the file and line, or the
payload shown as plain text, never live, on the page, in its council PDF, in the revision note and
in the review report. Fixtures: tests/fixtures/hostile/ (``plans/`` holds a valid plan with a
payload in every text field, ``refused/`` one file per refused case, ``accepted/`` odd but valid
files). Data files and mirrors have their own hostile cases in tests/test_hostile_data.py.
"""

import html
import io
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from small_book import small_book_toc

from analysis import book, build, council_pdf, editions, kernels, markup, paths, planner_text, plans, wording
from analysis.errors import PlanError

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
MARKER = Path("/tmp/udsatte-hostile-marker")  # what the code-execution payloads try to create
SLUG = "valby-vigerslev"
FILE = f"plans/{SLUG}.md"
REFUSED = {
    "alias-bomb.md": rf"^{FILE}:\d+: the front matter uses an anchor \(&\); write every value out in full$",
    "python-tag.md": rf"^{FILE}:4: the front matter uses a tag \(!\)",
    "duplicate-key.md": rf"^{FILE}:7: status is given twice; keep one$",
    "latin1.md": rf"^{FILE}:5: byte 0xf8 is not UTF-8; save the plan as UTF-8",
    "emoji.md": rf"^{FILE}:5:\d+: character '😀' \(U\+1F600 GRINNING FACE\) cannot be printed in the council PDF",
    "bidi-override.md": rf"^{FILE}:5:\d+: character .* \(U\+202E RIGHT-TO-LEFT OVERRIDE\)",
    "javascript-link.md": rf"^{FILE}:11: link to 'javascript:alert\(1\)': links go to https:// or mailto:",
    "file-link.md": rf"^{FILE}:11: link to 'file:///etc/passwd'",
    "image-outside.md": rf"^{FILE}:11: image '../../etc/passwd': images are PNG or JPEG files in plans/billeder/",
    "image-missing.md": rf"^{FILE}:11: image 'billeder/findes-ikke.png': no such file in plans/billeder/",
}


def plans_with(tmp_path: Path, text: bytes) -> Path:
    """A copy of the plans folder whose Valby/Vigerslev plan is ``text``."""
    folder = tmp_path / "plans"
    shutil.copytree(plans.folder(), folder)
    (folder / f"{SLUG}.md").write_bytes(text)
    return folder


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_hostile_plan_is_refused_in_one_line_naming_file_and_line(case, tmp_path):
    folder = plans_with(tmp_path, (HOSTILE / "refused" / case).read_bytes())
    with pytest.raises(PlanError) as err:
        plans.load(SLUG, folder)
    assert "\n" not in str(err.value)
    assert re.search(REFUSED[case], str(err.value)), str(err.value)
    assert not MARKER.exists()


def test_every_refused_case_has_a_fixture_and_an_expected_message():
    assert sorted(p.name for p in (HOSTILE / "refused").iterdir()) == sorted(REFUSED)


def test_an_oversized_plan_is_refused_before_it_is_parsed(tmp_path):
    base = (HOSTILE / "accepted" / "bom.md").read_bytes()
    folder = plans_with(tmp_path, base + b"\n## Indledning\n\n" + b"Lang tekst. " * 20_000)
    with pytest.raises(PlanError, match=rf"^{FILE}: 240,\d+ bytes; a plan file holds at most 200,000$"):
        plans.load(SLUG, folder)


def test_a_symlinked_plan_is_refused(tmp_path):
    folder = plans_with(tmp_path, b"")
    (folder / f"{SLUG}.md").unlink()
    (folder / f"{SLUG}.md").symlink_to("/etc/passwd")
    with pytest.raises(PlanError, match=rf"^{FILE}: a symbolic link; a plan is a file of its own in plans/$"):
        plans.load(SLUG, folder)


def test_a_byte_order_mark_is_accepted(tmp_path):
    folder = plans_with(tmp_path, (HOSTILE / "accepted" / "bom.md").read_bytes())
    assert plans.load(SLUG, folder).title == "Udviklingsplan Valby/Vigerslev"


def test_plan_check_refuses_with_one_line_and_a_failing_exit_code(tmp_path):
    folder = plans_with(tmp_path, (HOSTILE / "refused" / "alias-bomb.md").read_bytes())
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "plan", "check"],
        capture_output=True,
        text=True,
        cwd=paths.ROOT,
        env={**__import__("os").environ, plans.PLANS_ENV: str(folder)},
        timeout=60,
    )
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert re.search(REFUSED["alias-bomb.md"].rstrip("$"), line.removeprefix("error [plan]: "))


# --- payloads shown as text ------------------------------------------------------------------------


def test_planner_text_shows_markup_as_text():
    out = planner_text.to_html(
        "<script>alert(1)</script> {{ 7*7 }} [a](https://kk.dk) <https://kk.dk>\n\n```{raw} html\n<b>x</b>\n```", 3
    )
    soup = BeautifulSoup(out, "html.parser")
    assert soup.find("script") is None and soup.find("b") is None
    assert "<script>alert(1)</script> {{ 7*7 }}" in soup.get_text()
    assert [a["href"] for a in soup.find_all("a")] == ["https://kk.dk", "https://kk.dk"]


def test_planner_text_links_book_pages_and_images_relative_to_the_page():
    out = planner_text.to_html("[metoden](/book/metode#foelsomhed) ![Foto](billeder/gade.jpg)", 3)
    soup = BeautifulSoup(out, "html.parser")
    assert soup.a["href"] == "../../../book/metode.html#foelsomhed"
    assert soup.img["src"] == "../../../billeder/gade.jpg" and soup.img["alt"] == "Foto"


def test_data_strings_are_escaped_once_in_markdown_and_tables():
    name = "Gården <img src=x onerror=alert(1)> & 'Søen' {{ 7*7 }}"
    assert markup.escape(name).count("&amp;") == 1 and "<" not in markup.escape(name)
    from analysis import display

    table = display.table(__import__("pandas").DataFrame({"Afdeling": [name]})).data
    cell = BeautifulSoup(table, "html.parser").td
    assert cell.find("img") is None and cell.get_text() == name


# --- end to end: a plan with a payload in every field, built into a page and its PDF ---------------


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    """The hostile plan's area page run by papermill, built by Jupyter Book (warnings as errors),
    and its council PDF; returns (page html, pdf bytes, revision note, review html)."""
    import os

    MARKER.unlink(missing_ok=True)
    tmp = tmp_path_factory.mktemp("hostile")
    folder = tmp / "plans"
    shutil.copytree(plans.folder(), folder)
    shutil.copyfile(HOSTILE / "plans" / f"{SLUG}.md", folder / f"{SLUG}.md")
    old = os.environ.get(plans.PLANS_ENV)
    os.environ[plans.PLANS_ENV] = str(folder)  # for the kernel and for this process
    kernel = kernels.WarmKernel.start(build.KERNEL, paths.ROOT)
    try:
        root = tmp / "book"
        chapter = book.Chapter(f"omraader/{SLUG}", "area", {"area": SLUG}, area=SLUG)
        page_nb = root / "book" / "chapters" / "omraader" / f"{SLUG}.ipynb"
        build.run_notebook(kernel, chapter, page_nb)
        items_before = {}
        items_after = build.plan_items(chapter)
        note = wording.revision_note(
            {"inputs": {"data": "a" * 12, "plan": "x"}, "figures": {}, "plan": items_before},
            {"data": "a" * 12, "plan": "y"},
            {},
            items_after,
        )
        build.add_revision_note(page_nb, note)
        data_page = next(c for c in book.chapters() if c.name == "data")
        build.run_notebook(kernel, data_page, root / "book" / "chapters" / "data.ipynb")
        shutil.copytree(paths.FIGURES_DIR, root / "book" / "chapters" / "figures")
        for page in book.STATIC_PAGES:
            shutil.copy(paths.ROOT / f"{page}.md", root / f"{page}.md")
        for sub in ("_static", "_templates", "locales"):
            shutil.copytree(paths.ROOT / "book" / sub, root / "book" / sub, ignore=shutil.ignore_patterns("*.mo"))
        build.write_config(build.build_stamp(paths.DERIVED), root / "_config.yml")
        small_book_toc(root, f"book/chapters/omraader/{SLUG}", {"data", f"omraader/{SLUG}"})
        exe = Path(sys.executable).parent / "jupyter-book"
        proc = subprocess.run(
            [str(exe), "build", str(root), "-W", "-n", "--keep-going", "-q"], capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        site = root / "_build" / "html"
        page = site / "book" / "chapters" / "omraader" / f"{SLUG}.html"
        stamp = build.build_stamp(paths.DERIVED)
        cover = council_pdf.cover(SLUG, stamp, datetime(2026, 1, 1, tzinfo=UTC))
        pdf = council_pdf.render(council_pdf.print_html(page.read_text(encoding="utf-8"), cover), page, "0" * 64, site)
        review = editions.review_html(
            editions.report(
                {
                    "moved": [],
                    "figures_added": [],
                    "figures_removed": [],
                    "statuses": [],
                    "prose": {"omraader/x": [editions.prose(page_nb)[:4000]]},
                    "pages_added": [],
                    "pages_removed": [],
                    "data": ("a", "a"),
                    "plans": {},
                },
                "test",
            )
        )
        yield page.read_text(encoding="utf-8"), pdf, note, review
    finally:
        kernel.shutdown()
        if old is None:
            os.environ.pop(plans.PLANS_ENV, None)
        else:
            os.environ[plans.PLANS_ENV] = old
        plans._parsed.cache_clear()


LIVE_TAGS = ("script", "iframe", "svg", "details", "link", "object", "embed", "b")


def _article(page_html: str):
    return BeautifulSoup(page_html, "html.parser").select_one("article.bd-article")


@pytest.mark.slow
def test_no_payload_runs_code_or_reads_a_file(hostile_build):
    page, pdf, note, review = hostile_build
    assert not MARKER.exists()
    assert all("root:x:0:0" not in text for text in (page, note, review, pdf.decode("latin-1")))


@pytest.mark.slow
def test_no_payload_is_live_markup_on_the_page(hostile_build):
    article = _article(hostile_build[0])
    assert [t.name for t in article.find_all(LIVE_TAGS)] == []
    handlers = [(el.name, a) for el in article.find_all(True) for a in el.attrs if a.lower().startswith("on")]
    assert handlers == []
    links = [a["href"] for a in article.find_all("a", href=True)]
    schemes = {m.group(1).lower() for h in links if (m := re.match(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):", h))}
    assert schemes <= {"https", "mailto"}
    assert not [img["src"] for img in article.find_all("img") if img.get("src") == "x"]


@pytest.mark.slow
def test_every_payload_is_shown_once_as_plain_text(hostile_build):
    text = " ".join(_article(hostile_build[0]).get_text(" ").split())
    for shown in (
        "<script>alert('titel')</script>",  # the title
        "{{ lipsum.__globals__['os'].popen(",  # the title and the section text
        "<img src=x onerror=alert('publisher')>",  # the source's publisher
        "<details open ontoggle=alert('vision')>",  # the vision
        "Mål <img src=x onerror=alert('goal')> {{ 7*7 }} & 'citat'",  # a goal's title
        "<script>alert('target')</script>",  # a target
        "Indsats <svg onload=alert('initiative')> {{ config }}",  # an initiative
        "```{include} /etc/passwd",  # a directive in the section text
        '<link rel="attachment" href="/etc/passwd">',
        "Setext-overskrift =================",  # no heading from the planners' text
    ):
        assert shown in text, shown
    assert "&lt;" not in text and "&amp;" not in text and "&#" not in text  # escaped once, not twice


@pytest.mark.slow
def test_the_council_pdf_has_no_attachment_and_shows_the_payloads_as_text(hostile_build):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(hostile_build[1]))
    assert reader.attachments == {}
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "onerror=alert('goal')" in text and "root:x:0:0" not in text


@pytest.mark.slow
def test_the_revision_note_and_the_review_show_plan_names_as_text(hostile_build):
    _, _, note, review = hostile_build
    assert "<img" not in note and "&lt;img" in note  # MyST text: the entity is shown as '<'
    assert html.unescape(note).count("onerror=alert('goal')") == 1
    soup = BeautifulSoup(review, "html.parser")
    assert soup.find(LIVE_TAGS) is None and soup.find("img") is None
    assert "<script>alert('section')</script>" in soup.get_text()


def test_an_image_from_plans_billeder_is_accepted_and_published(tmp_path):
    text = (HOSTILE / "accepted" / "bom.md").read_bytes() + b"\n## Indledning\n\n![Gaden i dag](billeder/gade.png)\n"
    folder = plans_with(tmp_path, text)
    (folder / "billeder").mkdir()
    (folder / "billeder" / "gade.png").write_bytes((paths.ROOT / "book" / "_static" / "favicon.png").read_bytes())
    assert plans.load(SLUG, folder).sections["Indledning"] == "![Gaden i dag](billeder/gade.png)"
    assert plans.images(folder) == [folder / "billeder" / "gade.png"]
    (folder / "billeder" / "gade.png").unlink()
    (folder / "billeder" / "gade.png").symlink_to("/etc/passwd")
    plans._parsed.cache_clear()  # one parse per text and process; the file behind the image changed
    with pytest.raises(PlanError, match=r"image 'billeder/gade.png': no such file in plans/billeder/"):
        plans.load(SLUG, folder)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("status: udkast", "status: vedtaget\nadopted: 2012-13-12"),
            rf"^{FILE}:5: '2012-13-12' is not a date; expected YYYY-MM-DD, e.g. 2012-12-13$",
        ),
        (
            ("goals: []", "goals: []\npublished_goals: [{title: Mål, page: 1.100}]"),
            rf"^{FILE}:7: '1.100' would be read as 1.1; write numbers without thousands separators, e.g. 1100$",
        ),
    ],
)
def test_values_yaml_would_misread_are_refused_with_their_line(edit, message, tmp_path):
    text = (HOSTILE / "accepted" / "bom.md").read_text(encoding="utf-8-sig").replace(*edit)
    with pytest.raises(PlanError, match=message):
        plans.load(SLUG, plans_with(tmp_path, text.encode()))
