"""Council PDFs: each area plan as an A4 PDF for the city council, made from the staged site.

After the Jupyter Book step, each area page's article, without the web chrome (permalinks, the
interactive map and its instructions, download links, links to other pages), gets a cover and a
contents list and is rendered with ``book/_static/plan-pdf.css`` into ``<stage>/pdf/<slug>.pdf``,
so the PDFs are published with the site in the same atomic swap; the area page links to its PDF.

Why WeasyPrint: a Python library (no browser in ``make book``) that implements CSS Paged Media:
``@page`` size and margin boxes, ``counter(page)``, ``target-counter()`` for the contents list's
page numbers, ``break-inside``. It writes real, searchable vector text with subset fonts, Danish
hyphenation (Pyphen) and a tagged PDF; with the metadata dates and file identifier fixed, the
same input gives the same bytes.

Incremental: a PDF is keyed by the sha256 of the page's article HTML, its cover (not its date),
the images it shows, the stylesheet, this module and the WeasyPrint version; the cover shows the
key's first characters as the content's id. A PDF whose key is unchanged is copied from
``.cache/pdf`` with the date it was made (no parsing, no rendering), the others are rendered in
parallel processes (about 1.5 s of CPU each).
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import gc
import hashlib
import html
import logging
import os
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import date as date_type
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from . import book, paths, plans, reference, wording
from .errors import BuildError

if TYPE_CHECKING:
    from bs4 import Tag

STYLESHEET = paths.BOOK / "_static" / "plan-pdf.css"
CACHE = paths.CACHE / "pdf"
MONTHS = ["januar", "februar", "marts", "april", "maj", "juni"]
MONTHS += ["juli", "august", "september", "oktober", "november", "december"]
ARTICLE = '<article class="bd-article">'  # the main content of a page of the Sphinx book theme
# Web chrome and interactive content, left out of the PDF (the interactive map: see article()).
DROP = ["h1", "a.headerlink", ".pdf-link", ".web-only", "span.downloads", "noscript", "script", "style", "link"]
# A line of 8 pt table text across the A4 column (174 mm) and a cell's padding, in characters.
TABLE_LINE, CELL_PADDING = 110, 2


@dataclass(frozen=True)
class Cover:
    slug: str
    name: str
    wave: str
    status: str
    date: datetime
    data: str
    version: str


def danish_date(d: date_type) -> str:
    """'28. november 2026'."""
    return f"{d.day}. {MONTHS[d.month - 1]} {d.year}"


def build_date(commit: str) -> datetime:
    """The date on the cover and in the PDF metadata: SOURCE_DATE_EPOCH if set, else the date of
    the commit built from, or today when the working tree has changes (commit '…+ændringer')."""
    if (epoch := paths.source_date_epoch()) is not None:
        return datetime.fromtimestamp(epoch, UTC)
    if not commit.endswith("+ændringer"):
        proc = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=paths.ROOT, capture_output=True, text=True)
        if proc.returncode == 0 and proc.stdout.strip().isdigit():
            return datetime.fromtimestamp(int(proc.stdout), UTC)
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def cover(slug: str, stamp: dict, date: datetime) -> Cover:
    """The cover's facts: area, wave, the plan file's status, date and data version."""
    area = reference.area(slug)
    wave = next(w for w in reference.waves() if w.year == area.wave)
    plan = plans.load(slug)
    status = wording.PLAN_STATUS[plan.status]
    if plan.adopted:  # 'Vedtaget 13. december 2012 (Borgerrepræsentationen, sag nr. …)'
        status += f" {danish_date(date_type.fromisoformat(plan.adopted))}"
        status += f" ({plan.council_ref})" if plan.council_ref else ""
    return Cover(
        slug=slug,
        name=area.name,
        wave=f"{wave.title.split(': ')[0]} ({area.wave}, budget {wave.budget})",
        status=status,
        date=date,
        data=f"{stamp['data']} (data for {stamp['years']})",
        version=stamp["version"],
    )


def article_source(page_html: str) -> str:
    """The page's <article class="bd-article"> element as it is in the HTML: what a PDF shows,
    without the parts of the page that change with every build (the footer's commit)."""
    start = page_html.find(ARTICLE)
    end = page_html.find("</article>", start)
    if start < 0 or end < 0:
        raise ValueError(f"the page has no {ARTICLE}")
    return page_html[start : end + len("</article>")]


def article(page_html: str) -> Tag:
    """The page's main content as <main>, without web chrome (DROP) or the interactive map (its
    static counterparts, the area and problem maps, stay); links to other pages of the site
    become plain text, as they would not work on paper."""
    from bs4 import BeautifulSoup  # only when a PDF is rendered

    soup = BeautifulSoup(page_html, "html.parser")
    main = soup.select_one("article.bd-article")
    if main is None:
        raise ValueError(f"the page has no {ARTICLE}")
    for el in main.select("div.kort"):
        (el.find_parent("div", class_="cell") or el).decompose()
    for el in main.select(", ".join(DROP)):
        el.decompose()
    for a in main.select("a[href]"):
        if not a["href"].startswith(("#", "https://", "http://")):
            a.unwrap()
    for el in main.select("[tabindex]"):
        del el["tabindex"]
    for table in main.select("table.tabel"):
        columns = soup.new_tag("colgroup")
        for width in column_widths(table):
            columns.append(soup.new_tag("col", style=f"width: {width:.1f}%"))
        if table.caption:
            table.caption.insert_after(columns)
        else:
            table.insert(0, columns)
    main.name, main.attrs = "main", {}
    return main


def column_widths(table: Tag) -> list[float]:
    """The widths of a table's columns (per cent, summing to 100), from its text in characters, as
    CSS's automatic table layout shares a line: each column gets at least its longest word (a
    status badge, which does not wrap, as a whole) and the rest of the line goes to the columns by
    how much more their longest cell needs. With these widths plan-pdf.css lays the tables out as
    fixed, which spares WeasyPrint measuring every cell: a sixth of a PDF's rendering time."""
    rows = [row.find_all(["th", "td"], recursive=False) for row in table.find_all("tr")]
    n = max(map(len, rows), default=0)
    least, most = [1] * n, [1] * n
    for row in rows:
        for i, cell in enumerate(row):
            text = cell.get_text(" ").split()
            unbroken = [len(word) for word in text] + [len(s.get_text(" ").strip()) for s in cell.select(".status")]
            least[i] = max(least[i], max(unbroken, default=0) + CELL_PADDING)
            most[i] = max(most[i], len(" ".join(text)) + CELL_PADDING)
    if sum(most) <= TABLE_LINE:
        widths = most
    elif sum(least) >= TABLE_LINE:
        widths = least
    else:
        spare, extra = TABLE_LINE - sum(least), [m - s for m, s in zip(most, least, strict=True)]
        widths = [s + spare * e / sum(extra) for s, e in zip(least, extra, strict=True)]
    return [100 * w / sum(widths) for w in widths]


def contents(main: Tag) -> str:
    """The contents list: the h2 and h3 headings (sections, and the area goals, which the page
    shows as headings with an id of their own), each with its page number (target-counter)."""
    items = []
    for h in main.select("h2, h3"):
        target = h.get("id") or (h.parent.get("id") if h.parent.name == "section" else None)
        if target:
            text = html.escape(h.get_text(" ", strip=True))
            items.append(f'<li class="level-{h.name[1]}"><a href="#{target}">{text}</a></li>')
    return f'<nav class="contents"><p class="title">Indhold</p><ol>{"".join(items)}</ol></nav>'


def cover_html(c: Cover) -> str:
    rows = [
        ("Område", c.name, ""),
        ("Bølge", c.wave, ""),
        ("Planens status", c.status, ""),
        ("Dato", danish_date(c.date), ""),
        ("Dataversion", c.data, ' class="data-version"'),  # repeated in every page's footer
        ("Version", c.version, ""),
    ]
    facts = "".join(f'<tr><th scope="row">{k}</th><td{attr}>{html.escape(v)}</td></tr>' for k, v, attr in rows)
    return (
        '<section class="cover"><p class="series">Udsatte byområder i København</p>'
        f'<h1>Udviklingsplan for <span class="name">{html.escape(c.name)}</span></h1><table>{facts}</table>'
        '<p class="note">Bygget på Københavns Kommunes åbne data og Statistikbanken; ikke en udgivelse fra '
        "Københavns Kommune. Indholdet er det samme som på områdets side på webstedet, uden det interaktive "
        "kort. Kilder og kontrolsummer står på webstedets side »Data og kilder«.</p></section>"
    )


def print_html(page_html: str, c: Cover) -> str:
    """The print document: metadata (fixed dates), cover, contents list and the page's article."""
    main = article(page_html)
    title = html.escape(f"Udviklingsplan for {c.name}")
    date = c.date.isoformat()
    head = (
        f'<meta charset="utf-8"><title>{title}</title><meta name="author" content="Udsatte byområder i København">'
        f'<meta name="description" content="{title}. Status: {html.escape(c.status)}. Dataversion {c.data}.">'
        f'<meta name="dcterms.created" content="{date}"><meta name="dcterms.modified" content="{date}">'
    )
    body = cover_html(c) + contents(main) + str(main)
    return f'<!doctype html><html lang="da"><head>{head}</head><body>{body}</body></html>'


def images(source: str, page: Path) -> list[Path]:
    """The local files the <img> elements show, resolved against the page's folder."""
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', source)
    return [(page.parent / html.unescape(s)).resolve() for s in srcs if not s.startswith(("data:", "http"))]


def pdf_key(source: str, c: Cover, files: list[Path]) -> str:
    """sha256 of everything a PDF is made from: the article, the cover but its date, the images (by
    name and content), the stylesheet, this module and the WeasyPrint version. Not the commit
    either: a PDF whose content is unchanged keeps its bytes and its date when other files change."""
    h = hashlib.sha256()
    facts = repr(dataclasses.replace(c, date=datetime.fromtimestamp(0, UTC)))
    for part in (source, facts, STYLESHEET.read_text(encoding="utf-8"), Path(__file__).read_text(encoding="utf-8")):
        h.update(part.encode() + b"\x00")
    h.update(version("weasyprint").encode())
    for f in files:
        h.update(f.name.encode() + hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


class _Problems(logging.Handler):
    """Collects what WeasyPrint only logs: an image it could not load, CSS it ignored. Its notice
    that fonts are subset with fontTools because HarfBuzz's subsetter (Debian's
    libharfbuzz-subset0) is missing is not a problem of the document: the PDF is the same."""

    FALLBACK = "Using fontTools instead of HarfBuzz-Subset"

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        message = record.getMessage()
        if not message.startswith(self.FALLBACK):
            self.messages.append(message)


def import_renderer() -> None:
    """Import what rendering needs and compile the selectors article() uses (about 1.5 s), e.g. in
    a thread while the site is built."""
    import weasyprint  # noqa: F401

    article(f"{ARTICLE}<section><p>-</p></section></article>")


def site_fetcher(site: Path):
    """WeasyPrint's URL fetcher for a print document of the staged site: files inside the site and
    nothing else (no network, no other file on the machine), so a page cannot make the PDF carry
    or show anything that is not published with it."""
    from weasyprint.urls import URLFetcher

    root = site.resolve()

    class SiteFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urllib.parse.urlsplit(url)
            path = Path(urllib.request.url2pathname(parts.path)).resolve() if parts.scheme == "file" else None
            if path is None or not path.is_relative_to(root) or not path.is_file():
                raise ValueError(f"not a file of the published site: {url}")
            return super().fetch(url, headers)

    return SiteFetcher(allowed_protocols={"file"})


def render(doc: str, page: Path, key: str, site: Path) -> bytes:
    """The PDF of a print document whose relative links resolve against the page's file, reading
    no file outside ``site``. No attachments. Raises ValueError if WeasyPrint reports a problem,
    instead of leaving something out."""
    import weasyprint

    problems, logger = _Problems(), logging.getLogger("weasyprint")
    logger.addHandler(problems)
    try:
        pdf = weasyprint.HTML(string=doc, base_url=str(page), url_fetcher=site_fetcher(site)).write_pdf(
            attachments=[],
            stylesheets=[weasyprint.CSS(filename=str(STYLESHEET))],
            pdf_identifier=bytes.fromhex(key[:32]),  # the default would be random
            pdf_tags=True,  # headings, lists, tables and figures' alt text for screen readers
        )
    finally:
        logger.removeHandler(problems)
    if problems.messages:
        raise ValueError("; ".join(dict.fromkeys(problems.messages)))
    return pdf


@dataclass(frozen=True)
class Job:
    cover: Cover
    source: str  # the page's article (article_source)
    page: Path
    key: str
    site: Path  # the staged site: the only files a PDF may read


def _render_job(job: Job) -> tuple[bytes | None, str, float]:
    """(pdf, error, seconds), the error as one line of text so that it always comes back from a
    worker process; the caller names the area. Python's cycle collector is paused meanwhile: it
    would scan WeasyPrint's many young objects again and again (a sixth of the rendering time),
    while the garbage it finds, a few tens of MB, is collected when it is switched on again."""
    t0, collecting = time.perf_counter(), gc.isenabled()
    gc.disable()
    try:
        return render(print_html(job.source, job.cover), job.page, job.key, job.site), "", time.perf_counter() - t0
    except Exception as err:
        return None, f"{type(err).__name__}: {' '.join(str(err).split())}", time.perf_counter() - t0
    finally:
        if collecting:
            gc.enable()


def failed(c: Cover, why: str) -> BuildError:
    return BuildError(f"the council PDF of {c.name} ({c.slug}) failed: {why}; the published site is unchanged")


def cached_pdf(slug: str, key: str) -> Path:
    return CACHE / f"{slug}-{key[:16]}.pdf"


def keep(slug: str, key: str, pdf: bytes) -> Path:
    """Store a rendered PDF in the cache (atomically), replacing the area's older ones."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = cached_pdf(slug, key)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pdf)
    os.replace(tmp, path)
    for old in CACHE.glob(f"{slug}-{'?' * 16}.pdf"):
        if old != path:
            old.unlink()
    return path


def prepare(stage: Path, stamp: dict) -> list[Job]:
    """What to render for every area page of the staged site, and its key (cheap: no parsing)."""
    date = build_date(stamp["commit"])
    jobs = []
    for ch in (ch for ch in book.chapters() if ch.area):
        c = cover(ch.area, stamp, date)
        page = stage / f"{ch.docname}.html"
        try:
            source = article_source(page.read_text(encoding="utf-8"))
            files = images(source, page)
            outside = [str(f) for f in files if not f.is_relative_to(stage.resolve())]
            if outside:
                raise ValueError(f"images outside the site: {', '.join(outside)}")
            missing = [str(f.relative_to(stage.resolve())) for f in files if not f.is_file()]
            if missing:
                raise FileNotFoundError(f"images missing from the site: {', '.join(missing)}")
        except (OSError, ValueError) as err:
            raise failed(c, f"{type(err).__name__}: {err}") from None
        key = pdf_key(source, c, files)
        # the content's id on the cover: the same id, the same plan text, figures and data
        jobs.append(
            Job(dataclasses.replace(c, version=f"{c.version}, indholds-id {key[:12]}"), source, page, key, stage)
        )
    return jobs


def _length(job: Job) -> int:
    return -len(job.source)


def render_all(todo: list[Job], jobs: int) -> dict[str, float]:
    """Render the PDFs into the cache, in parallel processes when there are several; returns the
    seconds per area."""
    if len(todo) == 1 or jobs == 1:
        results = [_render_job(job) for job in todo]
    else:
        with cf.ProcessPoolExecutor(max_workers=min(len(todo), jobs)) as pool:
            try:
                # the longest pages first, so that no process is left with a long one at the end
                futures = {job.cover.slug: pool.submit(_render_job, job) for job in sorted(todo, key=_length)}
                results = [futures[job.cover.slug].result() for job in todo]
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    for job, (pdf, _, _) in zip(todo, results, strict=True):
        if pdf is not None:
            keep(job.cover.slug, job.key, pdf)  # the good ones are kept even when another failed
    for job, (_, error, _) in zip(todo, results, strict=True):
        if error:
            raise failed(job.cover, error)
    return {job.cover.slug: seconds for job, (_, _, seconds) in zip(todo, results, strict=True)}


def write_all(stage: Path, stamp: dict, log, jobs: int | None = None) -> dict[str, float | None]:
    """Write <stage>/pdf/<slug>.pdf for every area page of the staged site; returns the render
    seconds per area (None: reused from the cache). Raises BuildError naming the area."""
    t0 = time.perf_counter()
    prepared = prepare(stage, stamp)
    todo = [job for job in prepared if not cached_pdf(job.cover.slug, job.key).is_file()]
    rendered = render_all(todo, jobs or os.cpu_count() or 1) if todo else {}
    out = stage / paths.PDF_FOLDER
    out.mkdir(parents=True, exist_ok=True)
    for job in prepared:
        shutil.copyfile(cached_pdf(job.cover.slug, job.key), out / f"{job.cover.slug}.pdf")
    times = ", ".join(f"{slug} {s:.1f} s" for slug, s in rendered.items())
    log(
        f"council PDFs: {len(rendered)} rendered"
        + (f" ({times})" if times else "")
        + f", {len(prepared) - len(rendered)} reused, in {time.perf_counter() - t0:.1f} s"
    )
    return {job.cover.slug: rendered.get(job.cover.slug) for job in prepared}
