"""The command line (python -m analysis): help texts and choices, errors by kind, the build lock,
`list`, `data update` and the fetch source options."""

import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

import pytest

from analysis import __main__ as cli
from analysis import book, build, cache, editions, load, lock, paths, plans, reference, registry
from analysis.errors import BuildError, DataError, FetchError, SelectionError

SLUGS = [a.slug for a in reference.areas()]
BYDEL = registry.entry_for(load.BYDEL_ROLE)  # the registered bydel file, updated below


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    """The lock file (and other bookkeeping) in tmp_path, not in the checkout."""
    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")
    return tmp_path / "cache"


def _help(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as exit_:
        cli.main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


# --- help and choices ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv", [["fetch"], ["build"], ["list"], ["validate"], ["delineate"], ["toc"], ["data"], ["data", "update"]]
)
def test_every_command_says_what_it_does(capsys, argv):
    # argparse prints: usage, then the description (when there is one), then the arguments
    usage, description, *_ = _help(capsys, *argv).split("\n\n")
    assert description.strip() and not description.startswith(("options:", "positional arguments:"))


def test_build_help_lists_areas_waves_and_options(capsys):
    text = _help(capsys, "build")
    assert "{" + ",".join(SLUGS) + "}" in text
    assert "{2012,2013}" in text
    assert "noerrebro              Nørrebro (wave 2012)" in text
    assert "2013  Anden bølge: udviklingsplaner 2013" in text
    for option in ("--force", "--wait", "--download", "--mirror", "--jobs"):
        assert option in text


def test_top_level_help_lists_the_commands(capsys):
    text = _help(capsys)
    for command in ("fetch", "build", "list", "validate", "delineate", "toc", "data"):
        assert f"    {command}" in text


def test_unknown_area_is_refused_with_the_choices(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["build", "--area", "noerrebr"])
    assert exit_.value.code == 2
    assert "invalid choice: 'noerrebr'" in capsys.readouterr().err


@pytest.mark.parametrize("jobs", ["-3", "0", "two"])
def test_jobs_below_one_is_refused(capsys, jobs):
    # --jobs -3 used to start no worker, and the build waited forever for its chapters
    with pytest.raises(SystemExit) as exit_:
        cli.main(["build", "--jobs", jobs])
    assert exit_.value.code == 2
    assert f"argument --jobs: expected a whole number of at least 1, got '{jobs}'" in capsys.readouterr().err
    with pytest.raises(SelectionError, match="jobs=-3: expected a whole number of at least 1"):
        build.build(jobs=-3)


