"""Shared fixtures. Tests that read the built book need `make book` first (`make test` does it)."""

import os
from pathlib import Path

import pytest

from analysis import build, paths

# Builds in the tests shut their kernels down (the parking tests park their own, in tmp_path).
os.environ.setdefault(build.IDLE_ENV, "0")


@pytest.fixture(scope="session")
def built_site() -> Path:
    site = paths.BUILD / "html"
    if not (site / "index.html").is_file() or not (paths.DERIVED / ".raw").is_file():
        pytest.fail("the book has not been built: run `make book` first (`make test` does it for you)")
    return site


@pytest.fixture
def published_site(tmp_path) -> Path:
    """A published site (the _build/html link) in tmp_path whose index page says "good": a failed
    build must leave it as it is."""
    good = tmp_path / "sites" / "good"
    good.mkdir(parents=True)
    (good / "index.html").write_text("good")
    site = tmp_path / "html"
    site.symlink_to(good)
    return site
