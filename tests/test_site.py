"""Browser tests of the built site (_build/html) in headless Chromium.

Run after `make book`:  .venv/bin/python -m pytest tests/test_site.py -q -x -p no:cacheprovider

Every page reachable from index.html (plus the sidebar nav) is opened once and checked for
console/page/request errors, broken internal links, broken or unlabelled images and lang="da".
Area pages, the open data, the search page, the phone layout and axe-core (WCAG 2 A/AA) get
their own tests. Screenshots land in test-artifacts/ (gitignored).
"""

from __future__ import annotations

import csv
import functools
import http.server
import io
import json
import shutil
import socketserver
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

AREA_DIR = "book/chapters/omraader/"
AREA_COUNT = 6
# the plan's outline: h2 Indledning, "<område> i dag" (with h3 Problemer, Potentialer, Udvikling),
# Forandringsstrategi (an h3 per area goal), Opfølgning, Data og metode
AREA_SECTIONS = [
    "Indledning",
    "Problemer",
    "Potentialer",
    "Udvikling",
    "Forandringsstrategi",
    "Opfølgning",
    "Data og metode",
]
MIN_AREA_FIGURES = 4
INDICATOR_COLUMNS = [
    "level",
    "unit_id",
    "unit_name",
    "year",
    "indicator",
    "numerator",
    "denominator",
    "rate",
    "index",
    "suppressed",
]
SEARCHES = {"Tingbjerg": AREA_DIR + "husum-tingbjerg.html", "Nørrebro": AREA_DIR + "noerrebro.html"}
AXE_PAGES = [  # one page of each page type
    "book/chapters/forside.html",
    "book/chapters/tal.html",
    "book/chapters/boelge-2012.html",
    AREA_DIR + "noerrebro.html",
    "book/chapters/maal.html",
    "book/chapters/data.html",
    "book/metode.html",
]
AXE_FAIL_IMPACTS = {"serious", "critical"}
# (axe rule, CSS selector) pairs owned by the theme, which our content cannot fix. Only nodes of
# that rule matching that selector are ignored; every other rule still checks these elements.
AXE_THEME_EXCLUDES = [
    # pydata-sphinx-theme (toctree.py, add_collapse_checkboxes) wraps each sidebar entry with
    # children in <details><summary><span role="presentation"><i class="fa-chevron-down">
    # </i></span></summary>: the expand/collapse toggle has no accessible name.
    ("summary-name", ".bd-sidenav li.has-children > details > summary"),
]
# Chromium requests /favicon.ico by itself when a page declares no icon; the site never links it.
IGNORED_REQUESTS = {"/favicon.ico"}


# ---------------------------------------------------------------- discovery (static, at collection)


NAV_RELS = {"index", "search", "prev", "next"}  # <link rel> that point at pages of the book


class _LinkParser(HTMLParser):
    """Collects element ids and page links: <a href> (the sidebar nav included), the
    meta-refresh target, <form action> (the search page) and navigational <link rel>."""

    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "link" and attrs.get("href") and set((attrs.get("rel") or "").split()) & NAV_RELS:
            self.hrefs.append(attrs["href"])
        if tag == "form" and attrs.get("action"):
            self.hrefs.append(attrs["action"])
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            _, _, url = (attrs.get("content") or "").partition("url=")
            if url.strip():
                self.hrefs.append(url.strip())


def parse_html(text: str) -> _LinkParser:
    parser = _LinkParser()
    parser.feed(text)
    return parser


def _local_page(base: str, href: str) -> str | None:
    """Site-relative path of an internal .html link (e.g. 'book/metode.html'), else None."""
    url = urlsplit(urljoin("http://site/" + base, href))
    if url.netloc != "site":
        return None
    path = unquote(url.path).lstrip("/")
    if path == "" or path.endswith("/"):
        path += "index.html"
    return path if path.endswith(".html") else None


def crawl_pages(site: Path) -> list[str]:
    """Every HTML page reachable from index.html (see _LinkParser for what counts as a link)."""
    if not (site / "index.html").is_file():
        return []
    seen, queue = set(), ["index.html"]
    while queue:
        page = queue.pop()
        if page in seen or not (site / page).is_file():
            continue  # a missing target is reported by the link check, not here
        seen.add(page)
        for href in parse_html((site / page).read_text(encoding="utf-8")).hrefs:
            target = _local_page(page, href)
            if target and target not in seen:
                queue.append(target)
    return sorted(seen)


PAGES = crawl_pages(SITE)
AREA_PAGES = [p for p in PAGES if p.startswith(AREA_DIR)]


