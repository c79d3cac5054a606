"""Pure rules: quiz scoring, eligibility, application answers, review scores and ranking."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ewtp.learning import calc

SINGLE = calc.QuestionKey(1, calc.SINGLE, frozenset({10, 11, 12}), frozenset({11}))
MULTIPLE = calc.QuestionKey(2, calc.MULTIPLE, frozenset({20, 21, 22}), frozenset({20, 22}))
HEAVY = calc.QuestionKey(3, calc.SINGLE, frozenset({30, 31}), frozenset({30}), points=2)


def test_all_right_scores_full_marks() -> None:
    score = calc.score_quiz([SINGLE, MULTIPLE], {1: [11], 2: [20, 22]}, 70)
    assert (score.points, score.max_points, score.passed, score.percent) == (2, 2, True, 100)
    assert score.correct_question_ids == {1, 2}


def test_multiple_choice_is_all_or_nothing() -> None:
    partly = calc.score_quiz([SINGLE, MULTIPLE], {1: [11], 2: [20]}, 70)
    everything = calc.score_quiz([SINGLE, MULTIPLE], {1: [11], 2: [20, 21, 22]}, 70)
    assert (partly.points, partly.passed) == (1, False)
    assert (everything.points, everything.passed) == (1, False)


def test_pass_mark_is_exact_and_inclusive() -> None:
    # 2 of 4 points is exactly 50 %.
    half = calc.score_quiz([SINGLE, MULTIPLE, HEAVY], {1: [11], 2: [20, 22]}, 50)
    assert (half.points, half.max_points, half.passed) == (2, 4, True)
    assert not calc.score_quiz([SINGLE, MULTIPLE, HEAVY], {1: [11], 2: [20, 22]}, 51).passed
    # 2 of 3 is 66.67 %: passes 66, fails 67.
    two_thirds = [
        SINGLE,
        MULTIPLE,
        calc.QuestionKey(4, calc.SINGLE, frozenset({40, 41}), frozenset({40})),
    ]
    answers = {1: [11], 2: [20, 22], 4: [41]}
    assert calc.score_quiz(two_thirds, answers, 66).passed
    assert not calc.score_quiz(two_thirds, answers, 67).passed
    assert calc.score_quiz(two_thirds, answers, 67).percent == 67


def test_unanswered_questions_earn_nothing() -> None:
    score = calc.score_quiz([SINGLE, MULTIPLE], {}, 50)
    assert (score.points, score.passed) == (0, False)


def test_foreign_choices_and_two_answers_to_a_single_choice_question_are_refused() -> None:
    with pytest.raises(calc.AnswerError) as foreign:
        calc.score_quiz([SINGLE], {1: [20]}, 50)
    assert foreign.value.question_id == 1
    with pytest.raises(calc.AnswerError):
        calc.score_quiz([SINGLE], {1: [10, 11]}, 50)


FELLOWSHIP = calc.Eligibility(
    countries=frozenset({"RW", "KE"}),
    minimum_age=18,
    maximum_age=35,
    stages=frozenset({"prototype", "early_revenue"}),
)
START = date(2027, 3, 1)


def test_an_eligible_applicant_has_no_problem() -> None:
    assert (
        calc.eligibility_problems(
            FELLOWSHIP,
            country="RW",
            birth_date=date(1995, 6, 1),
            business_stage="prototype",
            reference_date=START,
        )
        == {}
    )


def test_every_broken_rule_is_named() -> None:
    problems = calc.eligibility_problems(
        FELLOWSHIP,
        country="FR",
        birth_date=date(1980, 1, 1),
        business_stage="idea",
        reference_date=START,
    )
    assert set(problems) == {"country", "birth_date", "business_stage"}
    assert "RW" in problems["country"]


def test_age_is_taken_on_the_cohort_start() -> None:
    # 18 on 1 March 2027 exactly: eligible; one day younger: not.
    ok = calc.eligibility_problems(
        FELLOWSHIP,
        country="RW",
        birth_date=date(2009, 3, 1),
        business_stage="prototype",
        reference_date=START,
    )
    young = calc.eligibility_problems(
        FELLOWSHIP,
        country="RW",
        birth_date=date(2009, 3, 2),
        business_stage="prototype",
        reference_date=START,
    )
    assert ok == {}
    assert set(young) == {"birth_date"}
    # 35 until the day before the 36th birthday.
    assert calc.age_on(date(1991, 3, 2), START) == 35
    assert calc.age_on(date(1991, 3, 1), START) == 36
    missing = calc.eligibility_problems(
        FELLOWSHIP, country="RW", birth_date=None, business_stage="prototype", reference_date=START
    )
    assert set(missing) == {"birth_date"}


def test_open_rules_accept_anyone() -> None:
    assert (
        calc.eligibility_problems(
            calc.Eligibility(),
            country="FR",
            birth_date=None,
            business_stage="",
            reference_date=START,
        )
        == {}
    )


QUESTIONS = [
    calc.FormQuestion("pitch", calc.LONG_TEXT),
    calc.FormQuestion("sector", calc.CHOICE, choices=("agriculture", "crafts")),
    calc.FormQuestion("employees", calc.NUMBER, minimum=Decimal(0), maximum=Decimal(500)),
    calc.FormQuestion("founded", calc.DATE, required=False),
    calc.FormQuestion("website", calc.TEXT, required=False),
]


def test_answers_are_cleaned() -> None:
    answers, problems = calc.clean_answers(
        QUESTIONS,
        {
            "pitch": " Coffee ",
            "sector": "crafts",
            "employees": "12",
            "founded": "2024-02-29",
            "unknown": "dropped",
        },
    )
    assert problems == {}
    assert answers == {
        "pitch": "Coffee",
        "sector": "crafts",
        "employees": "12",
        "founded": "2024-02-29",
    }


def test_bad_answers_are_named() -> None:
    _answers, problems = calc.clean_answers(
        QUESTIONS,
        {
            "pitch": "",
            "sector": "mining",
            "employees": "many",
            "founded": "2023-02-29",
            "website": "x" * 301,
        },
    )
    assert set(problems) == {"pitch", "sector", "employees", "founded", "website"}
    _answers, problems = calc.clean_answers(
        QUESTIONS, {"pitch": "a", "sector": "crafts", "employees": "-1"}
    )
    assert problems == {"employees": "At least 0."}


CRITERIA = [calc.Criterion("impact", 2, 5), calc.Criterion("feasibility", 1, 5)]


def test_review_percent_weights_the_criteria() -> None:
    # (2*4 + 1*2) / (2*5 + 1*5) = 10/15
    assert calc.review_percent(CRITERIA, {"impact": 4, "feasibility": 2}) == Decimal(
        1000
    ) / Decimal(15)
    assert calc.application_score([Decimal(1000) / Decimal(15), Decimal(80)]) == Decimal("73.33")
    assert calc.application_score([]) is None


def test_ranking_breaks_ties_by_earlier_submission_then_id() -> None:
    t0 = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    items = [
        calc.Ranked(1, Decimal("80.00"), t0 + timedelta(hours=2)),
        calc.Ranked(2, Decimal("90.00"), t0 + timedelta(hours=3)),
        calc.Ranked(3, Decimal("80.00"), t0 + timedelta(hours=1)),
        calc.Ranked(4, None, t0),
        calc.Ranked(5, Decimal("80.00"), t0 + timedelta(hours=1)),
    ]
    assert [item.id for item in calc.rank(items)] == [2, 3, 5, 1, 4]
    assert [item.id for item in calc.rank(reversed(items))] == [2, 3, 5, 1, 4]
