"""Command line: python -m analysis {fetch,validate,delineate,toc,build}."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import paths


def _mirror(args) -> Path | None:
    from . import registry

    if args.download:
        return None
    return Path(args.mirror) if args.mirror else registry.default_mirror()


def cmd_fetch(args) -> None:
    from . import registry

    mirror = _mirror(args)
    print(f"fetching {len(registry.load_registry())} files from {mirror or 'their origin URLs'}")
    results = registry.fetch_all(
        registry.load_registry(), Path(args.raw), mirror, progress=lambda n, s: print(f"  {s:10s} {n}")
    )
    print(f"ok: {sum(s != 'present' for s in results.values())} fetched, all checksums verified")


def cmd_validate(args) -> None:
    from . import pipeline

    inputs = pipeline.load_inputs(Path(args.raw))
    print(f"ok: {inputs.rode_obs['unit_id'].nunique()} roder, {inputs.bydel_obs['unit_id'].nunique()} bydele")
    for note in inputs.notes:
        print(f"  note: {note}")
    from . import crosscheck

    print("cross-source checks (tolerances: analysis/reference/checks.toml):")
    for line in crosscheck.summary(inputs.crosscheck):
        print(f"  {line}")


def cmd_delineate(args) -> None:
    from . import pipeline

    table = pipeline.compute_members(pipeline.load_inputs(Path(args.raw)))
    table.to_csv(paths.MEMBERS, index=False)
    summary = table.groupby("slug").agg(roder=("rode_nr", "size"), residents=("residents", "sum"))
    print(f"wrote {paths.MEMBERS.relative_to(paths.ROOT)}\n{summary.to_string()}")


def cmd_toc(args) -> None:
    from . import book

    (paths.ROOT / "_toc.yml").write_text(book.toc_text(), encoding="utf-8")
    print("wrote _toc.yml")


def cmd_build(args) -> None:
    from . import build

    mirror = None if args.download else (Path(args.mirror) if args.mirror else None)
    summary = build.build(areas=args.area, wave=args.wave, jobs=args.jobs, raw_dir=Path(args.raw), mirror=mirror)
    times = ", ".join(f"{r.name} {r.seconds:.1f} s" for r in summary["chapters"] if r.status == "executed")
    print(
        f"done in {summary['seconds']:.1f} s: {summary['executed']} executed, {summary['reused']} reused, "
        f"{summary['kept']} kept" + (f" ({times})" if times else "")
    )
    print(f"site: {summary['site'].absolute() / 'index.html'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    parser.add_argument("--raw", default=str(paths.RAW), help="folder for the raw inputs (default: data/raw)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("fetch", "build"):
        p = sub.add_parser(name, help=f"{name} (see README)")
        p.add_argument(
            "--mirror", help="copy raw files from this folder (default: $UDSATTE_DATA_MIRROR or ../shared/data)"
        )
        p.add_argument("--download", action="store_true", help="download from the origin URLs instead of a mirror")
    build_p = sub.choices["build"]
    build_p.add_argument("--area", action="append", metavar="SLUG", help="only (re)generate this area; repeatable")
    build_p.add_argument("--wave", type=int, choices=[2012, 2013], help="only (re)generate this plan wave")
    build_p.add_argument("--jobs", type=int, default=os.cpu_count(), help="chapters executed in parallel")
    sub.add_parser("validate", help="load and validate every raw input, print known gaps")
    sub.add_parser("delineate", help="recompute the area membership (analysis/reference/area_members.csv)")
    sub.add_parser("toc", help="write _toc.yml from the reference data")
    args = parser.parse_args(argv)
    from .build import BuildError
    from .load import DataError
    from .registry import FetchError

    try:
        {"fetch": cmd_fetch, "validate": cmd_validate, "delineate": cmd_delineate, "toc": cmd_toc, "build": cmd_build}[
            args.command
        ](args)
    except (BuildError, DataError, FetchError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