# ---------------------------------------------------------------- server and browser fixtures


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory) -> Path:
    """A snapshot of the published site: `analysis build` swaps the _build/html symlink and
    deletes the old site, which would otherwise pull the pages away in the middle of a run."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE / 'index.html'} does not exist: run `make book` first", pytrace=False)
    return Path(shutil.copytree(SITE.resolve(), tmp_path_factory.mktemp("site") / "html"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def base_url(site_dir):
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)", pytrace=False
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _context(browser, options):
    context = browser.new_context(**options)
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def desktop(browser):
    context = _context(browser, DESKTOP)
    yield context
    context.close()


@pytest.fixture
def phone(browser):
    context = _context(browser, PHONE)
    yield context
    context.close()


@pytest.fixture(scope="module")
def fetch(base_url):
    """fetch(url) -> (status, body bytes), cached for the module (many pages share links)."""

    @functools.cache
    def _fetch(url: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(url, timeout=15) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, b""

    return _fetch


# ---------------------------------------------------------------- helpers


def same_origin(url: str, base_url: str) -> bool:
    return url.startswith(base_url)


def open_page(context, url: str):
    """Open url; return the page and a live list of its console errors, page errors and failed
    same-origin requests (requestfailed or HTTP >= 400)."""
    page, problems = context.new_page(), []
    base = "{0.scheme}://{0.netloc}/".format(urlsplit(url))

    def ignored(request_url: str) -> bool:
        return same_origin(request_url, base) and urlsplit(request_url).path in IGNORED_REQUESTS

    def checked(request_url: str) -> bool:
        return same_origin(request_url, base) and not ignored(request_url)

    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and not ignored(m.location.get("url", ""))
            and problems.append(f"console error: {m.text} ({m.location.get('url')})")
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: checked(r.url) and problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: checked(r.url) and r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    response = page.goto(url, wait_until="load")
    status = response and response.status
    assert status == 200, f"{url}: HTTP {status}"
    page.wait_for_load_state("networkidle")
    return page, problems


def broken_images(page) -> list[str]:
    return page.eval_on_selector_all(
        "img", "els => els.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )


def images_without_alt(page) -> list[str]:
    # No exception for theme logos: this book configures no logo, so every <img> is content.
    return page.eval_on_selector_all(
        "img", "els => els.filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.outerHTML)"
    )


def link_targets(page) -> list[str]:
    """Resolved href of every <a> on the page (the browser resolves relative links)."""
    return page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")


def broken_links(page, base_url: str, fetch) -> list[str]:
    problems = []
    for href in sorted(set(link_targets(page))):
        if not same_origin(href, base_url):
            continue
        url, fragment = urldefrag(href)
        status, body = fetch(url)
        if status != 200:
            problems.append(f"{href}: HTTP {status}")
        elif fragment and unquote(fragment) not in element_ids(body):
            problems.append(f"{href}: no element with id={unquote(fragment)!r} on the target")
    return problems


@functools.cache
def element_ids(html: bytes) -> frozenset[str]:
    return frozenset(parse_html(html.decode("utf-8", "replace")).ids)


def section_headings(page) -> list[str]:
    """Text of the h2 and h3 headings in the article, without Sphinx's '#' permalink."""
    return page.eval_on_selector_all(
        "article.bd-article h2, article.bd-article h3",
        """els => els.map(h => {
        const c = h.cloneNode(true);
        c.querySelectorAll('.headerlink').forEach(x => x.remove());
        return c.textContent.trim();
    })""",
    )


def download_links(page) -> list[str]:
    return sorted(
        set(page.eval_on_selector_all("article a[download], article a[href*='/data/']", "els => els.map(a => a.href)"))
    )


def overflowing_elements(page) -> list[str]:
    """Elements sticking out past the right edge of the viewport (for a readable failure)."""
    return page.evaluate("""() => {
        const w = window.innerWidth, out = [];
        for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.width === 0 || r.right <= w + 1) continue;
            let clipped = false;
            for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
                const ox = getComputedStyle(p).overflowX;
                if (ox !== 'visible' && p.getBoundingClientRect().right <= w + 1) {
                    clipped = true;
                    break;
                }
            }
            if (clipped) continue;
            const cls = el.className && typeof el.className === 'string'
                ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
            const id = el.id ? '#' + el.id : '';
            out.push(`${el.tagName.toLowerCase()}${id}${cls} right=${Math.round(r.right)}px`);
        }
        return out.slice(0, 8);
    }""")


