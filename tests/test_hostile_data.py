"""Hostile data folders: symbolic links in data/raw, the mirror, the `data update` folder and
data/supplied are refused, and a mirror that is missing, incomplete or holds extra files says so.
Offline: copies of tests/fixtures/hostile/data (a registry of two files and their mirror) in tmp_path."""

import shutil
from pathlib import Path

import pytest

from analysis import __main__ as cli
from analysis import paths, registry, supplied, update
from analysis.errors import DataError, FetchError

FIXTURE = Path(__file__).parent / "fixtures" / "hostile" / "data"
SUPPLIED = Path(__file__).parent / "fixtures" / "supplied"
SOCIO = "kk/socio.csv"


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    """A copy of the fixture (registry.toml, mirror/), an empty raw/ and elsewhere/ outside both;
    the CLI's registry and lock file are those of the copy."""
    root = shutil.copytree(FIXTURE, tmp_path / "data")
    (root / "raw").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.setattr(paths, "REGISTRY", root / "registry.toml")
    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(registry, "READ_BY", {f.role: "tests" for f in _files(root)})  # the copy's roles
    return root


def _files(root: Path) -> list[registry.RawFile]:
    return registry.load_registry(root / "registry.toml")


def _fetch(root: Path, mirror: Path | None = None) -> dict[str, str]:
    return registry.fetch_all(_files(root), root / "raw", mirror or root / "mirror")


def _link_error(link: Path, root: Path) -> str:
    return f"{link}: a symbolic link; {root} holds only real files and folders"


def _everything(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


# --- data/raw --------------------------------------------------------------------------------------


def test_fetch_does_not_write_through_a_linked_folder(data, tmp_path):
    (data / "raw" / "geo").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(FetchError) as err:
        _fetch(data)
    assert str(err.value) == _link_error(data / "raw" / "geo", data / "raw")
    assert err.value.hint == "remove it and run `python -m analysis fetch`"
    assert _everything(tmp_path / "elsewhere") == []
    assert _everything(data / "raw") == ["geo"]  # nothing fetched before the refusal


def _link_registered_file_outside(data: Path, tmp_path: Path) -> Path:
    """data/raw/kk/socio.csv replaced by a link to an identical file outside data/raw."""
    _fetch(data)
    outside = tmp_path / "elsewhere" / "socio.csv"
    link = data / "raw" / SOCIO
    shutil.move(link, outside)
    link.symlink_to(outside)
    return link


@pytest.mark.parametrize(
    "read",
    [
        lambda files, raw: registry.fetch_all(files, raw, raw.parent / "mirror"),
        lambda files, raw: registry.fetch_one(files[0], raw, raw.parent / "mirror"),
        lambda files, raw: registry.verify(files[0], raw),
        lambda files, raw: registry.path_for("socio", raw),
    ],
    ids=["fetch_all", "fetch_one", "verify", "path_for"],
)
def test_a_registered_file_linked_outside_raw_is_refused_although_it_matches(data, tmp_path, read):
    link = _link_registered_file_outside(data, tmp_path)
    files = _files(data)
    assert registry.matches(link, files[0])  # the checksum alone would let it through
    with registry.active(files), pytest.raises(FetchError) as err:
        read(files, data / "raw")
    assert str(err.value) == _link_error(link, data / "raw")


def test_a_stray_link_in_raw_is_reported(data):
    (data / "raw" / "x").symlink_to("/")
    with pytest.raises(FetchError) as err:
        _fetch(data)
    assert str(err.value) == _link_error(data / "raw" / "x", data / "raw")


def test_the_raw_folder_itself_may_be_a_link(data, tmp_path):
    real = tmp_path / "real-raw"
    real.mkdir()
    raw = tmp_path / "raw-link"
    raw.symlink_to(real)
    assert registry.fetch_all(_files(data), raw, data / "mirror") == {SOCIO: "copied", "geo/area.json": "copied"}
    assert (real / SOCIO).is_file() and not (real / SOCIO).is_symlink()


# --- the mirror ------------------------------------------------------------------------------------


@pytest.mark.parametrize("linked", ["kk/socio.csv", "kk"])
def test_a_link_in_the_mirror_is_refused(data, tmp_path, linked):
    mirror = data / "mirror"
    shutil.move(mirror / linked, tmp_path / "elsewhere" / "x")
    (mirror / linked).symlink_to(tmp_path / "elsewhere" / "x")
    with pytest.raises(FetchError) as err:
        _fetch(data)
    assert str(err.value) == _link_error(mirror / linked, mirror)
    assert err.value.hint == "put the real file or folder in the mirror instead of the link"
    assert not (data / "raw" / SOCIO).exists()


def test_the_mirror_folder_itself_may_be_a_link(data, tmp_path):
    link = tmp_path / "mirror-link"
    link.symlink_to(data / "mirror")
    assert _fetch(data, link) == {SOCIO: "copied", "geo/area.json": "copied"}


@pytest.mark.parametrize("how", ["--mirror", "env"])
def test_a_mirror_that_does_not_exist_is_an_error(data, tmp_path, monkeypatch, capsys, how):
    missing = tmp_path / "nowhere"
    argv = ["--raw", str(data / "raw"), "fetch"]
    if how == "env":
        monkeypatch.setenv(registry.MIRROR_ENV, str(missing))
    else:
        argv += ["--mirror", str(missing)]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err == (
        f"error [fetch]: {missing}: the data mirror does not exist -- what to do: point --mirror or "
        "$UDSATTE_DATA_MIRROR at the folder with the registered files, or use --download\n"
    )


def test_a_mirror_that_is_a_file_is_an_error(data):
    with pytest.raises(FetchError) as err:
        _fetch(data, data / "mirror" / SOCIO)
    assert str(err.value) == f"{data / 'mirror' / SOCIO}: the data mirror is not a folder"


def test_a_file_missing_from_the_mirror_is_an_error_even_when_raw_has_it(data):
    _fetch(data)
    (data / "mirror" / SOCIO).unlink()
    with pytest.raises(FetchError) as err:
        _fetch(data)
    mirror = data / "mirror"
    assert str(err.value) == (
        f"{SOCIO}: {mirror / SOCIO} is missing; the mirror {mirror} must hold every registered file"
    )


def test_a_folder_where_the_mirror_should_have_a_file_is_an_error(data):
    _fetch(data)
    (data / "mirror" / SOCIO).unlink()
    (data / "mirror" / SOCIO).mkdir()
    with pytest.raises(FetchError) as err:
        _fetch(data)
    mirror = data / "mirror"
    assert str(err.value) == (
        f"{SOCIO}: {mirror / SOCIO} is a folder, not a file; the mirror {mirror} must hold every registered file"
    )


def test_fetch_notes_the_mirror_files_that_are_not_registered(data, capsys):
    for name in ["geo/b.json", "geo/a.json", "x/c.csv", "x/d.csv"]:
        (data / "mirror" / name).parent.mkdir(exist_ok=True)
        (data / "mirror" / name).write_text("{}")
    argv = ["--raw", str(data / "raw"), "fetch", "--mirror", str(data / "mirror")]
    assert cli.main(argv) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if "note:" in line]
    assert notes == [  # MANIFEST.md is the mirror's documentation, not data: not counted
        f"  note: the mirror {data / 'mirror'} holds 4 file(s) not in data/registry.toml (never read): "
        "geo/a.json, geo/b.json, x/c.csv, ..."
    ]


