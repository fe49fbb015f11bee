"""The council PDFs (analysis.council_pdf): unit tests on hand-made pages, then every area's PDF
in the built site read back with pypdf, the link from its page, determinism, the cache and a
failed PDF stopping the build. Expected values come from the reference data, the plan files and
the area pages' HTML, never from the module under test."""

from __future__ import annotations

import functools
import gc
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
from pypdf import PdfReader

from analysis import build, cache, council_pdf, paths, plans, reference
from analysis.errors import BuildError, describe
from analysis.plan_format import Plan

AREAS = [a.slug for a in reference.areas()]
A4 = (595.28, 841.89)  # points
MARGIN = 18 / 25.4 * 72  # the left and right page margins of book/_static/plan-pdf.css (18 mm) in points
MIN_PAGES, MAX_PAGES = 5, 30
# h2/h3 of every area page (book/templates/area.md); the contents list must give each a page.
SECTIONS = ["Kort fortalt", "Indledning", "Problemer", "Potentialer", "Udvikling", "Forandringsstrategi", "Opfølgning"]
SECTIONS += ["Data og metode"]
WEB_ONLY = ["Hent data", "Hent planen som PDF", "Peg på eller tryk", "kræver JavaScript", "Søg i publikationen"]
LINK_TEXT = "Hent planen som PDF (A4, til byrådet)"
FIXED = datetime(2026, 1, 2, tzinfo=UTC)
STAMP = {"data": "abcdef123456", "years": "2008–2014", "version": "1.0", "commit": "abc", "roder": 396}

PAGE = """<html><body><nav class="bd-sidebar">Menu <a href="../../search.html">Søg</a></nav>
<article class="bd-article"><section id="omr"><h1>Område<a class="headerlink" href="#omr">#</a></h1>
<div class="cell"><div class="cell_output"><p class="pdf-link"><a href="../../../pdf/omr.pdf">PDF</a></p></div></div>
<section id="kort-fortalt"><h2>Kort fortalt<a class="headerlink" href="#kort-fortalt">#</a></h2>
<p>Se <a class="reference internal" href="../../ordliste.html#term-Rode"><span>roderne</span></a>,
<a href="https://www.kk.dk/">kommunen</a> og <a href="#fig-omr-kort">kortet</a>.</p>
<figure id="fig-omr-kort"><img alt="Kort" src="../../../_images/omr-kort.png" />
<figcaption><p><span class="caption-number">figur 3 </span>Områdets roder.</p></figcaption></figure></section>
<section id="i-dag"><h2>Området i dag</h2>
<div class="web-only docutils container"><p>Peg på eller tryk på en rode.</p></div>
<div class="cell"><div class="cell_output"><div class="kort" data-src="x"><noscript>Kræver JavaScript</noscript></div>
</div></div>
<div class="tabel-wrap" tabindex="0"><table class="tabel"><tr><td>42,1 %</td></tr></table></div>
<section id="problemer"><h3>Problemer</h3><h3 class="rubric" id="maal-1">Mål 1</h3><p>Lav indkomst.
<span class="downloads">Hent data: <a href="../../../data/x.csv" download>CSV</a></span> Dataversion abc.</p>
</section></section></article><footer>Version 1</footer></body></html>"""


# ------------------------------------------------------------------------------------- unit tests


def test_article_leaves_out_the_web_chrome_and_keeps_the_content():
    main = str(council_pdf.article(PAGE))
    for gone in ("Menu", "headerlink", "PDF", "Peg på", "data-src", "JavaScript", "Hent data", "tabindex", "Version 1"):
        assert gone not in main, gone
    assert "<h1" not in main  # the cover has the title
    assert "ordliste.html" not in main and "roderne" in main  # a link to another page becomes text
    assert 'href="https://www.kk.dk/"' in main and 'href="#fig-omr-kort"' in main
    assert 'src="../../../_images/omr-kort.png"' in main and "Områdets roder." in main
    assert "42,1 %" in main and "Dataversion abc." in main


