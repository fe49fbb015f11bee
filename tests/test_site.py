"""Browser tests of the built site (_build/html) in headless Chromium.

Run after `make book`:  .venv/bin/python -m pytest tests/test_site.py -q -x -p no:cacheprovider

Every page reachable from index.html (plus the sidebar nav) is opened once and checked for
console/page/request errors, broken internal links, broken or unlabelled images and lang="da",
and again for axe-core (WCAG 2.1 A/AA, no rule excluded) at desktop and phone width and for its
weight with a cold cache. Area pages, the open data, the search page, the menu at phone and
desktop width, the page metadata and the theme's labels get their own tests. Screenshots of the
landing page and an area page land in test-artifacts/ (gitignored), with a table of page weights.
"""

from __future__ import annotations

import csv
import functools
import http.server
import importlib.util
import io
import json
import re
import shutil
import socketserver
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

from analysis.outputs import INDICATOR_COLUMNS

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
DESKTOP = {"viewport": {"width": 1400, "height": 900}}
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
SEARCHES = {"Tingbjerg": AREA_DIR + "husum-tingbjerg.html", "Nørrebro": AREA_DIR + "noerrebro.html"}
PAGE_TYPES = [  # one page of each page type
    "book/chapters/forside.html",
    "book/chapters/tal.html",
    "book/chapters/boelge-2012.html",
    AREA_DIR + "noerrebro.html",
    "book/chapters/maal.html",
    "book/chapters/data.html",
    "book/metode.html",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]  # every rule with these tags, any impact
MAX_PAGE_BYTES = 1_500_000  # everything a page loads with a cold cache, uncompressed
LANDING = "book/chapters/forside.html"
# Labels the themes show in English unless book/_templates or book/locales give a Danish one.
ENGLISH_LABELS = [
    "Toggle",
    "Search",
    "Color mode",
    "Light",
    "Dark",
    "System Settings",
    "Skip to main content",
    "Back to top",
    "previous page",
    "next page",
    "Download",
    "Fullscreen",
    "Contents",
    "On this page",
    "Link to this",
    "Site navigation",
    "Main",
    "Page",
]
# Chromium requests /favicon.ico by itself only when a page declares no icon; every page declares one.
IGNORED_REQUESTS: set[str] = set()


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


def is_redirect(html: str) -> bool:
    return re.search(r"http-equiv=[\"']refresh[\"']", html, re.IGNORECASE) is not None


PAGES = crawl_pages(SITE)
AREA_PAGES = [p for p in PAGES if p.startswith(AREA_DIR)]
# Pages readers see: all but Jupyter Book's index.html, a bare meta refresh to the landing page.
CONTENT_PAGES = [p for p in PAGES if not is_redirect((SITE / p).read_text(encoding="utf-8"))]


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


def load_lazy_images(page) -> None:
    """Load the images that wait until the reader scrolls near them (the charts: loading="lazy")."""
    page.eval_on_selector_all("img[loading=lazy]", "els => els.forEach(i => { i.loading = 'eager'; })")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => [...document.images].every(i => i.complete)")


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
    """Every WCAG 2.0/2.1 A/AA violation axe-core finds, whatever its impact; no rule excluded."""
    page.add_script_tag(content=axe_source())
    return page.evaluate(
        "async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations",
        AXE_TAGS,
    )


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
    for page in PAGE_TYPES + list(SEARCHES.values()):
        assert page in PAGES, f"{page} is not reachable from index.html"


@pytest.mark.parametrize("path", PAGES, ids=PAGES)
def test_page(path, base_url, desktop, fetch):
    page, problems = open_page(desktop, base_url + path)
    lang = page.eval_on_selector("html", "h => h.getAttribute('lang')")
    if lang != "da":
        problems.append(f'<html lang="{lang}">, expected lang="da"')
    load_lazy_images(page)
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


LAYOUT_PAGES = {"forside": LANDING, "noerrebro": AREA_DIR + "noerrebro.html"}


