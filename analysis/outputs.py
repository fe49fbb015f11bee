"""Open-data downloads for the site (``_build/html/data/``), all passed through disclosure control.

Files: indicators.csv (tidy, every level), areas.geojson, area_members.csv, one CSV and one Excel
workbook per area, and ordbog.csv (the data dictionary: file, column, meaning).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import disclosure, paths, reference
from .errors import BuildError
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


def rode_margins(derived: Path) -> dict[str, set[str]]:
    """The totals over roder that the book publishes, each with its roder: the city (sum of the
    roder), each bydel, each area, the six areas together and every rode of their bydele (all in
    indicators.csv, with numerator and denominator; rest-of-city in the area files is the city
    minus the area, a combination of these)."""
    roder = gpd.read_file(derived / "roder.geojson")[["rode_nr", "bydel_nr"]]
    roder = roder.assign(unit=roder["rode_nr"].astype(str))
    members = pd.read_csv(derived / "area_members.csv").assign(unit=lambda m: m["rode_nr"].astype(str))
    margins = {"by:kbh_roder": set(roder["unit"])}
    for bydel, part in roder.groupby("bydel_nr"):
        margins[f"bydel:{bydel}"] = set(part["unit"])
    for slug, part in members.groupby("slug"):
        margins[f"omraade:{slug}"] = set(part["unit"])
    margins["omraade:alle"] = set(members["unit"])
    bydele = {b for a in reference.areas() for b in a.bydele}
    margins["omraade:bydele"] = set(roder.loc[roder["bydel_nr"].isin(bydele), "unit"])
    return margins


def rode_tables(derived: Path, flags: pd.DataFrame) -> dict[tuple[str, int], tuple[pd.DataFrame, dict]]:
    """The linked tables of the audit, one per indicator and year: every rode with a value (its true
    numerator and denominator, ``hidden`` from ``flags``, what an attacker knows beforehand) and the
    published margins over them. ``flags``: rode rows of the indicator table with ``unit_id``,
    ``year``, ``indicator``, ``hidden`` and ``suppression_reason``."""
    obs = pd.read_csv(derived / "obs_rode.csv", dtype={"unit_id": str}).dropna(subset=["numerator"])
    obs = obs.merge(
        flags[["unit_id", "year", "indicator", "hidden", "suppression_reason"]],
        on=["unit_id", "year", "indicator"],
        how="left",
    )
    obs["hidden"] = obs["hidden"].fillna(False).astype(bool)
    small = obs["suppression_reason"].fillna("").str.contains(disclosure.REASON_SMALL_COUNT)
    # the residents of a rode are public (the rode file); "antal under 5" says a count is below 5
    obs["num_max"] = np.where(small, disclosure.MIN_COUNT, np.inf)
    obs["den_max"] = obs["residents"]
    share_of_residents = obs.groupby("indicator")[["denominator", "residents"]].apply(
        lambda g: bool(np.allclose(g["denominator"], g["residents"]))
    )
    obs["den_min"] = np.where(obs["indicator"].map(share_of_residents), obs["residents"], 0.0)
    margins = rode_margins(derived)
    tables = {}
    for (indicator, year), part in obs.groupby(["indicator", "year"], sort=True):
        cells = part.set_index("unit_id")[["numerator", "denominator", "hidden", "num_max", "den_min", "den_max"]]
        units = set(cells.index)
        tables[(indicator, int(year))] = (cells, {k: v & units for k, v in margins.items()})
    return tables


def _complementary_rode_suppression(out: pd.DataFrame, derived: Path) -> pd.DataFrame:
    """Hide, beside the roder hidden by the primary rules, the roder needed so that no hidden rode
    can be narrowed from the published totals to less than the protection level (per indicator,
    in every year: a series is shown whole or not at all)."""
    rode = out[out["level"] == "rode"]
    flags = rode.assign(hidden=rode["suppressed"].astype(bool))
    primary = flags[disclosure.is_primary(flags)]
    tables = rode_tables(derived, flags)
    residents = pd.read_csv(derived / "obs_rode.csv", dtype={"unit_id": str}).groupby("unit_id")["residents"].max()
    out = out.copy()
    for indicator in sorted(rode["indicator"].unique()):
        mine = {key: t for key, t in tables.items() if key[0] == indicator}
        protect = {
            key: primary.loc[(primary["indicator"] == indicator) & (primary["year"] == key[1]), "unit_id"]
            for key in mine
        }
        added = disclosure.complementary_suppression(
            mine, {k: list(v) for k, v in protect.items()}, residents.to_dict()
        )
        rows = (
            (out["level"] == "rode") & (out["indicator"] == indicator) & out["unit_id"].isin(added) & ~out["suppressed"]
        )
        out.loc[rows, PARTS] = float("nan")
        out.loc[rows, "suppressed"] = True
        out.loc[rows, "suppression_reason"] = disclosure.REASON_SECONDARY
    return out


PARTS = ["numerator", "denominator", "rate", "index"]  # what a suppressed row must not publish
PUBLISHED = ".published_indicators.csv"  # in the prepared folder: computed once, read by every kernel


def suppressed_indicators(derived: Path) -> pd.DataFrame:
    """Tidy indicators with primary, consistent-over-years and complementary suppression applied.
    Computed once per prepared folder (prepare replaces the folder, so the file never outlives
    its inputs or the code) and kept beside the results for the other kernels."""
    path = derived / PUBLISHED
    if path.is_file():
        out = pd.read_csv(path, dtype={"unit_id": str})
        return out.assign(suppression_reason=out["suppression_reason"].fillna(""))
    out = disclosure.suppress(_tidy_levels(derived), count_cols=("numerator", "denominator"))
    # a series is one unit at one level: rode 3 and bydel 3 are different units
    out = disclosure.consistent_across_years(
        out.assign(unit_key=out["level"] + ":" + out["unit_id"]), unit_col="unit_key"
    )
    out = _complementary_rode_suppression(out, derived)
    out.loc[out["suppressed"], PARTS] = float("nan")
    out = out[INDICATOR_COLUMNS].sort_values(["level", "unit_id", "indicator", "year"]).reset_index(drop=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    out.to_csv(tmp, index=False)
    tmp.replace(path)  # atomic: two kernels may write it at once
    return out


def audit_published(derived: Path, indicators: pd.DataFrame, full: bool = False) -> pd.DataFrame:
    """The disclosure audit of the published indicator table: for every primarily suppressed rode
    cell (``full``: every hidden rode cell; a value in the source, none in the table) the interval
    of its count that everything published allows (disclosure.audit: the shown roder, the totals
    of rode_margins, the residents and the published reasons), and the width its protection needs."""
    rode = indicators[indicators["level"] == "rode"].copy()
    rode["unit_id"] = rode["unit_id"].astype(str)
    rode["hidden"] = rode["numerator"].isna()
    rode["suppression_reason"] = rode["suppression_reason"].fillna("")
    names = rode.drop_duplicates("unit_id").set_index("unit_id")["unit_name"]
    rows = []
    for (indicator, year), (cells, margins) in rode_tables(derived, rode).items():
        one = rode[(rode["indicator"] == indicator) & (rode["year"] == year)]
        primary = list(one.loc[disclosure.is_primary(one), "unit_id"])
        targets = None if full else primary
        result = disclosure.audit(cells, margins, protect=primary, targets=targets)
        rows.append(result.assign(indicator=indicator, year=year).rename_axis("unit_id").reset_index())
    out = pd.concat(rows, ignore_index=True)
    return out.assign(unit_name=out["unit_id"].map(names))


AUDIT = ".disclosure_audit.json"  # in the prepared folder: the audit's line for the build log


def audit_line(result: pd.DataFrame, published: pd.DataFrame, seconds: float) -> str:
    """One line for the build log: what the audit checked and found."""
    protected = result[result["required"] > 0]
    rode = published[published["level"] == "rode"]
    secondary = (rode["suppression_reason"] == disclosure.REASON_SECONDARY).sum()
    slack = (protected["width"] / protected["required"]).min() if len(protected) else float("nan")
    return (
        f"disclosure audit: {len(protected)} primary rode cells protected against every published total "
        f"(narrowest interval {slack:.2f} x the protection level), {secondary} rode rows hidden as complements, "
        f"in {seconds:.1f} s"
    )


def check_audit(result: pd.DataFrame) -> None:
    """Refuse to publish (BuildError, one line) when a primary cell's interval is too narrow."""
    bad = result[~result["ok"]]
    if bad.empty:
        return
    r = bad.iloc[0]
    part = "count" if r["width"] < r["required"] - 1e-6 else "denominator"
    pre = "" if part == "count" else "den_"
    lower, upper = r[f"{pre}lower"] + 0.0, r[f"{pre}upper"] + 0.0  # no "-0.0"
    raise BuildError(
        f"disclosure audit: rode {r['unit_id']} {r['unit_name']}, {int(r['year'])}, {r['indicator']}: the published "
        f"totals narrow its hidden {part} to [{lower:.1f}; {upper:.1f}], narrower than the protection "
        f"level ({r[f'{pre}required']:.1f} persons wide); {len(bad)} cell(s) fail"
    )


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
    indicators = suppressed_indicators(derived)
    write_csv(indicators.round({"numerator": 1, "denominator": 1, "rate": 3, "index": 2}), tmp / "indicators.csv")
    # the audit reads back what is published: a hidden cell is one the file leaves empty
    t0 = time.perf_counter()
    published = pd.read_csv(tmp / "indicators.csv", dtype={"unit_id": str})
    result = audit_published(derived, published)
    check_audit(result)
    (derived / AUDIT).write_text(json.dumps({"line": audit_line(result, published, time.perf_counter() - t0)}))
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
