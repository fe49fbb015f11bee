"""The escaping policy: every string from a plan or a data file is escaped exactly once, by the
function of the context it enters.

- MyST Markdown (display.md, revision notes): :func:`escape`.
- HTML table cells and captions: ``html.escape`` in display.table (the package's own badges are
  the only cells passed as HTML).
- The planners' own text: rendered and sanitized by analysis.planner_text, never parsed by MyST.
- Figure alt text (a MyST directive option, escaped by Sphinx): :func:`option`.
- The map and compare data: JSON, shown by the scripts as text (textContent), never as HTML.
- The council PDF's cover and the review report: ``html.escape`` where they are written.
"""

from __future__ import annotations

import html

# Characters that start MyST's roles, substitutions, directives, links, emphasis, tables and math.
_MYST = str.maketrans({c: f"&#{ord(c)};" for c in "{}`*_[]|$\\:#"})


def escape(text: object) -> str:
    """A plain string as literal text in MyST Markdown: HTML-escaped, with the characters of
    MyST's syntax as entities and line breaks as spaces (so it cannot start a block)."""
    return html.escape(" ".join(str(text).split()), quote=False).translate(_MYST)


def option(text: object) -> str:
    """A plain string as the value of a directive option (one line, no ':' that starts a field)."""
    return " ".join(str(text).split()).replace(":", " –")
