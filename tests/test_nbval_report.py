"""A notebook check that fails names the chapter and the cell and shows a plain-text diff."""

from __future__ import annotations

import shutil
import subprocess
import sys

import nbformat
import pytest

from analysis import paths


@pytest.mark.slow
def test_nbval_failure_is_a_plain_text_diff(tmp_path, built_site):
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    for name in ("conftest.py", "nbval-sanitize.cfg"):
        shutil.copy(paths.BOOK / name, book / name)
    nb = nbformat.read(paths.BOOK / "chapters" / "data.ipynb", as_version=4)
    cell = next(c for c in nb.cells if any("text/html" in o.get("data", {}) for o in c.get("outputs", [])))
    out = next(o for o in cell.outputs if "text/html" in o.get("data", {}))
    out.data["text/html"] = out.data["text/html"].replace("<td", "<td>GAMMEL</td><td", 1)
    nbformat.write(nb, book / "chapters" / "data.ipynb")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--color=no",
            "--nbval",
            "--nbval-sanitize-with",
            str(book / "nbval-sanitize.cfg"),
            str(book / "chapters" / "data.ipynb"),
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=paths.ROOT,
    )
    assert proc.returncode == 1
    assert "data.ipynb::Cell" in proc.stdout and "stored output (-) and re-executed output (+)" in proc.stdout
    # the stored (edited) row above, marked "-"
    assert any(line.strip().startswith("-GAMMEL") for line in proc.stdout.splitlines()), proc.stdout[-2000:]
    assert "\x1b[" not in proc.stdout  # no colour codes in the log
