"""The prepared, city-wide results (written by pipeline.prepare), read lazily by the chapters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import paths


def _read(name: str, reader):
    """A lazily read, cached result file of the prepared folder."""
    return cached_property(lambda self: reader(self.folder / name))


@dataclass
class Results:
    folder: Path = paths.DERIVED

    series = _read("area_series.csv", pd.read_csv)
    members = _read("area_members.csv", pd.read_csv)
    renewal = _read("renewal.csv", pd.read_csv)
    income = _read("income_bydel.csv", pd.read_csv)
    roder = _read("roder.geojson", gpd.read_file)
    bydele = _read("bydele.geojson", gpd.read_file)
    areas = _read("areas.geojson", gpd.read_file)
    estates = _read("estates.geojson", gpd.read_file)
    turnout = _read("turnout_2013.csv", pd.read_csv)

    @cached_property
    def notes(self) -> list[str]:
        return json.loads((self.folder / "notes.json").read_text(encoding="utf-8"))

    @cached_property
    def data_key(self) -> str:
        """Checksum of the raw data the results were computed from (written by the build)."""
        return (self.folder / ".raw").read_text()[:12] if (self.folder / ".raw").is_file() else "ukendt"

    @cached_property
    def period(self) -> str:
        """The years the socio-economic panels cover, e.g. "2008–2014"."""
        return period_text(self.series)

    @cached_property
    def last_year(self) -> int:
        """The last year with data in the socio-economic panels."""
        return int(self.series.dropna(subset=["rate"])["year"].max())

    @cached_property
    def draws(self) -> int:
        """Monte Carlo draws behind the sensitivity results."""
        return int(self.roder["n_draws"].max())

    @cached_property
    def published_indicators(self) -> pd.DataFrame:
        """The indicators as the open data publish them (after disclosure control)."""
        from .outputs import suppressed_indicators

        return suppressed_indicators(self.folder)

    def hidden_roder(self, indicator: str, year: int) -> pd.Series:
        """Mask of the roder (rows of ``roder``) whose rate the open data withhold for that year."""
        t = self.published_indicators
        t = t[(t["level"] == "rode") & (t["indicator"] == indicator) & (t["year"] == year) & t["suppressed"]]
        return self.roder["rode_nr"].astype(str).isin(set(t["unit_id"].astype(str)))

    def hidden_any(self, year: int) -> pd.Series:
        """Mask of the roder with any indicator withheld that year: their composite index (a mean of
        the indicators' indices) would give the withheld one back from the others."""
        hidden = [self.hidden_roder(i, year) for i in self.published_indicators["indicator"].unique()]
        return pd.concat(hidden, axis=1).any(axis=1)

    def area_roder(self, slug: str) -> gpd.GeoDataFrame:
        return self.roder[self.roder["rode_nr"].isin(self.members.loc[self.members["slug"] == slug, "rode_nr"])]


_shared: tuple[tuple[int, int], Results] | None = None


def shared() -> Results:
    """The prepared results, read once per kernel and preparation (what the pages share): a warm
    kernel that outlives a build reads them again only when the data were prepared anew (prepare
    replaces the whole folder, so the stamp of its ``.raw`` file changes)."""
    global _shared
    raw = (paths.DERIVED / ".raw").stat()
    stamp = (raw.st_ino, raw.st_mtime_ns)
    if _shared is None or _shared[0] != stamp:
        _shared = (stamp, Results(paths.DERIVED))
    return _shared[1]


def period_text(series: pd.DataFrame) -> str:
    """First–last year with data in a series, e.g. "2008–2014"."""
    years = series.dropna(subset=["rate"])["year"]
    return f"{years.min()}–{years.max()}"
