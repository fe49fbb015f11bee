"""Compute the city-wide results once per build and write them for the chapters to read.

``prepare`` loads and validates every raw input, builds the tidy indicator tables, scores and
flags the roder, runs the sensitivity analysis and Local Moran's I, and pools the six areas
against the rest of the city. Its outputs (CSV and GeoJSON in ``.cache/derived``) are the only
thing the chapter notebooks read; the open-data downloads are written from them.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import cache, composite, crosscheck, delineate, fmt, indicators, load, paths, reference, spatial, turnout

PUBLISH_CRS = "EPSG:4326"


@dataclass
class Inputs:
    bydel_obs: pd.DataFrame  # pooled from the bydel's roder
    city_obs: pd.DataFrame  # city totals of the bydel-only indicators (bydel file)
    rode_obs: pd.DataFrame
    rode_geo: gpd.GeoDataFrame
    bydel_geo: gpd.GeoDataFrame
    rode_bydel: pd.Series
    notes: list[str]
    population: pd.DataFrame | None = None  # BE4.3 (load.load_population)
    income: pd.DataFrame | None = None  # IN74 (load.load_income)
    crosscheck: crosscheck.Report | None = None  # cross-source checks of the inputs


@dataclass
class RodeInputs:
    """What the identification of the roder (rode_scores) is computed from."""

    bydel_geo: gpd.GeoDataFrame
    rode_geo: gpd.GeoDataFrame
    rode: load.RodeData
    rode_obs: pd.DataFrame
    rode_bydel: pd.Series


def load_rode_inputs(raw_dir: Path = paths.RAW) -> RodeInputs:
    bydel_geo = load.load_bydel_geo(raw_dir)
    rode_geo = load.load_rode_geo(raw_dir)
    rode = load.load_rode(raw_dir, rode_geo)
    rode_obs = indicators.rode_observations(rode.frame, rode_geo[["rodenavn", "rode_nr"]])
    return RodeInputs(bydel_geo, rode_geo, rode, rode_obs, indicators.unit_bydel(rode_geo, bydel_geo))


def load_inputs(raw_dir: Path = paths.RAW) -> Inputs:
    r = load_rode_inputs(raw_dir)
    names = dict(zip(r.bydel_geo["bydel_nr"], r.bydel_geo["navn"], strict=True))
    bydel = load.load_bydel(raw_dir)
    city_obs = indicators.city_observations(bydel)
    crosscheck.check_glossary(r.rode.frame, load.load_rode_glossary(raw_dir))
    notes = [*r.rode.notes, *r.rode_geo.attrs.get("notes", [])]
    bydel_obs = indicators.bydel_from_roder(r.rode_obs, r.rode_bydel, names)
    population = load.load_population(raw_dir)
    roster = r.rode_geo.set_index("rodenavn")["rode_nr"].map(r.rode_bydel)
    income = load.load_income(raw_dir)
    report = crosscheck.run(bydel, weighted_roder(r.rode.frame), roster, population, income, names)
    inputs = Inputs(
        bydel_obs, city_obs, r.rode_obs, r.rode_geo, r.bydel_geo, r.rode_bydel, notes, population, income, report
    )
    return apply_checks(inputs)


def apply_checks(inputs: Inputs) -> Inputs:
    """Publish nothing that fails its cross-check: the rode file (every figure's source) must pass;
    the bydel file's city totals are dropped if they fail; a year with too few roder is left out."""
    report, rode_file, bydel_file = inputs.crosscheck, load.RODE_FILE, load.BYDEL_FILE
    if not report.trusted_for_units(rode_file):
        failures = [f.message for c in report.checks if c.files[0] == rode_file for f in c.failures]
        raise load.DataError(
            f"{rode_file} fails its cross-checks; nothing is published:\n  " + "\n  ".join(failures[:10])
        )
    notes = list(inputs.notes)
    if not report.trusted_for_units(bydel_file):
        pop = report.check("bydel_population")
        notes.append(
            f"{bydel_file}: tallene pr. bydel passer ikke med Statistikbankens befolkning (BE4.3) eller med "
            f"bydelenes roder ({len(pop.failures)} af {pop.compared} bydel-år uden for tolerancen); filen bruges "
            "kun til tal for hele byen."
        )
    for f in report.check("labour_coverage").failures:
        notes.append(
            f"{f.year}: arbejdsmarkedstallene i {bydel_file} dækker {fmt.number(f.value_a, 1)} % af beboerne mod "
            f"{fmt.number(f.value_b, 1)} % i de øvrige år (et brud i opgørelsen)."
        )
    if not report.trusted_for_city(bydel_file):
        inputs.city_obs = inputs.city_obs.iloc[0:0]
        notes.append(f"{bydel_file}: byens samlede tal fejler kontrollen mod rodefilen og vises ikke.")
    short = report.coverage.index[report.coverage["below"]].tolist()
    if short:
        inputs.rode_obs = inputs.rode_obs[~inputs.rode_obs["year"].isin(short)]
        inputs.bydel_obs = inputs.bydel_obs[~inputs.bydel_obs["year"].isin(short)]
        notes.append(
            f"{', '.join(map(str, short))}: for få roder i {rode_file} (under "
            f"{100 * crosscheck.tolerances().coverage_threshold:.0f} %); året giver ingen tal i bogen."
        )
    inputs.notes = notes
    return inputs


def weighted_roder(frame: pd.DataFrame) -> pd.DataFrame:
    """The rode frame with the reference populations of its shares (the same estimates as the
    indicators): working_age (16-64) for education and adults (18+) for income."""
    weights = {i.rode_column: i.rode_population for i in reference.indicators() if i.rode_column}
    return frame.assign(
        working_age=indicators.reference_population(frame, weights["No education"]),
        adults=indicators.reference_population(frame, weights["Low income"]),
    )


def members(path: Path = paths.MEMBERS) -> pd.DataFrame:
    """The frozen area membership (reference data written by `python -m analysis delineate`)."""
    df = pd.read_csv(path, dtype={"slug": str, "rodenavn": str})
    unknown = set(df["slug"]) - {a.slug for a in reference.areas()}
    if unknown:
        raise ValueError(f"{path}: unknown area slugs {sorted(unknown)}")
    return df


# What to do about reference data (in git, not fetched).
REFERENCE_HINT = "correct the file named above (`git diff analysis/reference` shows what changed)"


def check_reference(frozen: pd.DataFrame, inputs: Inputs) -> None:
    """The areas' bydele (areas.toml) and the frozen members' roder (area_members.csv) must exist in
    the boundaries."""
    bydele = set(inputs.bydel_geo["bydel_nr"].astype(int))
    problems = load.Problems("analysis/reference/areas.toml", hint=REFERENCE_HINT)
    for area in reference.areas():
        for nr in sorted(set(area.bydele) - bydele):
            rule = f"no such bydel in {load.BYDEL_GEO_FILE} (bydel_nr {min(bydele)} to {max(bydele)})"
            problems.add(None, f"[{area.slug}] bydele", nr, rule)
    problems.raise_if_any()
    roder = set(inputs.rode_geo["rode_nr"].astype(int))
    problems = load.Problems("analysis/reference/area_members.csv", hint=REFERENCE_HINT)
    for i, nr in frozen["rode_nr"].items():
        if int(nr) not in roder:
            problems.add(i + 2, "rode_nr", int(nr), f"no such rode in {load.RODE_GEO_FILE} (line number)")
    problems.raise_if_any()


def check_members(frozen: pd.DataFrame, by_rule: pd.DataFrame) -> None:
    """The frozen membership must be what the delineation rule gives; after a change of the rule
    (areas.toml [delineation]) the book would describe one rule and show the areas of another."""

    def pairs(df):
        return set(zip(df["slug"], df["rode_nr"].astype(int), strict=True))

    frozen_pairs, rule_pairs = pairs(frozen), pairs(by_rule)
    if frozen_pairs != rule_pairs:
        r = reference.delineation()
        raise load.DataError(
            f"analysis/reference/area_members.csv no longer follows the delineation rule in areas.toml "
            f"(threshold {r.threshold:g}, baseline year {r.baseline_year}): {len(rule_pairs - frozen_pairs)} roder "
            f"would join and {len(frozen_pairs - rule_pairs)} would leave the areas. Run `python -m analysis "
            "delineate` to re-delineate (and review the change), or restore the rule.",
            REFERENCE_HINT,
        )


def compute_members(inputs: Inputs) -> pd.DataFrame:
    rule = reference.delineation()
    scores = delineate.baseline_scores(inputs.rode_obs, rule.baseline_year, rule.construction)
    return delineate.delineate(scores, inputs.rode_geo, inputs.rode_bydel)


def rode_scores(inputs: Inputs | RodeInputs, year: int, n_draws: int, permutations: int) -> gpd.GeoDataFrame:
    """Per rode in the baseline year: index per indicator, three composites, flag, sensitivity, LISA."""
    obs = inputs.rode_obs[inputs.rode_obs["year"] == year]
    city = indicators.pooled(obs).set_index("indicator")["rate"]
    idx = composite.index_table(indicators.wide_rates(obs, year), city)
    out = idx.add_prefix("index_")
    out["composite_ratio"] = composite.composite_ratio(idx)
    out["composite_log"] = composite.composite_log(idx)
    out["composite_percentile"] = composite.composite_percentile(idx)
    rule = reference.delineation()
    out["flagged"] = composite.flag_deprived(out[f"composite_{rule.construction}"], rule.threshold)
    out = out.join(composite.sensitivity(idx, n=n_draws))
    residents = obs.drop_duplicates("unit_id").set_index("unit_id")["residents"]
    out["residents"] = residents
    geo = inputs.rode_geo.assign(unit_id=inputs.rode_geo["rode_nr"].astype(str))
    geo = geo[["unit_id", "rode_nr", "rodenavn", "geometry"]].set_index("unit_id").join(out)
    geo["bydel_nr"] = geo["rode_nr"].map(inputs.rode_bydel)
    lisa = spatial.local_moran(geo, "composite_ratio", permutations=permutations)
    geo = geo.join(lisa[["cluster", "significant"]].rename(columns={"significant": "lisa_significant"}))
    return geo.reset_index()


def area_series(inputs: Inputs, member_table: pd.DataFrame) -> pd.DataFrame:
    """Area, rest of city and city per year and indicator, pooled from the roder (level "rode"),
    for each area and for the six together ("alle"); plus the city totals of the bydel-only
    indicators (level "by", group "city", slug "alle")."""
    frames = []
    for area in reference.areas():
        roder = member_table.loc[member_table["slug"] == area.slug, "rode_nr"]
        frames.append(indicators.area_vs_rest(inputs.rode_obs, roder).assign(slug=area.slug, level="rode"))
    all_roder = member_table["rode_nr"]
    frames.append(indicators.area_vs_rest(inputs.rode_obs, all_roder).assign(slug="alle", level="rode"))
    # every rode of the bydele the six names point to: the policy's own (unpublished) areas lie
    # somewhere between these and the six areas delineated here
    bydele = {b for a in reference.areas() for b in a.bydele}
    in_bydele = inputs.rode_bydel[inputs.rode_bydel.isin(bydele)].index
    frames.append(indicators.area_vs_rest(inputs.rode_obs, in_bydele).assign(slug="bydele", level="rode"))
    frames.append(indicators.pooled(inputs.city_obs).assign(group="city", slug="alle", level="by"))
    return pd.concat(frames, ignore_index=True)


def area_geometries(rode_geo: gpd.GeoDataFrame, member_table: pd.DataFrame) -> gpd.GeoDataFrame:
    geo = rode_geo[["rode_nr", "geometry"]].merge(member_table[["slug", "rode_nr", "residents"]])
    out = geo.dissolve(by="slug", aggfunc={"residents": "sum"}).reset_index()
    meta = pd.DataFrame([{"slug": a.slug, "name": a.name, "wave": a.wave} for a in reference.areas()])
    return gpd.GeoDataFrame(meta.merge(out, on="slug"), geometry="geometry", crs=rode_geo.crs)


def _in_area(points: gpd.GeoSeries, areas: gpd.GeoDataFrame) -> pd.Series:
    """Slug of the area containing each point (None outside all six areas)."""
    joined = gpd.sjoin(
        gpd.GeoDataFrame(geometry=points, crs=areas.crs), areas[["slug", "geometry"]], how="left", predicate="within"
    )
    return joined[~joined.index.duplicated()]["slug"]


def estates(raw_dir: Path, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Public-housing estates with the area their representative point lies in."""
    gdf = load.load_public_housing(raw_dir)
    out = gpd.GeoDataFrame(
        {
            "estate": gdf["afdelingsn"].astype(str).str.strip(),
            "association": gdf["selskabsna"].astype(str).str.strip(),
            # dwellings are family + elderly + youth dwellings; antal_bebo counts residents
            "dwellings": gdf[list(load.HOUSING_DWELLINGS)]
            .apply(pd.to_numeric, errors="coerce")
            .sum(axis=1, min_count=1),
            "residents": pd.to_numeric(gdf["antal_bebo"], errors="coerce"),
        },
        geometry=gdf.geometry,
        crs=gdf.crs,
    )
    out["slug"] = _in_area(out.geometry.representative_point(), areas)
    return out


def renewal_by_area(raw_dir: Path, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Urban-renewal decisions per area and period (decision year from the city council date)."""
    gdf = load.load_renewal(raw_dir)
    year = gdf[load.RENEWAL_DATE].dt.year
    year = year.fillna(pd.to_numeric(gdf["omraade"].astype(str).str[:4], errors="coerce"))
    period = pd.cut(
        year, [0, 2000, 2010, 2020, 3000], right=True, labels=["før 2001", "2001–2010", "2011–2020", "efter 2020"]
    )
    slug = _in_area(gdf.geometry.representative_point(), areas)
    table = pd.DataFrame({"slug": slug.fillna("resten af byen"), "period": period.astype(str)})
    return table.value_counts().rename("decisions").reset_index().sort_values(["slug", "period"])


def checked_inputs(raw_dir: Path = paths.RAW) -> tuple[Inputs, pd.DataFrame]:
    """The validated inputs and the frozen membership, checked against each other: every rule a build
    applies to the data before it computes (`data update` applies the same)."""
    inputs = load_inputs(raw_dir)
    year = reference.delineation().baseline_year
    if year not in set(inputs.rode_obs["year"]):
        raise load.DataError(
            f"{load.RODE_FILE}: the baseline year {year} (areas.toml [delineation]) has no usable rode figures, "
            "so the roder cannot be scored and the areas cannot be delineated; nothing is published."
        )
    member_table = members()
    check_reference(member_table, inputs)
    check_members(member_table, compute_members(inputs))
    return inputs, member_table


def prepare(
    raw_dir: Path = paths.RAW,
    out_dir: Path = paths.DERIVED,
    n_draws: int | None = None,
    permutations: int | None = None,
    scores: bool = True,
) -> Path:
    """Compute every city-wide result and write it to out_dir. Returns out_dir. scores=False leaves
    out the identification (roder.geojson), for a caller that has it computed beside (write_scores)."""
    inputs, member_table = checked_inputs(raw_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    inputs.rode_obs.to_csv(out_dir / "obs_rode.csv", index=False)
    inputs.bydel_obs.to_csv(out_dir / "obs_bydel.csv", index=False)
    member_table.to_csv(out_dir / "area_members.csv", index=False)
    area_series(inputs, member_table).to_csv(out_dir / "area_series.csv", index=False)
    if scores:
        shutil.copyfile(_scores_cached(inputs, n_draws, permutations), out_dir / "roder.geojson")
    _write_geojson(inputs.bydel_geo[["bydel_nr", "navn", "geometry"]], out_dir / "bydele.geojson")
    areas = area_geometries(inputs.rode_geo, member_table)
    _write_geojson(areas, out_dir / "areas.geojson")
    _write_geojson(estates(raw_dir, areas), out_dir / "estates.geojson")
    renewal_by_area(raw_dir, areas).to_csv(out_dir / "renewal.csv", index=False)
    inputs.income.to_csv(out_dir / "income_bydel.csv", index=False)
    polling = turnout.load_election_2013(raw_dir)
    turnout.area_turnout(polling, inputs.rode_geo, inputs.rode_obs, member_table).to_csv(
        out_dir / "turnout_2013.csv", index=False
    )
    from . import outcome  # the follow-up 2011-2025 with the City's kvarter statistics

    outcome.prepare(raw_dir, inputs.rode_geo, inputs.rode_obs, member_table, out_dir)
    (out_dir / "notes.json").write_text(json.dumps(inputs.notes, ensure_ascii=False, indent=1))
    return out_dir


def write_scores(raw_dir: Path, dest: Path) -> None:
    """roder.geojson from the rode file and the boundaries alone, so that a build can compute it in
    a second process while prepare(scores=False) computes the rest. prepare validates the same files
    and more; the baseline year's figures are the same in both (the checks drop whole years only)."""
    shutil.copyfile(_scores_cached(load_rode_inputs(raw_dir)), dest)


def _scores_cached(inputs: Inputs | RodeInputs, n_draws: int | None = None, permutations: int | None = None) -> Path:
    """The identification (rode_scores) in the baseline year, kept in .cache: recomputed only when
    what it depends on changed: the baseline year's observations, the rode geometry, the parameters
    and the code. New data for other years (the usual update) reuses it. Returns its file."""
    n_draws = reference.param("sensitivity", "draws") if n_draws is None else n_draws
    permutations = reference.param("sensitivity", "permutations") if permutations is None else permutations
    year = reference.delineation().baseline_year
    key = cache.digest_text(
        inputs.rode_obs[inputs.rode_obs["year"] == year].to_csv(index=False),
        inputs.rode_geo.to_wkb().to_csv(),
        inputs.rode_bydel.to_csv(),
        f"{year}/{n_draws}/{permutations}",
        cache.code_digest(),
    )
    kept = paths.CACHE / "scores.geojson"
    kept.parent.mkdir(parents=True, exist_ok=True)
    if not cache.is_current("scores", key, kept):
        tmp = kept.with_suffix(".part")
        _write_geojson(rode_scores(inputs, year, n_draws, permutations), tmp)
        os.replace(tmp, kept)
        cache.store("scores", key)
    return kept


def _write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """GeoJSON in the metric CRS, coordinates rounded to 1 cm so output is stable across builds."""
    gdf = gdf.copy()
    gdf["geometry"] = gdf.geometry.set_precision(0.01)
    gdf.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=2, WRITE_BBOX="NO")
