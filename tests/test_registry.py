"""Raw-input registry, verified fetch and verified reads (analysis.registry). Offline: tmp mirrors and
a stubbed https opener only."""

import argparse
import dataclasses
import hashlib
import io
import urllib.error
from pathlib import Path

import pytest

from analysis import registry
from analysis.errors import DataError, FetchError
from analysis.registry import RawFile

GOOD = b"aar,district\n2008,indre-by\n"
GOOD_SHA = hashlib.sha256(GOOD).hexdigest()
OTHER = b"something else entirely\n"
OTHER_SHA = hashlib.sha256(OTHER).hexdigest()
SHA_A = "a" * 64
SHA_B = "0123456789abcdef" * 4


def _entry(name="kk/socio.csv", sha=GOOD_SHA, url="https://example.org/socio.csv", role="socio", size=27):
    return RawFile(name, role, url, sha, size, source="test", kilde="test", licence="CC BY 4.0")


def _write(folder: Path, files: dict[str, bytes]) -> Path:
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    return folder


def _mirror(tmp_path: Path, files: dict[str, bytes]) -> Path:
    return _write(tmp_path / "mirror", files)


def _all_files(folder: Path) -> list[Path]:
    """Every file below folder, hidden ones (.part-*) included."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


ENTRY_TOML = """[[file]]
name = "{name}"
role = "{role}"
url = "{url}"
sha256 = "{sha}"
bytes = {size}
source = "{source}"
kilde = "{kilde}"
licence = "{licence}"
"""


def _toml(tmp_path: Path, *entries: dict) -> Path:
    defaults = dict(
        name="a/x.csv", role="x", url="https://example.org/x.csv", sha=SHA_A, size=3, source="s", kilde="k", licence="l"
    )
    path = tmp_path / "registry.toml"
    path.write_text("\n".join(ENTRY_TOML.format(**{**defaults, **e}) for e in entries), encoding="utf-8")
    return path


# --- the registry ----------------------------------------------------------------------------------


def test_sha256_of_matches_hashlib(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(GOOD)
    assert registry.sha256_of(path) == GOOD_SHA


def test_load_registry_reads_entries(tmp_path):
    toml = _toml(
        tmp_path,
        dict(name="a/x.csv", role="x", sha=SHA_A, size=3, source="s", licence="CC BY 4.0"),
        dict(name="b/y.json", role="y.dbf", url="https://example.org/y.json", sha=SHA_B, size=4, licence="none"),
    )
    assert registry.load_registry(toml) == [
        RawFile("a/x.csv", "x", "https://example.org/x.csv", SHA_A, 3, "s", "k", "CC BY 4.0"),
        RawFile("b/y.json", "y.dbf", "https://example.org/y.json", SHA_B, 4, "s", "k", "none"),
    ]


def test_load_registry_duplicate_names_and_roles(tmp_path):
    toml = _toml(tmp_path, dict(name="a/x.csv", role="x"), dict(name="a/x.csv", role="x"))
    with pytest.raises(DataError, match="duplicate") as err:
        registry.load_registry(toml)
    assert "duplicate names: ['a/x.csv']" in str(err.value)
    assert "duplicate roles: ['x']" in str(err.value)


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("name", "/etc/passwd", "no absolute path"),
        ("name", "../outside.csv", "no '..'"),
        ("name", "geo/../../outside.csv", "no '..'"),
        ("name", "geo/./rode.geojson", "no '..', '.' or empty parts"),
        ("name", "geo//rode.geojson", "no '..', '.' or empty parts"),
        ("name", "geo\\\\rode.geojson", "no backslashes"),
        ("name", "C:/data/x.csv", "no absolute path"),
        ("name", "geo/.part-x", "must not be hidden"),
        ("url", "file:///etc/passwd", "url must be https"),
        ("url", "http://example.org/x.csv", "url must be https"),
        ("url", "https://", "url must be https"),
        ("sha", "abc", "64 lowercase hex"),
        ("sha", "A" * 64, "64 lowercase hex"),
        ("size", "-1", "whole number >= 0"),
        ("size", '"12"', "whole number >= 0"),
        ("role", "Bad Role", "role must look like"),
        ("source", "same", "real source"),
        ("kilde", "", "real kilde"),
        ("licence", "", "real licence"),
    ],
)
def test_load_registry_refuses_bad_entries(tmp_path, field, value, rule):
    toml = _toml(tmp_path, {field: value})
    with pytest.raises(DataError) as err:
        registry.load_registry(toml)
    assert rule in str(err.value)
    assert "entry 1" in str(err.value)


def test_load_registry_missing_and_unknown_fields(tmp_path):
    toml = tmp_path / "registry.toml"
    toml.write_text(
        f'[[file]]\nname = "a/x.csv"\nrole = "x"\nurl = "https://e.org/x"\nsha256 = "{SHA_A}"\nbytes = 1\n'
        'source = "s"\nkilde = "k"\ncomment = "c"\n',
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        registry.load_registry(toml)
    assert "missing field 'licence'" in str(err.value) and "unknown field 'comment'" in str(err.value)


def test_committed_registry_registers_exactly_the_files_the_loaders_read():
    # an unread registered file would still change the data version; sidecars share their shapefile's role
    assert sorted({f.role.split(".")[0] for f in registry.load_registry()}) == sorted(registry.READ_BY)


def _renamed(old: str, new: str) -> list[RawFile]:
    return [dataclasses.replace(f, role=new) if f.role == old else f for f in registry.load_registry()]


def test_a_renamed_role_is_refused_both_ways():
    with pytest.raises(DataError) as err:
        registry.check_roles(_renamed("kvarter", "kvarter_x"))
    known = ", ".join(sorted(registry.READ_BY))
    assert str(err.value) == (
        f"data/registry.toml: role 'kvarter_x' (file geo/kvarter.geojson) is read by no loader; known roles: {known}; "
        "no file has role 'kvarter', which analysis/load.py reads"
    )


def test_a_sidecar_role_needs_its_shapefile_role():
    registry.check_roles(registry.load_registry())  # public_housing.dbf etc. belong to public_housing
    with pytest.raises(DataError, match=r"role 'housing\.dbf' \(file [^)]+\.dbf\) is read by no loader"):
        registry.check_roles(_renamed("public_housing.dbf", "housing.dbf"))


def test_build_and_fetch_check_the_roles_before_anything_else(tmp_path, monkeypatch):
    from analysis import __main__ as cli
    from analysis import build

    files = _renamed("election_2013", "election")
    monkeypatch.setattr(registry, "load_registry", lambda path=None: files)
    monkeypatch.setattr(registry, "fetch_all", lambda *a, **k: pytest.fail("fetched with a broken registry"))
    with pytest.raises(DataError, match="no file has role 'election_2013', which analysis/turnout.py reads"):
        build.fetch(tmp_path, None, False, print)
    with pytest.raises(DataError, match="role 'election' .* is read by no loader"):
        cli.cmd_fetch(argparse.Namespace(download=False, mirror=str(tmp_path), raw=str(tmp_path)))


# --- verified reads --------------------------------------------------------------------------------


def test_path_for_returns_the_verified_file(tmp_path):
    raw = _write(tmp_path / "raw", {"kk/socio.csv": GOOD})
    with registry.active([_entry()]):
        assert registry.path_for("socio", raw) == raw / "kk/socio.csv"


def test_path_for_refuses_a_tampered_file(tmp_path):
    raw = _write(tmp_path / "raw", {"kk/socio.csv": OTHER})
    with registry.active([_entry()]), pytest.raises(FetchError) as err:
        registry.path_for("socio", raw)
    msg = str(err.value)
    assert "kk/socio.csv" in msg and GOOD_SHA in msg and OTHER_SHA in msg
    assert "python -m analysis fetch" in err.value.hint


def test_path_for_missing_file_says_make_data(tmp_path):
    with registry.active([_entry()]), pytest.raises(FetchError, match="missing") as err:
        registry.path_for("socio", tmp_path / "raw")
    assert "make data" in err.value.hint


def test_path_for_unknown_role_is_a_data_error(tmp_path):
    # an entry deleted from the registry: its file (tampered or not) is never read
    raw = _write(tmp_path / "raw", {"kk/socio.csv": OTHER})
    with registry.active([_entry(name="kk/other.csv", role="other")]), pytest.raises(DataError) as err:
        registry.path_for("socio", raw)
    assert "no entry in data/registry.toml has role 'socio'" in str(err.value)


SHAPE = {"geo/h.shp": b"shp", "geo/h.shx": b"shx", "geo/h.dbf": b"dbf"}


def _shape_entries(content: dict[str, bytes]) -> list[RawFile]:
    roles = {"geo/h.shp": "housing", "geo/h.shx": "housing.shx", "geo/h.dbf": "housing.dbf"}
    return [_entry(name=n, role=roles[n], sha=hashlib.sha256(c).hexdigest(), size=len(c)) for n, c in content.items()]


def test_path_for_verifies_sidecars(tmp_path):
    raw = _write(tmp_path / "raw", SHAPE)
    entries = _shape_entries(SHAPE)
    with registry.active(entries):
        assert registry.path_for("housing", raw) == raw / "geo/h.shp"
    (raw / "geo/h.dbf").write_bytes(b"tampered")
    with registry.active(entries), pytest.raises(FetchError) as err:
        registry.path_for("housing", raw)
    assert "geo/h.dbf" in str(err.value)


def test_path_for_refuses_an_unregistered_sidecar(tmp_path):
    # the .dbf entry was deleted from the registry, the (tampered) file is still on disk
    raw = _write(tmp_path / "raw", {**SHAPE, "geo/h.dbf": b"tampered"})
    entries = [e for e in _shape_entries(SHAPE) if e.role != "housing.dbf"]
    with registry.active(entries), pytest.raises(DataError) as err:
        registry.path_for("housing", raw)
    assert "sidecar(s) ['.dbf'] are not registered" in str(err.value)
    entries.append(_entry(name="geo/h.dbf", role="housing.dbf", sha=SHA_A, size=3))
    (raw / "geo/h.cpg").write_bytes(b"UTF-8")  # a reader would open it too
    with registry.active(entries), pytest.raises(DataError) as err:
        registry.path_for("housing", raw)
    assert "['geo/h.cpg']" in str(err.value) and "not in data/registry.toml" in str(err.value)


def test_unregistered_files_are_listed_and_part_files_are_not(tmp_path):
    raw = _write(tmp_path / "raw", {"kk/socio.csv": GOOD, "kk/extra.csv": GOOD, "kk/.part-abc": b"x"})
    assert registry.unregistered(raw, [_entry()]) == ["kk/extra.csv"]


def test_active_registry_is_restored(tmp_path):
    with registry.active([_entry()]):
        assert registry.current() == [_entry()]
    assert registry.current() == registry.load_registry()


# --- fetch -----------------------------------------------------------------------------------------


def test_fetch_one_copies_then_present(tmp_path):
    mirror = _mirror(tmp_path, {"kk/socio.csv": GOOD})
    raw = tmp_path / "raw"
    assert registry.fetch_one(_entry(), raw, mirror) == "copied"
    assert (raw / "kk/socio.csv").read_bytes() == GOOD
    # second call: the file is there with the right checksum, nothing is copied again
    inode = (raw / "kk/socio.csv").stat().st_ino
    assert registry.fetch_one(_entry(), raw, mirror) == "present"
    assert (raw / "kk/socio.csv").stat().st_ino == inode
    assert _all_files(raw) == [raw / "kk/socio.csv"]


def test_fetch_one_checksum_mismatch_leaves_nothing(tmp_path):
    mirror = _mirror(tmp_path, {"kk/socio.csv": OTHER})
    raw = tmp_path / "raw"
    with pytest.raises(FetchError) as err:
        registry.fetch_one(_entry(size=len(OTHER)), raw, mirror)
    msg = str(err.value)
    assert "kk/socio.csv" in msg
    assert GOOD_SHA in msg  # registered
    assert OTHER_SHA in msg  # the mirror's
    assert _all_files(raw) == []  # neither the file nor a .part-* temp file


def test_mirror_that_differs_fails_even_when_raw_is_current(tmp_path):
    # today's bug: data/raw already had the registered file, so a newer mirror was silently ignored
    raw = _write(tmp_path / "raw", {"kk/socio.csv": GOOD})
    mirror = _mirror(tmp_path, {"kk/socio.csv": OTHER})
    with pytest.raises(FetchError) as err:
        registry.fetch_one(_entry(), raw, mirror)
    msg = str(err.value)
    assert "kk/socio.csv" in msg and "differs from data/registry.toml" in msg
    assert f"mirror sha256 {OTHER_SHA} (24 bytes)" in msg
    assert f"registered sha256 {GOOD_SHA} (27 bytes)" in msg
    assert f"data update --from {mirror}" in err.value.hint
    assert (raw / "kk/socio.csv").read_bytes() == GOOD


def test_size_is_checked_on_fetch(tmp_path):
    mirror = _mirror(tmp_path, {"kk/socio.csv": GOOD})
    with pytest.raises(FetchError) as err:
        registry.fetch_one(_entry(size=28), tmp_path / "raw", mirror)
    assert "(27 bytes), registered sha256" in str(err.value) and "(28 bytes)" in str(err.value)


def test_fetch_one_missing_in_mirror(tmp_path):
    mirror = _mirror(tmp_path, {"kk/other.csv": GOOD})
    raw = tmp_path / "raw"
    with pytest.raises(FetchError) as err:
        registry.fetch_one(_entry(), raw, mirror)
    assert str(err.value).startswith(f"kk/socio.csv: {mirror / 'kk/socio.csv'} is missing; the mirror {mirror}")
    assert _all_files(raw) == []


class _Response(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _serve(monkeypatch, content: bytes | Exception) -> list[str]:
    """Stub the https opener: returns the URLs asked for."""
    asked = []

    def opener(url, timeout):
        asked.append(url)
        if isinstance(content, Exception):
            raise content
        return _Response(content)

    monkeypatch.setattr(registry, "_open_url", opener)
    return asked


def test_download_writes_the_verified_file(tmp_path, monkeypatch):
    asked = _serve(monkeypatch, GOOD)
    raw = tmp_path / "raw"
    assert registry.fetch_one(_entry(), raw, mirror=None) == "downloaded"
    assert (raw / "kk/socio.csv").read_bytes() == GOOD
    assert asked == ["https://example.org/socio.csv"]


def test_download_is_real_even_with_a_mirror_and_a_current_file(tmp_path, monkeypatch):
    # --download used to copy from the mirror silently
    asked = _serve(monkeypatch, GOOD)
    raw = _write(tmp_path / "raw", {"kk/socio.csv": GOOD})
    mirror = _mirror(tmp_path, {"kk/socio.csv": GOOD})
    assert registry.fetch_all([_entry()], raw, mirror, download=True) == {"kk/socio.csv": "downloaded"}
    assert asked == ["https://example.org/socio.csv"]


def test_download_larger_than_registered_is_refused(tmp_path, monkeypatch):
    _serve(monkeypatch, GOOD + b"more rows\n" * 1000)
    raw = tmp_path / "raw"
    with pytest.raises(FetchError, match="size mismatch") as err:
        registry.fetch_one(_entry(), raw, mirror=None)
    assert "expected 27 bytes, got 28" in str(err.value)  # reading stops one byte past the registered size
    assert _all_files(raw) == []


def test_no_network_stops_at_the_first_file_with_a_clear_error(tmp_path, monkeypatch):
    asked = _serve(monkeypatch, urllib.error.URLError(OSError(-2, "Name or service not known")))
    files = [_entry("a.csv", role="a"), _entry("b.csv", role="b")]
    with pytest.raises(FetchError) as err:
        registry.fetch_all(files, tmp_path / "raw", mirror=None, download=True)
    assert "could not download https://example.org/socio.csv" in str(err.value)
    assert "no network?" in str(err.value) and "--mirror" in err.value.hint
    assert len(asked) == 1
    assert _all_files(tmp_path / "raw") == []


def test_refused_connection_leaves_nothing(tmp_path, monkeypatch):
    # port 9 (discard) is closed on localhost: the connection is refused at once, no network used
    for var in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    raw = tmp_path / "raw"
    with pytest.raises(FetchError, match="could not download") as err:
        registry.fetch_one(_entry(url="https://127.0.0.1:9/x"), raw, mirror=None)
    assert "kk/socio.csv" in str(err.value)
    assert _all_files(raw) == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://example.org/x.csv"])
def test_download_refuses_non_https(tmp_path, monkeypatch, url):
    asked = _serve(monkeypatch, GOOD)
    with pytest.raises(FetchError, match="only https URLs are allowed"):
        registry.fetch_one(_entry(url=url), tmp_path / "raw", mirror=None)
    assert asked == []


def test_fetch_one_replaces_corrupt_destination(tmp_path):
    mirror = _mirror(tmp_path, {"kk/socio.csv": GOOD})
    raw = _write(tmp_path / "raw", {"kk/socio.csv": GOOD[:10]})  # a truncated earlier download
    assert registry.fetch_one(_entry(), raw, mirror) == "copied"
    assert (raw / "kk/socio.csv").read_bytes() == GOOD
    assert _all_files(raw) == [raw / "kk/socio.csv"]


def test_fetch_all_reports_every_failure_at_once(tmp_path):
    mirror = _mirror(tmp_path, {"ok.csv": GOOD, "bad.csv": OTHER})
    raw = tmp_path / "raw"
    files = [_entry("ok.csv", role="ok"), _entry("bad.csv", role="bad"), _entry("gone.csv", role="gone")]
    seen = []
    with pytest.raises(FetchError) as err:
        registry.fetch_all(files, raw, mirror, progress=lambda name, how: seen.append((name, how)))
    msg = str(err.value)
    assert msg.startswith("2 of 3 raw file(s) could not be fetched")
    assert "bad.csv" in msg and "differs from data/registry.toml" in msg
    assert "gone.csv" in msg and "gone.csv is missing" in msg
    assert "ok.csv" not in msg
    # the good file was still fetched; every file was attempted and reported to progress
    assert seen == [("ok.csv", "copied"), ("bad.csv", "failed"), ("gone.csv", "failed")]
    assert _all_files(raw) == [raw / "ok.csv"]


def test_fetch_all_raises_a_single_failure_as_it_is(tmp_path):
    mirror = _mirror(tmp_path, {"ok.csv": GOOD})
    with pytest.raises(FetchError) as err:
        registry.fetch_all([_entry("ok.csv", role="ok"), _entry("gone.csv", role="gone")], tmp_path / "raw", mirror)
    assert str(err.value).startswith(f"gone.csv: {mirror / 'gone.csv'} is missing")  # one line, no summary
    assert "\n" not in str(err.value)


def test_fetch_all_success_and_leftover_part_files_removed(tmp_path):
    mirror = _mirror(tmp_path, {"a.csv": GOOD, "b.csv": GOOD})
    raw = _write(tmp_path / "raw", {".part-x1y2": b"half"})  # left by a killed fetch
    registry.fetch_one(_entry("a.csv", role="a"), raw, mirror)
    assert registry.fetch_all([_entry("a.csv", role="a"), _entry("b.csv", role="b")], raw, mirror) == {
        "a.csv": "present",
        "b.csv": "copied",
    }
    assert _all_files(raw) == [raw / "a.csv", raw / "b.csv"]


def test_default_mirror_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(registry.MIRROR_ENV, str(tmp_path))
    assert registry.default_mirror() == tmp_path


@pytest.mark.parametrize("text", ['[[file]]\nname = "a.csv\n', "not toml at all ["])
def test_unreadable_registry_is_a_data_error(tmp_path, text):
    toml = tmp_path / "registry.toml"
    toml.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="cannot be read") as err:
        registry.load_registry(toml)
    assert "git checkout data/registry.toml" in err.value.hint
