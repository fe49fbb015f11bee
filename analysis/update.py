"""``python -m analysis data update --from DIR``: register new extracts of the raw inputs.

DIR has the mirror's layout (e.g. DIR/kk-opendata/bydel_socio_2008_2014.csv) and may hold only the
files that changed. The new files are validated together with the current ones in a temporary raw
folder; only when everything validates are they copied into data/raw and their sha256 and bytes
written into data/registry.toml (a text edit of those two lines: comments and layout stay).
On any failure nothing is changed. A symbolic link in DIR or in data/raw is refused.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from . import paths, registry
from .errors import DataError, UserError
from .registry import RawFile


@dataclass(frozen=True)
class Change:
    old: RawFile  # the registered entry
    new: RawFile  # the same entry with the new file's sha256 and bytes
    src: Path  # the new file in DIR


def find_changes(folder: Path, files: list[RawFile]) -> list[Change]:
    """Registered files that DIR holds in a different version."""
    changes = []
    for f in files:
        src = folder / f.name
        if src.is_file():
            sha, size = registry.sha256_of(src), src.stat().st_size
            if (sha, size) != (f.sha256, f.bytes):
                changes.append(Change(f, replace(f, sha256=sha, bytes=size), src))
    return changes


def stage_raw(stage: Path, files: list[RawFile], changes: list[Change], raw_dir: Path) -> None:
    """A raw folder with the new files and the current (verified) others."""
    new = {c.old.name: c.src for c in changes}
    for f in files:
        src = new.get(f.name) or registry.verify(f, raw_dir)
        (stage / f.name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, stage / f.name)


def validate(stage: Path, files: list[RawFile]) -> None:
    """Every loader on the staged folder, checked against the new checksums."""
    from . import load, pipeline, turnout

    steps = [
        ("socio-economic data, boundaries and areas (pipeline.checked_inputs)", pipeline.checked_inputs),
        ("public housing", load.load_public_housing),
        ("urban renewal", load.load_renewal),
        ("income (IN74)", load.load_income),
        ("municipal election 2013 and polling areas", turnout.load_election_2013),
        ("neighbourhoods (kvarterer)", load.load_kvarter),
        ("Statistikbank by kvarter 2016-2026", load.load_kvarter_stats),
    ]
    with registry.active(files):
        for label, step in steps:
            try:
                step(stage)
            except UserError:
                raise
            except Exception as err:  # a file the readers cannot parse at all
                raise DataError(f"{label}: the new extract could not be read: {type(err).__name__}: {err}") from err


# The panel CSVs by role: the year column, the column naming a row's unit, and the units' name.
PANELS = {registry.RODE_ROLE: ("year", "name", "roder"), registry.BYDEL_ROLE: ("aar", "district", "bydele")}
NAMES_SHOWN = 10


def check_no_lost_rows(change: Change, old_path: Path) -> None:
    """A new extract of a panel keeps every (year, unit) row of the registered one."""
    if change.old.role not in PANELS:
        return
    import pandas as pd

    year, unit, units = PANELS[change.old.role]

    def rows(path: Path) -> set[tuple[int, str]]:
        df = pd.read_csv(path, dtype=str, usecols=[year, unit]).dropna()
        return set(zip(pd.to_numeric(df[year]).astype(int), df[unit].str.strip(), strict=True))

    lost = rows(old_path) - rows(change.src)
    if lost:
        by_year = {y: sorted(u for y2, u in lost if y2 == y) for y in sorted({y for y, _ in lost})}
        shown = "; ".join(
            f"year {y} lacks {len(names)} {units}: {', '.join(names[:NAMES_SHOWN])}"
            + (f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else "")
            for y, names in by_year.items()
        )
        raise DataError(f"{change.old.name}: the new extract loses rows of the registered file: {shown}")


def csv_summary(path: Path) -> tuple[int, set[int]]:
    """Rows (blank ones not counted) and the years in the year column ('year' or 'aar')."""
    import pandas as pd

    df = pd.read_csv(path).dropna(how="all")
    column = next((c for c in df.columns if str(c).strip().lower() in ("year", "aar", "år")), None)
    years = set(pd.to_numeric(df[column], errors="coerce").dropna().astype(int)) if column else set()
    return len(df), years


def describe(change: Change, old_path: Path) -> str:
    old, new = change.old, change.new
    text = f"{old.name}: sha256 {old.sha256[:12]} -> {new.sha256[:12]}, {old.bytes} -> {new.bytes} bytes"
    if old.name.endswith(".csv"):
        (rows0, years0), (rows1, years1) = csv_summary(old_path), csv_summary(change.src)
        text += f"; {rows0} -> {rows1} rows ({rows1 - rows0:+d})"
        text += f"; years added: {', '.join(map(str, sorted(years1 - years0))) or 'none'}"
        if years0 - years1:
            text += f"; years removed: {', '.join(map(str, sorted(years0 - years1)))}"
    return text


def set_fields(text: str, new: RawFile) -> str:
    """registry.toml text with only the sha256 and bytes lines of one entry rewritten."""
    blocks = re.split(r"(?m)^(?=\[\[file\]\])", text)
    name_line = re.compile(rf'(?m)^name\s*=\s*"{re.escape(new.name)}"\s*$')
    hits = [i for i, b in enumerate(blocks) if name_line.search(b)]
    if len(hits) != 1:
        raise DataError(f"data/registry.toml: expected one entry named {new.name!r}, found {len(hits)}")
    block = blocks[hits[0]]
    block, n_sha = re.subn(r'(?m)^(sha256\s*=\s*)"[^"]*"', rf'\g<1>"{new.sha256}"', block)
    block, n_bytes = re.subn(r"(?m)^(bytes\s*=\s*)\d+", rf"\g<1>{new.bytes}", block)
    if (n_sha, n_bytes) != (1, 1):
        raise DataError(f"data/registry.toml: entry {new.name!r} needs exactly one sha256 and one bytes line")
    blocks[hits[0]] = block
    return "".join(blocks)


def checked_registry(path: Path, text: str, expected: list[RawFile]) -> Path:
    """The edited registry in a temporary file beside path, if it parses to exactly `expected`."""
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(text, encoding="utf-8")
    try:
        ok = registry.load_registry(tmp) == expected
    except UserError:
        ok = False
    if not ok:
        tmp.unlink()
        raise DataError(f"{path}: the edited registry does not parse to the expected entries; nothing was changed")
    return tmp


def install(changes: list[Change], raw_dir: Path) -> None:
    for c in changes:
        dest = raw_dir / c.new.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(registry.PART_PREFIX + dest.name)
        shutil.copyfile(c.src, tmp)
        os.replace(tmp, dest)


def update(folder: Path, raw_dir: Path | None = None, registry_path: Path | None = None, log=print) -> list[str]:
    """Validate and register the new extracts in folder; returns one line per changed file."""
    raw_dir, registry_path = raw_dir or paths.RAW, registry_path or paths.REGISTRY
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder", hint="give the folder with the new extracts: --from DIR")
    paths.refuse_links(folder, DataError, "copy the real files into the folder instead of linking them")
    registry.check_raw_dir(raw_dir)
    files = registry.load_registry(registry_path)
    for name in registry.unregistered(folder, files):
        log(f"ignored: {name} is not in data/registry.toml (add an entry with a role first)")
    changes = find_changes(folder, files)
    if not changes:
        log(f"nothing to update: every registered file in {folder} matches data/registry.toml")
        return []
    changed = {c.old.name: c.new for c in changes}
    new_files = [changed.get(f.name, f) for f in files]
    with tempfile.TemporaryDirectory(prefix="udsatte-update-") as tmp:
        stage_raw(Path(tmp), files, changes, raw_dir)
        try:
            validate(Path(tmp), new_files)
            for c in changes:
                check_no_lost_rows(c, raw_dir / c.old.name)
        except DataError as err:
            err.hint = f"correct the new extract in {folder} and run `data update` again; nothing was changed"
            raise
    lines = [describe(c, raw_dir / c.old.name) for c in changes]
    text = registry_path.read_text(encoding="utf-8")
    for c in changes:
        text = set_fields(text, c.new)
    edited = checked_registry(registry_path, text, new_files)
    install(changes, raw_dir)
    os.replace(edited, registry_path)
    return lines