@pytest.mark.parametrize("name", LAYOUT_PAGES)
def test_screenshots_phone_and_desktop(name, base_url, phone, desktop):
    """Full-page screenshots at 390 and 1400 px: test-artifacts/<name>-phone.png, -desktop.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    for size, context in (("phone", phone), ("desktop", desktop)):
        page, _ = open_page(context, base_url + LAYOUT_PAGES[name])
        load_lazy_images(page)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{size}.png"), full_page=True)


PHONE_PAGES = [*CONTENT_PAGES, "search.html?q=Nørrebro"]  # search results quote table cells


@pytest.mark.parametrize("path", PHONE_PAGES, ids=PHONE_PAGES)
def test_page_fits_a_phone(path, base_url, phone):
    """Nothing pushes the page sideways at 390 px."""
    page, _ = open_page(phone, base_url + path)
    if "?q=" in path:
        page.wait_for_selector("#search-results ul.search li")
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] + 1, (
        f"{path} overflows horizontally at phone width: scrollWidth {width[0]} > "
        f"innerWidth {width[1]}; wide tables belong in div.tabel-wrap. Sticking out:"
        f"{listing(overflowing_elements(page))}"
    )


@pytest.mark.parametrize("path", CONTENT_PAGES, ids=CONTENT_PAGES)
def test_table_cards_hold_their_text_on_a_phone(path, base_url, phone):
    """At 390 px each table row is a card (udsatte.css): no word or badge sticks out of it, however
    long ("københavnergennemsnittet")."""
    page, _ = open_page(phone, base_url + path)
    out = page.evaluate("""() => {
        const out = [];
        for (const card of document.querySelectorAll('table.tabel tr')) {
            const edge = card.getBoundingClientRect().right;
            for (const el of card.querySelectorAll('td, td *')) {
                const r = el.getBoundingClientRect();
                if (r.width && (r.right > edge + 1 || el.scrollWidth > el.clientWidth + 1))
                    out.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}"`);
            }
        }
        return out.slice(0, 8);
    }""")
    assert not out, f"{path}: text sticks out of its table card at 390 px:{listing(out)}"


MENU_BUTTON = "Vis eller skjul navigationen"  # book/_templates/toggle-primary-sidebar.html
WAVE_EXPANDER = "Undersider til Første bølge: udviklingsplaner 2012"  # book/_templates/sbt-sidebar-nav.html


def visible_menu_buttons(page) -> int:
    return sum(b.is_visible() for b in page.locator(".primary-toggle").all())


def test_menu_on_a_phone(base_url, phone):
    """Below 992 px the sidebar is a dialog behind the menu button: open it, expand the first
    wave, follow the link to Nørrebro, find the menu closed there, open it again, close it."""
    page, problems = open_page(phone, base_url + LANDING)
    menu = page.locator("#pst-primary-sidebar-modal")
    assert visible_menu_buttons(page) == 1, f"{visible_menu_buttons(page)} visible menu buttons, expected 1"
    assert not menu.is_visible() and not page.locator("#pst-primary-sidebar").is_visible()

    page.get_by_role("button", name=MENU_BUTTON).click()
    menu.wait_for(state="visible")
    menu.get_by_label(WAVE_EXPANDER).locator(".toctree-toggle").click()  # the summary's visible chevron
    menu.get_by_role("link", name="Nørrebro", exact=True).click()
    page.wait_for_url("**/" + AREA_DIR + "noerrebro.html")
    page.wait_for_load_state("networkidle")
    assert section_headings(page)[:1] == ["Kort fortalt"], f"not the Nørrebro page: {section_headings(page)}"
    assert not menu.is_visible(), "the menu is still open on the page it led to"

    page.get_by_role("button", name=MENU_BUTTON).click()
    menu.wait_for(state="visible")
    current = menu.locator("a.current").all_inner_texts()
    assert current == ["Nørrebro"], f"menu marks {current} as the current page, expected Nørrebro"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "noerrebro-phone-menu.png"))
    page.keyboard.press("Escape")
    menu.wait_for(state="hidden")
    assert not problems, f"menu on a phone:{listing(problems)}"


def test_menu_on_a_desktop(base_url, desktop):
    """At 1400 px the sidebar is visible beside the page; the menu button hides and shows it."""
    page, problems = open_page(desktop, base_url + AREA_DIR + "noerrebro.html")
    sidebar = page.locator("#pst-primary-sidebar")
    assert sidebar.is_visible(), "the sidebar is hidden at desktop width"
    assert sidebar.get_by_role("link", name="Nørrebro", exact=True).is_visible()
    assert visible_menu_buttons(page) == 1, f"{visible_menu_buttons(page)} visible menu buttons, expected 1"
    button = page.get_by_role("button", name=MENU_BUTTON)
    button.click()
    sidebar.wait_for(state="hidden")
    button.click()
    sidebar.wait_for(state="visible")
    sidebar.get_by_role("link", name="Husum/Tingbjerg", exact=True).click()
    page.wait_for_url("**/" + AREA_DIR + "husum-tingbjerg.html")
    assert page.locator("#pst-primary-sidebar").is_visible()
    assert not problems, f"menu on a desktop:{listing(problems)}"


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("path", CONTENT_PAGES, ids=CONTENT_PAGES)
def test_accessibility(path, size, base_url, request):
    page, _ = open_page(request.getfixturevalue(size), base_url + path)
    violations = run_axe(page)
    assert not violations, f"{path} ({size}): axe WCAG 2.1 A/AA violations:\n{describe_violations(violations)}"


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


@pytest.fixture(scope="module")
def weights():
    """Page weights measured by test_page_weight, written to test-artifacts/page-weights.tsv."""
    measured: dict[str, tuple[int, int]] = {}
    yield measured
    if measured:
        ARTIFACTS.mkdir(exist_ok=True)
        rows = [f"{p}\t{n}\t{b}" for p, (n, b) in sorted(measured.items())]
        (ARTIFACTS / "page-weights.tsv").write_text("page\trequests\tbytes\n" + "\n".join(rows) + "\n")


@pytest.mark.parametrize("path", CONTENT_PAGES, ids=CONTENT_PAGES)
def test_page_weight(path, base_url, desktop, weights):
    """Everything the page loads with a cold cache (a new browser context), scrolled to the end and
    with every lazy chart loaded, as uncompressed bytes: at most MAX_PAGE_BYTES."""
    page, responses = desktop.new_page(), []
    page.on("response", lambda response: responses.append(response))
    page.goto(base_url + path, wait_until="load")
    page.wait_for_load_state("networkidle")
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    load_lazy_images(page)
    sizes = sorted(((len(r.body()), r.url.removeprefix(base_url)) for r in responses), reverse=True)
    total = sum(size for size, _ in sizes)
    weights[path] = (len(sizes), total)
    assert total <= MAX_PAGE_BYTES, (
        f"{path} loads {total:,} bytes in {len(sizes)} requests (limit {MAX_PAGE_BYTES:,}); largest:"
        + listing(f"{size:,} {url}" for size, url in sizes[:8])
    )


class _HeadParser(HTMLParser):
    """<meta name|property> contents and <link rel="icon"|"apple-touch-icon"> targets."""

    def __init__(self):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.icons: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("name") or attrs.get("property")):
            self.meta.setdefault(attrs.get("name") or attrs.get("property"), attrs.get("content") or "")
        if tag == "link" and attrs.get("rel") in ("icon", "apple-touch-icon"):
            self.icons.append((attrs["rel"], attrs.get("href") or ""))


@pytest.mark.parametrize("path", CONTENT_PAGES, ids=CONTENT_PAGES)
def test_page_metadata(path, site_dir, base_url, fetch):
    """A description and Open Graph tags for search engines and link previews, and the favicon."""
    head = _HeadParser()
    head.feed((site_dir / path).read_text(encoding="utf-8"))
    description = head.meta.get("description", "")
    assert 40 <= len(description) <= 220, f"{path}: <meta name=description> is {description!r}"
    expected = {"og:description": description, "og:locale": "da_DK"}
    for key in ("og:title", "og:description", "og:type", "og:locale"):
        value = head.meta.get(key, "")
        assert value and value == expected.get(key, value), f"{path}: {key} is {value!r}"
    icons = {urljoin(base_url + path, href) for _, href in head.icons}
    assert {Path(urlsplit(u).path).suffix for u in icons} == {".svg", ".png"}, f"{path}: icons {head.icons}"
    for url in icons:
        status, body = fetch(url)
        assert status == 200 and (body[:4] == b"\x89PNG" or body.lstrip().startswith(b"<svg")), (
            f"{path}: icon {url} gave HTTP {status}, {body[:16]!r}"
        )


class _LabelParser(HTMLParser):
    """Labels a reader hears or sees on the theme's controls: accessible-name attributes, and
    the text inside <button> elements and the skip link."""

    def __init__(self):
        super().__init__()
        self.labels: list[str] = []
        self.inside = 0  # depth inside <button> or the skip link
        self.hrefs: list[str] = []
        self.classes: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.labels += [attrs[a] for a in ("aria-label", "title", "placeholder", "data-bs-title") if attrs.get(a)]
        self.classes.update((attrs.get("class") or "").split())
        if attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "button" or (tag == "div" and attrs.get("id") == "pst-skip-link") or self.inside:
            self.inside += 1

    def handle_endtag(self, tag):
        if self.inside:
            self.inside -= 1

    def handle_data(self, data):
        if self.inside and data.strip():
            self.labels.append(data.strip())


def test_theme_labels_are_danish(site_dir):
    """No English label on the theme's controls, no download menu for the source notebooks."""
    english = re.compile(r"\b(?:" + "|".join(map(re.escape, ENGLISH_LABELS)) + r")\b")
    problems = []
    for path in CONTENT_PAGES:
        parser = _LabelParser()
        parser.feed((site_dir / path).read_text(encoding="utf-8"))
        problems += [f"{path}: {label!r}" for label in sorted(set(parser.labels)) if english.search(label)]
        problems += [f"{path}: links to {h}" for h in parser.hrefs if h.split("#")[0].endswith((".ipynb", ".md"))]
        if "dropdown-download-buttons" in parser.classes:
            problems.append(f"{path}: the theme's download menu")
    assert not problems, "English theme labels or source downloads:" + listing(problems)


