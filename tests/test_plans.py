"""The plan format: every validation rule names file, line, field and value; drafts; statuses."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from analysis import follow_up, plans

GOOD = textwrap.dedent(
    """\
    ---
    area: noerrebro
    title: "Udviklingsplan Nørrebro"
    status: vedtaget
    vision: "Et Nørrebro for alle."
    goals:
      - id: job
        title: "Lige muligheder for job"
        policy_goal: education_jobs
        problems: [low_income]
        targets:
          - id: lavindkomst
            text: "Afstanden i lav indkomst er halveret"
            measure:
              indicator: low_income
            rule: {kind: close_gap, share: 0.5}
            baseline_year: 2011
            target_year: 2020
        initiatives:
          - name: "Jobbutik"
            lead: BIF
            partners: ["Boligselskab"]
            budget_dkk: 2500000
            status: planlagt
    ---

    ## Indledning

    Skrevet med beboerne.
    """
)


def parse(text: str = GOOD):
    return plans.parse(text, "plans/noerrebro.md", "noerrebro")


def error(text: str) -> str:
    with pytest.raises(plans.PlanError) as err:
        parse(text)
    return str(err.value)


def test_a_valid_plan_is_read_with_its_text():
    p = parse()
    assert [g.id for g in p.goals] == ["job"]
    assert p.goals[0].targets[0].rule.share == 0.5
    assert p.goals[0].initiatives[0].budget_dkk == 2500000
    assert p.sections == {"Indledning": "Skrevet med beboerne."}


def test_unknown_indicator_names_line_field_and_allowed_values():
    msg = error(GOOD.replace("indicator: low_income", "indicator: low_incme"))
    assert "plans/noerrebro.md:15: goals[0].targets[0].measure.indicator = 'low_incme'" in msg
    assert "unknown indicator" in msg and "low_income" in msg


def test_target_without_measure():
    text = GOOD.replace("        measure:\n          indicator: low_income\n", "")
    assert "a target needs a measure" in error(text)


def test_value_of_the_wrong_type():
    assert "close_gap needs share" in error(GOOD.replace("share: 0.5", "share: halvdelen"))
    assert "expected a year" in error(GOOD.replace("baseline_year: 2011", "baseline_year: '2011'"))


def test_duplicate_goal_ids():
    goal = GOOD.split("goals:\n")[1].split("---")[0]
    text = GOOD.replace("---\n\n## Indledning", goal.replace("id: lavindkomst", "id: andet") + "---\n\n## Indledning")
    assert "duplicate goal id" in error(text)


def test_budget_that_is_not_a_number():
    msg = error(GOOD.replace("budget_dkk: 2500000", "budget_dkk: '2,5 mio.'"))
    assert "budget_dkk = '2,5 mio.'" in msg and "expected whole kroner" in msg


def test_unknown_administration():
    assert "unknown administration" in error(GOOD.replace("lead: BIF", "lead: Jobcentret"))


def test_goal_without_a_target():
    start = GOOD.index("    targets:")
    end = GOOD.index("    initiatives:")
    assert "a goal needs at least one target" in error(GOOD[:start] + GOOD[end:])


def test_malformed_yaml_names_the_line():
    msg = error(GOOD.replace('title: "Lige muligheder for job"', 'title: "Lige muligheder for job'))
    assert msg.startswith("plans/noerrebro.md:") and "not valid YAML" in msg


def test_plan_for_an_unknown_slug(tmp_path):
    assert "unknown area" in error(GOOD.replace("area: noerrebro", "area: nordhavn"))
    for slug in ["noerrebro", "amager-sundby", "bispebjerg-nordvest", "husum-tingbjerg", "valby-vigerslev"]:
        (tmp_path / f"{slug}.md").write_text(GOOD.replace("noerrebro", slug), encoding="utf-8")
    (tmp_path / "nordhavn.md").write_text(GOOD, encoding="utf-8")
    with pytest.raises(plans.PlanError, match="plans/nordhavn.md: no area has this slug"):
        plans.load_all(tmp_path)


def test_area_without_a_plan(tmp_path):
    with pytest.raises(plans.PlanError, match="area 'noerrebro' has no plan"):
        plans.load("noerrebro", tmp_path)


def test_unknown_heading_in_the_text():
    assert "is not a chapter heading" in error(GOOD.replace("## Indledning", "## Baggrund"))


def test_committed_plans_are_valid():
    found = plans.load_all()
    assert set(found) == {
        "noerrebro",
        "amager-sundby",
        "bispebjerg-nordvest",
        "husum-tingbjerg",
        "vesterbro-sydhavnen",
        "valby-vigerslev",
    }


def test_plan_targets_from_supplied_and_named_sources():
    p = parse(
        GOOD.replace("indicator: low_income", "supplied: tryghedsindeks").replace(
            "rule: {kind: close_gap, share: 0.5}", "rule: {kind: change, value: 5, unit: point, direction: up}"
        )
    )
    supplied = pd.DataFrame(
        {
            "measure": ["tryghedsindeks"] * 4,
            "area": ["noerrebro"] * 4,
            "year": [2011, 2012, 2013, 2014],
            "value": [60.0, 62.0, 64.0, 66.0],
            "unit": ["point"] * 4,
            "source": ["Tryghedsundersøgelsen"] * 4,
            "delivered_by": ["ØKF"] * 4,
            "date": ["2015-01-01"] * 4,
        }
    )
    row = follow_up.plan_table(p, pd.DataFrame(columns=["slug", "level", "indicator", "group", "year"]), supplied).iloc[
        0
    ]
    # goal 60 + 5 = 65; 66 in 2014 already reaches it
    assert row["goal_value"] == 65 and row["status"] == "met"
    assert "Leveret af ØKF, ikke offentliggjort som åbne data" in row["note"]
    none = follow_up.plan_table(p, pd.DataFrame(), supplied.iloc[0:0]).iloc[0]
    assert none["status"] == "no-data"


def test_draft_proposes_goals_for_the_largest_gaps_without_initiatives(built_site):
    from analysis import draft
    from analysis.results import Results

    text = draft.draft_text(Results(), "amager-sundby")
    p = plans.parse(text, "plans/amager-sundby.md", "amager-sundby")
    assert p.status == "udkast"
    # Amager/Sundby lies above the city on no education (index 134) and low income (125); origin is
    # above too (179) but is no problem to reduce, so it gets no goal
    assert [g.problems for g in p.goals] == [("low_education",), ("low_income",)]
    assert all(not g.initiatives for g in p.goals)
    target = p.goals[0].targets[0]
    assert target.rule.kind == "close_gap" and target.rule.share == pytest.approx(1 / 3, abs=1e-4)
    assert (target.baseline_year, target.target_year) == (2011, 2020)
