"""Registry of raw inputs and the fetch step that puts them in ``data/raw`` with verified checksums.

A file comes from a mirror folder when one is given (CI and developers: ``../shared/data``) or else
from its pinned origin URL. Either way it is written to a temporary file, its sha256 checked, and
only then moved into place, so a partial or corrupt file never stays in ``data/raw``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from . import paths

MIRROR_ENV = "UDSATTE_DATA_MIRROR"


class FetchError(RuntimeError):
    """A raw input could not be fetched or failed its checksum."""


@dataclass(frozen=True)
class RawFile:
    name: str  # path below data/raw, e.g. "geo/rode.geojson"
    url: str
    sha256: str
    bytes: int
    source: str


def load_registry(path: Path = paths.REGISTRY) -> list[RawFile]:
    with open(path, "rb") as fh:
        entries = tomllib.load(fh)["file"]
    files = [RawFile(**entry) for entry in entries]
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"{path}: duplicate file names in registry: {dupes}")
    return files


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_mirror() -> Path | None:
    """The mirror from $UDSATTE_DATA_MIRROR, else ../shared/data beside the project if present."""
    env = os.environ.get(MIRROR_ENV)
    if env:
        return Path(env)
    shared = paths.ROOT.parent / "shared" / "data"
    return shared if shared.is_dir() else None


def _copy_from_mirror(entry: RawFile, mirror: Path, dest: Path) -> None:
    src = mirror / entry.name
    if not src.is_file():
        raise FetchError(f"{entry.name}: not found in mirror folder {mirror} (looked for {src})")
    shutil.copyfile(src, dest)


def _download(entry: RawFile, dest: Path, timeout: float = 60) -> None:
    parts = urllib.parse.urlsplit(entry.url)
    url = urllib.parse.urlunsplit(parts._replace(path=urllib.parse.quote(parts.path)))
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(dest, "wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as err:  # URLError, HTTPError and timeouts are all OSErrors
        raise FetchError(f"{entry.name}: could not download {entry.url}: {err}") from err


def fetch_one(entry: RawFile, raw_dir: Path, mirror: Path | None) -> str:
    """Fetch one file into raw_dir atomically. Returns "present", "copied" or "downloaded"."""
    dest = raw_dir / entry.name
    if dest.is_file() and sha256_of(dest) == entry.sha256:
        return "present"
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".part-", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.chmod(0o644)  # mkstemp makes 0600; raw inputs are ordinary readable files
    try:
        if mirror is not None:
            _copy_from_mirror(entry, mirror, tmp)
            how = "copied"
        else:
            _download(entry, tmp)
            how = "downloaded"
        got = sha256_of(tmp)
        if got != entry.sha256:
            origin = mirror / entry.name if mirror is not None else entry.url
            raise FetchError(
                f"{entry.name}: checksum mismatch for {origin}: expected sha256 {entry.sha256}, "
                f"got {got}. The file differs from the registered version; if the source was "
                f"updated on purpose, update data/registry.toml."
            )
        os.replace(tmp, dest)
        return how
    finally:
        tmp.unlink(missing_ok=True)


def fetch_all(
    files: Iterable[RawFile],
    raw_dir: Path = paths.RAW,
    mirror: Path | None = None,
    progress: Callable[[str, str], None] | None = None,
) -> dict[str, str]:
    """Fetch every registered file; collects all errors and raises one FetchError listing them."""
    results, errors = {}, []
    for entry in files:
        try:
            results[entry.name] = fetch_one(entry, raw_dir, mirror)
        except FetchError as err:
            errors.append(str(err))
            results[entry.name] = "failed"
        if progress:
            progress(entry.name, results[entry.name])
    if errors:
        raise FetchError("\n".join(errors))
    return results


def raw_path(name: str, raw_dir: Path = paths.RAW) -> Path:
    """Path of a registered raw file; a clear error if it has not been fetched."""
    path = raw_dir / name
    if not path.is_file():
        raise FetchError(f"{name}: missing in {raw_dir}; run `make data` (python -m analysis fetch)")
    return path