def test_article_is_required_and_its_source_is_the_article_element():
    for f in (council_pdf.article, council_pdf.article_source):
        with pytest.raises(ValueError, match="article"):
            f("<html><body><p>no article</p></body></html>")
    source = council_pdf.article_source(PAGE)
    assert source.startswith('<article class="bd-article">') and source.endswith("</article>")
    assert "Menu" not in source and "Version 1" not in source
    assert str(council_pdf.article(source)) == str(council_pdf.article(PAGE))


def test_key_changes_with_the_article_the_cover_and_an_image(tmp_path):
    page = tmp_path / "book" / "chapters" / "omraader" / "omr.html"
    image = tmp_path / "_images" / "omr-kort.png"
    image.parent.mkdir()
    image.write_bytes(b"one")
    source = council_pdf.article_source(PAGE)
    files = council_pdf.images(source, page)
    assert files == [image.resolve()]
    c = council_pdf.cover("noerrebro", STAMP, FIXED)
    key = council_pdf.pdf_key(source, c, files)
    assert council_pdf.pdf_key(source, c, files) == key
    assert council_pdf.pdf_key(source.replace("42,1", "42,2"), c, files) != key
    assert council_pdf.pdf_key(source, council_pdf.cover("noerrebro", {**STAMP, "data": "x"}, FIXED), files) != key
    # neither the commit (an edit elsewhere in the checkout) nor the date re-renders an unchanged PDF
    other_day = council_pdf.cover("noerrebro", {**STAMP, "commit": "def+ændringer"}, FIXED.replace(day=9))
    assert council_pdf.pdf_key(source, other_day, files) == key
    image.write_bytes(b"two")
    assert council_pdf.pdf_key(source, c, files) != key


def widths(rows: str) -> list[float]:
    from bs4 import BeautifulSoup

    table = BeautifulSoup(f'<table class="tabel">{rows}</table>', "html.parser").table
    return [round(w, 2) for w in council_pdf.column_widths(table)]


def test_column_widths_share_the_line_as_automatic_table_layout_would():
    # each column's longest cell plus 2 characters of padding: 22 + 2 and the badge 17 + 2 -> 24 : 19
    badge = '<span class="status status-grey">Kan ikke vurderes</span>'
    assert widths(f"<tr><th>Mål</th><th>Status</th></tr><tr><td>Lav indkomst i området</td><td>{badge}</td></tr>") == [
        round(100 * 24 / 43, 2),
        round(100 * 19 / 43, 2),
    ]
    # too long for a line of 110: each gets its longest word (10 + 2, 5 + 2), the spare 91 goes to the
    # column whose text needs more (219 + 2 - 12), none to the one that needs no more
    long = " ".join(["abcdefghij"] * 20)
    assert widths(f"<tr><td>{long}</td><td>12345</td></tr>") == [round(100 * 103 / 110, 2), round(100 * 7 / 110, 2)]
    # longest words wider than the line together: shared by them
    shared = [round(100 * 62 / 154, 2), round(100 * 92 / 154, 2)]
    assert widths(f"<tr><td>{'a' * 60}</td><td>{'b' * 90}</td></tr>") == shared


def test_print_tables_get_their_column_widths():
    main = council_pdf.article(PAGE)
    assert [col["style"] for col in main.select("table.tabel > colgroup > col")] == ["width: 100.0%"]


def test_contents_lists_the_sections_in_reading_order_with_links():
    nav = council_pdf.contents(council_pdf.article(PAGE))
    assert re.findall(r'<li class="level-(\d)"><a href="#([^"]+)">([^<]+)</a>', nav) == [
        ("2", "kort-fortalt", "Kort fortalt"),
        ("2", "i-dag", "Området i dag"),
        ("3", "problemer", "Problemer"),
        ("3", "maal-1", "Mål 1"),
    ]


