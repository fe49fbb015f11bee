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


def cmd_plan(args) -> None:
    from . import draft, plans
    from .results import Results

    if args.action == "check":
        found = plans.load_all()
        for slug, p in found.items():
            print(f"ok: plans/{slug}.md – {p.status}, {len(p.goals)} goals, {len(p.targets)} targets")
        return
    for slug in args.area:
        path = plans.plan_path(slug)
        if path.exists() and not args.force:
            raise plans.PlanError(f"plans/{slug}.md exists; use --force to replace it with a draft")
        path.parent.mkdir(exist_ok=True)
        path.write_text(draft.draft_text(Results(), slug), encoding="utf-8")
        print(f'wrote plans/{slug}.md (status: udkast); edit it, then run `make book ARGS="--area {slug}"`')


def cmd_publish(args) -> None:
    from . import editions

    path = editions.publish()
    print(f"wrote {path.relative_to(paths.ROOT)}: commit it, so the next review and revision notes compare with it")


def cmd_review(args) -> None:
    from . import editions

    line, md = editions.review(Path(args.out), ref=args.against)
    print(md.read_text(encoding="utf-8") if args.print else f"review: {line}\nwrote {md} and review.html")


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
    from . import reference

    slugs = [a.slug for a in reference.areas()]
    plan_p = sub.add_parser(
        "plan",
        help="check the area plans (plans/<slug>.md), or write a draft plan proposed from the data",
        description="check: validate every plan. draft: write plans/<slug>.md with goals for the area's "
        "largest gaps (status udkast); it needs a build's prepared results.",
    )
    plan_p.add_argument("action", choices=["check", "draft"])
    plan_p.add_argument(
        "--area",
        action="append",
        choices=slugs,
        default=[],
        metavar="SLUG",
        help=f"area to draft a plan for; one of: {', '.join(slugs)}",
    )
    plan_p.add_argument("--force", action="store_true", help="replace an existing plan with the draft")
    sub.add_parser(
        "publish",
        help="record the current build as the next edition (editions/<n>.json, committed)",
        description="Record what the current build publishes: figures, target statuses, chapter prose, pages, "
        "data and plan versions. Reviews and revision notes compare with the last edition.",
    )
    review_p = sub.add_parser(
        "review",
        help="compare the current build with the last published edition; write review.md and review.html",
        description="Report the figures that moved beyond rounding, changed target statuses, chapters whose "
        "text changed (word-level diff), pages added or removed, and the data and plan versions.",
    )
    review_p.add_argument("--against", metavar="GIT_REF", help="compare with the last edition at this git ref")
    review_p.add_argument("--out", default="test-artifacts", help="folder for review.md and review.html")
    review_p.add_argument("--print", action="store_true", help="print the whole report")
    args = parser.parse_args(argv)
    from .build import BuildError
    from .load import DataError
    from .plans import PlanError
    from .registry import FetchError

    try:
        commands = {"fetch": cmd_fetch, "validate": cmd_validate, "delineate": cmd_delineate, "toc": cmd_toc}
        commands |= {"build": cmd_build, "plan": cmd_plan, "publish": cmd_publish, "review": cmd_review}
        commands[args.command](args)
    except (BuildError, DataError, FetchError, PlanError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