@functools.cache
def axe_source() -> str:
    import axe_playwright_python  # ships axe-core as axe.min.js

    return Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text(encoding="utf-8")


def run_axe(page) -> list[dict]:
    """Serious/critical WCAG 2 A/AA violations, minus theme-owned nodes (AXE_THEME_EXCLUDES)."""
    page.add_script_tag(content=axe_source())
    violations = page.evaluate(
        """async excludes => {
            const result = await axe.run(document,
                {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
            const themeOwned = (rule, node) => excludes.some(([r, sel]) => r === rule &&
                typeof node.target[0] === 'string' &&
                document.querySelector(node.target[0])?.matches(sel));
            return result.violations
                .map(v => ({...v, nodes: v.nodes.filter(n => !themeOwned(v.id, n))}))
                .filter(v => v.nodes.length > 0);
        }""",
        AXE_THEME_EXCLUDES,
    )
    return [v for v in violations if v["impact"] in AXE_FAIL_IMPACTS]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = [" ".join(map(str, n["target"])) for n in v["nodes"][:3]]
        lines.append(
            f"  {v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['help']}\n"
            + "".join(f"      {t}\n" for t in targets)
        )
    return "\n".join(lines)


def listing(items) -> str:
    return "".join(f"\n  - {i}" for i in items)


# ---------------------------------------------------------------- tests


def test_site_is_built_and_crawlable(site_dir):
    assert PAGES, "no pages found by crawling from index.html"
    assert len(AREA_PAGES) == AREA_COUNT, f"expected {AREA_COUNT} area pages, found:{listing(AREA_PAGES)}"
    for page in AXE_PAGES + list(SEARCHES.values()):
        assert page in PAGES, f"{page} is not reachable from index.html"


@pytest.mark.parametrize("path", PAGES, ids=PAGES)
def test_page(path, base_url, desktop, fetch):
    page, problems = open_page(desktop, base_url + path)
    lang = page.eval_on_selector("html", "h => h.getAttribute('lang')")
    if lang != "da":
        problems.append(f'<html lang="{lang}">, expected lang="da"')
    problems += [f"image did not load: {src}" for src in broken_images(page)]
    problems += [f"image without alt text: {tag}" for tag in images_without_alt(page)]
    problems += [f"broken link: {p}" for p in broken_links(page, base_url, fetch)]
    assert not problems, f"{path}:{listing(problems)}"


@pytest.mark.parametrize("path", AREA_PAGES, ids=AREA_PAGES)
def test_area_page(path, base_url, desktop, fetch):
    page, _ = open_page(desktop, base_url + path)  # errors are test_page's job
    headings = section_headings(page)
    missing = [h for h in AREA_SECTIONS if h not in headings]
    assert not missing, f"{path}: missing sections {missing}; h2 headings are {headings}"

    figures = page.locator("article.bd-article figure img").count()
    assert figures >= MIN_AREA_FIGURES, f"{path}: {figures} figures with an image, expected >= {MIN_AREA_FIGURES}"

    slug = Path(path).stem
    area_map = page.locator(f"#fig-{slug}-kort img")
    assert area_map.count() == 1, f"{path}: no area map (figure #fig-{slug}-kort with an <img>)"
    area_map.scroll_into_view_if_needed()
    box = area_map.bounding_box()
    assert area_map.is_visible() and box and box["width"] > 200, (
        f"{path}: area map not visible at desktop width: bounding box {box}"
    )

    links = download_links(page)
    assert any(u.endswith(".xlsx") for u in links), f"{path}: no Excel link among{listing(links)}"
    for url in links:
        status, body = fetch(url)
        assert status == 200 and body, f"{path}: {url} gave HTTP {status}, {len(body)} bytes"
        if url.endswith(".xlsx"):
            assert body[:2] == b"PK", f"{path}: {url} is not a zip (Excel) file: {body[:16]!r}"


def _csv_header(fetch, url: str) -> list[str]:
    status, body = fetch(url)
    assert status == 200 and body, f"{url}: HTTP {status}, {len(body)} bytes"
    return next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_open_data(base_url, fetch):
    status, body = fetch(base_url + "data/areas.geojson")
    assert status == 200, f"data/areas.geojson: HTTP {status}"
    features = json.loads(body)["features"]
    assert len(features) == AREA_COUNT, f"areas.geojson has {len(features)} features, expected {AREA_COUNT}"
    for f in features:
        missing = {"slug", "name", "wave"} - set(f["properties"] or {})
        assert not missing, f"areas.geojson feature {f['properties']} lacks {sorted(missing)}"

    members = _csv_header(fetch, base_url + "data/area_members.csv")
    assert members == ["slug", "rode_nr", "rodenavn"], f"area_members.csv header: {members}"

    indicators = _csv_header(fetch, base_url + "data/indicators.csv")
    missing = [c for c in INDICATOR_COLUMNS if c not in indicators]
    assert not missing, f"indicators.csv header {indicators} lacks {missing}"


