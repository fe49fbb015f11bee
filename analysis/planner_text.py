"""The planners' own text: Markdown with a safe profile, rendered to sanitized HTML.

Planner text comes from outside the code (``plans/<slug>.md``), so it never reaches MyST, where
directives, roles, substitutions (Jinja) and raw HTML are code. It is parsed here with
markdown-it-py's CommonMark profile with raw HTML off (raw HTML, directives and ``{{ … }}`` are
shown as the text they are), tables on and headings off (the chapter's own ``## `` headings are
split off by :func:`analysis.plans.sections`). The profile allows paragraphs, emphasis, lists,
tables, quotes, code, links to https and mailto addresses and to pages of the book, and images
from ``plans/billeder/``; :func:`problems` names anything else at ``plan check``. The HTML is then
cleaned by nh3 (the ammonia sanitizer) with an allowlist of tags, attributes and URL schemes, so a
parser bug cannot let markup through either.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nh3
from markdown_it import MarkdownIt

IMAGE_FOLDER = "billeder"  # plans/billeder/: the planners' images; published as <site>/billeder/
IMAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\.(png|jpe?g)$")
IMAGE_MAX_BYTES = 5_000_000
SCHEMES = ("https://", "mailto:")
BOOK_PAGE = re.compile(r"^/(book/[a-z0-9/_-]+)(#[A-Za-z0-9_-]+)?$")  # '/book/metode', '/book/chapters/maal#x'
TAGS = {"p", "em", "strong", "ul", "ol", "li", "blockquote", "code", "pre", "a", "img", "br", "hr"}
TAGS |= {"table", "thead", "tbody", "tr", "th", "td", "div"}
ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt", "loading"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}
ATTRIBUTES |= {"div": {"class"}, "p": {"class"}}  # the frame; markdown-it writes no class of its own
TITLE = "Planlæggernes vurdering"


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").disable(["heading", "lheading"])
    md.validateLink = lambda url: True  # every link becomes a token, so that problems() judges it
    return md


MD = _parser()


def _targets(text: str):
    """(line offset in the text, 'link' or 'image', target) of every link and image."""
    for token in MD.parse(text):
        for child in token.children or ():
            if child.type == "link_open":
                yield token.map[0], "link", child.attrGet("href") or ""
            elif child.type == "image":
                yield token.map[0], "image", child.attrGet("src") or ""


def problems(text: str, pages: set[str], images: Path) -> list[tuple[int, str]]:
    """(line offset in the text, what is wrong) for each link or image the profile does not allow.
    ``pages`` are the book's page names ('book/metode'); ``images`` is plans/billeder."""
    out = []
    for line, kind, target in _targets(text):
        if kind == "link":
            page = BOOK_PAGE.match(target)
            if target.startswith(SCHEMES) or (page and page.group(1) in pages):
                continue
            out.append(
                (
                    line,
                    f"link to {target!r}: links go to https:// or mailto: addresses or to a page of the book, "
                    "e.g. /book/metode",
                )
            )
        elif (problem := image_problem(target, images)) is not None:
            out.append((line, problem))
    return out


def image_problem(target: str, images: Path) -> str | None:
    """Why an image reference is not allowed, or None: a file directly in plans/billeder/, a PNG or
    JPEG of at most IMAGE_MAX_BYTES, not a symbolic link."""
    name = target.removeprefix(f"{IMAGE_FOLDER}/")
    if not target.startswith(f"{IMAGE_FOLDER}/") or not IMAGE_NAME.match(name):
        return f"image {target!r}: images are PNG or JPEG files in plans/{IMAGE_FOLDER}/, e.g. {IMAGE_FOLDER}/foto.jpg"
    path = images / name
    if images.is_symlink() or path.is_symlink() or not path.is_file():
        return f"image {target!r}: no such file in plans/{IMAGE_FOLDER}/ (symbolic links are not allowed)"
    if path.stat().st_size > IMAGE_MAX_BYTES:
        return f"image {target!r}: larger than {IMAGE_MAX_BYTES // 1_000_000} MB"
    return None


def image_names(text: str) -> list[str]:
    """The files of plans/billeder/ that a text shows."""
    return [t.removeprefix(f"{IMAGE_FOLDER}/") for _, kind, t in _targets(text) if kind == "image"]


def _link(url: str, depth: int) -> str:
    """A link's address on a page `depth` folders below the site root; '' if not allowed."""
    if url.startswith(SCHEMES):
        return url
    if page := BOOK_PAGE.match(url):
        return "../" * depth + page.group(1) + ".html" + (page.group(2) or "")
    if url.startswith(f"{IMAGE_FOLDER}/") and IMAGE_NAME.match(url.removeprefix(f"{IMAGE_FOLDER}/")):
        return "../" * depth + url
    return ""


def to_html(text: str, depth: int) -> str:
    """The text as sanitized HTML in the planners' frame, for a page `depth` folders below the site
    root. Links and images the profile does not allow (plan check refuses them) become plain text."""
    tokens = MD.parse(text)
    for token in tokens:
        for child in token.children or ():
            key = "href" if child.type == "link_open" else "src" if child.type == "image" else None
            if key and (url := _link(child.attrGet(key) or "", depth)):
                child.attrSet(key, url)
            elif key:
                del child.attrs[key]  # an inert <a> or <img> (plan check refuses these)
            if child.type == "image":
                child.attrSet("loading", "lazy")
    body = MD.renderer.render(tokens, MD.options, {})
    clean = nh3.clean(
        f'<div class="planners admonition"><p class="admonition-title">{html.escape(TITLE)}</p>{body}</div>',
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
        filter_style_properties={"text-align"},  # markdown-it's table column alignment
    )
    return clean
