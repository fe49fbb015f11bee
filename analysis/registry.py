"""Registry of raw inputs and the fetch step that puts them in ``data/raw`` with verified checksums.

Every file a build reads is an entry of ``data/registry.toml`` with a ``role``; loaders ask for a
role (``path_for``) and get a path only after the file (and any sidecar a reader opens with it)
matched its registered size and sha256. Files in data/raw that are not registered are never read.

A file comes from a mirror folder when one is given (CI and developers: ``../shared/data``) or
from its pinned https URL. Either way it is written to a temporary file, its size and sha256
checked, and only then moved into place, so a partial or corrupt file never stays in data/raw.
A mirror file that differs from the registry is an error, even when data/raw is already good, and
so is a registered file missing from the mirror. No part of a path below data/raw or the mirror may
be a symbolic link: a link could lead a read or a write out of the folder.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
import re
import shutil
import tempfile
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path, PurePosixPath

from . import paths
from .errors import DataError, FetchError

__all__ = ["DataError", "FetchError", "RawFile", "load_registry", "path_for", "fetch_all"]

MIRROR_ENV = "UDSATTE_DATA_MIRROR"
PART_PREFIX = ".part-"  # temporary files of an unfinished fetch
ROLE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)?$")  # "public_housing" or its sidecar "public_housing.dbf"
SHA = re.compile(r"^[0-9a-f]{64}$")
REQUIRED_SIDECARS = {".shp": (".shx", ".dbf")}  # a shapefile cannot be read without these
RAW_LINK_HINT = "remove it and run `python -m analysis fetch`"
MIRROR_LINK_HINT = "put the real file or folder in the mirror instead of the link"
MIRROR_NOTE_NAMES = 3  # unregistered mirror files named in fetch's note

# The roles the code reads (path_for), each with the module that reads it: the one list that
# data/registry.toml is checked against (check_roles) before a build or fetch uses any file.
BYDEL_ROLE, BYDEL_IDS_ROLE, RODE_ROLE = "bydel_socio", "bydel_ids", "rode_socio"
RODE_GEO_ROLE, BYDEL_GEO_ROLE, HOUSING_ROLE = "rode_geo", "bydel_geo", "public_housing"
RENEWAL_ROLE, INCOME_ROLE, GLOSSARY_ROLE = "renewal", "income", "rode_socio_glossary"
POPULATION_ROLE, ELECTION_ROLE, POLLING_ROLE, KVARTER_ROLE = "population", "election_2013", "polling_areas", "kvarter"
KVARTER_STATS_ROLE = "kvarter_stats"  # the City's Statistikbank by kvarter 2016-2026 (the follow-up chapter)
READ_BY = {
    **dict.fromkeys(
        (BYDEL_ROLE, BYDEL_IDS_ROLE, RODE_ROLE, RODE_GEO_ROLE, BYDEL_GEO_ROLE, HOUSING_ROLE, RENEWAL_ROLE,
         INCOME_ROLE, GLOSSARY_ROLE, POPULATION_ROLE, KVARTER_ROLE, KVARTER_STATS_ROLE),
        "analysis/load.py",
    ),
    ELECTION_ROLE: "analysis/turnout.py",
    POLLING_ROLE: "analysis/turnout.py",
}  # fmt: skip


@dataclass(frozen=True)
class RawFile:
    name: str  # path below data/raw, e.g. "geo/rode.geojson"
    role: str  # what the file is to the loaders, e.g. "rode_geo"
    url: str  # pinned https origin
    sha256: str
    bytes: int
    source: str  # publisher, dataset and the repository of the pinned copy (for developers)
    kilde: str  # the same in Danish, for the book's data page
    licence: str


# --- the registry ----------------------------------------------------------------------------------


def name_problems(name) -> list[str]:
    """Why a name would leave data/raw (or is otherwise unusable); empty if it is fine."""
    if not isinstance(name, str) or not name:
        return ["name must be a non-empty string"]
    problems = []
    if "\\" in name:
        problems.append("name must use '/' (no backslashes)")
    if PurePosixPath(name).is_absolute() or re.match(r"^[A-Za-z]:", name):
        problems.append("name must be relative to data/raw (no absolute path)")
    parts = name.lstrip("/").split("/")
    if any(p in ("", ".", "..") for p in parts):
        problems.append("name must stay inside data/raw (no '..', '.' or empty parts)")
    if any(p.startswith(".") for p in parts if p not in (".", "..")):
        problems.append("name must not be hidden (no part starting with '.')")
    return problems


def entry_problems(entry: dict) -> list[str]:
    """Rule violations of one [[file]] table."""
    expected = {f.name for f in fields(RawFile)}
    problems = [f"missing field {k!r}" for k in sorted(expected - set(entry))]
    problems += [f"unknown field {k!r}" for k in sorted(set(entry) - expected)]
    problems += name_problems(entry.get("name"))
    url = urllib.parse.urlsplit(str(entry.get("url", "")))
    if url.scheme != "https" or not url.netloc:
        problems.append(f"url must be https://... (got {entry.get('url')!r})")
    if not SHA.match(str(entry.get("sha256", ""))):
        problems.append("sha256 must be 64 lowercase hex digits")
    size = entry.get("bytes")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        problems.append("bytes must be a whole number >= 0")
    if not ROLE.match(str(entry.get("role", ""))):
        problems.append("role must look like 'rode_geo' or 'public_housing.dbf'")
    for key in ("source", "kilde", "licence"):
        text = str(entry.get(key, "")).strip()
        if not text or text.lower() == "same":
            problems.append(f"{key} must say the real {key} (not empty, not 'same')")
    return problems


def load_registry(path: Path | None = None) -> list[RawFile]:
    """The registered files; a DataError lists every rule an entry breaks."""
    path = path or paths.REGISTRY
    try:
        with open(path, "rb") as fh:
            entries = tomllib.load(fh).get("file", [])
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise DataError(f"{path}: cannot be read: {err}", hint="restore it: git checkout data/registry.toml") from err
    problems = [f"entry {i} (name {e.get('name')!r}): {p}" for i, e in enumerate(entries, 1) for p in entry_problems(e)]
    for key in ("name", "role"):
        values = [e.get(key) for e in entries]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            problems.append(f"duplicate {key}s: {dupes}")
    if problems:
        raise DataError(
            f"{path}: {len(problems)} problem(s) in the registry\n" + "\n".join(problems),
            hint="correct these entries (git diff data/registry.toml shows what changed)",
        )
    return [RawFile(**e) for e in entries]


def check_roles(files: list[RawFile]) -> None:
    """Every registered role (a sidecar's "<role>.<ext>" by its role) is one the code reads, and
    every role the code reads is registered; a DataError names the role, file or reader."""
    problems = [
        f"role {f.role!r} (file {f.name}) is read by no loader; known roles: {', '.join(sorted(READ_BY))}"
        for f in files
        if f.role.split(".")[0] not in READ_BY
    ]
    registered = {f.role for f in files}
    problems += [
        f"no file has role {role!r}, which {by} reads" for role, by in READ_BY.items() if role not in registered
    ]
    if problems:
        raise DataError(
            "data/registry.toml: " + "; ".join(problems),
            hint="give each file the role its loader asks for (git diff data/registry.toml shows what changed)",
        )


def load_checked() -> list[RawFile]:
    """data/registry.toml, its roles checked against the code's (what fetch and build start with)."""
    files = load_registry()
    check_roles(files)
    return files


_ACTIVE: contextvars.ContextVar[list[RawFile] | None] = contextvars.ContextVar("registry", default=None)


@contextlib.contextmanager
def active(files: list[RawFile]) -> Iterator[None]:
    """Let loaders verify against `files` instead of data/registry.toml (`data update` validates
    new extracts before they are registered)."""
    token = _ACTIVE.set(files)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def current() -> list[RawFile]:
    return _ACTIVE.get() or load_registry()


def entry_for(role: str, files: list[RawFile] | None = None) -> RawFile:
    files = current() if files is None else files
    for f in files:
        if f.role == role:
            return f
    raise DataError(
        f"no entry in data/registry.toml has role {role!r}",
        hint="restore the entry in data/registry.toml (git checkout data/registry.toml)",
    )


def name_for(role: str) -> str:
    """The registered file name of a role (for messages)."""
    return entry_for(role).name


# --- checksums -------------------------------------------------------------------------------------

_SHA_CACHE: dict[tuple, str] = {}  # (path, inode, size, mtime) -> sha256: a loader may ask twice


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        _SHA_CACHE[key] = sha256_of(path)
    return _SHA_CACHE[key]


def matches(path: Path, entry: RawFile) -> bool:
    return path.is_file() and path.stat().st_size == entry.bytes and cached_sha256(path) == entry.sha256


def raw_path(raw_dir: Path, name: str) -> Path:
    """raw_dir/name, refused if a part of it below raw_dir is a symbolic link."""
    return paths.real_path(raw_dir, name, FetchError, RAW_LINK_HINT)


def check_raw_dir(raw_dir: Path) -> None:
    """Refuse a symbolic link anywhere in raw_dir (before anything is written there)."""
    paths.refuse_links(raw_dir, FetchError, RAW_LINK_HINT)


def verify(entry: RawFile, raw_dir: Path) -> Path:
    """The path of a registered file in raw_dir, after checking its size and sha256."""
    path = raw_path(raw_dir, entry.name)
    if not path.is_file():
        raise FetchError(f"{entry.name}: missing in {raw_dir}", hint="run `make data` (python -m analysis fetch)")
    if not matches(path, entry):
        raise FetchError(
            f"{path} differs from data/registry.toml: sha256 {cached_sha256(path)} ({path.stat().st_size} bytes), "
            f"registered {entry.sha256} ({entry.bytes} bytes)",
            hint="`python -m analysis fetch` restores the registered file; "
            "`python -m analysis data update --from DIR` registers a new extract",
        )
    return path


def unregistered_siblings(entry: RawFile, files: list[RawFile], raw_dir: Path) -> list[str]:
    """Files beside entry that a reader may open with it (same stem, e.g. a shapefile's .dbf)."""
    path = raw_path(raw_dir, entry.name)
    stem = path.name.split(".")[0]
    names = {f.name for f in files}
    siblings = path.parent.glob(f"{glob_escape(stem)}.*") if path.parent.is_dir() else []
    return sorted(n for p in siblings if (n := p.relative_to(raw_dir).as_posix()) not in names)


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def path_for(role: str, raw_dir: Path | None = None) -> Path:
    """The verified path of the file with this role; its registered sidecars are verified too and
    an unregistered file that a reader would open with it is refused."""
    raw_dir = raw_dir or paths.RAW
    files = current()
    entry = entry_for(role, files)
    group = [f for f in files if f.role == role or f.role.startswith(role + ".")]
    suffix = PurePosixPath(entry.name).suffix
    missing = [s for s in REQUIRED_SIDECARS.get(suffix, ()) if not any(f.name.endswith(s) for f in group)]
    if missing:
        raise DataError(f"{entry.name}: sidecar(s) {missing} are not registered (roles {role}.<ext>)")
    stray = unregistered_siblings(entry, files, raw_dir)
    if stray:
        raise DataError(
            f"{entry.name}: {stray} in {raw_dir} would be read with it but are not in data/registry.toml",
            hint="delete these files, or register them (with a role) in data/registry.toml",
        )
    for f in group:
        verify(f, raw_dir)
    return raw_dir / entry.name


def unregistered(raw_dir: Path, files: Iterable[RawFile]) -> list[str]:
    """Files in raw_dir that are not registered: ignored by every loader, reported by fetch/build."""
    names = {f.name for f in files}
    found = paths.files_below(raw_dir)
    return [n for n in found if n not in names and not PurePosixPath(n).name.startswith(PART_PREFIX)]


def mirror_note(mirror: Path, files: Iterable[RawFile]) -> str | None:
    """One line on the mirror's files that are not registered (its *.md documentation aside)."""
    extra = [n for n in unregistered(mirror, files) if not n.endswith(".md")]
    if not extra:
        return None
    shown = ", ".join(extra[:MIRROR_NOTE_NAMES]) + (", ..." if len(extra) > MIRROR_NOTE_NAMES else "")
    return f"note: the mirror {mirror} holds {len(extra)} file(s) not in data/registry.toml (never read): {shown}"


# --- fetch -----------------------------------------------------------------------------------------


def default_mirror() -> Path | None:
    """The mirror from $UDSATTE_DATA_MIRROR, else ../shared/data beside the project if present."""
    env = os.environ.get(MIRROR_ENV)
    if env:
        return Path(env)
    shared = paths.ROOT.parent / "shared" / "data"
    return shared if shared.is_dir() else None


def check_mirror(mirror: Path) -> None:
    """The mirror must be a folder: a wrong --mirror or $UDSATTE_DATA_MIRROR is not "no mirror"."""
    if not mirror.is_dir():
        raise FetchError(
            f"{mirror}: the data mirror {'is not a folder' if mirror.exists() else 'does not exist'}",
            hint=f"point --mirror or ${MIRROR_ENV} at the folder with the registered files, or use --download",
        )


def mirror_file(entry: RawFile, mirror: Path) -> Path:
    """The mirror's copy of entry; it must be there, a real file and the registered version:
    otherwise the build would use other data."""
    src = paths.real_path(mirror, entry.name, FetchError, MIRROR_LINK_HINT)
    if not src.is_file():
        what = "is a folder, not a file" if src.is_dir() else "is missing"
        raise FetchError(
            f"{entry.name}: {src} {what}; the mirror {mirror} must hold every registered file",
            hint="put the registered file there, or use --download",
        )
    size, sha = src.stat().st_size, cached_sha256(src)
    if size != entry.bytes or sha != entry.sha256:
        raise FetchError(
            f"{entry.name}: the mirror's file {src} differs from data/registry.toml: mirror sha256 {sha} "
            f"({size} bytes), registered sha256 {entry.sha256} ({entry.bytes} bytes)",
            hint=f"if the new extract is intended, `python -m analysis data update --from {mirror}` and commit "
            "data/registry.toml; otherwise point --mirror/$UDSATTE_DATA_MIRROR at a folder with the registered files",
        )
    return src


class NoNetwork(FetchError):
    """The origin host could not be reached at all (no point in trying the other files)."""


def _open_url(url: str, timeout: float):
    return urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 (https only, checked before)


def _download(entry: RawFile, dest: Path, timeout: float = 30) -> None:
    """Stream the https origin into dest, reading at most one byte more than registered."""
    parts = urllib.parse.urlsplit(entry.url)
    if parts.scheme != "https":
        raise FetchError(f"{entry.name}: refusing to download {entry.url}: only https URLs are allowed")
    url = urllib.parse.urlunsplit(parts._replace(path=urllib.parse.quote(parts.path)))
    try:
        with _open_url(url, timeout) as response, open(dest, "wb") as out:
            out.write(response.read(entry.bytes + 1))
    except urllib.error.HTTPError as err:
        raise FetchError(f"{entry.name}: could not download {entry.url}: HTTP {err.code} {err.reason}") from err
    except urllib.error.URLError as err:
        raise NoNetwork(
            f"{entry.name}: could not download {entry.url}: {err.reason} (no network?)",
            hint="use a mirror folder instead: --mirror DIR or UDSATTE_DATA_MIRROR=DIR",
        ) from err
    except OSError as err:  # timeouts, resets
        raise FetchError(f"{entry.name}: could not download {entry.url}: {err}") from err


def check_fetched(entry: RawFile, tmp: Path, origin) -> None:
    """Size first (cheap, catches truncation), then sha256."""
    size = tmp.stat().st_size
    if size != entry.bytes:
        raise FetchError(f"{entry.name}: size mismatch for {origin}: expected {entry.bytes} bytes, got {size}")
    got = sha256_of(tmp)
    if got != entry.sha256:
        raise FetchError(
            f"{entry.name}: checksum mismatch for {origin}: expected sha256 {entry.sha256}, got {got}. "
            "The file differs from the registered version."
        )


def _fetch_into(entry: RawFile, dest: Path, get: Callable[[Path], object], origin) -> None:
    """Write via get() into a temporary file beside dest, verify, then move into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=PART_PREFIX, dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.chmod(0o644)  # mkstemp makes 0600; raw inputs are ordinary readable files
    try:
        get(tmp)
        check_fetched(entry, tmp, origin)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def fetch_one(entry: RawFile, raw_dir: Path, mirror: Path | None, download: bool = False) -> str:
    """Fetch one file into raw_dir atomically. Returns "present", "copied" or "downloaded".

    download=True always downloads from the origin (the mirror is ignored); with a mirror the
    mirror's file must match the registry; with neither, a missing or corrupt file is downloaded."""
    dest = raw_path(raw_dir, entry.name)
    if download:
        _fetch_into(entry, dest, lambda tmp: _download(entry, tmp), entry.url)
        return "downloaded"
    if mirror is not None:
        src = mirror_file(entry, mirror)
        if matches(dest, entry):
            return "present"
        _fetch_into(entry, dest, lambda tmp: shutil.copyfile(src, tmp), src)
        return "copied"
    if matches(dest, entry):
        return "present"
    _fetch_into(entry, dest, lambda tmp: _download(entry, tmp), entry.url)
    return "downloaded"


def remove_partial(raw_dir: Path) -> None:
    """Temporary files left by a fetch that was killed."""
    if raw_dir.is_dir():
        for p in raw_dir.rglob(PART_PREFIX + "*"):
            p.unlink(missing_ok=True)


def fetch_all(
    files: Iterable[RawFile],
    raw_dir: Path | None = None,
    mirror: Path | None = None,
    progress: Callable[[str, str], None] | None = None,
    download: bool = False,
) -> dict[str, str]:
    """Fetch every registered file; collects all errors and raises one FetchError listing them (a
    single one as it is). Without network it stops at the first file and says so; a missing mirror folder or a link in
    raw_dir stops it before anything is written."""
    raw_dir = raw_dir or paths.RAW
    if mirror is not None and not download:
        check_mirror(mirror)
    check_raw_dir(raw_dir)
    remove_partial(raw_dir)
    results, errors = {}, []
    for entry in files:
        try:
            results[entry.name] = fetch_one(entry, raw_dir, mirror, download)
        except NoNetwork:
            raise
        except FetchError as err:
            errors.append(err)
            results[entry.name] = "failed"
        if progress:
            progress(entry.name, results[entry.name])
    if len(errors) == 1:
        raise errors[0]
    if errors:
        hints = list(dict.fromkeys(e.hint for e in errors))
        raise FetchError(
            f"{len(errors)} of {len(results)} raw file(s) could not be fetched; data/raw keeps the registered files"
            + "".join(f"\n{e}" for e in errors),
            hint="; ".join(hints),
        )
    return results
