"""The prepared, city-wide results (written by pipeline.prepare), read lazily by the chapters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import paths


@dataclass
class Results:
    folder: Path = paths.DERIVED

    def _csv(self, name: str, **kw) -> pd.DataFrame:
        return pd.read_csv(self.folder / name, **kw)

    @cached_property
    def series(self) -> pd.DataFrame:
        return self._csv("area_series.csv")

    @cached_property
    def roder(self) -> gpd.GeoDataFrame:
        return gpd.read_file(self.folder / "roder.geojson")

    @cached_property
    def bydele(self) -> gpd.GeoDataFrame:
        return gpd.read_file(self.folder / "bydele.geojson")

    @cached_property
    def areas(self) -> gpd.GeoDataFrame:
        return gpd.read_file(self.folder / "areas.geojson")

    @cached_property
    def members(self) -> pd.DataFrame:
        return self._csv("area_members.csv")

    @cached_property
    def estates(self) -> gpd.GeoDataFrame:
        return gpd.read_file(self.folder / "estates.geojson")

    @cached_property
    def renewal(self) -> pd.DataFrame:
        return self._csv("renewal.csv")

    @cached_property
    def income(self) -> pd.DataFrame:
        return self._csv("income_bydel.csv")

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
    def draws(self) -> int:
        """Monte Carlo draws behind the sensitivity results."""
        return int(self.roder["n_draws"].max())

    def area_roder(self, slug: str) -> gpd.GeoDataFrame:
        return self.roder[self.roder["rode_nr"].isin(self.members.loc[self.members["slug"] == slug, "rode_nr"])]


def period_text(series: pd.DataFrame) -> str:
    """First–last year with data in a series, e.g. "2008–2014"."""
    years = series.dropna(subset=["rate"])["year"]
    return f"{years.min()}–{years.max()}"
