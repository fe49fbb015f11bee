"""Supplied measures: data an administration delivers for a plan's targets (data/supplied/).

Each file is registered in data/supplied/registry.toml with its sha256 and validated like the raw
data: an error names the file, row, column, value and what was expected. The files lie directly in
the folder: a name with a folder in it, or a symbolic link, is refused.
"""

from __future__ import annotations

import tomllib
from pathlib import Path, PurePosixPath

import pandas as pd

from . import paths, reference
from .load import DataError, Problems, check_columns, check_numeric, check_present
from .registry import sha256_of

FOLDER = paths.DATA / "supplied"
COLUMNS = ["measure", "area", "year", "value", "unit", "source", "delivered_by", "date"]
LINK_HINT = "put the delivered file itself in data/supplied, not a link to it"


def real_file(folder: Path, name) -> Path:
    """folder/name if name is a plain file name and the file no symbolic link."""
    if not isinstance(name, str) or PurePosixPath(name).name != name or name.startswith("."):
        raise DataError(f"data/supplied/registry.toml: name {name!r}: expected a file name in data/supplied")
    return paths.real_path(folder, name, DataError, LINK_HINT)


def registered(folder: Path = FOLDER) -> list[dict]:
    reg = real_file(folder, "registry.toml")
    return tomllib.loads(reg.read_text(encoding="utf-8")).get("file", []) if reg.is_file() else []


def validate(df: pd.DataFrame, file: str) -> pd.DataFrame:
    problems = Problems(file)
    if not check_columns(df, COLUMNS, problems):
        problems.raise_if_any()
    df = check_numeric(df, ["year", "value"], problems)
    check_present(df, COLUMNS, problems)
    slugs = {a.slug for a in reference.areas()}
    for i in df.index[~df["area"].isin(slugs)]:
        problems.add(int(i) + 2, "area", df.at[i, "area"], f"unknown area; allowed: {', '.join(sorted(slugs))}")
    admins = reference.administrations()
    for i in df.index[~df["delivered_by"].isin(admins)]:
        problems.add(int(i) + 2, "delivered_by", df.at[i, "delivered_by"], f"expected one of: {', '.join(admins)}")
    dates = pd.to_datetime(df["date"], format="%Y-%m-%d", errors="coerce")
    for i in df.index[dates.isna() & df["date"].notna()]:
        problems.add(int(i) + 2, "date", df.at[i, "date"], "expected a date as YYYY-MM-DD")
    dup = df.duplicated(["measure", "area", "year"])
    for i in df.index[dup]:
        problems.add(int(i) + 2, "measure+area+year", tuple(df.loc[i, ["measure", "area", "year"]]), "duplicate")
    problems.raise_if_any()
    return df.assign(year=df["year"].astype(int))


def load(folder: Path = FOLDER) -> pd.DataFrame:
    """Every registered supplied measure, verified and validated (empty when none are registered)."""
    frames = []
    for entry in registered(folder):
        path = real_file(folder, entry.get("name"))
        name = f"data/supplied/{entry['name']}"
        if not path.is_file():
            raise DataError(f"{name}: registered in data/supplied/registry.toml but missing")
        if sha256_of(path) != entry["sha256"]:
            raise DataError(
                f"{name}: sha256 {sha256_of(path)} differs from the registry's {entry['sha256']}; "
                "update data/supplied/registry.toml if the new file is right"
            )
        frames.append(validate(pd.read_csv(path, dtype={"area": str, "measure": str}), name))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
