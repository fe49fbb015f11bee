"""Project paths, resolved from the package location (never the working directory)."""

from pathlib import Path

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
SITE_EXTRA = CACHE / "site"  # copied into the site root by Sphinx (html_extra_path)
SITE_DATA = SITE_EXTRA / "data"  # open-data downloads: _build/html/data/
MEMBERS = REFERENCE / "area_members.csv"
EDITIONS = ROOT / "editions"  # the published editions, committed (python -m analysis publish)
FIGURES_DIR = BOOK / "chapters" / "figures"  # figures saved by the chapters, referenced as /book/chapters/figures
PDF_FOLDER = "pdf"  # the council PDFs in the site: <site>/pdf/<slug>.pdf (analysis.council_pdf)