def test_fetch_of_a_complete_mirror_has_no_note(data, capsys):
    assert cli.main(["--raw", str(data / "raw"), "fetch", "--mirror", str(data / "mirror")]) == 0
    assert "note:" not in capsys.readouterr().out


# --- data update --from DIR ------------------------------------------------------------------------


def _new_extract(data: Path, tmp_path: Path) -> Path:
    """An update folder whose kk/socio.csv is a link to a changed file elsewhere."""
    _fetch(data)
    outside = tmp_path / "elsewhere" / "socio.csv"
    outside.write_text("aar,district\n2009,indre-by\n")
    folder = tmp_path / "new"
    (folder / "kk").mkdir(parents=True)
    (folder / SOCIO).symlink_to(outside)
    return folder


def test_data_update_refuses_a_link_in_its_folder(data, tmp_path):
    folder = _new_extract(data, tmp_path)
    before = (data / "registry.toml").read_bytes()
    with pytest.raises(DataError) as err:
        update.update(folder, data / "raw", data / "registry.toml", log=lambda line: None)
    assert str(err.value) == _link_error(folder / SOCIO, folder)
    assert err.value.hint == "copy the real files into the folder instead of linking them"
    assert (data / "registry.toml").read_bytes() == before


def test_data_update_refuses_a_link_in_raw(data, tmp_path):
    folder = _new_extract(data, tmp_path)
    (folder / SOCIO).unlink()
    (folder / SOCIO).write_text("aar,district\n2009,indre-by\n")
    shutil.move(data / "raw" / "kk", tmp_path / "elsewhere" / "kk")
    (data / "raw" / "kk").symlink_to(tmp_path / "elsewhere" / "kk")
    with pytest.raises(FetchError) as err:
        update.update(folder, data / "raw", data / "registry.toml", log=lambda line: None)
    assert str(err.value) == _link_error(data / "raw" / "kk", data / "raw")
    assert (tmp_path / "elsewhere" / "kk" / "socio.csv").read_text() == "aar,district\n2008,indre-by\n"


# --- data/supplied ---------------------------------------------------------------------------------


@pytest.mark.parametrize("linked", ["tryghed_eksempel.csv", "registry.toml"])
def test_supplied_refuses_a_link(tmp_path, linked):
    folder = shutil.copytree(SUPPLIED, tmp_path / "supplied")
    shutil.move(folder / linked, tmp_path / linked)
    (folder / linked).symlink_to(tmp_path / linked)
    with pytest.raises(DataError) as err:
        supplied.load(folder)
    assert str(err.value) == _link_error(folder / linked, folder)
    assert err.value.hint == "put the delivered file itself in data/supplied, not a link to it"


@pytest.mark.parametrize("name", ["../tryghed_eksempel.csv", "/etc/passwd", "sub/tryghed_eksempel.csv", ".hidden"])
def test_supplied_names_stay_in_the_folder(tmp_path, name):
    folder = shutil.copytree(SUPPLIED, tmp_path / "supplied")
    (folder / "registry.toml").write_text(f'[[file]]\nname = "{name}"\nsha256 = "{"a" * 64}"\n', encoding="utf-8")
    with pytest.raises(DataError) as err:
        supplied.load(folder)
    assert str(err.value) == f"data/supplied/registry.toml: name {name!r}: expected a file name in data/supplied"