@pytest.mark.parametrize("query", SEARCHES, ids=SEARCHES)
def test_search_finds_area(query, base_url, desktop):
    expected = "/" + SEARCHES[query]
    page, _ = open_page(desktop, f"{base_url}search.html?q={query}")  # errors: see test_page
    results = "#search-results ul.search li a"
    found = """([want, sel]) => [...document.querySelectorAll(sel)]
                                    .some(a => new URL(a.href).pathname === want)"""
    try:  # Sphinx's searchtools.js fills the results asynchronously
        page.wait_for_function(found, arg=[expected, results], timeout=15_000)
    except Exception:
        hrefs = page.eval_on_selector_all(results, "els => els.map(a => a.href)")
        summary = page.locator("#search-results").inner_text()[:300]
        pytest.fail(
            f"search for {query!r} lists no link to {expected}; results:{listing(hrefs)}\n"
            f"#search-results text: {summary!r}"
        )


def test_area_page_layout_phone_and_desktop(base_url, phone, desktop):
    ARTIFACTS.mkdir(exist_ok=True)
    path = AREA_DIR + "noerrebro.html"
    for name, context in (("phone", phone), ("desktop", desktop)):
        page, _ = open_page(context, base_url + path)
        page.screenshot(path=str(ARTIFACTS / f"noerrebro-{name}.png"), full_page=True)
        if name == "phone":
            width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1] + 1, (
                f"{path} overflows horizontally at phone width: scrollWidth {width[0]} > "
                f"innerWidth {width[1]}; wide tables belong in div.tabel-wrap. Sticking out:"
                f"{listing(overflowing_elements(page))}"
            )


@pytest.mark.parametrize("path", AXE_PAGES, ids=AXE_PAGES)
def test_accessibility(path, base_url, desktop):
    page, _ = open_page(desktop, base_url + path)
    violations = run_axe(page)
    assert not violations, f"{path}: axe WCAG 2 A/AA violations:\n{describe_violations(violations)}"


def test_compare_page_keeps_the_choice_in_the_url_and_matches_the_area_pages(base_url, phone):
    page, problems = open_page(phone, base_url + "book/sammenlign.html?a=noerrebro&b=kbh")
    page.wait_for_selector("#sammenlign-resultat table")
    assert page.locator("#valg-a").input_value() == "noerrebro"
    cells = page.locator("#sammenlign-resultat tbody tr").first.locator("td").all_inner_texts()
    area, _ = open_page(phone, base_url + AREA_DIR + "noerrebro.html")
    key_row = area.locator("table.tabel tbody tr").first.locator("td").all_inner_texts()
    # the same indicator, year and share as the first row of the area page's key figures
    assert cells[:3] == key_row[:3], (cells, key_row)
    page.select_option("#valg-b", "amager-sundby")
    assert "b=amager-sundby" in page.url
    assert "Amager/Sundby" in page.locator("#sammenlign-resultat caption").inner_text()
    rows = page.locator("#sammenlign-resultat tbody tr").count()
    assert page.locator("figure.sammenlign-figur svg").count() == rows == 3 and not problems


def test_interactive_map_on_a_phone(base_url, phone):
    page, problems = open_page(phone, base_url + AREA_DIR + "noerrebro.html")
    page.wait_for_selector("div.kort svg .kort-rode")
    page.locator(".kort-rode.i-omraade").first.click()
    info = page.locator(".kort-info").inner_text()
    assert "i det udsatte byområde Nørrebro" in info and "%" in info, info
    page.select_option(".kort-styring select", "low_income")
    page.locator(".kort-rode.i-omraade").first.click()
    assert "Lav indkomst" in page.locator(".kort-info").inner_text()
    page.fill(".kort-styring input", "Mjølnerparken")
    page.dispatch_event(".kort-styring input", "change")
    assert "Mjølnerparken (almen boligafdeling)" in page.locator(".kort-soeg").inner_text()
    box = page.locator("div.kort svg").bounding_box()
    assert box and box["width"] <= PHONE["viewport"]["width"] and not problems