def test_the_cycle_collector_pauses_during_a_render_only(monkeypatch):
    seen = []

    def render(doc, page, key, site):
        seen.append(gc.isenabled())
        if len(seen) == 2:
            raise ValueError("broken")
        return b"%PDF"

    monkeypatch.setattr(council_pdf, "render", render)
    job = council_pdf.Job(
        council_pdf.cover("noerrebro", STAMP, FIXED), council_pdf.article_source(PAGE), Path("x"), "0" * 64, Path(".")
    )
    assert council_pdf._render_job(job)[:2] == (b"%PDF", "") and gc.isenabled()
    assert council_pdf._render_job(job)[:2] == (None, "ValueError: broken") and gc.isenabled()
    assert seen == [False, False]


def test_danish_date():
    assert council_pdf.danish_date(datetime(2026, 11, 28)) == "28. november 2026"
    assert council_pdf.danish_date(datetime(2027, 1, 1)) == "1. januar 2027"


def test_build_date_is_fixed_by_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767312000")  # 2026-01-02 00:00 UTC
    assert council_pdf.build_date("abc123") == FIXED


def test_build_date_of_a_commit_is_its_commit_date(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=paths.ROOT, capture_output=True, text=True)
    assert council_pdf.build_date("abc123").timestamp() == int(out.stdout)
    today = datetime.now(UTC).date()
    assert council_pdf.build_date("abc123+ændringer").date() in (today, today.fromordinal(today.toordinal() + 1))


def test_cover_shows_the_status_and_adoption_from_the_plan_file(monkeypatch):
    adopted = Plan(
        area="noerrebro", title="x", status="vedtaget", vision="v", goals=(), adopted="2012-12-13", council_ref="BR 1"
    )
    monkeypatch.setattr(plans, "load", lambda slug: adopted)
    c = council_pdf.cover("noerrebro", STAMP, FIXED)
    assert c.status == "Vedtaget 13. december 2012 (BR 1)"
    html = " ".join(re.sub(r"<[^>]+>", " ", council_pdf.cover_html(c)).split())
    for text in ("Udviklingsplan for Nørrebro", "Første bølge (2012", "2. januar 2026", "abcdef123456"):
        assert text in html


def test_pdf_code_and_stylesheet_republish_the_site_but_rerun_no_chapter(monkeypatch):
    """The PDFs are made from the built pages: a change to their code or stylesheet must make the
    build publish (and render) again, but it changes no chapter."""
    seen = []

    def spy(files):
        seen.append({Path(f).resolve() for f in files})
        return "digest"

    monkeypatch.setattr(build, "digest_files", spy)  # the site's key
    monkeypatch.setattr(cache, "digest_files", spy)  # the chapters' code
    module, stylesheet = (paths.ROOT / "analysis" / "council_pdf.py").resolve(), council_pdf.STYLESHEET.resolve()
    build.site_key(STAMP)
    assert {module, stylesheet} <= seen[-1]
    cache.code_digest()
    assert module not in seen[-1] and (paths.ROOT / "analysis" / "pages.py").resolve() in seen[-1]


def test_weasyprint_problems_are_errors(tmp_path):
    doc = '<html lang="da"><body><p>Tekst</p><img alt="x" src="missing.png"></body></html>'
    with pytest.raises(ValueError, match="missing.png"):
        council_pdf.render(doc, tmp_path / "page.html", "0" * 64, tmp_path)


def test_the_font_subsetter_fallback_is_not_a_problem_but_other_warnings_are():
    # WeasyPrint's notice on a machine without libharfbuzz-subset0: the PDF is the same document
    import logging

    problems = council_pdf._Problems()
    for message in (
        'Using fontTools instead of HarfBuzz-Subset for font "DejaVu Sans". This will be unsupported '
        "in future versions of WeasyPrint. Please install HarfBuzz-Subset >= 4.1.0 with your package manager.",
        "Failed to load image at 'missing.png'",
    ):
        problems.emit(logging.LogRecord("weasyprint", logging.WARNING, "", 0, message, None, None))
    assert problems.messages == ["Failed to load image at 'missing.png'"]


