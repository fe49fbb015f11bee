"""Load and validate the raw inputs.

Each loader reads one registered file, checks it against declared rules and returns a clean frame.
A broken input raises DataError naming the file, row, column, value and the rule it breaks; known
gaps in the real data (2012 has 387 roder; rode income is missing for 2014) are returned as notes,
never silently dropped.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from . import paths, reference
from .errors import DataError  # kept importable here: analysis.load.DataError
from .registry import (
    BYDEL_GEO_ROLE,
    BYDEL_IDS_ROLE,
    BYDEL_ROLE,
    ELECTION_ROLE,
    GLOSSARY_ROLE,
    HOUSING_ROLE,
    INCOME_ROLE,
    KVARTER_ROLE,
    KVARTER_STATS_ROLE,
    POLLING_ROLE,
    POPULATION_ROLE,
    RENEWAL_ROLE,
    RODE_GEO_ROLE,
    RODE_ROLE,
    name_for,
    path_for,
)

YEARS = tuple(range(2008, 2015))
AREA_CRS = "EPSG:25832"  # ETRS89 / UTM 32N: metric CRS for areas and distances in Denmark
MAX_ERRORS = 20

# Raw inputs by their role in data/registry.toml (registry.READ_BY lists every role the code reads):
# loaders get a verified path with path_for(role); the file names below are only used in messages.
BYDEL_FILE, BYDEL_IDS_FILE, RODE_FILE = name_for(BYDEL_ROLE), name_for(BYDEL_IDS_ROLE), name_for(RODE_ROLE)
RODE_GEO_FILE, BYDEL_GEO_FILE, HOUSING_FILE = name_for(RODE_GEO_ROLE), name_for(BYDEL_GEO_ROLE), name_for(HOUSING_ROLE)
RENEWAL_FILE, INCOME_FILE, GLOSSARY_FILE = name_for(RENEWAL_ROLE), name_for(INCOME_ROLE), name_for(GLOSSARY_ROLE)
POPULATION_FILE, ELECTION_FILE = name_for(POPULATION_ROLE), name_for(ELECTION_ROLE)
POLLING_FILE = name_for(POLLING_ROLE)
HOUSING_DWELLINGS = ("antal_fami", "antal_aeld", "antal_ungd")  # family, elderly and youth dwellings
# Copenhagen Municipality with about 15 km of margin, in AREA_CRS metres (x0, y0, x1, y1): features
# outside it have coordinates of another CRS than the one their file declares.
COPENHAGEN_BOX = (700_000, 6_150_000, 750_000, 6_200_000)
# What a raw file must be, by its suffix (for the message when it cannot be read at all).
READ_AS = {
    ".csv": "a UTF-8 CSV file",
    ".json": "JSON",
    ".geojson": "GeoJSON",
    ".xlsx": "an Excel workbook",
    ".shp": "an ESRI shapefile",
}


def read_raw(role: str, raw_dir: Path, reader, **kw):
    """reader(path, **kw) on the verified file registered for role. A file its reader cannot parse
    at all (another encoding, malformed JSON or GeoJSON, a truncated workbook) is a DataError that
    names it and says what it must be."""
    path = path_for(role, raw_dir)
    try:
        return reader(path, **kw)
    except Exception as err:  # only the reader runs here: whatever it raises is about the file
        expected = READ_AS.get(path.suffix.lower(), "a readable file")
        why = " ".join(str(err).split())[:300]
        raise DataError(f"{name_for(role)}: cannot be read as {expected} ({type(err).__name__}: {why})") from err


def to_area_crs(gdf: gpd.GeoDataFrame, file: str) -> gpd.GeoDataFrame:
    """gdf in AREA_CRS; a DataError if it declares no CRS or its features do not lie in Copenhagen
    (COPENHAGEN_BOX): then the coordinates are not in the CRS the file declares."""
    if gdf.crs is None:
        raise DataError(f"{file}: no CRS declared; expected EPSG:4326 or another known CRS")
    gdf = gdf.to_crs(AREA_CRS)
    minx, miny, maxx, maxy = gdf.total_bounds
    x0, y0, x1, y1 = COPENHAGEN_BOX
    if not (x0 <= minx and maxx <= x1 and y0 <= miny and maxy <= y1):
        raise DataError(
            f"{file}: the features lie at x {minx / 1000:.0f} to {maxx / 1000:.0f} km, y {miny / 1000:.0f} to "
            f"{maxy / 1000:.0f} km ({AREA_CRS}), not in Copenhagen (x {x0 // 1000}-{x1 // 1000} km, y "
            f"{y0 // 1000}-{y1 // 1000} km): are the coordinates in the CRS the file declares?"
        )
    return gdf


@dataclass
class Problems:
    """Collects rule violations for one file; raise() reports them all at once."""

    file: str
    items: list[str] = field(default_factory=list)
    hint: str | None = None  # what to do, if not DataError's (correct or re-fetch the raw file)

    def add(self, row, column: str, value, rule: str) -> None:
        where = f"row {row}" if row is not None else "file"
        value = value.item() if hasattr(value, "item") else value  # numpy scalar -> plain number
        self.items.append(f"{where}, column {column!r}, value {value!r}: {rule}")

    def raise_if_any(self) -> None:
        if self.items:
            shown = self.items[:MAX_ERRORS]
            more = len(self.items) - len(shown)
            tail = f"\n  ... and {more} more" if more else ""
            raise DataError(f"{self.file}: {len(self.items)} problem(s)\n  " + "\n  ".join(shown) + tail, self.hint)


def _csv_row(index) -> int:
    """Line number in the CSV file (line 1 is the header)."""
    return int(index) + 2


def check_columns(df: pd.DataFrame, required: Iterable[str], problems: Problems) -> bool:
    missing = [c for c in required if c not in df.columns]
    for c in missing:
        problems.add(None, c, None, "required column is missing")
    return not missing


def check_numeric(df: pd.DataFrame, columns: Iterable[str], problems: Problems) -> pd.DataFrame:
    """Coerce columns to float; a non-numeric cell is a problem."""
    out = df.copy()
    for c in columns:
        coerced = pd.to_numeric(out[c], errors="coerce")
        bad = coerced.isna() & out[c].notna()
        for i in out.index[bad]:
            problems.add(_csv_row(i), c, out.at[i, c], "expected a number")
        out[c] = coerced.astype(float)
    return out


def check_present(df: pd.DataFrame, columns: Iterable[str], problems: Problems) -> None:
    for c in columns:
        for i in df.index[df[c].isna()]:
            problems.add(_csv_row(i), c, None, "value is missing; expected a value in every row")


def check_range(df, columns, problems: Problems, low=0.0, high=None, tolerance=0.0) -> None:
    for c in columns:
        values = df[c]
        bad = values.lt(low - tolerance)
        if high is not None:
            bad |= values.gt(high + tolerance)
        rule = f"expected {low} ≤ value" + (f" ≤ {high}" if high is not None else "")
        for i in df.index[bad.fillna(False)]:
            problems.add(_csv_row(i), c, values[i], rule)


def check_unique(df: pd.DataFrame, keys: list[str], problems: Problems) -> None:
    dup = df.duplicated(keys, keep="first")
    for i in df.index[dup]:
        problems.add(_csv_row(i), "+".join(keys), tuple(df.loc[i, keys]), "duplicate key")


def check_years(df: pd.DataFrame, column: str, problems: Problems, years=YEARS, this_year: int | None = None) -> None:
    """A panel's years: each of `years` present, none after this year, and none apart from the run of
    consecutive years that holds them (a later extract may only add the next years)."""
    values = df[column].dropna().astype(int)
    present = set(values)
    for y in sorted(set(years) - present):
        problems.add(None, column, y, "year missing from the file")
    this_year = this_year or datetime.date.today().year
    first, last = min(years), max(years)
    while first - 1 in present:
        first -= 1
    while last + 1 in present and last < this_year:
        last += 1
    for i, y in values.items():
        if y > this_year:
            problems.add(_csv_row(i), column, y, f"a year in the future (expected {this_year} or earlier)")
        elif not first <= y <= last:
            problems.add(
                _csv_row(i), column, y, f"a year apart from the panel's years {first}–{last} (expected no gap)"
            )


def load_bydel_ids(raw_dir: Path = paths.RAW) -> dict[str, int]:
    ids = read_raw(BYDEL_IDS_ROLE, raw_dir, lambda p: json.loads(p.read_text(encoding="utf-8")))
    return {slug: int(nr) for slug, nr in ids.items()}


def bydel_counts_columns() -> list[str]:
    cols = {"antal_beboere"}
    for ind in reference.indicators():
        cols.update(ind.bydel_numerator, ind.bydel_denominator)
    return sorted(cols)


def validate_bydel(df: pd.DataFrame, ids: dict[str, int], file: str = BYDEL_FILE) -> pd.DataFrame:
    problems = Problems(file)
    counts = bydel_counts_columns()
    if not check_columns(df, ["aar", "district", *counts], problems):
        problems.raise_if_any()
    df = check_numeric(df, ["aar", *counts], problems)
    check_present(df, ["aar", "district"], problems)
    check_range(df, counts, problems, low=0)
    for i in df.index[~df["district"].isin(ids)]:
        problems.add(_csv_row(i), "district", df.at[i, "district"], f"unknown bydel slug; known: {sorted(ids)}")
    check_unique(df, ["district", "aar"], problems)
    check_years(df, "aar", problems)
    problems.raise_if_any()
    out = df.rename(columns={"aar": "year"}).assign(
        year=lambda d: d["year"].astype(int),
        bydel_nr=lambda d: d["district"].map(ids).astype(int),
    )
    return out


def load_bydel(raw_dir: Path = paths.RAW) -> pd.DataFrame:
    df = read_raw(BYDEL_ROLE, raw_dir, pd.read_csv, skip_blank_lines=False)
    return validate_bydel(df, load_bydel_ids(raw_dir))


def rode_share_columns() -> list[str]:
    """Share columns (percent) the indicators read from the rode file: their own and the age bands
    that estimate their reference populations."""
    own = [i.rode_column for i in reference.indicators() if i.rode_column]
    return [*own, *reference.age_columns()]


RODE_RENAMES = {"name": "rodenavn", "Number of residents": "residents"}  # rode file column -> frame column
UNCHECKED_RODE = "wkb_geometry"  # the rode file's geometry as text: never read (the boundaries are their own file)


@dataclass(frozen=True)
class RodeData:
    frame: pd.DataFrame  # one row per rode and year present in the file
    notes: tuple[str, ...]  # known gaps, reported in the book


def validate_rode(df: pd.DataFrame, rode_names: Iterable[str], file: str = RODE_FILE) -> RodeData:
    problems = Problems(file)
    shares = rode_share_columns()
    if not check_columns(df, ["name", "year", "Number of residents", *shares], problems):
        problems.raise_if_any()
    blank = df.isna().all(axis=1) | (df["name"].isna() & df["year"].isna())
    notes = [f"{int(blank.sum())} tomme rækker i {file} er sprunget over."] if blank.any() else []
    df = df.loc[~blank].copy()
    # every other column is a share too (age bands, education, income, origin), read by no indicator
    # but published with the file: validated as shares all the same; only the geometry text is not
    other = [c for c in df.columns if c not in {"name", "year", "Number of residents", UNCHECKED_RODE, *shares}]
    df = check_numeric(df, ["year", "Number of residents", *shares, *other], problems)
    check_present(df, ["year", "Number of residents"], problems)
    for i in df.index[df["name"].isna()]:
        problems.add(_csv_row(i), "name", None, "rode name is empty")
    df["name"] = df["name"].astype("string").str.strip()
    check_range(df, ["Number of residents"], problems, low=0)
    # Shares are in percent; allow float rounding noise of the source (values like 100.01).
    check_range(df, [*shares, *other], problems, low=0, high=100, tolerance=0.05)
    check_unique(df, ["name", "year"], problems)
    check_years(df, "year", problems)
    known = set(rode_names)
    for i in df.index[~df["name"].isin(known) & df["name"].notna()]:
        problems.add(_csv_row(i), "name", df.at[i, "name"], "rode name does not match any rode polygon")
    problems.raise_if_any()

    df["year"] = df["year"].astype(int)
    per_year = df.groupby("year")["name"].nunique()
    for year, n in per_year.items():
        if n < len(known):
            missing = sorted(known - set(df.loc[df["year"] == year, "name"]))
            notes.append(f"{year}: {n} af {len(known)} roder findes i data; mangler: {', '.join(missing)}.")
    for col in shares:
        empty_years = [y for y, g in df.groupby("year") if g[col].isna().all()]
        if empty_years:
            notes.append(f"'{col}' mangler for hele {', '.join(map(str, empty_years))} i kildedata.")
    frame = df[["name", "year", "Number of residents", *shares]].rename(columns=RODE_RENAMES)
    return RodeData(frame.reset_index(drop=True), tuple(notes))


def load_rode_geo(raw_dir: Path = paths.RAW) -> gpd.GeoDataFrame:
    gdf = read_raw(RODE_GEO_ROLE, raw_dir, gpd.read_file)
    return validate_geo(gdf, RODE_GEO_FILE, key="rode_nr", name="rodenavn")


def validate_geo(gdf: gpd.GeoDataFrame, file: str, key: str, name: str) -> gpd.GeoDataFrame:
    problems = Problems(file)
    if gdf.crs is None:
        problems.add(None, "geometry", None, "no CRS declared; expected EPSG:4326 or another known CRS")
    if not check_columns(gdf, [key, name], problems):
        problems.raise_if_any()
    missing = gdf.geometry.isna() | gdf.geometry.is_empty
    for i in gdf.index[missing]:
        problems.add(i + 1, "geometry", gdf.at[i, name], "geometry is missing or empty (feature number)")
    dup = gdf[key].duplicated()
    for i in gdf.index[dup]:
        problems.add(i + 1, key, gdf.at[i, key], "duplicate key (feature number)")
    problems.raise_if_any()
    out = gdf.copy()
    out[name] = out[name].astype("string").str.strip()
    # Self-intersecting rings occur in the source (3 roder); repair them and report which.
    invalid = ~out.geometry.is_valid
    out.loc[invalid, "geometry"] = out.geometry[invalid].apply(_repair)
    out.attrs["notes"] = (
        [f"{file}: ugyldig geometri repareret (make_valid) for {', '.join(out.loc[invalid, name])}."]
        if invalid.any()
        else []
    )
    return to_area_crs(out, file)


def _repair(geom):
    """make_valid, keeping only the polygonal parts (a repair can leave stray lines)."""
    fixed = shapely.make_valid(geom)
    if fixed.geom_type == "GeometryCollection":
        fixed = shapely.union_all([g for g in fixed.geoms if g.geom_type in ("Polygon", "MultiPolygon")])
    return fixed


def load_bydel_geo(raw_dir: Path = paths.RAW) -> gpd.GeoDataFrame:
    gdf = read_raw(BYDEL_GEO_ROLE, raw_dir, gpd.read_file)
    return validate_geo(gdf, BYDEL_GEO_FILE, key="bydel_nr", name="navn")


def load_rode(raw_dir: Path = paths.RAW, geo: gpd.GeoDataFrame | None = None) -> RodeData:
    """The rode panel, validated against the rode names of the boundaries (geo, loaded if not given)."""
    geo = load_rode_geo(raw_dir) if geo is None else geo
    df = read_raw(RODE_ROLE, raw_dir, pd.read_csv, skip_blank_lines=False)
    return validate_rode(df, geo["rodenavn"])


def load_rode_glossary(raw_dir: Path = paths.RAW) -> pd.DataFrame:
    """The rode file's values under Copenhagen's original Danish column names (pct_ingen_udd, ...),
    the glossary of its English names: seven yearly blocks without a year column. Only rode rows are
    kept: a row whose area_id is not a number (a blank line, or the stray line of polygon coordinates
    that ends each block) is not one. Values stay text; the check compares them as numbers."""
    df = read_raw(GLOSSARY_ROLE, raw_dir, pd.read_csv, dtype=str)
    problems = Problems(GLOSSARY_FILE)
    check_columns(df, ["area_id", "area_name"], problems)
    problems.raise_if_any()
    return df[pd.to_numeric(df["area_id"], errors="coerce").notna()].reset_index(drop=True)


def load_public_housing(raw_dir: Path = paths.RAW) -> gpd.GeoDataFrame:
    gdf = read_raw(HOUSING_ROLE, raw_dir, gpd.read_file, encoding="ISO-8859-1")
    problems = Problems(HOUSING_FILE)
    check_columns(gdf, ["afdelingsn", "selskabsna", "antal_bebo", *HOUSING_DWELLINGS], problems)
    problems.raise_if_any()
    gdf = to_area_crs(gdf, HOUSING_FILE)
    gdf["geometry"] = gdf.geometry.make_valid()
    return gdf


RENEWAL_DATE = "byfornyelse_vedtaget_i_br"  # the city council's decision


def load_renewal(raw_dir: Path = paths.RAW) -> gpd.GeoDataFrame:
    """Urban-renewal decisions, their decision date parsed (a date that is not one is an error)."""
    gdf = to_area_crs(read_raw(RENEWAL_ROLE, raw_dir, gpd.read_file), RENEWAL_FILE)
    problems = Problems(RENEWAL_FILE)
    check_columns(gdf, ["omraade", "adresse", RENEWAL_DATE], problems)
    problems.raise_if_any()
    decided = pd.to_datetime(gdf[RENEWAL_DATE], utc=True, errors="coerce")
    for i in gdf.index[decided.isna() & gdf[RENEWAL_DATE].notna()]:
        problems.add(i + 1, RENEWAL_DATE, gdf.at[i, RENEWAL_DATE], "expected a date like 1994-10-18 (feature number)")
    problems.raise_if_any()
    gdf[RENEWAL_DATE] = decided
    gdf["geometry"] = gdf.geometry.make_valid()
    return gdf


def load_kvarter(raw_dir: Path = paths.RAW) -> gpd.GeoDataFrame:
    """Copenhagen's neighbourhoods (kvarterer), for the web map's search."""
    gdf = read_raw(KVARTER_ROLE, raw_dir, gpd.read_file)
    problems = Problems(name_for(KVARTER_ROLE))
    check_columns(gdf, ["kvarternavn"], problems)
    problems.raise_if_any()
    return to_area_crs(gdf, name_for(KVARTER_ROLE))


def _statbank_table(role: str, raw_dir: Path) -> pd.DataFrame:
    return read_raw(role, raw_dir, read_statbank)


def read_statbank(path: Path, header_row: int = 2) -> pd.DataFrame:
    """A Statistikbank extract: filter note on top, column names in row 3, data from row 4."""
    df = pd.read_excel(path, header=header_row)
    df.index = df.index + header_row + 2  # index = spreadsheet row number
    return df


def _bydel_number(label: str) -> int | None:
    """'Bydel - 3. Nørrebro' or '3. Nørrebro' -> 3; 'Uden for inddeling' -> None."""
    match = re.search(r"(\d+)\.", str(label))
    return int(match.group(1)) if match else None


def load_income(raw_dir: Path = paths.RAW) -> pd.DataFrame:
    """IN74: disposable income by bydel and year, both sexes pooled (persons, total, mean DKK)."""
    df = _statbank_table(INCOME_ROLE, raw_dir)
    problems = Problems(INCOME_FILE)
    cols = ["År", "Bydele", "Sum af Antal personer", "Sum af Disponibel indkomst (1000 kr.)"]
    if not check_columns(df, cols, problems):
        problems.raise_if_any()
    df = df.rename(columns=dict(zip(cols, ["year", "label", "persons", "income_1000"], strict=True)))
    for i in df.index[pd.to_numeric(df["persons"], errors="coerce").isna()]:
        problems.add(i, "Sum af Antal personer", df.at[i, "persons"], "expected a number")
    problems.raise_if_any()
    df["bydel_nr"] = df["label"].map(_bydel_number)
    grouped = df.groupby(["year", "bydel_nr"], dropna=False)[["persons", "income_1000"]].sum()
    out = grouped.reset_index()
    out["mean_income"] = 1000 * out["income_1000"] / out["persons"]
    return out


POPULATION_COLUMNS = ("Generation_tekst", "Bydel:", "Sum af Antal personer")
N_BYDELE = 10
_BYDEL_LABEL = re.compile(r"^(?:Bydel - )?(\d{1,2})\. \S")
_OUTSIDE_LABEL = re.compile(r"^(?:Bydel - )?Uden for inddeling$")


def validate_population(df: pd.DataFrame, file: str = POPULATION_FILE) -> pd.DataFrame:
    """BE4.3 rows (index = spreadsheet row) -> tidy (year, bydel_nr, population) on 31 December.

    Generation_tekst is the count date (YYYYMMDD); only year-end counts are kept (the 2019 quarters
    are dropped). "Uden for inddeling" (residents placed in no bydel) gets bydel_nr <NA>.
    """
    problems = Problems(file)
    date_col, label_col, value_col = POPULATION_COLUMNS
    if not check_columns(df, POPULATION_COLUMNS, problems):
        problems.raise_if_any()
    dates = pd.to_datetime(df[date_col].astype("string"), format="%Y%m%d", errors="coerce")
    for i in df.index[dates.isna()]:
        problems.add(i, date_col, df.at[i, date_col], "expected a date YYYYMMDD")
    values = pd.to_numeric(df[value_col], errors="coerce")
    for i in df.index[values.isna() | (values < 0) | (values % 1 != 0)]:
        problems.add(i, value_col, df.at[i, value_col], "expected a whole number ≥ 0")
    labels = df[label_col].astype("string").str.strip()
    numbers = labels.str.extract(_BYDEL_LABEL, expand=False).astype("Int64")
    outside = labels.str.fullmatch(_OUTSIDE_LABEL).fillna(False).astype(bool)
    bad = ~outside & (numbers.isna() | (numbers < 1) | (numbers > N_BYDELE)).fillna(True).astype(bool)
    for i in df.index[bad]:
        problems.add(
            i, label_col, df.at[i, label_col], f"expected 'N. Name' with N in 1-{N_BYDELE} or 'Uden for inddeling'"
        )
    out = pd.DataFrame({"date": dates, "bydel_nr": numbers.where(~outside), "population": values}, index=df.index)
    for i in out.index[out.duplicated(["date", "bydel_nr"]) & out["date"].notna()]:
        problems.add(i, f"{date_col}+{label_col}", (df.at[i, date_col], df.at[i, label_col]), "duplicate key")
    year_end = out[(out["date"].dt.month == 12) & (out["date"].dt.day == 31)]
    for date, group in year_end.groupby("date"):
        missing = sorted(set(range(1, N_BYDELE + 1)) - set(group["bydel_nr"].dropna()))
        if missing:
            problems.add(None, label_col, missing, f"bydele missing for {date:%Y-%m-%d}")
    if year_end.empty and not problems.items:
        problems.add(None, date_col, None, "no year-end (31 December) counts in the file")
    problems.raise_if_any()
    tidy = year_end.assign(year=year_end["date"].dt.year.astype(int), population=year_end["population"].astype(int))
    tidy = tidy[["year", "bydel_nr", "population"]].sort_values(["year", "bydel_nr"], na_position="last")
    return tidy.reset_index(drop=True)


def load_population(raw_dir: Path = paths.RAW) -> pd.DataFrame:
    """BE4.3: population by bydel on 31 December of each year (year, bydel_nr, population)."""
    return validate_population(_statbank_table(POPULATION_ROLE, raw_dir))


# --- the City's Statistikbank by kvarter, 2016-2026 (the follow-up chapter, analysis/outcome.py) ------

N_KVARTERER = 67
KVARTER_CODE = re.compile(r"^2(0[1-9]|1[0-2])(0[1-9]|1[0-9])$")  # 2LLkk: 2, district 01-12, kvarter 01-19
# What the follow-up reads, each with its first year, the last year it must reach and its range.
KVARTER_INDICATORS = {
    "income_med": (2016, 2024, 50_000.0, 1_000_000.0),  # median disposable income, DKK a year
    "higher_ed": (2016, 2025, 0.0, 100.0),  # % of the 15-69-year-olds
    "almene": (2016, 2026, 0.0, 100.0),  # % of dwellings with known tenure
    "avg_m2": (2016, 2026, 20.0, 300.0),  # m² per dwelling
    "unemp": (2016, 2024, 0.0, 100.0),  # % of all residents, by bydel
}
KVARTER_MIN_OVERLAP = 0.75  # intersection over union of a kvarter's two polygons (this file, geo/kvarter.geojson)


@dataclass(frozen=True)
class KvarterStats:
    areas: gpd.GeoDataFrame  # code, name, bydel and the file's (simplified) polygon, in AREA_CRS
    values: pd.DataFrame  # code, indicator, year, value: one row per published value
    attribution: str


def _kvarter_problem(problems: Problems, where: str, fld: str, value, rule: str) -> None:
    problems.items.append(f"{where}, field {fld!r}, value {value!r}: {rule}")


def _rings_polygon(rings):
    """The file's rings ([lat, lon] pairs, each ring a part) as one (multi)polygon in lon/lat."""
    parts = [shapely.Polygon([(float(lon), float(lat)) for lat, lon in ring]) for ring in rings]
    return _repair(shapely.union_all(parts)) if len(parts) > 1 else _repair(parts[0])


