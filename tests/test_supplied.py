"""Supplied measures: registered by checksum, validated, and shown as delivered by an administration."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import supplied
from analysis.load import DataError

FIXTURE = Path(__file__).parent / "fixtures" / "supplied"


def test_registered_example_is_read():
    df = supplied.load(FIXTURE)
    assert df["year"].tolist() == [2011, 2013]
    assert df["value"].tolist() == [61.0, 64.0]
    assert set(df["delivered_by"]) == {"ØKF"}


def test_project_has_no_supplied_values_yet():
    # no administration has delivered data: nothing is invented
    assert supplied.load().empty


def test_changed_file_fails_its_checksum(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "s")
    f = tmp_path / "s" / "tryghed_eksempel.csv"
    f.write_text(f.read_text(encoding="utf-8").replace(",64,", ",99,"), encoding="utf-8")
    with pytest.raises(DataError, match="data/supplied/tryghed_eksempel.csv: sha256 .* differs from the registry"):
        supplied.load(tmp_path / "s")


def test_bad_rows_name_row_column_and_value():
    bad = pd.DataFrame(
        {
            "measure": ["m", "m"],
            "area": ["noerrebro", "nordhavn"],
            "year": [2011, "2012x"],
            "value": [1.0, 2.0],
            "unit": ["point", "point"],
            "source": ["s", "s"],
            "delivered_by": ["ØKF", "Politiet"],
            "date": ["2015-01-01", "15/1/2015"],
        }
    )
    with pytest.raises(DataError) as err:
        supplied.validate(bad, "data/supplied/x.csv")
    msg = str(err.value)
    assert "row 3, column 'area', value 'nordhavn': unknown area" in msg
    assert "row 3, column 'year', value '2012x': expected a number" in msg
    assert "row 3, column 'delivered_by', value 'Politiet'" in msg
    assert "row 3, column 'date', value '15/1/2015': expected a date as YYYY-MM-DD" in msg
