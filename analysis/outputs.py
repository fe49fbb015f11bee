"""Open-data downloads for the site (``_build/html/data/``), all passed through disclosure control.

Files: indicators.csv (tidy, every level), areas.geojson, area_members.csv, one CSV and one Excel
workbook per area, and ordbog.csv (the data dictionary: file, column, meaning).
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import disclosure, paths, reference
from .pipeline import PUBLISH_CRS

# The data dictionary (file, column, description in Danish), published as ordbog.csv and shown on the
# data page; its rows for indicators.csv are that file's columns, in order.
DICTIONARY = pd.read_csv(paths.REFERENCE / "data_dictionary.csv", dtype=str)
INDICATOR_COLUMNS = DICTIONARY.loc[DICTIONARY["file"] == "indicators.csv", "column"].tolist()


# A cell starting with one of these is read as a formula by Excel and LibreOffice (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy in which every text cell that a spreadsheet would read as a formula starts with an
    apostrophe instead (OWASP's advice); numbers, negative ones included, are left alone."""

    def safe(value):
        return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value

    return df.apply(lambda col: col.map(safe) if pd.api.types.is_string_dtype(col.dtype) else col)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Every CSV the site publishes: UTF-8, comma-separated, a header row, no index, formulas neutralised."""
    neutralise_formulas(df).to_csv(path, index=False)


def figure_csv(data: pd.DataFrame, path: Path) -> None:
    """The numbers a chart plots (``fig.data``, Danish headers with units) as a CSV beside the figure,
    to two decimals; a value the chart hides is an empty cell, its reason in the table's own column."""
    write_csv(data.round(2), path)


CITY_UNITS = {"rode": "kbh_roder", "by": "kbh"}  # city pooled from roder / city totals of the bydel file
INDEX_BASE = {"rode": "kbh_roder", "omraade": "kbh_roder", "bydel": "kbh_roder", "by": None}


def _tidy_levels(derived: Path) -> pd.DataFrame:
    """Roder, bydele, the six areas (pooled from their roder) and the city, in one tidy table."""
    rode = pd.read_csv(derived / "obs_rode.csv", dtype={"unit_id": str})
    bydel = pd.read_csv(derived / "obs_bydel.csv", dtype={"unit_id": str})
    series = pd.read_csv(derived / "area_series.csv")
    names = {a.slug: a.name for a in reference.areas()} | {"alle": "De seks områder samlet"}
    areas = series[(series["group"] == "area") & (series["level"] == "rode")]
    areas = areas.assign(level="omraade", unit_id=areas["slug"], unit_name=areas["slug"].map(names))
    city = series[(series["group"] == "city") & (series["slug"] == "alle")]
    city = city.assign(
        unit_id=city["level"].map(CITY_UNITS),
        unit_name=city["level"].map({"rode": "København (summen af roderne)", "by": "København (bydelsfilens total)"}),
        level="by",
    )
    cols = ["level", "unit_id", "unit_name", "year", "indicator", "numerator", "denominator", "residents"]
    tidy = pd.concat([f[cols] for f in (rode, bydel, areas, city)], ignore_index=True)
    tidy["rate"] = 100 * tidy["numerator"] / tidy["denominator"].where(tidy["denominator"] > 0)
    ref = tidy[tidy["level"] == "by"][["unit_id", "year", "indicator", "rate"]]
    ref = ref.rename(columns={"unit_id": "base", "rate": "city_rate"})
    tidy["base"] = tidy["level"].map(INDEX_BASE).where(tidy["level"] != "by", tidy["unit_id"])
    tidy = tidy.merge(ref, on=["base", "year", "indicator"], how="left")
    tidy["index"] = 100 * tidy["rate"] / tidy["city_rate"]
    return tidy.drop(columns=["base", "city_rate"])


def _secondary_rode_suppression(out: pd.DataFrame, derived: Path) -> pd.DataFrame:
    """A rode hidden alone inside a published total (an area, a bydel, the city) could be
    recovered by subtraction; hide the next-smallest rode of that total as well."""
    members = pd.read_csv(derived / "area_members.csv")
    roder = gpd.read_file(derived / "roder.geojson")[["rode_nr", "bydel_nr", "residents"]]
    groups = pd.concat(
        [
            members[["slug", "rode_nr"]].rename(columns={"slug": "group"}),
            roder.assign(group="bydel-" + roder["bydel_nr"].astype(str))[["group", "rode_nr"]],
            roder.assign(group="kbh")[["group", "rode_nr"]],
        ]
    ).merge(roder[["rode_nr", "residents"]], on="rode_nr")
    is_rode = out["level"] == "rode"
    primary = set(out.loc[is_rode & out["suppressed"], "unit_id"].astype(int))
    groups["suppressed"] = groups["rode_nr"].isin(primary)
    hide = {str(r) for r in disclosure.secondary_suppression(groups, "group", "rode_nr")}
    secondary = is_rode & out["unit_id"].isin(hide) & ~out["suppressed"]
    out = out.copy()
    out.loc[secondary, ["rate", "index"]] = float("nan")
    out.loc[secondary, "suppressed"] = True
    out.loc[secondary, "suppression_reason"] = "sekundær diskretionering (kunne ellers regnes ud som forskel)"
    return out