def test_icons_are_in_the_font_subset(site_dir):
    """Every Font Awesome icon on the pages has its glyph in the subset webfont that replaces the
    theme's (scripts/site_assets.py); a missing glyph would show as an empty box."""
    from fontTools.ttLib import TTFont

    spec = importlib.util.spec_from_file_location("site_assets", ROOT / "scripts" / "site_assets.py")
    site_assets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(site_assets)
    css = (site_dir / "_static" / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    codepoints = site_assets.icon_codepoints(css)
    names = set()
    for path in CONTENT_PAGES:
        parser = _LabelParser()
        parser.feed((site_dir / path).read_text(encoding="utf-8"))
        names |= {c for c in parser.classes if c in codepoints}
    assert names, "no Font Awesome icons found on the pages"
    font = site_dir / "_static" / "vendor" / "fontawesome" / "webfonts" / "fa-solid-900.ttf"
    cmap = TTFont(font).getBestCmap()
    missing = sorted(f"{n} (U+{codepoints[n]:04X})" for n in names if codepoints[n] not in cmap)
    assert not missing, f"icons without a glyph in {font.name}; run scripts/site_assets.py:{listing(missing)}"


def test_area_page_links_its_jargon_to_the_glossary(base_url, fetch):
    status, body = fetch(base_url + AREA_DIR + "noerrebro.html")
    links = set(re.findall(r'ordliste\.html#(term-[^"]+)"', body.decode("utf-8")))
    assert status == 200 and {"term-Rode", "term-SK-indeks", "term-Konfidensinterval"} <= links, links


def test_every_page_names_the_same_data_version(fetch, base_url):
    """The footer of every page and the text of every chapter name one data version: no mixed site."""
    versions = {}
    for path in CONTENT_PAGES:
        status, body = fetch(base_url + path)
        found = set(re.findall(r"dataversion ([0-9a-f]{12})", body.decode("utf-8")))
        assert status == 200 and found, f"{path}: no data version named"
        versions[path] = found
    assert len(set().union(*versions.values())) == 1, versions


# ---------------------------------------------------------------- the data behind each chart


class _FigureParser(HTMLParser):
    """For each <figure>: whether it holds an <img>, and the CSV files it links to."""

    def __init__(self):
        super().__init__()
        self.figures: list[dict] = []
        self.depth = 0  # nesting inside the current <figure>

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "figure":
            if not self.depth:
                self.figures.append({"id": attrs.get("id"), "img": False, "csv": []})
            self.depth += 1
        elif self.depth and tag == "img":
            self.figures[-1]["img"] = True
        elif self.depth and tag == "a" and (attrs.get("href") or "").endswith(".csv"):
            self.figures[-1]["csv"].append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "figure" and self.depth:
            self.depth -= 1


def chart_figures(html: str) -> list[dict]:
    parser = _FigureParser()
    parser.feed(html)
    return [f for f in parser.figures if f["img"]]


def read_csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


FIGURE_PAGES = [p for p in CONTENT_PAGES if chart_figures((SITE / p).read_text(encoding="utf-8"))]


def test_chart_pages_are_found():
    expected = {LANDING, "book/chapters/tal.html", "book/chapters/boelge-2012.html", *AREA_PAGES}
    assert expected <= set(FIGURE_PAGES), f"pages with charts:{listing(FIGURE_PAGES)}"


@pytest.mark.parametrize("path", FIGURE_PAGES, ids=FIGURE_PAGES)
def test_every_chart_links_its_data_as_csv(path, site_dir, base_url, fetch):
    """Each figure with an image links exactly one CSV, which downloads, parses, has a header
    row of named columns and at least one data row of the header's width."""
    problems = []
    for fig in chart_figures((site_dir / path).read_text(encoding="utf-8")):
        if len(fig["csv"]) != 1:
            problems.append(f"figure #{fig['id']}: {len(fig['csv'])} CSV links, expected 1")
            continue
        url = urljoin(base_url + path, fig["csv"][0])
        status, body = fetch(url)
        if status != 200 or not body:
            problems.append(f"figure #{fig['id']}: {url} gave HTTP {status}, {len(body)} bytes")
            continue
        header, *rows = read_csv_rows(body)
        if not all(h.strip() for h in header) or len(header) < 2:
            problems.append(f"figure #{fig['id']}: header {header}")
        if not rows or any(len(r) != len(header) for r in rows):
            problems.append(f"figure #{fig['id']}: {len(rows)} rows, widths {sorted({len(r) for r in rows})}")
    assert not problems, f"{path}:{listing(problems)}"


def figure_csv(fetch, base_url: str, path: str, figure_id: str) -> list[dict]:
    (fig,) = [f for f in chart_figures(fetch(base_url + path)[1].decode("utf-8")) if f["id"] == figure_id]
    header, *rows = read_csv_rows(fetch(urljoin(base_url + path, fig["csv"][0]))[1])
    return [dict(zip(header, r, strict=True)) for r in rows]


DERIVED = ROOT / ".cache" / "derived"


def test_trend_chart_data_equals_an_independent_pooling(base_url, fetch):
    """Nørrebro's trend CSV against the pooled shares worked out here from the roder's counts:
    area = Σ numerators / Σ denominators over its roder, rest = the other roder, city = all; and
    the area's 95 % interval by Wilson's formula on the rounded counts."""
    import math

    import pandas as pd

    obs = pd.read_csv(DERIVED / "obs_rode.csv", dtype={"unit_id": str}).dropna(subset=["numerator"])
    members = pd.read_csv(DERIVED / "area_members.csv")
    mine = set(members.loc[members["slug"] == "noerrebro", "rode_nr"].astype(str))
    groups = {"Området": obs["unit_id"].isin(mine), "Resten af byen": ~obs["unit_id"].isin(mine)}
    groups["Hele København"] = groups["Området"] | groups["Resten af byen"]
    titles = {
        "Lav/ingen uddannelse": "low_education",
        "Lav indkomst": "low_income",
        "Ikke-vestlig herkomst": "non_western",
    }
    rows = figure_csv(fetch, base_url, AREA_DIR + "noerrebro.html", "fig-noerrebro-udvikling")
    assert len(rows) >= 3 * 3 * 6, f"{len(rows)} rows"
    for row in rows:
        part = obs[groups[row["Gruppe"]] & (obs["indicator"] == titles[row["Indikator"]])]
        part = part[part["year"] == int(row["År"])]
        x, n = part["numerator"].sum(), part["denominator"].sum()
        assert float(row["Andel (%)"]) == pytest.approx(100 * x / n, abs=0.005), row
        if row["Gruppe"] != "Området":
            assert row["95 %-interval, nedre (%)"] == row["95 %-interval, øvre (%)"] == "", row
            continue
        x, n, z = round(x), round(n), 1.959963984540054
        p = x / n
        centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low, high = 100 * (centre - half) / (1 + z * z / n), 100 * (centre + half) / (1 + z * z / n)
        assert float(row["95 %-interval, nedre (%)"]) == pytest.approx(low, abs=0.005), row
        assert float(row["95 %-interval, øvre (%)"]) == pytest.approx(high, abs=0.005), row


def test_map_data_hides_what_the_map_hides(base_url, fetch):
    """The city's SØK map shows a class per rode and grey for a rode under the resident floor: its
    CSV gives the same class, never a number, and an empty cell with the reason for every rode
    under the floor in the baseline year (counted here from the roder's residents)."""
    import tomllib

    import pandas as pd

    floor = tomllib.loads((ROOT / "analysis" / "reference" / "method.toml").read_text())["disclosure"]["min_residents"]
    year = tomllib.loads((ROOT / "analysis" / "reference" / "areas.toml").read_text())["delineation"]["baseline_year"]
    obs = pd.read_csv(DERIVED / "obs_rode.csv", dtype={"unit_id": str})
    residents = obs[obs["year"] == year].drop_duplicates("unit_id").set_index("unit_id")["residents"]
    rows = figure_csv(fetch, base_url, "book/chapters/tal.html", "fig-tal-soek-kort")
    (column,) = [c for c in rows[0] if c.endswith("klasse (København = 100)")]
    classes = {"under 80", "80–100", "100–120", "120–150", "150–200", "200 og derover"}
    small = [r for r in rows if residents.get(r["Rodenummer"], 0) < floor]
    assert small, "the real data has roder under the floor, so the test can fail"
    for r in small:
        assert r[column] == "" and "beboere" in r["Bemærkning"], r
    for r in rows:
        assert r[column] in classes | {""}, r


# ---------------------------------------------------------------- glossary links


GLOSSARY_PAGE = "book/ordliste.html"
SKIPPED_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "a", "code", "pre", "script", "style", "noscript", "title"}
# raw HTML tables, the interactive map, the planners' own text (raw HTML from analysis.planner_text)
SKIPPED_CLASSES = {"tabel-wrap", "kort", "caption-number", "planners"}


