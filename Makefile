# Udsatte byområder – build the book and run the tests. `make help` lists the targets.
SHELL := /bin/bash
# Compiled bytecode at install: kernels start in ~3 s instead of ~9 s (PYTHONDONTWRITEBYTECODE is set here).
export UV_COMPILE_BYTECODE := 1
export UV_LINK_MODE := copy
UV := python3 -m uv
PY := .venv/bin/python

.PHONY: help env pdflibs data book browser test lint benchmark measure clean review publish

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.venv/.synced: pyproject.toml uv.lock
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --all-groups
	touch $@

env: .venv/.synced  ## create .venv with the locked dependencies

data: env  ## fetch and verify the raw inputs into data/raw
	$(PY) -m analysis fetch

# WeasyPrint subsets the PDFs' fonts with HarfBuzz when Debian's libharfbuzz-subset0 is there (about
# 0.6 s faster per PDF than its fontTools fallback, which gives the same document).
pdflibs:  ## install HarfBuzz's font subsetter for the council PDFs when missing and running as root (optional)
	@/sbin/ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq libharfbuzz-subset0 >/dev/null 2>&1 \
	  || { apt-get update -qq && apt-get install -y -qq libharfbuzz-subset0 >/dev/null 2>&1; } \
	  || echo "note: libharfbuzz-subset0 could not be installed; the PDFs' fonts are subset with fontTools (slower)"; \
	fi

book: env pdflibs  ## build the whole site into _build/html (incremental; --area/--wave via ARGS=...)
	$(PY) -m analysis build $(ARGS)

# The browser tests drive Chromium: Debian's package when root (CI), else Playwright's download.
browser: env  ## make sure a Chromium for the browser tests is installed
	@command -v chromium >/dev/null 2>&1 && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null \
	  && exit 0; \
	fi; \
	$(PY) -m playwright install chromium >/dev/null 2>&1 && exit 0; \
	echo "error: no Chromium for the browser tests: run 'apt-get install chromium' as root, or '$(PY) -m playwright install chromium' with network access" >&2; \
	exit 1

test: book browser  ## lint, unit, notebook (nbval), end-to-end and browser tests; then the review of the book's changes
	$(PY) -m ruff check analysis tests scripts book/chapters
	$(PY) -m pytest --color=no --nbval --nbval-sanitize-with book/nbval-sanitize.cfg tests book/chapters $(PYTEST_ARGS)
	$(PY) -m analysis review --out test-artifacts

lint: env  ## ruff on the package, tests, scripts and the generated notebooks
	$(PY) -m ruff check analysis tests scripts book/chapters

review: env  ## compare the built book with the last published edition (test-artifacts/review.md)
	$(PY) -m analysis review --out test-artifacts

publish: env  ## record the built book as the next edition (editions/<n>.json; commit it)
	$(PY) -m analysis publish

benchmark: env  ## measure build times, write docs/benchmarks.md
	$(PY) scripts/benchmark.py

measure: book browser  ## LCP, load time and page weight of three pages on slow 4G at 390 px, write docs/page-performance.md
	$(PY) scripts/measure_pages.py

clean:  ## remove build outputs (keeps .venv and data/raw)
	rm -rf _build .cache book/chapters
