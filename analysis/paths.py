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
SITE_DATA = CACHE / "site" / "data"  # open-data downloads, copied into the site as data/ (after Sphinx)
MEMBERS = REFERENCE / "area_members.csv"
EDITIONS = ROOT / "editions"  # the published editions, committed (python -m analysis publish)
FIGURES_DIR = BOOK / "chapters" / "figures"  # figures saved by the chapters, referenced as /book/chapters/figures
PDF_FOLDER = "pdf"  # the council PDFs in the site: <site>/pdf/<slug>.pdf (analysis.council_pdf)
