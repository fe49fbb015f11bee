"""One content-keyed cache for the build steps: a step's result is reused while the digest of
everything it depends on (its key) is unchanged.

Steps: ``prepare`` (the city-wide results), ``scores`` (the identification: indices, sensitivity,
Local Moran's I), ``site-data`` (the open-data downloads), ``chapters/<name>`` (each executed
notebook) and ``site`` (the published HTML). Each keeps one small JSON record in
``.cache/keys/<step>.json``: its key and what the step wants to remember (a chapter's inputs and key
figures, for its revision note). The record is written after the step's result is in place, so an
interrupted step is simply redone. ``code_digest`` is the one definition of the code a result
depends on. Two outputs are kept under the digest of what they are made from instead: each
chart's PNG in ``.cache/figures`` (display.save_png) and each council PDF in ``.cache/pdf``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from . import paths

# Modules that run the build but never change a chapter (changing them re-runs none): glossary.py
# runs in Sphinx when it writes the pages and counts as the site's look (build.theme_files);
# council_pdf.py makes the PDFs from the built pages and is part of the site's key (build.site_key).
ORCHESTRATION = {"__main__.py", "lock.py", "kernels.py", "update.py", "cache.py", "glossary.py", "council_pdf.py"}


def digest_text(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def digest_files(files) -> str:
    """Digest of files by name (relative to the project where possible) and content."""
    files = [Path(p) for p in files]
    return digest_named((str(f.relative_to(paths.ROOT) if f.is_relative_to(paths.ROOT) else f.name), f) for f in files)


def digest_named(named) -> str:
    """Digest of (name, file) pairs by the given name and the file's content, wherever it lies."""
    from .registry import sha256_of

    h = hashlib.sha256()
    for name, f in sorted(named, key=lambda pair: Path(pair[0])):
        h.update(name.encode())
        h.update(sha256_of(f).encode())
    return h.hexdigest()


def code_digest() -> str:
    """The analysis package, its reference data and the locked library versions (uv.lock): a
    change re-runs every step that computes (an upgraded library can move a number)."""
    pkg = paths.ROOT / "analysis"
    modules = (p for p in pkg.glob("*.py") if p.name not in ORCHESTRATION)
    lock = [f for f in [paths.ROOT / "uv.lock"] if f.is_file()]
    return digest_files([*modules, *paths.REFERENCE.glob("*"), *lock])


def _file(step: str) -> Path:
    return paths.CACHE / "keys" / f"{step}.json"


def record(step: str) -> dict:
    """The step's last record ({} if it never ran)."""
    f = _file(step)
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else {}


def is_current(step: str, key: str, *outputs: Path) -> bool:
    """True if the step last ran with this key and its outputs are still there."""
    return record(step).get("key") == key and all(p.exists() for p in outputs)


def store(step: str, key: str, **info) -> None:
    """Record that the step ran with this key (atomically, after its outputs are in place)."""
    f = _file(step)
    f.parent.mkdir(parents=True, exist_ok=True)
    tmp = f.with_name(f.name + ".tmp")
    tmp.write_text(json.dumps({"key": key, **info}, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, f)