def validate_kvarter_stats(data, file: str | None = None, this_year: int | None = None) -> KvarterStats:
    """The kvarter file: 67 kvarterer with unique codes (2LLkk), each read indicator's years (from its
    first year, through the last year it must reach, none in the future, no gap), values in range and
    polygons ([lat, lon] rings) inside Copenhagen."""
    file = file or name_for(KVARTER_STATS_ROLE)
    this_year = this_year or datetime.date.today().year
    problems = Problems(file)
    if not isinstance(data, dict) or not isinstance(data.get("areas"), list):
        raise DataError(f"{file}: expected a JSON object with a list 'areas' (the kvarterer)")
    known = {i.get("key") for i in data.get("indicators", []) if isinstance(i, dict)}
    for key in sorted(set(KVARTER_INDICATORS) - known):
        _kvarter_problem(problems, "file", "indicators", key, "indicator missing from the file's list")
    areas = data["areas"]
    if len(areas) != N_KVARTERER:
        _kvarter_problem(problems, "file", "areas", len(areas), f"expected {N_KVARTERER} kvarterer")
    rows, values, seen = [], [], set()
    for n, area in enumerate(areas, 1):
        if not isinstance(area, dict):
            _kvarter_problem(problems, f"kvarter number {n}", "areas", area, "expected an object")
            continue
        code = str(area.get("code", ""))
        where = f"kvarter {code} ({area.get('name')})" if code else f"kvarter number {n}"
        if not KVARTER_CODE.match(code):
            _kvarter_problem(problems, where, "code", area.get("code"), "expected a code 2LLkk (e.g. 21005)")
        elif code in seen:
            _kvarter_problem(problems, where, "code", code, "duplicate code")
        seen.add(code)
        if not str(area.get("name") or "").strip():
            _kvarter_problem(problems, where, "name", area.get("name"), "expected a name")
        try:
            geom = _rings_polygon(area["rings"])
        except Exception as err:  # not a list of [lat, lon] rings with at least 3 points
            _kvarter_problem(problems, where, "rings", type(err).__name__, "expected rings of [lat, lon] pairs")
            geom = None
        hist = area.get("hist") if isinstance(area.get("hist"), dict) else {}
        for key, (first, last, low, high) in KVARTER_INDICATORS.items():
            series = hist.get(key)
            if not isinstance(series, dict):
                _kvarter_problem(problems, where, f"hist.{key}", series, "expected yearly values")
                continue
            years = []
            for year, value in series.items():
                fld = f"hist.{key}.{year}"
                if not re.fullmatch(r"\d{4}", str(year)):
                    _kvarter_problem(problems, where, fld, year, "expected a year YYYY")
                    continue
                years.append(int(year))
                if int(year) > this_year:
                    _kvarter_problem(
                        problems, where, fld, year, f"a year in the future (expected {this_year} or earlier)"
                    )
                if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                    _kvarter_problem(problems, where, fld, value, "expected a number")
                elif not low <= value <= high:
                    _kvarter_problem(problems, where, fld, value, f"expected {low:g} ≤ value ≤ {high:g}")
                else:
                    values.append({"code": code, "indicator": key, "year": int(year), "value": float(value)})
            expected = set(range(first, max([last, *years]) + 1))
            for y in sorted(expected - set(years)):
                _kvarter_problem(
                    problems, where, f"hist.{key}", y, f"year missing (expected every year {first}–{last})"
                )
            for y in sorted(set(years) - expected):
                _kvarter_problem(problems, where, f"hist.{key}", y, f"a year before {first}")
        rows.append(
            {"code": code, "name": str(area.get("name", "")).strip(), "bydel": area.get("bydel"), "geometry": geom}
        )
    problems.raise_if_any()
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326").to_crs(AREA_CRS)
    x0, y0, x1, y1 = COPENHAGEN_BOX
    for r in gdf.itertuples():
        minx, miny, maxx, maxy = r.geometry.bounds
        if not (x0 <= minx and maxx <= x1 and y0 <= miny and maxy <= y1):
            _kvarter_problem(
                problems, f"kvarter {r.code} ({r.name})", "rings", f"x {minx / 1000:.0f}, y {miny / 1000:.0f} km",
                f"polygon not in Copenhagen (x {x0 // 1000}-{x1 // 1000} km, y {y0 // 1000}-{y1 // 1000} km, "
                f"{AREA_CRS}): are the pairs [lat, lon]?",
            )  # fmt: skip
    problems.raise_if_any()
    attribution = str(data.get("meta", {}).get("attribution") or "")
    return KvarterStats(gdf, pd.DataFrame(values, columns=["code", "indicator", "year", "value"]), attribution)


