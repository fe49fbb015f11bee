"""The problem and potential texts of the area pages (analysis.wording), from hand-made comparisons."""

import pandas as pd

from analysis import wording


def _comp(rows: list[tuple[str, bool, float, float, float]]) -> pd.DataFrame:
    """An area comparison: label, SØK indicator?, area %, rest %, city % (index = area / city)."""
    comp = pd.DataFrame(rows, columns=["label", "soek", "area", "rest", "city"])
    neutral = comp["label"] == "Ikke-vestlig herkomst"  # origin describes the residents (indicators.toml)
    return comp.assign(index=100 * comp["area"] / comp["city"], ratio_rest=comp["area"] / comp["rest"], neutral=neutral)


COMP = _comp(
    [
        ("Lav indkomst", True, 39.0, 30.0, 30.0),  # index 130, 1.3 times the rest: "30 % højere"
        ("Ikke-vestlig herkomst", True, 50.0, 18.0, 20.0),  # index 250, 2.8 times the rest
        ("Almene boliger", False, 90.0, 10.0, 20.0),  # not a SØK indicator: never a problem
        ("Lav/ingen uddannelse", True, 20.8, 20.0, 20.0),  # index 104: at the city level (method.toml: above 105)
    ]
)


def test_problem_text_names_the_soek_indicators_above_the_city_largest_first():
    text = wording.problem_text(COMP.assign(neutral=False))  # were origin a problem: largest first
    first, second = text.split(". Dernæst kommer ")
    assert first.startswith("Størst er forskellen for ikke-vestlig herkomst: 50,0\xa0% i området mod 18,0\xa0%")
    assert first.endswith("andelen er 2,8 gange så høj")
    assert second.startswith("lav indkomst, hvor området ligger på 39,0\xa0%")
    assert "uddannelse" not in text and "almene" not in text


def test_origin_is_never_a_problem_nor_a_potential():
    """Origin has the largest index (250), but it describes the residents: the problems start with
    income, and origin is no potential where it is low either."""
    text = wording.problem_text(COMP)
    assert text.startswith("Størst er forskellen for lav indkomst: 39,0\xa0%") and "herkomst" not in text
    low_origin = COMP.assign(area=COMP["area"].where(~COMP["neutral"], 5.0))
    assert "herkomst" not in wording.potential_text(low_origin.assign(index=100 * low_origin["area"] / 20))


def test_problem_text_without_problems_says_so():
    text = wording.problem_text(COMP[COMP["label"] == "Lav/ingen uddannelse"])
    assert text.startswith("Området ligger ikke markant over byens niveau")


def test_potential_text_below_and_at_the_city_level():
    comp = _comp(
        [
            ("Lav indkomst", True, 27.0, 31.0, 30.0),  # index 90: below the city
            ("Lav/ingen uddannelse", True, 20.0, 20.0, 20.0),  # index 100: at the city level
            ("Ikke-vestlig herkomst", True, 50.0, 18.0, 20.0),  # above: not a potential
        ]
    )
    assert wording.potential_text(comp) == (
        "Området ligger under byens niveau for lav indkomst (27,0\xa0% mod 30,0\xa0% i hele byen). "
        "Det ligger på niveau med byen for lav/ingen uddannelse (20,0\xa0% mod 20,0\xa0% i hele byen)."
    )
    assert wording.potential_text(comp.iloc[2:]) == ""  # "Potentialer" does not open with a problem


def test_plan_in_brief_does_not_count_zero_goals():
    assert wording.plan_in_brief("udkast", 0, 0, "") == (
        "Planen (udkast) har endnu ingen egne mål med delmål, der kan følges i tallene."
    )
    expected = "Planen (vedtaget) har 2 mål med 3 delmål: 1 nået, 2 grå."
    assert wording.plan_in_brief("vedtaget", 2, 3, "1 nået, 2 grå") == expected


def test_city_only_sentence_counts_soek_indicators_apart_from_public_housing():
    text = wording.city_only_text(3, 6, ["andelen af almene boliger"])
    assert text.startswith("Tre af de seks SØK-indikatorer samt andelen af almene boliger findes")
    assert wording.number_word(1) == "én" and wording.number_word(12) == "12"


def test_a_plan_with_only_its_published_goals_counts_them_on_every_page():
    from analysis.plan_format import Plan

    named = Plan("noerrebro", "P", "udkast", "V", (), published_goals=(("Et levende Nørrebro", 3),) * 4)
    assert wording.goals_text(named) == "4 mål, endnu uden delmål"
    assert wording.goals_text(Plan("noerrebro", "P", "udkast", "V", ())) == "0 mål"


def test_policy_ratios_are_explained_only_where_the_delineation_explains_them():
    """2010: education 1.50 lies between 1.35 (bydele) and 1.71 (areas), origin 3.00 between 2.36 and
    3.62, but income 1.25 lies above both 1.11 and 1.19: the delineation cannot explain that."""
    import pandas as pd

    t = pd.DataFrame(
        {
            "indicator": ["low_education", "outside_labour", "low_income", "non_western"],
            "published": [1.5, 1.25, 1.25, 3.0],
            "reproduced": [1.71, None, 1.19, 3.62],
            "bydele": [1.35, None, 1.11, 2.36],
        }
    )
    text = wording.policy_ratios_text(t)
    assert (
        "for andelen uden uddannelse ud over grundskolen og andelen med ikke-vestlig herkomst ligger dens tal "
        "mellem de to" in text
    )
    assert "For andelen med lav indkomst ligger politikkens tal uden for begge beregninger" in text
    assert "Andelen uden for arbejdsmarkedet kan ikke beregnes for områderne" in text


def test_a_change_in_origin_is_described_not_judged():
    neutral = {v for (_, side), v in wording.TREND_WORDS.items() if side == "neutral"}
    assert neutral == {"Forskellen er vokset", "Forskellen er blevet mindre"}
