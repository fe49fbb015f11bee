"""Command line of the publication: fetch the data, validate it, build the book, list its state.

Errors you can fix (data, selection, plan, build, fetch) are reported on one line with what to
do, exit status 1; Ctrl-C stops the build cleanly (exit status 130); anything else is a bug and
shows its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

from . import paths
from .errors import UserError, describe


def _mirror(args) -> Path | None:
    from . import registry

    if args.download:
        return None
    return Path(args.mirror) if args.mirror else registry.default_mirror()


def cmd_fetch(args) -> None:
    from . import registry

    files, mirror, raw = registry.load_checked(), _mirror(args), Path(args.raw)
    print(f"fetching {len(files)} files into {raw} from {mirror or 'their origin URLs'}")
    results = registry.fetch_all(
        files, raw, mirror, progress=lambda n, s: print(f"  {s:10s} {n}"), download=args.download
    )
    for name in registry.unregistered(raw, files):
        print(f"  ignored    {name} (not in data/registry.toml, never read)")
    if mirror and (note := registry.mirror_note(mirror, files)):
        print(f"  {note}")
    print(f"ok: {sum(s != 'present' for s in results.values())} fetched, all sizes and checksums verified")


def cmd_validate(args) -> None:
    from . import pipeline

    inputs = pipeline.load_inputs(Path(args.raw))
    print(f"ok: {inputs.rode_obs['unit_id'].nunique()} roder, {inputs.bydel_obs['unit_id'].nunique()} bydele")
    for note in inputs.notes:
        print(f"  note: {note}")


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
    if not args.area:
        args.usage_error("plan draft needs --area SLUG (repeatable)")
    for slug in args.area:
        path = plans.plan_path(slug)
        if path.exists() and not args.force:
            raise plans.PlanError(f"plans/{slug}.md exists; use --force to replace it with a draft")
        path.parent.mkdir(exist_ok=True)
        path.write_text(draft.draft_text(Results(), slug), encoding="utf-8")
        print(f'wrote plans/{slug}.md (status: udkast); edit it, then run `make book ARGS="--area {slug}"`')


def cmd_publish(args) -> None:
    from . import book, build, editions
    from .errors import StaleError

    # the edition records the built site: refused unless it is built from the current data, code and plans
    data = data_version(Path(args.raw)) or "raw data missing"
    build.check_all_current(book.chapters(), paths.DERIVED, data, StaleError)
    path = editions.publish()
    print(f"wrote {path.relative_to(paths.ROOT)}: commit it, so the next review compares with it")


def cmd_review(args) -> None:
    from . import editions

    line, md = editions.review(Path(args.out), ref=args.against)
    print(md.read_text(encoding="utf-8") if args.print else f"review: {line}\nwrote {md} and review.html")


def cmd_build(args) -> None:
    from . import build

    paths.source_date_epoch()  # a bad $SOURCE_DATE_EPOCH stops the build before any work
    summary = build.build(
        areas=args.area,
        wave=args.wave,
        jobs=args.jobs,
        raw_dir=Path(args.raw),
        mirror=Path(args.mirror) if args.mirror else None,
        download=args.download,
        force=args.force,
    )
    times = ", ".join(f"{r.name} {r.seconds:.1f} s" for r in summary["chapters"] if r.status == "executed")
    print(
        f"done in {summary['seconds']:.1f} s: {summary['executed']} executed, {summary['reused']} reused, "
        f"{summary['kept']} kept" + (f" ({times})" if times else "")
    )
    print(f"site: {summary['site'].absolute() / 'index.html'} (data version {summary['data_version']})")


def data_version(raw: Path) -> str | None:
    """The data version a build would use now (None if raw files are missing)."""
    from . import build

    try:
        return build.raw_digest(raw)
    except OSError:
        return None


def cmd_list(args) -> None:
    from . import book, build

    print(reference_text())
    data, code = data_version(Path(args.raw)), build.code_digest()
    print(f"\ndata: {args.raw}, data version {data[:12] if data else 'unknown (files missing: run make data)'}")
    print("chapters:")
    for ch in book.chapters():
        state, why = build.chapter_state(ch, data, code) if data else ("unknown", "raw data missing")
        print(f"  {ch.name:30s} {state}" + (f" ({why})" if why else ""))


def cmd_data_update(args) -> None:
    from . import update

    lines = update.update(Path(args.source), Path(args.raw))
    if lines:
        print(f"updated {len(lines)} file(s) in data/raw and data/registry.toml:")
        print("\n".join(f"  {line}" for line in lines))
        print(
            "next: `make book` with --mirror/UDSATTE_DATA_MIRROR pointing at a folder with every registered file "
            "(these new ones included), then commit data/registry.toml (CI's mirror folder must hold the same files)"
        )


def reference_text() -> str:
    """Areas and waves from analysis/reference/areas.toml, for --help and `list`."""
    from . import reference

    areas = "\n".join(f"  {a.slug:22s} {a.name} (wave {a.wave})" for a in reference.areas())
    waves = "\n".join(f"  {w.year}  {w.title}" for w in reference.waves())
    return f"areas (--area):\n{areas}\nwaves (--wave):\n{waves}"


def _source_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--mirror", help="copy raw files from this folder (default: $UDSATTE_DATA_MIRROR or ../shared/data)"
    )
    group.add_argument(
        "--download", action="store_true", help="download every file from its https origin URL (needs network)"
    )


def _wait_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--wait", action="store_true", help="if another build is running, wait for it instead of failing")


def _build_parser(sub) -> None:
    from . import reference

    p = sub.add_parser(
        "build",
        help="fetch, validate and build the site into _build/html",
        description="Fetch and verify the raw data, prepare the city-wide results, execute the chapters that "
        "are not up to date and publish the site atomically. With --area/--wave only those chapters are "
        "(re)executed; the build refuses if a chapter outside the selection is stale.",
        epilog=reference_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--area", action="append", choices=[a.slug for a in reference.areas()], help="only this area; repeatable"
    )
    p.add_argument(
        "--wave", type=int, choices=[w.year for w in reference.waves()], help="only this wave (its page and areas)"
    )
    p.add_argument(
        "--jobs", type=_at_least_one, default=os.cpu_count(), help="chapters executed in parallel (default: the cores)"
    )
    p.add_argument("--force", action="store_true", help="re-execute every selected chapter, even if up to date")
    _source_options(p)
    _wait_option(p)
    p.set_defaults(run=cmd_build, locked=True)


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--raw", default=str(paths.RAW), help="folder for the raw inputs (default: data/raw)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser(
        "fetch",
        help="fetch and verify the raw inputs into data/raw",
        description="Copy every file of data/registry.toml from the mirror (or download it) and verify its size "
        "and sha256. A mirror file that differs from the registry is an error.",
    )
    _source_options(p)
    _wait_option(p)
    p.set_defaults(run=cmd_fetch, locked=True)
    _build_parser(sub)
    p = sub.add_parser(
        "list",
        help="areas, waves and every chapter's state (up to date / stale / never built)",
        description="List the areas and waves you can select, the data version, and every chapter's state "
        "with the reason (which input changed).",
    )
    p.set_defaults(run=cmd_list, locked=False)
    p = sub.add_parser("validate", help="load and validate every raw input, print known gaps")
    p.description = "Load and validate the raw inputs (checksums, columns, values); print the known gaps."
    p.set_defaults(run=cmd_validate, locked=False)
    p = sub.add_parser("delineate", help="recompute the area membership (analysis/reference/area_members.csv)")
    p.description = "Recompute which roder belong to each area and write analysis/reference/area_members.csv."
    p.set_defaults(run=cmd_delineate, locked=True, wait=False)
    p = sub.add_parser("toc", help="write _toc.yml from the reference data")
    p.description = "Write _toc.yml from analysis/reference/areas.toml."
    p.set_defaults(run=cmd_toc, locked=True, wait=False)
    _data_parser(sub)
    _plan_parsers(sub)
    return parser


def _plan_parsers(sub) -> None:
    from . import reference

    slugs = [a.slug for a in reference.areas()]
    p = sub.add_parser(
        "plan",
        help="check the area plans (plans/<slug>.md), or write a draft plan proposed from the data",
        description="check: validate every plan (file, line, field, value and what is allowed). draft: write "
        "plans/<slug>.md with goals for the area's largest gaps (status udkast); it needs a build's results.",
    )
    p.add_argument("action", choices=["check", "draft"])
    p.add_argument(
        "--area",
        action="append",
        choices=slugs,
        default=[],
        metavar="SLUG",
        help=f"area to draft a plan for; one of: {', '.join(slugs)}",
    )
    p.add_argument("--force", action="store_true", help="replace an existing plan with the draft")
    p.set_defaults(run=cmd_plan, locked=False, usage_error=p.error)
    p = sub.add_parser(
        "publish",
        help="record the current build as the next edition (editions/<n>.json, committed)",
        description="Record what the current build publishes: figures, target statuses, chapter prose, pages, "
        "data and plan versions. Reviews compare with the last edition.",
    )
    p.set_defaults(run=cmd_publish, locked=True, wait=False)
    p = sub.add_parser(
        "review",
        help="compare the current build with the last published edition; write review.md and review.html",
        description="Report the figures that moved beyond rounding, changed target statuses, chapters whose "
        "text changed (word-level diff), pages added or removed, and the data and plan versions.",
    )
    p.add_argument("--against", metavar="GIT_REF", help="compare with the last edition at this git ref")
    p.add_argument("--out", default="test-artifacts", help="folder for review.md and review.html")
    p.add_argument("--print", action="store_true", help="print the whole report")
    p.set_defaults(run=cmd_review, locked=False)


def _data_parser(sub) -> None:
    data = sub.add_parser("data", help="manage the raw data (see `data update --help`)")
    data.description = "Manage the raw data registered in data/registry.toml."
    actions = data.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser(
        "update",
        help="validate new extracts and register their checksums",
        description="Copy new extracts (same relative layout as the mirror; only changed files are needed) "
        "into data/raw, validate them together with the current files, and write their sha256 and bytes "
        "into data/registry.toml. Prints what changed (files; rows and years for CSVs). On a validation "
        "failure nothing is changed.",
    )
    p.add_argument("--from", dest="source", required=True, metavar="DIR", help="folder with the new extracts")
    _wait_option(p)
    p.set_defaults(run=cmd_data_update, locked=True)


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # SIGTERM (e.g. a cancelled CI job) stops the build like Ctrl-C


def run(args) -> None:
    from . import lock

    with lock.exclusive(wait=args.wait) if args.locked else contextlib.nullcontext():
        args.run(args)


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        run(args)
    except UserError as err:
        sys.stdout.flush()
        print(describe(err), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        sys.stdout.flush()
        print("\ninterrupted: stopped, partial files removed; the published site is unchanged", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def leave(code: int) -> None:
    """Exit without tearing down the ~3,000 modules a build imports (pandas, matplotlib,
    WeasyPrint): that takes about 0.9 s and writes nothing. Every file is closed by then; the
    standard streams are flushed here."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    leave(main())
