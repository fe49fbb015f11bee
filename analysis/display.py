"""Display helpers for the chapters: Markdown, escaped HTML tables, saved figures, download links."""

from __future__ import annotations

import functools
import html
import json
import os
import shutil

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from PIL import Image

from . import outputs, paths, wording
from .cache import code_digest, digest_text
from .markup import escape, option

__all__ = ["HTML", "escape"]  # re-exported for the pages: raw HTML built here, MyST escaping (analysis.markup)

FIGURES = paths.FIGURES_DIR
FIGURE_CACHE = paths.CACHE / "figures"
PNG_LEVEL = 3  # zlib compression of the chart PNGs (save_png)
_code = functools.cache(code_digest)  # once per kernel and build (analysis.forget_caches)


def md(text: str) -> Markdown:
    return Markdown(text)


def figure_key(fig) -> str:
    """What a figure shows: the numbers it plots (``fig.data``), its texts, the prepared data's
    version and the code that draws it (with matplotlib's version). Anything a plan adds to a
    chart is in its numbers or texts; the rest follows from the data and the code."""
    texts = [t.get_text() for t in fig.findobj(Text)]
    data = fig.data.to_csv(index=False)
    raw = (paths.DERIVED / ".raw").read_text() if (paths.DERIVED / ".raw").is_file() else ""
    return digest_text(_code(), raw, matplotlib.__version__, data, json.dumps(texts, ensure_ascii=False))


def save_png(fig, name: str) -> None:
    """The figure as FIGURES/<name>.png (stable bytes: no timestamp metadata). Drawing costs about
    0.2 s a chart: a figure that shows what it showed before is copied from .cache/figures.

    The pixels are those of savefig, but the layout is computed once (savefig draws a figure
    twice), an opaque chart (all are) is written without an alpha channel, which makes the files a
    tenth smaller and the council PDFs faster to render (WeasyPrint would split it off into a mask),
    and zlib level 3 compresses 40 % faster than the default 6, for 1 % more bytes."""
    cached = FIGURE_CACHE / f"{name}-{figure_key(fig)[:16]}.png"
    if not cached.is_file():
        FIGURE_CACHE.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        if (engine := fig.get_layout_engine()) is not None:
            engine.execute(fig)
            fig.set_layout_engine("none")
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba())
        if (pixels[..., 3] == 255).all():
            pixels = pixels[..., :3]
        Image.fromarray(pixels).save(tmp, format="png", dpi=(fig.dpi, fig.dpi), compress_level=PNG_LEVEL)
        os.replace(tmp, cached)
        for old in FIGURE_CACHE.glob(f"{name}-{'?' * 16}.png"):
            if old != cached:
                old.unlink(missing_ok=True)
    shutil.copyfile(cached, FIGURES / f"{name}.png")


def figure(fig, name: str, alt: str, caption: str) -> Markdown:
    """Save a figure as PNG (save_png) and the numbers it plots (``fig.data``) as CSV beside it;
    return a MyST figure whose caption ends with the chart's source (``fig.source``), followed by
    a link to the data. The image keeps its own width on wide screens and shrinks to the column on
    phones; it loads when the reader scrolls near it (lazy), so on a slow connection the charts do
    not hold up the text and styles of the first screen."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    save_png(fig, name)
    outputs.figure_csv(fig.data, FIGURES / f"{name}.csv")
    plt.close(fig)
    alt = option(alt)
    source = getattr(fig, "source", "")
    return Markdown(
        f":::{{figure}} /book/chapters/figures/{name}.png\n:alt: {alt}\n:name: fig-{name}\n:loading: lazy\n\n"
        f"{caption} {source}\n\n"
        f"[{wording.FIGURE_DATA}](/book/chapters/figures/{name}.csv)\n:::\n"
    )


def table(df: pd.DataFrame, caption: str | None = None, html_columns: tuple[str, ...] = ()) -> HTML:
    """A scrollable HTML table; every cell is escaped except those in html_columns (built by the
    package, e.g. status badges). On phones each row becomes a card (udsatte.css), labelled by
    its column names."""
    cols = list(df.columns)
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in cols)

    def cell(c, v):
        value = v if c in html_columns else html.escape(str(v))
        return f'<td data-label="{html.escape(str(c))}">{value}</td>'

    rows = "".join(
        "<tr>" + "".join(cell(c, v) for c, v in zip(cols, r, strict=True)) + "</tr>" for r in df.itertuples(index=False)
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return HTML(
        f'<div class="tabel-wrap" tabindex="0" role="region" aria-label="{html.escape(caption or "Tabel")}">'
        f'<table class="tabel">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def interactive_map(depth: int, label: str, focus: str = "") -> HTML:
    """The interactive map (book/_static/kort.js) on a page `depth` folders below the site root."""
    src = "../" * depth + "data/kort.json"
    return HTML(
        f'<div class="kort" data-src="{src}" data-focus="{html.escape(focus)}" data-label="{html.escape(label)}">'
        "<noscript>Det interaktive kort kræver JavaScript; de samme tal står i tabellerne og i "
        "downloadfilerne.</noscript></div>"
    )


def downloads(slug: str | None, depth: int) -> str:
    """HTML links to the open-data files in the site's /data folder, relative to a page `depth`
    folders below the site root (so the links work wherever the site is hosted)."""
    up = "../" * depth
    links = []
    if slug:
        links += [(f"omraader/{slug}.csv", "Områdets tal (CSV)"), (f"omraader/{slug}.xlsx", "Områdets tal (Excel)")]
    links += [
        ("indicators.csv", "Alle indikatorer (CSV)"),
        ("areas.geojson", "Områdegrænser (GeoJSON)"),
        ("area_members.csv", "Roder i områderne (CSV)"),
        ("ordbog.csv", "Dataordbog (CSV)"),
    ]
    items = " · ".join(f'<a href="{up}data/{f}" download>{t}</a>' for f, t in links)
    return f'<span class="downloads">Hent data: {items}</span>'


def pdf_link(slug: str, depth: int) -> HTML:
    """The link to the area's council PDF (made by analysis.council_pdf after the book is built),
    relative to a page `depth` folders below the site root."""
    href = "../" * depth + f"{paths.PDF_FOLDER}/{slug}.pdf"
    return HTML(
        f'<p class="pdf-link"><a href="{href}" type="application/pdf">Hent planen som PDF (A4, til byrådet)</a></p>'
    )