# ------------------------------------------------------------------------------- the built site


@functools.cache
def pdf(slug: str) -> PdfReader:
    path = paths.BUILD / "html" / paths.PDF_FOLDER / f"{slug}.pdf"
    assert path.is_file(), f"{path} is missing"
    return PdfReader(path)


@functools.cache
def page_texts(slug: str) -> list[str]:
    return [p.extract_text() or "" for p in pdf(slug).pages]


@functools.cache
def layout(slug: str) -> list[tuple[int, float, float]]:
    """Per page: how many images it draws, and the left and right edges of its text in points.
    (pypdf lists the images of the shared resources on every page; PDFium follows each page's
    content stream.)"""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    doc = pdfium.PdfDocument(paths.BUILD / "html" / paths.PDF_FOLDER / f"{slug}.pdf")
    try:
        out = []
        for page in doc:
            text = page.get_textpage()
            rects = [text.get_rect(i) for i in range(text.count_rects())]
            images = len(list(page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=5)))
            out.append((images, min(r[0] for r in rects), max(r[2] for r in rects)))
        return out
    finally:
        doc.close()


def drawn_images(slug: str) -> list[int]:
    return [images for images, _, _ in layout(slug)]


def squash(text: str) -> str:
    """Text without spaces, line breaks and hyphens, to compare across hyphenated lines."""
    return re.sub(r"[\s\-\u00ad]", "", text)


def area_page(site: Path, slug: str) -> Path:
    return site / "book" / "chapters" / "omraader" / f"{slug}.html"


def figure_captions(page_html: str) -> list[str]:
    """The caption texts of the article's figures, read from the area page itself."""
    article = page_html[page_html.index('<article class="bd-article">') : page_html.index("</article>")]
    captions = re.findall(r'<span class="caption-text">(.*?)</span><a class="headerlink"', article, re.S)
    return [re.sub(r"<[^>]+>", "", c) for c in captions]


@pytest.mark.parametrize("slug", AREAS)
def test_area_pdf_is_a4_numbered_and_has_text_on_every_page(slug, built_site):
    reader, texts = pdf(slug), page_texts(slug)
    n = len(reader.pages)
    print(f"{slug}: {n} pages")
    assert MIN_PAGES <= n <= MAX_PAGES, f"{slug}: {n} pages"
    for i, (page, text, images) in enumerate(zip(reader.pages, texts, drawn_images(slug), strict=True), 1):
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert all(abs(a - b) <= 1 for a, b in zip(size, A4, strict=True)), f"{slug} page {i}: {size} pt, not A4"
        assert f"Side {i} af {n}" in text, f"{slug} page {i} has no page number 'Side {i} af {n}'"
        body = text.replace(f"Side {i} af {n}", "").strip()
        assert len(body) > 200 or images, f"{slug} page {i} is (nearly) empty: {body!r}"


@pytest.mark.parametrize("slug", AREAS)
def test_tables_and_text_fit_the_a4_column(slug, built_site):
    """Nothing sticks out into the margins (a table too wide for A4 would)."""
    for i, (_, left, right) in enumerate(layout(slug), 1):
        assert left >= MARGIN - 1 and right <= A4[0] - MARGIN + 1, f"{slug} page {i}: text from {left} to {right} pt"


@pytest.mark.parametrize("slug", AREAS)
def test_cover_names_the_area_wave_status_and_data_version(slug, built_site):
    area = reference.area(slug)
    cover = " ".join(page_texts(slug)[0].split())  # the title may break over two lines
    assert f"Udviklingsplan for {area.name}" in cover
    assert str(area.wave) in cover and "bølge" in cover
    status = {"udkast": "Udkast", "vedtaget": "Vedtaget"}[plans.load(slug).status]
    assert f"Planens status {status}" in cover
    assert (paths.DERIVED / ".raw").read_text()[:12] in cover
    assert re.search(r"Version \S+, indholds-id [0-9a-f]{12}\b", cover), cover  # the content's id, not the commit
    info = pdf(slug).metadata
    assert info.title == f"Udviklingsplan for {area.name}"
    assert info["/CreationDate"] == info["/ModDate"]


