"""Text helpers of the chapters: periods and coverage come from the data, not from the template."""

import pandas as pd

from analysis import report


def test_period_text_spans_the_years_with_a_rate():
    # 2007 has no rate, so the period is 2008–2010
    series = pd.DataFrame({"year": [2007, 2008, 2009, 2010], "rate": [None, 1.0, 2.0, 3.0]})
    assert report.period_text(series) == "2008–2010"


def test_coverage_note_names_indicators_that_stop_early():
    comp = pd.DataFrame({"label": ["Lav indkomst", "Almene boliger"], "year": [2013, 2014]})
    assert report.coverage_note(comp) == "Lav indkomst findes ikke for 2014 i kildedata; her vises 2013."
    assert report.coverage_note(comp.assign(year=[2014, 2014])) == ""


def test_join_da():
    assert report.join_da(["a"]) == "a"
    assert report.join_da(["a", "b", "c"]) == "a, b og c"
