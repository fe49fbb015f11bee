"""The glossary links (analysis.glossary): which words count as a use of a term, worked by hand."""

from __future__ import annotations

from analysis import glossary


def firsts(*texts: str) -> dict[str, tuple[int, str]]:
    return {term: (i, m.group(0)) for term, (i, m) in glossary.first_occurrences(texts).items()}


def test_the_first_use_of_each_term_in_page_order():
    found = firsts("Nørrebro har 15 roder.", "Rodens indeks er 150; resten af byens andel er lavere.")
    assert found == {
        "Rode": (0, "roder"),
        "Indeks (København = 100)": (1, "indeks"),
        "Resten af byen": (1, "resten af byens"),
    }


def test_a_compound_is_not_its_last_part():
    # "SØK-indeks" is the composite, not "indeks"; a 5–95 % rank interval is no confidence interval
    assert firsts("det sammensatte SØK-indeks") == {"SØK-indeks": (0, "sammensatte SØK-indeks")}
    assert firsts("streg: 5–95 %-interval") == {}
    assert firsts("indekspoint og bydelsgennemsnit") == {}


def test_the_longest_form_wins_and_any_case_or_space_matches():
    assert firsts("Almene boligafdelinger") == {"Almen bolig / boligafdeling": (0, "Almene boligafdelinger")}
    assert firsts("båndet er 95\u00a0%-konfidensintervallet") == {
        "Konfidensinterval": (0, "95\u00a0%-konfidensintervallet")
    }
    assert firsts("Bydelstal for hver bydel") == {"Bydelstal": (0, "Bydelstal"), "Bydel": (0, "bydel")}


def test_every_form_belongs_to_one_term():
    forms = [f.casefold() for fs in glossary.FORMS.values() for f in fs]
    assert len(forms) == len(set(forms))