class _ArticleText(HTMLParser):
    """Running text of the article (what analysis.glossary may link: no headings, links, code,
    raw tables or map), the glossary anchors it links to, and every element id."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.glossary_links: list[str] = []
        self.ids: dict[str, str] = {}
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped) of open elements inside <article>
        self.dt: str | None = None

    VOID = {"img", "br", "hr", "meta", "link", "input", "source", "wbr"}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids[attrs["id"]] = ""
            self.dt = attrs["id"] if tag == "dt" else None
        href = attrs.get("href") or ""
        if tag == "a" and "ordliste.html#" in href:
            self.glossary_links.append(href.split("#", 1)[1])
        if tag in self.VOID:
            return
        if tag == "article" or self.stack:
            skipped = bool(self.stack and self.stack[-1][1])
            skipped |= tag in SKIPPED_TAGS or bool(SKIPPED_CLASSES & set((attrs.get("class") or "").split()))
            self.stack.append((tag, skipped))

    def handle_endtag(self, tag):
        if tag == "dt":
            self.dt = None
        if tag in self.VOID or not self.stack:
            return
        while self.stack:  # close up to the matching tag (HTML may omit end tags)
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.dt:
            self.ids[self.dt] += data
        if self.stack and not self.stack[-1][1]:
            self.texts.append(data)


def article_text(html: str) -> _ArticleText:
    parser = _ArticleText()
    parser.feed(html)
    return parser


@functools.cache
def glossary_module():
    spec = importlib.util.spec_from_file_location("glossary", ROOT / "analysis" / "glossary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def glossary_anchors() -> dict[str, str]:
    """Glossary term -> the id of its definition on the glossary page."""
    parsed = article_text((SITE / GLOSSARY_PAGE).read_text(encoding="utf-8"))
    terms = {text.strip().rstrip("#").strip(): i for i, text in parsed.ids.items() if i.startswith("term-")}
    return {t.replace("’", "'"): i for t, i in terms.items()}  # Sphinx's smart quotes


def test_every_glossary_term_has_forms_and_a_definition():
    defined, forms = set(glossary_anchors()), set(glossary_module().FORMS)
    assert defined == forms, f"only in the glossary: {defined - forms}; only in FORMS: {forms - defined}"


GLOSSARY_USERS = [p for p in CONTENT_PAGES if p != GLOSSARY_PAGE]


@pytest.mark.parametrize("path", GLOSSARY_USERS, ids=GLOSSARY_USERS)
def test_glossary_terms_are_linked_where_used(path, site_dir):
    """Each glossary term that the page's running text uses is linked to its definition at least
    once, and every link to the glossary lands on a definition."""
    page = article_text((site_dir / path).read_text(encoding="utf-8"))
    anchors = glossary_anchors()
    used = glossary_module().first_occurrences(page.texts)
    unlinked = [f"{term} ({m.group(0)!r})" for term, (_, m) in used.items() if anchors[term] not in page.glossary_links]
    dangling = [a for a in page.glossary_links if a not in anchors.values()]
    assert not unlinked and not dangling, f"{path}: unlinked terms{listing(unlinked)}\nbroken links{listing(dangling)}"
