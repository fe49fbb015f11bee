"""Measure what readers on a slow phone connection wait for, and write docs/page-performance.md.

Serves the built site (_build/html; run `make book` first) on localhost and opens the landing page,
one area page and the comparison page in headless Chromium at 390 px, each in a new browser context
with the cache disabled (a cold cache), under Lighthouse's slow-4G profile set through the Chrome
DevTools Protocol: 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up
(Network.emulateNetworkConditions) and a 4× slower CPU (Emulation.setCPUThrottlingRate).

Each page is measured from two servers: a plain one that sends every file uncompressed, and one
that gzips text files as ordinary web hosts do (GitHub Pages, nginx, Apache). Reported per page and
server, the median of RUNS runs: requests, bytes (uncompressed) and bytes transferred until the
network is idle, the load event, and the Largest Contentful Paint (PerformanceObserver
'largest-contentful-paint') with the element it painted.

    .venv/bin/python scripts/measure_pages.py     # or: make measure
"""

from __future__ import annotations

import functools
import gzip
import http.server
import socketserver
import sys
import threading
import time
from pathlib import Path

from benchmark import machine  # scripts/benchmark.py: the same machine line as the build benchmarks

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
OUT = ROOT / "docs" / "page-performance.md"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package, as the browser tests; else Playwright's own
PAGES = {
    "Forside": "book/chapters/forside.html",
    "Områdeside (Nørrebro)": "book/chapters/omraader/noerrebro.html",
    "Sammenlign områderne": "book/sammenlign.html",
}
RUNS = 3
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SLOW_4G = {  # Lighthouse's mobile slow-4G profile
    "offline": False,
    "latency": 150,  # ms round trip
    "downloadThroughput": 1.6 * 1024 * 1024 / 8,  # bytes/s
    "uploadThroughput": 750 * 1024 / 8,
}
CPU_SLOWDOWN = 4
COLUMNS = [
    "Page",
    "Server",
    "Requests",
    "KiB (uncompressed)",
    "KiB transferred",
    "Render-blocking KiB",
    "Load event (s)",
]
COLUMNS += ["LCP (s)", "LCP element"]
HEADER = "| " + " | ".join(COLUMNS) + " |\n" + "|---" * len(COLUMNS) + "|"
LCP_GOOD_S = 2.5  # "good" LCP (web.dev)
COMPRESSED = {".html", ".css", ".js", ".json", ".svg", ".csv", ".geojson", ".txt"}

# Records the latest largest-contentful-paint candidate and the element it painted.
LCP_OBSERVER = """
window.__lcp = null;
new PerformanceObserver(list => {
  for (const e of list.getEntries()) {
    const el = e.element;
    const what = !el ? '(removed)' : el.tagName.toLowerCase()
      + (el.id ? '#' + el.id : '')
      + (el.currentSrc ? ' ' + el.currentSrc.split('/').pop()
                       : ' "' + (el.textContent || '').trim().slice(0, 40) + '"');
    window.__lcp = {time: e.startTime, size: e.size, element: what};
  }
}).observe({type: 'largest-contentful-paint', buffered: true});
"""


# The page and every file that holds up its first paint (stylesheets, scripts without defer), with
# their uncompressed sizes (Resource Timing's renderBlockingStatus).
BLOCKING = """() => {
  const name = e => e.name.split('/').pop().split('?')[0];
  const doc = performance.getEntriesByType('navigation')[0];
  return [[name(doc), doc.decodedBodySize]].concat(performance.getEntriesByType('resource')
    .filter(r => r.renderBlockingStatus === 'blocking').map(r => [name(r), r.decodedBodySize]));
}"""