def test_mirror_and_download_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        cli.main(["fetch", "--mirror", "/tmp", "--download"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_plan_draft_without_an_area_shows_the_usage(capsys):
    # it used to do nothing and exit 0
    with pytest.raises(SystemExit) as exit_:
        cli.main(["plan", "draft"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m analysis plan ")
    assert err.endswith("python -m analysis plan: error: plan draft needs --area SLUG (repeatable)\n")


# --- SOURCE_DATE_EPOCH (the council PDFs' date) -------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(None, None), ("", None), ("0", 0), ("1767312000", 1767312000)])
def test_source_date_epoch_reads_a_whole_number(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert paths.source_date_epoch() == expected


@pytest.mark.parametrize("value", ["abc", "1.5", "-1", " 1767312000", "1e9", "١٢٣", "4102444800"])
def test_source_date_epoch_that_is_no_whole_number_or_in_the_future_is_refused(monkeypatch, value):
    # a non-number made a kernel time out; 4102444800 dated the PDFs "1. januar 2100"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    with pytest.raises(BuildError) as err:
        paths.source_date_epoch()
    assert str(err.value) == (
        f"SOURCE_DATE_EPOCH={value!r}: expected a whole number of seconds since 1970-01-01 UTC, not in the future"
    )


def test_build_stops_at_a_bad_source_date_epoch(tmp_cache, monkeypatch, capsys):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "tomorrow")
    monkeypatch.setattr(build, "build", lambda **kw: pytest.fail("the build ran"))
    assert cli.main(["build"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error [build]: SOURCE_DATE_EPOCH='tomorrow': expected a whole number of seconds")
    assert "what to do: unset SOURCE_DATE_EPOCH, or set it to the commit's date" in err


# --- errors by kind --------------------------------------------------------------------------------


def _command_raising(monkeypatch, err: BaseException) -> None:
    def command(args):
        print("working ...")
        raise err

    monkeypatch.setattr(cli, "cmd_list", command)


def test_user_error_is_one_line_with_what_to_do(capsys, monkeypatch):
    _command_raising(monkeypatch, FetchError("x.csv: missing in data/raw", hint="run `make data`"))
    assert cli.main(["list"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "working ...\n"
    assert captured.err == "error [fetch]: x.csv: missing in data/raw -- what to do: run `make data`\n"


def test_details_of_a_user_error_are_indented_below_it(capsys, monkeypatch):
    _command_raising(monkeypatch, DataError("b.csv: 2 problem(s)\n  row 3: bad\n  row 4: worse"))
    assert cli.main(["list"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("error [data]: b.csv: 2 problem(s) -- what to do: ")
    assert lines[1:] == ["  row 3: bad", "  row 4: worse"]


def test_a_bug_shows_its_traceback(monkeypatch):
    # KeyError used to be reported as a one-line user error
    _command_raising(monkeypatch, KeyError("indicator"))
    with pytest.raises(KeyError):
        cli.main(["list"])


def test_ctrl_c_exits_130_with_one_line(capsys, monkeypatch):
    _command_raising(monkeypatch, KeyboardInterrupt())
    assert cli.main(["list"]) == 130
    assert "interrupted: stopped, partial files removed" in capsys.readouterr().err


# --- the build lock --------------------------------------------------------------------------------

HOLDER = """
import sys, time
from pathlib import Path
from analysis import lock
with lock.exclusive(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)], cwd=paths.ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline() == "held\n"
    return proc


def test_second_build_says_another_is_running(tmp_cache, capsys):
    holder = _hold_lock(tmp_cache / "build.lock", 30)
    try:
        assert cli.main(["build"]) == 1
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    expected = f"error [build]: another build is running (pid {holder.pid})"
    assert err == expected + " -- what to do: wait for it to finish, or add --wait\n"


def test_wait_waits_for_the_other_build(tmp_cache):
    holder = _hold_lock(tmp_cache / "build.lock", 1.5)
    said = []
    t0 = time.monotonic()
    with lock.exclusive(tmp_cache / "build.lock", wait=True, log=said.append):
        waited = time.monotonic() - t0
        assert (tmp_cache / "build.lock").read_text() == f"{os.getpid()}\n"
    holder.wait()
    assert said == [f"waiting for the other build (pid {holder.pid}) to finish ..."]
    assert waited > 0.5


def test_lock_is_free_again_after_use(tmp_cache):
    with lock.exclusive(tmp_cache / "build.lock"):
        pass
    with lock.exclusive(tmp_cache / "build.lock"):
        pass


# --- list ------------------------------------------------------------------------------------------


def test_list_shows_areas_waves_and_chapter_states(tmp_path, monkeypatch, capsys):
    templates = tmp_path / "templates"
    templates.mkdir()
    shutil.copy(paths.TEMPLATES / "wave.md", templates / "wave.md")
    monkeypatch.setattr(paths, "TEMPLATES", templates)
    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(book.Chapter, "path", property(lambda self: tmp_path / "out" / f"{self.name}.ipynb"))
    chapters = [book.Chapter(f"boelge-{y}", "wave", {"wave": y}, wave=y) for y in (2012, 2013)]
    monkeypatch.setattr(book, "chapters", lambda: chapters)
    monkeypatch.setattr(cli, "data_version", lambda raw: "d2" * 32)
    monkeypatch.setattr(build, "code_digest", lambda: "c1")
    chapters[0].path.parent.mkdir(parents=True)
    chapters[0].path.write_text("{}")
    inputs = build.inputs_for(chapters[0], "d1" * 32, "c1")
    cache.store(build.step(chapters[0]), "old", inputs=inputs)
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "areas (--area):\n  bispebjerg-nordvest    Bispebjerg/Nordvest (wave 2012)\n" in out
    assert "waves (--wave):\n  2012  Første bølge: udviklingsplaner 2012\n" in out
    assert "data version d2d2d2d2d2d2" in out
    assert "  boelge-2012                    stale (data changed)\n" in out
    assert "  boelge-2013                    never built\n" in out


def test_publish_refuses_a_site_not_current_with_a_plan(built_site, tmp_path, monkeypatch, capsys):
    plans_dir = shutil.copytree(paths.ROOT / "plans", tmp_path / "plans")
    with open(plans_dir / "noerrebro.md", "a", encoding="utf-8") as fh:
        fh.write("\nEn ny sætning efter bygningen.\n")
    monkeypatch.setenv(plans.PLANS_ENV, str(plans_dir))
    monkeypatch.setattr(editions, "publish", lambda: pytest.fail("an edition of a stale site was recorded"))
    assert cli.main(["publish"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error [stale]: not publishing: chapter(s) not built from the current inputs: ")
    assert "omraader/noerrebro (stale: " in err and "plan changed)" in err
    assert len(err.splitlines()) == 1


# --- data update -----------------------------------------------------------------------------------


@pytest.fixture
def update_env(tmp_path, monkeypatch, tmp_cache, built_site):
    """A copy of data/raw and data/registry.toml to update, and a folder for the new extracts."""
    raw = tmp_path / "raw"
    shutil.copytree(paths.RAW, raw)
    reg = tmp_path / "registry.toml"
    shutil.copy(paths.REGISTRY, reg)
    monkeypatch.setattr(paths, "REGISTRY", reg)
    new = tmp_path / "new" / "kk-opendata"
    new.mkdir(parents=True)
    return raw, reg, new


def _with_2015(text: str) -> str:
    rows_2014 = [line for line in text.splitlines() if line.startswith("2014,")]
    return text + "".join("2015," + line[len("2014,") :] + "\n" for line in rows_2014)


def test_data_update_registers_a_new_extract(update_env, capsys):
    raw, reg, new = update_env
    before = reg.read_text(encoding="utf-8")
    content = _with_2015((raw / BYDEL.name).read_text(encoding="utf-8")).encode()
    (new / "bydel_socio_2008_2014.csv").write_bytes(content)
    (new / "extra.csv").write_text("a,b\n")
    sha = hashlib.sha256(content).hexdigest()
    assert cli.main(["--raw", str(raw), "data", "update", "--from", str(new.parent)]) == 0
    out = capsys.readouterr().out
    assert "ignored: kk-opendata/extra.csv is not in data/registry.toml" in out
    assert "updated 1 file(s)" in out
    assert (
        f"  {BYDEL.name}: sha256 {BYDEL.sha256[:12]} -> {sha[:12]}, {BYDEL.bytes} -> {len(content)} bytes; "
        "70 -> 80 rows (+10); "
        "years added: 2015\n" in out
    )
    assert "commit data/registry.toml" in out
    after = reg.read_text(encoding="utf-8")
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert changed == [
        (f'sha256 = "{BYDEL.sha256}"', f'sha256 = "{sha}"'),
        (f"bytes = {BYDEL.bytes}", f"bytes = {len(content)}"),
    ]
    assert (raw / BYDEL.name).read_bytes() == content
    assert not list(raw.rglob(".part-*"))


def test_data_update_that_does_not_validate_changes_nothing(update_env, capsys):
    raw, reg, new = update_env
    before_reg, before_raw = reg.read_bytes(), (raw / BYDEL.name).read_bytes()
    broken = before_raw.decode().replace("2008,amager_vest,53163,", "2008,amager_vest,-5,", 1)
    (new / "bydel_socio_2008_2014.csv").write_text(broken, encoding="utf-8")
    assert cli.main(["--raw", str(raw), "data", "update", "--from", str(new.parent)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error [data]: {BYDEL.name}: 1 problem(s)")
    assert "row 2, column 'antal_beboere', value -5.0: expected 0 ≤ value" in err
    assert f"correct the new extract in {new.parent}" in err
    assert reg.read_bytes() == before_reg
    assert (raw / BYDEL.name).read_bytes() == before_raw


def _update_fails(update_env, capsys, name: str, keep) -> str:
    """`data update` with the registered file `name` cut to the lines keep(line) accepts: its error."""
    raw, reg, new = update_env
    before_reg, before_raw = reg.read_bytes(), (raw / name).read_bytes()
    lines = before_raw.decode().splitlines(keepends=True)
    (new.parent / name).write_text(lines[0] + "".join(x for x in lines[1:] if keep(x)), encoding="utf-8")
    assert cli.main(["--raw", str(raw), "data", "update", "--from", str(new.parent)]) == 1
    assert reg.read_bytes() == before_reg and (raw / name).read_bytes() == before_raw
    return capsys.readouterr().err.splitlines()[0]


def test_data_update_that_loses_a_rode_year_row_names_year_and_rode(update_env, capsys):
    name = "kk-opendata/rode_socio_2008_2014.csv"
    err = _update_fails(update_env, capsys, name, lambda line: not line.startswith("Sankt Peders,480,2008,"))
    assert err == (
        f"error [data]: {name}: the new extract loses rows of the registered file: year 2008 lacks 1 roder: "
        f"Sankt Peders -- what to do: correct the new extract in {update_env[2].parent} and run `data update` "
        "again; nothing was changed"
    )


def test_data_update_that_loses_ten_roder_of_2011_names_them(update_env, capsys):
    name = "kk-opendata/rode_socio_2008_2014.csv"
    rows = (paths.RAW / name).read_text(encoding="utf-8").splitlines()[1:]
    gone = sorted({r.split(",")[0].strip() for r in rows if r.split(",")[2] == "2011"})[:10]
    err = _update_fails(
        update_env, capsys, name, lambda r: not (r.split(",")[2] == "2011" and r.split(",")[0].strip() in gone)
    )
    assert (
        f"{name}: the new extract loses rows of the registered file: year 2011 lacks 10 roder: {', '.join(gone)} --"
        in err
    )


def test_data_update_with_a_future_year_names_row_and_year(update_env, capsys):
    raw, reg, new = update_env
    text = (raw / BYDEL.name).read_text(encoding="utf-8")
    (new / "bydel_socio_2008_2014.csv").write_text(re.sub(r"(?m)^2014,", "2099,", text, count=1), encoding="utf-8")
    assert cli.main(["--raw", str(raw), "data", "update", "--from", str(new.parent)]) == 1
    err = capsys.readouterr().err
    row = 2 + next(i for i, line in enumerate(text.splitlines()[1:]) if line.startswith("2014,"))
    assert err.startswith(f"error [data]: {BYDEL.name}: 1 problem(s)")
    this_year = datetime.date.today().year
    assert f"row {row}, column 'aar', value 2099: a year in the future (expected {this_year} or earlier)" in err


def _declared_25832(raw: Path, name: str) -> bytes:
    """The GeoJSON with its lon/lat coordinates declared as metres of EPSG:25832."""
    data = json.loads((raw / name).read_text(encoding="utf-8"))
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}}
    return json.dumps(data).encode()


UNREADABLE = {  # name: (the broken new extract from the registered one, the start of the error)
    "geo/rode.geojson": (
        lambda raw, name: b'{"type": "FeatureCollection", "features": [',
        "geo/rode.geojson: cannot be read as GeoJSON (DataSourceError: Failed to read GeoJSON data",
    ),
    "kk-opendata/rode_socio_2008_2014.csv": (
        lambda raw, name: (raw / name).read_text(encoding="utf-8").encode("latin-1"),
        "kk-opendata/rode_socio_2008_2014.csv: cannot be read as a UTF-8 CSV file (UnicodeDecodeError:",
    ),
    "kk-opendata/bydel_ids.json": (
        lambda raw, name: (raw / name).read_bytes()[:-10],
        "kk-opendata/bydel_ids.json: cannot be read as JSON (JSONDecodeError:",
    ),
    "kk-statistikbank/BE4.3_population_bydel_1991_2018.xlsx": (
        lambda raw, name: (raw / name).read_bytes()[:4000],
        "kk-statistikbank/BE4.3_population_bydel_1991_2018.xlsx: cannot be read as an Excel workbook (BadZipFile:",
    ),
    "kk-statistikbank-kvarter/kvarter_indicators_2016_2026.json": (
        lambda raw, name: (raw / name).read_bytes()[:-10],
        "kk-statistikbank-kvarter/kvarter_indicators_2016_2026.json: cannot be read as JSON (JSONDecodeError:",
    ),
    "geo/kvarter.geojson": (
        _declared_25832,
        "geo/kvarter.geojson: the features lie at x 0 to 0 km, y 0 to 0 km (EPSG:25832), not in Copenhagen",
    ),
}


@pytest.mark.parametrize("name", UNREADABLE)
def test_data_update_of_an_unreadable_file_names_it_and_changes_nothing(update_env, capsys, name):
    raw, reg, new = update_env
    before = reg.read_bytes()
    broken, message = UNREADABLE[name]
    (new.parent / name).parent.mkdir(parents=True, exist_ok=True)
    (new.parent / name).write_bytes(broken(raw, name))
    assert cli.main(["--raw", str(raw), "data", "update", "--from", str(new.parent)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error [data]: {message}"), err
    assert "Traceback" not in err and reg.read_bytes() == before


def test_data_update_of_a_renewal_date_that_is_not_a_date_names_feature_and_value(update_env, capsys):
    raw, reg, new = update_env
    name = registry.entry_for(load.RENEWAL_ROLE).name
    data = json.loads((raw / name).read_text(encoding="utf-8"))
    data["features"][2]["properties"][load.RENEWAL_DATE] = "31-02-20xx"
    (new.parent / name).parent.mkdir(parents=True, exist_ok=True)
    (new.parent / name).write_text(json.dumps(data), encoding="utf-8")
    assert cli.main(["--raw", str(raw), "data", "update", "--from", str(new.parent)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error [data]: {name}: 1 problem(s)")
    assert "row 3, column 'byfornyelse_vedtaget_i_br', value '31-02-20xx': expected a date like 1994-10-18" in err


def test_data_update_with_nothing_new(update_env, capsys):
    raw, reg, new = update_env
    shutil.copy(raw / BYDEL.name, new / "bydel_socio_2008_2014.csv")
    assert cli.main(["--raw", str(raw), "data", "update", "--from", str(new.parent)]) == 0
    assert "nothing to update" in capsys.readouterr().out


def test_data_update_needs_a_folder(tmp_cache, tmp_path, capsys):
    assert cli.main(["data", "update", "--from", str(tmp_path / "nowhere")]) == 1
    assert capsys.readouterr().err.startswith(f"error [data]: {tmp_path / 'nowhere'} is not a folder")


# --- fetch sources ---------------------------------------------------------------------------------


def test_download_without_network_fails_clearly_and_ignores_the_mirror(tmp_cache, tmp_path, monkeypatch, capsys):
    asked = []

    def offline(url, timeout):
        asked.append(url)
        raise urllib.error.URLError(OSError(-2, "Name or service not known"))

    monkeypatch.setattr(registry, "_open_url", offline)
    monkeypatch.setenv(registry.MIRROR_ENV, str(paths.RAW))  # a complete mirror that must not be used
    raw = tmp_path / "raw"
    assert cli.main(["--raw", str(raw), "fetch", "--download"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error [fetch]: {BYDEL.name}: could not download https://raw.githubusercontent.com/")
    assert "(no network?) -- what to do: use a mirror folder instead: --mirror DIR or UDSATTE_DATA_MIRROR=DIR" in err
    assert len(asked) == 1
    assert not raw.exists() or not any(p.is_file() for p in raw.rglob("*"))


@pytest.mark.slow
def test_noop_build_prints_data_folder_and_version(built_site, capsys):
    assert cli.main(["build"]) == 0
    out = capsys.readouterr().out
    version = (paths.DERIVED / ".raw").read_text()[:12]
    assert f"data: {paths.RAW} (verified against data/registry.toml; " in out
    assert f"data version {version}\n" in out
    assert "0 executed" in out


# --- make browser (zero set-up for the browser tests) ------------------------------------------------


def _fake_tools(tmp_path: Path, tools: dict[str, int], uid: int) -> tuple[Path, Path]:
    """A PATH with fake commands that log their arguments and exit with the given status."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    for name, status in tools.items():
        script = bin_dir / name
        script.write_text(f'#!/bin/bash\necho "{name} $*" >> {log}\nexit {status}\n')
        script.chmod(0o755)
    (bin_dir / "id").write_text(f"#!/bin/bash\necho {uid}\n")
    (bin_dir / "id").chmod(0o755)
    return bin_dir, log


def _make_browser(bin_dir: Path, python: Path) -> subprocess.CompletedProcess:
    make = shutil.which("make")
    return subprocess.run(
        [make, "-s", "browser", f"PATH={bin_dir}", f"PY={python}"], cwd=paths.ROOT, capture_output=True, text=True
    )


def _calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_make_browser_does_nothing_when_chromium_is_installed(tmp_path):
    bin_dir, log = _fake_tools(tmp_path, {"chromium": 0, "apt-get": 0, "python": 0}, uid=0)
    assert _make_browser(bin_dir, bin_dir / "python").returncode == 0
    assert _calls(log) == []


def test_make_browser_installs_debian_chromium_as_root(tmp_path):
    bin_dir, log = _fake_tools(tmp_path, {"apt-get": 0, "python": 0}, uid=0)
    assert _make_browser(bin_dir, bin_dir / "python").returncode == 0
    assert _calls(log) == ["apt-get update -qq", "apt-get install -y -qq chromium fonts-dejavu-core"]


def test_make_browser_falls_back_to_playwright(tmp_path):
    bin_dir, log = _fake_tools(tmp_path, {"apt-get": 0, "python": 0}, uid=1000)  # not root: no apt-get
    assert _make_browser(bin_dir, bin_dir / "python").returncode == 0
    assert _calls(log) == ["python -m playwright install chromium"]


def test_make_browser_fails_with_one_clear_line(tmp_path):
    bin_dir, log = _fake_tools(tmp_path, {"apt-get": 100, "python": 1}, uid=0)
    result = _make_browser(bin_dir, bin_dir / "python")
    assert result.returncode != 0
    assert _calls(log) == ["apt-get update -qq", "python -m playwright install chromium"]
    # make's own last line ("make: ***" or, under `make test`, "make[1]: ***") is not ours
    errors = [line for line in result.stderr.splitlines() if not re.match(r"make(\[\d+\])?:", line)]
    assert errors == [
        "error: no Chromium for the browser tests: run 'apt-get install chromium' as root, "
        f"or '{bin_dir / 'python'} -m playwright install chromium' with network access"
    ]
