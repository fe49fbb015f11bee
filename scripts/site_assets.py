"""Make the site's derived static files in book/_static (run by hand; the output is committed).

    python3 -m uv run --frozen --with brotli python scripts/site_assets.py

- vendor/fontawesome/webfonts/fa-solid-900.{woff2,ttf}: a subset of the Font Awesome webfont that
  pydata-sphinx-theme ships (SIL OFL 1.1), with only the glyphs the themes can show: every `fa-*`
  icon named in the themes' templates, scripts and Python code and in book/_templates, and every
  icon their stylesheets put in `content:` (admonitions, external links, the page contents).
  Sphinx copies html_static_path after the theme's static files, so these replace the theme's
  156 kB font under the same name. The theme's SVG script (fontawesome.js, 1.5 MB) is not loaded
  at all (book/_templates/layout.html).
- favicon.png: favicon.svg drawn by Chromium at 180 × 180 px, the PNG fallback and the
  apple-touch-icon.

Run it again after upgrading pydata-sphinx-theme or sphinx-book-theme, or after using a new icon
in book/_templates. tests/test_site.py checks that every icon on the built pages is in the subset.
"""

from __future__ import annotations

import re
from pathlib import Path

import pydata_sphinx_theme
import sphinx_book_theme

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "book" / "_static"
PST = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
SBT = Path(sphinx_book_theme.__file__).parent
FONT_DIR = "vendor/fontawesome/webfonts"
FONT = "fa-solid-900"
ICON_NAME = re.compile(r"\bfa-[a-z0-9]+(?:-[a-z0-9]+)*")
PRIVATE_USE = re.compile(r"\\(f[0-9a-f]{3})|([\uf000-\uf8ff])")


def icon_codepoints(css: str) -> dict[str, int]:
    """Font Awesome's class map in the theme's stylesheet: icon class -> codepoint."""
    icons = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        content = PRIVATE_USE.search(body) if "content:" in body else None
        if not content:
            continue
        codepoint = int(content[1], 16) if content[1] else ord(content[2])
        for selector in selectors.split(","):
            match = re.fullmatch(r"\s*\.(fa-[a-z0-9-]+):{1,2}before\s*", selector)
            if match:
                icons[match[1]] = codepoint
    return icons


def stylesheet_codepoints(css: str) -> set[int]:
    """Codepoints the stylesheets show by themselves, outside Font Awesome's own class map."""
    found = set()
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        if all(s.strip().startswith(".fa") for s in selectors.split(",")):
            continue
        found |= {int(h, 16) if h else ord(c) for h, c in PRIVATE_USE.findall(body)}
    return found


def used_icon_names() -> set[str]:
    sources = [p for d in (PST, SBT, ROOT / "book" / "_templates") for p in d.rglob("*")]
    sources = [p for p in sources if p.suffix in {".html", ".py"} or p.name.endswith("theme.js")]
    return {name for p in sources for name in ICON_NAME.findall(p.read_text(encoding="utf-8", errors="ignore"))}


def glyphs() -> set[int]:
    pst_css = (PST / "static" / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    sbt_css = (SBT / "theme" / "sphinx_book_theme" / "static" / "styles" / "sphinx-book-theme.css").read_text(
        encoding="utf-8"
    )
    class_map = icon_codepoints(pst_css)
    return {class_map[n] for n in used_icon_names() if n in class_map} | stylesheet_codepoints(pst_css + sbt_css)


def subset_font(codepoints: set[int]) -> None:
    from fontTools import subset

    out = STATIC / FONT_DIR
    out.mkdir(parents=True, exist_ok=True)
    for flavor, suffix in ((None, "ttf"), ("woff2", "woff2")):
        options = subset.Options()
        options.flavor = flavor
        options.name_IDs = ["*"]  # keep the copyright and licence records (OFL)
        options.name_languages = ["*"]
        options.notdef_outline = True
        font = subset.load_font(str(PST / "static" / FONT_DIR / f"{FONT}.ttf"), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(codepoints))
        subsetter.subset(font)
        target = out / f"{FONT}.{suffix}"
        subset.save_font(font, str(target), options)
        print(f"{FONT_DIR}/{target.name}: {len(codepoints)} glyphs, {target.stat().st_size} bytes")


def favicon_png() -> None:
    from playwright.sync_api import sync_playwright

    svg = (STATIC / "favicon.svg").read_text(encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 180, "height": 180})
        page.set_content(f"<style>html,body{{margin:0}}svg{{display:block;width:180px;height:180px}}</style>{svg}")
        page.screenshot(path=str(STATIC / "favicon.png"), omit_background=True)
        browser.close()
    print(f"favicon.png: {(STATIC / 'favicon.png').stat().st_size} bytes")


if __name__ == "__main__":
    codepoints = glyphs()
    print("glyphs:", " ".join(f"{c:04x}" for c in sorted(codepoints)))
    subset_font(codepoints)
    favicon_png()