def crosscheck_kvarter(stats: KvarterStats, geo: gpd.GeoDataFrame, file: str | None = None) -> None:
    """The kvarter file's kvarterer against geo/kvarter.geojson: the same codes (kvarternr), the same
    names, and polygons that overlap (intersection over union at least KVARTER_MIN_OVERLAP; the file's
    polygons are simplified)."""
    file = file or name_for(KVARTER_STATS_ROLE)
    problems = Problems(f"{file} against {name_for(KVARTER_ROLE)}")
    check_columns(geo, ["kvarternr", "kvarternavn"], problems)
    problems.raise_if_any()
    other = geo.assign(code=geo["kvarternr"].astype(str)).set_index("code")
    mine = stats.areas.set_index("code")
    for code in sorted(set(mine.index) - set(other.index)):
        _kvarter_problem(problems, f"kvarter {code}", "code", code, "not in the kvarter boundaries")
    for code in sorted(set(other.index) - set(mine.index)):
        _kvarter_problem(problems, f"kvarter {code}", "kvarternr", code, "in the boundaries, not in the file")
    for code in sorted(set(mine.index) & set(other.index)):
        name, theirs = mine.at[code, "name"], str(other.at[code, "kvarternavn"]).strip()
        if name != theirs:
            _kvarter_problem(problems, f"kvarter {code}", "name", name, f"the boundaries call it {theirs!r}")
        a, b = mine.at[code, "geometry"], _repair(other.at[code, "geometry"])
        iou = a.intersection(b).area / a.union(b).area if not a.union(b).is_empty else 0.0
        if iou < KVARTER_MIN_OVERLAP:
            _kvarter_problem(
                problems, f"kvarter {code} ({name})", "rings", round(iou, 2),
                f"overlaps its polygon in the boundaries by less than {KVARTER_MIN_OVERLAP} (intersection over union)",
            )  # fmt: skip
    problems.raise_if_any()


def load_kvarter_stats(raw_dir: Path = paths.RAW, geo: gpd.GeoDataFrame | None = None) -> KvarterStats:
    """The City's Statistikbank by kvarter 2016-2026, validated and cross-checked against the kvarter
    boundaries (geo, loaded if not given)."""
    data = read_raw(KVARTER_STATS_ROLE, raw_dir, lambda p: json.loads(p.read_text(encoding="utf-8")))
    stats = validate_kvarter_stats(data)
    crosscheck_kvarter(stats, load_kvarter(raw_dir) if geo is None else geo)
    return stats