def suppressed_indicators(derived: Path) -> pd.DataFrame:
    """Tidy indicators with primary, consistent-over-years and secondary suppression applied."""
    out = disclosure.suppress(_tidy_levels(derived), count_cols=("numerator", "denominator"))
    out = disclosure.consistent_across_years(out, unit_col="unit_id")
    out = _secondary_rode_suppression(out, derived)
    return out[INDICATOR_COLUMNS].sort_values(["level", "unit_id", "indicator", "year"]).reset_index(drop=True)


def area_table(derived: Path, slug: str) -> pd.DataFrame:
    series = pd.read_csv(derived / "area_series.csv")
    names = {i.key: i.name for i in reference.indicators()}
    t = series[series["slug"] == slug].copy()
    t["indicator_name"] = t["indicator"].map(names)
    cols = ["level", "group", "year", "indicator", "indicator_name", "numerator", "denominator", "rate"]
    t = t[[*cols, "residents"]].sort_values(["level", "indicator", "group", "year"])
    t = disclosure.suppress(t, count_cols=("numerator", "denominator"), rate_cols=("rate",))
    return t[cols].round({"numerator": 0, "denominator": 0, "rate": 2})


def _normalise_xlsx(path: Path) -> None:
    """Make a workbook byte-reproducible: fixed zip entry times and document timestamps."""
    fixed = "2015-01-01T00:00:00Z"
    with zipfile.ZipFile(path) as zin:
        entries = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + fixed.encode(), data)
            zout.writestr(zipfile.ZipInfo(name, date_time=(2015, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)


def compare_data(derived: Path) -> dict:
    """The data of the page "Sammenlign områderne": every area's and the city's rate per indicator
    and year (rode level; the areas are thousands of residents, far above the disclosure floor)."""
    series = pd.read_csv(derived / "area_series.csv")
    s = series[(series["level"] == "rode") & series["rate"].notna()]
    keys = [i.key for i in reference.indicators() if i.rode_column]
    units = [{"id": a.slug, "name": a.name} for a in reference.areas()] + [{"id": "kbh", "name": "Hele København"}]
    rates: dict[str, dict[str, list]] = {}
    for unit in units:
        part = (
            s[(s["slug"] == "alle") & (s["group"] == "city")]
            if unit["id"] == "kbh"
            else s[(s["slug"] == unit["id"]) & (s["group"] == "area")]
        )
        rates[unit["id"]] = {
            k: [[int(y), round(float(r), 2)] for y, r in part[part["indicator"] == k][["year", "rate"]].to_numpy()]
            for k in keys
        }
    names = {i.key: i.name for i in reference.indicators()}
    return {"units": units, "indicators": [{"key": k, "name": names[k]} for k in keys], "rates": rates}


def write_site_data(derived: Path, dest: Path, raw_dir: Path = paths.RAW) -> Path:
    """Write every download into dest (replaced whole, so no stale file survives)."""
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "omraader").mkdir(parents=True)
    write_csv(
        suppressed_indicators(derived).round({"numerator": 1, "denominator": 1, "rate": 3, "index": 2}),
        tmp / "indicators.csv",
    )
    areas = gpd.read_file(derived / "areas.geojson").to_crs(PUBLISH_CRS)
    areas[["slug", "name", "wave", "geometry"]].to_file(tmp / "areas.geojson", driver="GeoJSON", COORDINATE_PRECISION=6)
    members = pd.read_csv(derived / "area_members.csv")
    write_csv(members[["slug", "rode_nr", "rodenavn"]], tmp / "area_members.csv")
    for area in reference.areas():
        table = area_table(derived, area.slug)
        write_csv(table, tmp / "omraader" / f"{area.slug}.csv")
        roder = members[members["slug"] == area.slug][["rode_nr", "rodenavn"]]
        with pd.ExcelWriter(tmp / "omraader" / f"{area.slug}.xlsx", engine="openpyxl") as xl:
            neutralise_formulas(table).to_excel(xl, sheet_name="udvikling", index=False)
            neutralise_formulas(roder).to_excel(xl, sheet_name="roder", index=False)
        _normalise_xlsx(tmp / "omraader" / f"{area.slug}.xlsx")
    write_csv(DICTIONARY, tmp / "ordbog.csv")
    (tmp / "sammenlign.json").write_text(json.dumps(compare_data(derived), ensure_ascii=False), encoding="utf-8")
    from .webmap import map_data

    (tmp / "kort.json").write_text(
        json.dumps(map_data(derived, raw_dir), ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp.replace(dest)
    return dest
