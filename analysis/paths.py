"""Project paths, resolved from the package location (never the working directory), and the checks
that keep a path inside its folder and a build's date sane."""

import os
import time
from pathlib import Path, PurePosixPath

from .errors import BuildError, UserError

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
RAW = DATA / "raw"
REGISTRY = DATA / "registry.toml"
REFERENCE = Path(__file__).resolve().parent / "reference"
BOOK = ROOT / "book"
TEMPLATES = BOOK / "templates"
BUILD = ROOT / "_build"
CACHE = ROOT / ".cache"
DERIVED = CACHE / "derived"  # city-wide results computed once per build, read by every chapter
SITE_DATA = CACHE / "site" / "data"  # open-data downloads, copied into the site as data/ (after Sphinx)
MEMBERS = REFERENCE / "area_members.csv"
EDITIONS = ROOT / "editions"  # the published editions, committed (python -m analysis publish)
FIGURES_DIR = BOOK / "chapters" / "figures"  # figures saved by the chapters, referenced as /book/chapters/figures
PDF_FOLDER = "pdf"  # the council PDFs in the site: <site>/pdf/<slug>.pdf (analysis.council_pdf)
EPOCH_ENV = "SOURCE_DATE_EPOCH"


def real_path(root: Path, name: str, error: type[UserError], hint: str) -> Path:
    """root/name, refused (error, hint) if a part of it below root is a symbolic link, which could
    lead a read or a write out of root. root itself may be a link."""
    path = root
    for part in PurePosixPath(name).parts:
        path = path / part
        if path.is_symlink():
            raise error(f"{path}: a symbolic link; {root} holds only real files and folders", hint=hint)
    return path


def files_below(root: Path) -> list[str]:
    """Names (relative to root) of everything below root but its folders; links are listed, never followed."""
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        names = files + [n for n in dirs if (here / n).is_symlink()]
        found += [(here / n).relative_to(root).as_posix() for n in names]
    return sorted(found)


def refuse_links(root: Path, error: type[UserError], hint: str) -> None:
    """Refuse a symbolic link anywhere below root (root itself may be one)."""
    for name in files_below(root):
        real_path(root, name, error, hint)


def source_date_epoch() -> int | None:
    """$SOURCE_DATE_EPOCH in seconds (None when unset or empty); a BuildError unless it is a whole
    number no more than a day ahead of this machine's clock (a day for clock skew)."""
    text = os.environ.get(EPOCH_ENV)
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > time.time() + 86400:
        raise BuildError(
            f"{EPOCH_ENV}={text!r}: expected a whole number of seconds since 1970-01-01 UTC, not in the future",
            hint=f"unset {EPOCH_ENV}, or set it to the commit's date: {EPOCH_ENV}=$(git log -1 --format=%ct)",
        )
    return int(text)