@pytest.mark.parametrize("slug", AREAS)
def test_contents_list_gives_the_page_of_every_section(slug, built_site):
    texts = page_texts(slug)
    assert texts[1].lstrip().startswith("Indhold"), f"{slug}: page 2 is not the contents list"
    listed = dict(re.findall(r"^\s*(.+?)[\s.]*\.{3,}\s*(\d+)\s*$", texts[1], re.M))
    name = reference.area(slug).name
    goals = [g.title for g in plans.load(slug).goals]  # shown as headings under Forandringsstrategi
    for section in [*SECTIONS, f"{name} i dag", *goals]:
        assert section in listed, f"{slug}: {section!r} not in the contents list {listed}"
        number = int(listed[section])
        assert 3 <= number <= len(texts), f"{slug}: {section} on page {number}"
        assert squash(section) in squash(texts[number - 1]), f"{slug}: {section!r} is not on page {number}"


@pytest.mark.parametrize("slug", AREAS)
def test_figures_keep_their_captions_and_the_web_chrome_is_left_out(slug, built_site):
    texts, images = page_texts(slug), drawn_images(slug)
    captions = figure_captions(area_page(built_site, slug).read_text(encoding="utf-8"))
    assert len(captions) >= 4, f"{slug}: {len(captions)} figures on the page"
    assert sum(images) == len(captions), f"{slug}: {sum(images)} images drawn for {len(captions)} figures"
    for caption in captions:
        start = squash(" ".join(caption.split()[:8]))
        pages = [i for i, t in enumerate(texts) if start in squash(t)]
        assert pages, f"{slug}: caption {caption[:60]!r} not found"
        assert all(images[i] for i in pages), (
            f"{slug}: caption {caption[:60]!r} on page {pages[0] + 1} without its image"
        )
    everything = " ".join(texts)
    for text in WEB_ONLY:
        assert text not in everything, f"{slug}: {text!r} (web only) is in the PDF"


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self._href = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data):
        if self._href is not None and data.strip():
            self.links.append((self._href, data.strip()))
            self._href = None


@pytest.mark.parametrize("slug", AREAS)
def test_area_page_links_to_its_pdf(slug, built_site):
    page = area_page(built_site, slug)
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    hrefs = [href for href, text in parser.links if text == LINK_TEXT]
    assert len(hrefs) == 1, f"{slug}: links with the text {LINK_TEXT!r}: {hrefs}"
    target = Path(urljoin(page.resolve().as_uri(), hrefs[0]).removeprefix("file://"))
    assert target == (built_site / "pdf" / f"{slug}.pdf").resolve()
    assert target.read_bytes()[:5] == b"%PDF-"


def test_two_renders_give_identical_bytes(built_site, tmp_path):
    """Same input, same bytes: in this process and in a fresh one (another hash seed)."""
    page = area_page(built_site, "husum-tingbjerg").resolve()
    cover = council_pdf.cover("husum-tingbjerg", STAMP, FIXED)
    doc = council_pdf.print_html(page.read_text(encoding="utf-8"), cover)
    key = council_pdf.pdf_key(doc, cover, council_pdf.images(doc, page))
    (tmp_path / "doc.html").write_text(doc, encoding="utf-8")
    code = (
        "import sys, pathlib; from analysis import council_pdf as c; "
        "sys.stdout.buffer.write(c.render(pathlib.Path(sys.argv[1]).read_text(encoding='utf-8'), "
        "pathlib.Path(sys.argv[2]), sys.argv[3], pathlib.Path(sys.argv[4])))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    other = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "doc.html"), str(page), key, str(built_site.resolve())],
        capture_output=True,
        check=True,
        cwd=paths.ROOT,
        env=env,
    ).stdout
    first = council_pdf.render(doc, page, key, built_site.resolve())
    assert first[:5] == b"%PDF-" and first == other


