"""nbval on the generated chapters: a failure shows the chapter, the cell and a plain-text diff.

nbval compares each re-executed cell's outputs with the stored ones. Its default report of a
mismatch is a truncated repr of raw HTML; here an HTML or Markdown output is compared as text, line
by line, stored output (-) above re-executed output (+). Volatile outputs are sanitised in
book/nbval-sanitize.cfg (the one place for such rules), passed by `make test`.
"""

from __future__ import annotations

import difflib
import html
import re

_BREAKS = re.compile(r"<(?:/tr|/p|br|/h\d|/li|/caption|/figcaption)[^>]*>", re.IGNORECASE)


def as_text(value: str) -> list[str]:
    """An HTML or Markdown output as plain-text lines (tags dropped, entities resolved)."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", _BREAKS.sub("\n", value)))
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def pytest_assertrepr_compare(config, op, left, right):
    if op != "==" or not (isinstance(left, str) and isinstance(right, str)):
        return None
    diff = list(difflib.unified_diff(as_text(left), as_text(right), "stored", "re-executed", lineterm="", n=1))
    return ["stored output (-) and re-executed output (+) differ as text:", *diff[2:]] if diff else None
