"""Rule parameters in the static pages: a Sphinx extension that fills ``{{ name }}`` in book/*.md.

MyST's own substitutions render every ``{{ … }}`` on every page with Jinja2, which would run code
written in a plan or a data file. This extension replaces only ``{{ name }}`` with a plain name, and
only in the static pages the repository holds (analysis.book.STATIC_PAGES); the values
(``udsatte_values``, set by analysis.build.write_config) are the rule parameters and the data's
coverage. Elsewhere ``{{`` is text. An unknown name stops the build.
"""

from __future__ import annotations

import re

from sphinx.errors import ExtensionError

from .book import STATIC_PAGES

PLACEHOLDER = re.compile(r"\{\{ *([a-z_]+) *\}\}")


def fill(text: str, values: dict[str, str], docname: str) -> str:
    """The page's text with every {{ name }} replaced by its value."""

    def value(m: re.Match) -> str:
        if m.group(1) not in values:
            raise ExtensionError(f"{docname}: unknown placeholder {m.group(0)}; known: {', '.join(sorted(values))}")
        return values[m.group(1)]

    return PLACEHOLDER.sub(value, text)


def _source_read(app, docname: str, source: list[str]) -> None:
    if docname in STATIC_PAGES:
        source[0] = fill(source[0], app.config.udsatte_values, docname)


def setup(app):
    app.add_config_value("udsatte_values", {}, "env")
    app.connect("source-read", _source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