def test_unchanged_pdfs_are_reused_and_a_changed_page_is_rendered_again(built_site, tmp_path, monkeypatch):
    stage = Path(shutil.copytree(built_site.resolve(), tmp_path / "stage"))
    monkeypatch.setattr(council_pdf, "CACHE", tmp_path / "cache")
    rendered = []

    def fake_render(doc, page, key, site):
        rendered.append(Path(page).stem)
        return b"%PDF-fake " + key.encode()

    monkeypatch.setattr(council_pdf, "render", fake_render)
    first = council_pdf.write_all(stage, STAMP, log=lambda _: None, jobs=1)
    assert sorted(rendered) == sorted(AREAS) and all(s is not None for s in first.values())
    rendered.clear()
    again = council_pdf.write_all(stage, STAMP, log=lambda _: None, jobs=1)
    assert rendered == [] and set(again) == set(AREAS) and all(s is None for s in again.values())
    page = area_page(stage, "noerrebro")
    page.write_text(page.read_text(encoding="utf-8").replace("</article>", "<p>Ny tekst.</p></article>"), "utf-8")
    council_pdf.write_all(stage, STAMP, log=lambda _: None, jobs=1)
    assert rendered == ["noerrebro"]
    assert (stage / "pdf" / "noerrebro.pdf").read_bytes().startswith(b"%PDF-fake")


def test_a_render_error_names_the_area_in_one_line_and_keeps_the_other_pdfs(built_site, tmp_path, monkeypatch):
    stage = Path(shutil.copytree(built_site.resolve(), tmp_path / "stage"))
    monkeypatch.setattr(council_pdf, "CACHE", tmp_path / "cache")

    def render(doc, page, key, site):
        if Path(page).stem == "noerrebro":
            raise ValueError("Ignored `colour: red`\n at 1:2")
        return b"%PDF-fake"

    monkeypatch.setattr(council_pdf, "render", render)
    with pytest.raises(BuildError) as err:
        council_pdf.write_all(stage, STAMP, log=lambda _: None, jobs=1)
    assert describe(err.value).count("\n") == 0
    assert "Nørrebro (noerrebro)" in str(err.value) and "Ignored `colour: red` at 1:2" in str(err.value)
    assert len(list((tmp_path / "cache").glob("*.pdf"))) == len(AREAS) - 1


def test_a_failed_pdf_stops_the_build_with_one_line_and_keeps_the_published_site(
    built_site, tmp_path, monkeypatch, published_site
):
    site = published_site

    def jupyter_book(work, config, pool=None):  # the real site, with one of Nørrebro's figures missing
        shutil.copytree(built_site.resolve(), work / "_build" / "html")
        (work / "_build" / "html" / "_images" / "noerrebro-kort.png").unlink()
        return lambda log: None

    monkeypatch.setattr(build, "jupyter_book", jupyter_book)
    monkeypatch.setattr(build, "site_key", lambda stamp: "never-matches")
    monkeypatch.setattr(paths, "BUILD", tmp_path)
    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(paths, "SITE_DATA", tmp_path / "cache" / "site" / "data")  # written here, from the results
    monkeypatch.setattr(council_pdf, "CACHE", tmp_path / "cache" / "pdf")
    (tmp_path / "cache").mkdir()
    with pytest.raises(BuildError) as err:
        build.publish_site(STAMP, site, log=lambda _: None)
    message = str(err.value)
    assert "\n" not in message and "Nørrebro" in message and "noerrebro-kort.png" in message
    assert (site / "index.html").read_text() == "good"
    assert not list(tmp_path.glob("staging-*"))
