"""Raw-input registry and the verified fetch step (analysis.registry). Offline: tmp mirrors only."""

import hashlib
from pathlib import Path

import pytest

from analysis import registry
from analysis.registry import FetchError, RawFile

GOOD = b"aar,district\n2008,indre-by\n"
GOOD_SHA = hashlib.sha256(GOOD).hexdigest()
OTHER = b"something else entirely\n"
OTHER_SHA = hashlib.sha256(OTHER).hexdigest()


def _entry(name: str = "kk/socio.csv", sha: str = GOOD_SHA, url: str = "file:///nonexistent/socio.csv"):
    return RawFile(name=name, url=url, sha256=sha, bytes=len(GOOD), source="test")


def _mirror(tmp_path: Path, files: dict[str, bytes]) -> Path:
    mirror = tmp_path / "mirror"
    for name, content in files.items():
        (mirror / name).parent.mkdir(parents=True, exist_ok=True)
        (mirror / name).write_bytes(content)
    return mirror


def _all_files(folder: Path) -> list[Path]:
    """Every file below folder, hidden ones (.part-*) included."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_sha256_of_matches_hashlib(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(GOOD)
    assert registry.sha256_of(path) == GOOD_SHA


def test_load_registry_reads_entries(tmp_path):
    toml = tmp_path / "registry.toml"
    toml.write_text(
        '[[file]]\nname = "a/x.csv"\nurl = "https://example.org/x.csv"\n'
        'sha256 = "00"\nbytes = 3\nsource = "s"\n\n'
        '[[file]]\nname = "b/y.json"\nurl = "https://example.org/y.json"\n'
        'sha256 = "11"\nbytes = 4\nsource = "t"\n',
        encoding="utf-8",
    )
    files = registry.load_registry(toml)
    assert files == [
        RawFile("a/x.csv", "https://example.org/x.csv", "00", 3, "s"),
        RawFile("b/y.json", "https://example.org/y.json", "11", 4, "t"),
    ]


def test_load_registry_duplicate_names(tmp_path):
    entry = '[[file]]\nname = "a/x.csv"\nurl = "u"\nsha256 = "00"\nbytes = 1\nsource = "s"\n\n'
    toml = tmp_path / "registry.toml"
    toml.write_text(entry + entry, encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate") as err:
        registry.load_registry(toml)
    assert "a/x.csv" in str(err.value)


def test_committed_registry_loads():
    files = registry.load_registry()
    assert files, "data/registry.toml lists no files"
    assert all(len(f.sha256) == 64 for f in files)


def test_fetch_one_copies_then_present(tmp_path):
    mirror = _mirror(tmp_path, {"kk/socio.csv": GOOD})
    raw = tmp_path / "raw"
    assert registry.fetch_one(_entry(), raw, mirror) == "copied"
    assert (raw / "kk/socio.csv").read_bytes() == GOOD
    # second call: the file is there with the right checksum, nothing is copied again
    (mirror / "kk/socio.csv").unlink()
    assert registry.fetch_one(_entry(), raw, mirror) == "present"
    assert _all_files(raw) == [raw / "kk/socio.csv"]


def test_fetch_one_checksum_mismatch_leaves_nothing(tmp_path):
    mirror = _mirror(tmp_path, {"kk/socio.csv": OTHER})
    raw = tmp_path / "raw"
    with pytest.raises(FetchError) as err:
        registry.fetch_one(_entry(), raw, mirror)
    msg = str(err.value)
    assert "kk/socio.csv" in msg
    assert GOOD_SHA in msg  # expected
    assert OTHER_SHA in msg  # got
    assert "checksum mismatch" in msg
    assert _all_files(raw) == []  # neither the file nor a .part-* temp file


def test_fetch_one_missing_in_mirror(tmp_path):
    mirror = _mirror(tmp_path, {"kk/other.csv": GOOD})
    raw = tmp_path / "raw"
    with pytest.raises(FetchError, match="not found in mirror") as err:
        registry.fetch_one(_entry(), raw, mirror)
    assert "kk/socio.csv" in str(err.value)
    assert _all_files(raw) == []


def test_fetch_one_unreachable_url_leaves_nothing(tmp_path):
    raw = tmp_path / "raw"
    entry = _entry(url="file:///nonexistent/udsatte-test/socio.csv")
    with pytest.raises(FetchError, match="could not download") as err:
        registry.fetch_one(entry, raw, mirror=None)
    assert "kk/socio.csv" in str(err.value)
    assert "file:///nonexistent/udsatte-test/socio.csv" in str(err.value)
    assert _all_files(raw) == []


def test_fetch_one_refused_connection_leaves_nothing(tmp_path, monkeypatch):
    # port 9 (discard) is closed on localhost: the connection is refused at once, no network used
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    raw = tmp_path / "raw"
    with pytest.raises(FetchError, match="could not download") as err:
        registry.fetch_one(_entry(url="http://127.0.0.1:9/x"), raw, mirror=None)
    assert "kk/socio.csv" in str(err.value)
    assert _all_files(raw) == []


def test_fetch_one_download_from_file_url(tmp_path):
    src = tmp_path / "origin" / "socio.csv"
    src.parent.mkdir()
    src.write_bytes(GOOD)
    raw = tmp_path / "raw"
    assert registry.fetch_one(_entry(url=src.as_uri()), raw, mirror=None) == "downloaded"
    assert (raw / "kk/socio.csv").read_bytes() == GOOD


def test_fetch_one_replaces_corrupt_destination(tmp_path):
    mirror = _mirror(tmp_path, {"kk/socio.csv": GOOD})
    raw = tmp_path / "raw"
    (raw / "kk").mkdir(parents=True)
    (raw / "kk/socio.csv").write_bytes(GOOD[:10])  # a truncated earlier download
    assert registry.fetch_one(_entry(), raw, mirror) == "copied"
    assert (raw / "kk/socio.csv").read_bytes() == GOOD
    assert _all_files(raw) == [raw / "kk/socio.csv"]


def test_fetch_all_reports_every_failure_at_once(tmp_path):
    mirror = _mirror(tmp_path, {"ok.csv": GOOD, "bad.csv": OTHER})
    raw = tmp_path / "raw"
    files = [_entry("ok.csv"), _entry("bad.csv"), _entry("gone.csv")]
    seen = []
    with pytest.raises(FetchError) as err:
        registry.fetch_all(files, raw, mirror, progress=lambda name, how: seen.append((name, how)))
    msg = str(err.value)
    assert "bad.csv" in msg and "checksum mismatch" in msg
    assert "gone.csv" in msg and "not found in mirror" in msg
    assert "ok.csv" not in msg
    # the good file was still fetched; every file was attempted and reported to progress
    assert seen == [("ok.csv", "copied"), ("bad.csv", "failed"), ("gone.csv", "failed")]
    assert _all_files(raw) == [raw / "ok.csv"]


def test_fetch_all_success_returns_results(tmp_path):
    mirror = _mirror(tmp_path, {"a.csv": GOOD, "b.csv": GOOD})
    raw = tmp_path / "raw"
    registry.fetch_one(_entry("a.csv"), raw, mirror)
    assert registry.fetch_all([_entry("a.csv"), _entry("b.csv")], raw, mirror) == {
        "a.csv": "present",
        "b.csv": "copied",
    }


def test_raw_path(tmp_path):
    (tmp_path / "geo").mkdir()
    (tmp_path / "geo/rode.geojson").write_text("{}", encoding="utf-8")
    assert registry.raw_path("geo/rode.geojson", tmp_path) == tmp_path / "geo/rode.geojson"
    with pytest.raises(FetchError, match="make data") as err:
        registry.raw_path("geo/bydel.geojson", tmp_path)
    assert "geo/bydel.geojson" in str(err.value)


def test_default_mirror_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(registry.MIRROR_ENV, str(tmp_path))
    assert registry.default_mirror() == tmp_path