class _Plain(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Gzip(_Plain):
    """Text files gzipped (level 6, as nginx and most hosts) when the browser accepts it."""

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.suffix not in COMPRESSED or not path.is_file() or "gzip" not in self.headers.get("Accept-Encoding", ""):
            return super().do_GET()
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


SERVERS = {"plain": _Plain, "gzip": _Gzip}


def serve(folder: Path, handler) -> tuple[socketserver.TCPServer, str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def measure(browser, url: str) -> dict:
    """One cold, throttled page view: requests, bytes, load event and LCP."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    wire: dict[str, float] = {}
    body: dict[str, int] = {}
    cdp.on("Network.loadingFinished", lambda e: wire.__setitem__(e["requestId"], e["encodedDataLength"]))
    cdp.on(
        "Network.dataReceived",
        lambda e: body.__setitem__(e["requestId"], body.get(e["requestId"], 0) + e["dataLength"]),
    )
    page.add_init_script(LCP_OBSERVER)
    page.goto(url, wait_until="load", timeout=120_000)
    page.wait_for_load_state("networkidle", timeout=120_000)
    load = page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd")
    lcp = page.evaluate("() => window.__lcp")
    blocking = page.evaluate(BLOCKING)
    context.close()
    return {
        "requests": len(wire),
        "bytes": sum(body.values()),
        "transferred": sum(wire.values()),
        "load": load / 1000,
        "lcp": lcp["time"] / 1000 if lcp else float("nan"),
        "element": lcp["element"] if lcp else "–",
        "blocking": sum(size for _, size in blocking),
        "largest_blocking": max(blocking, key=lambda b: b[1]),
    }


def median_run(runs: list[dict]) -> dict:
    """The run with the median LCP (its element and numbers belong together), with every run's LCP."""
    ordered = sorted(runs, key=lambda r: r["lcp"])
    return {**ordered[len(ordered) // 2], "all_lcp": [r["lcp"] for r in runs]}


def kib(n: float) -> str:
    return f"{n / 1024:,.0f}"


def seconds(x: float) -> str:
    return f"{x:.1f}"


def report(results: dict[tuple[str, str], dict], browser_version: str) -> str:
    rows = "\n".join(
        f"| {page} | {server} | {r['requests']} | {kib(r['bytes'])} | {kib(r['transferred'])} | {kib(r['blocking'])} | "
        f"{seconds(r['load'])} | "
        f"**{seconds(r['lcp'])}** | `{r['element']}` |"
        for (page, server), r in results.items()
    )
    spread = "; ".join(
        f"{page} ({server}): {', '.join(seconds(x) for x in r['all_lcp'])}" for (page, server), r in results.items()
    )
    name, size = max((r["largest_blocking"] for r in results.values()), key=lambda b: b[1])
    largest = f"`{name}` ({kib(size)} KiB)"
    return f"""# Page performance on a slow phone connection

Measured by `scripts/measure_pages.py` (`make measure`) on {time.strftime("%Y-%m-%d")}: {machine()},
Chromium {browser_version}, headless. The built site is served from localhost; each page is opened at
390 px (device pixel ratio 2) in a new browser context with the cache disabled, under Lighthouse's
slow-4G profile (150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up, through the DevTools Protocol) and
a {CPU_SLOWDOWN}× slower CPU. Median of {RUNS} runs (the run with the median LCP). This is a shared
virtual machine, so times vary between runs.

Two servers: *plain* sends every file as it is; *gzip* compresses text files (HTML, CSS,
JavaScript, JSON, SVG, CSV) as ordinary web hosts do. Images are sent as they are by both.

{HEADER}
{rows}

Bytes and requests: every response until the network is idle after the load event (the charts load
lazily, when the reader scrolls near them, and are not counted); transferred includes headers.
Render-blocking: the page and the stylesheets and scripts the browser must have before it draws
anything, uncompressed; the largest is {largest}. LCP:
the Largest Contentful Paint, when the largest image or text block of the first screen is drawn;
{seconds(LCP_GOOD_S)} s or less counts as good. LCP of every run (s): {spread}.
"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    if not (SITE / "index.html").is_file():
        sys.exit(f"error: {SITE / 'index.html'} does not exist: run `make book` first")
    results = {}
    with sync_playwright() as pw:
        executable = {"executable_path": str(CHROMIUM)} if CHROMIUM.is_file() else {}
        browser = pw.chromium.launch(args=["--no-sandbox", "--disable-gpu", "--disable-quic"], **executable)
        for server_name, handler in SERVERS.items():
            server, base = serve(SITE.resolve(), handler)
            try:
                for page, path in PAGES.items():
                    r = results[page, server_name] = median_run([measure(browser, base + path) for _ in range(RUNS)])
                    print(
                        f"{page} ({server_name}): {r['requests']} requests, {kib(r['bytes'])} KiB, "
                        f"{kib(r['transferred'])} KiB transferred, load {seconds(r['load'])} s, "
                        f"LCP {seconds(r['lcp'])} s ({r['element']})"
                    )
            finally:
                server.shutdown()
                server.server_close()
        version = browser.version
        browser.close()
    ordered = dict(sorted(results.items(), key=lambda kv: list(PAGES).index(kv[0][0])))
    OUT.write_text(report(ordered, version), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
