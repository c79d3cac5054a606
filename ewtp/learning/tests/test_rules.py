"""Pure rules: quiz scoring, eligibility, application answers, review scores and ranking."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ewtp.learning import rules

SINGLE = rules.QuestionKey(1, rules.SINGLE, frozenset({10, 11, 12}), frozenset({11}))
MULTIPLE = rules.QuestionKey(2, rules.MULTIPLE, frozenset({20, 21, 22}), frozenset({20, 22}))
HEAVY = rules.QuestionKey(3, rules.SINGLE, frozenset({30, 31}), frozenset({30}), points=2)


def test_all_right_scores_full_marks() -> None:
    score = rules.score_quiz([SINGLE, MULTIPLE], {1: [11], 2: [20, 22]}, 70)
    assert (score.points, score.max_points, score.passed, score.percent) == (2, 2, True, 100)
    assert score.correct_question_ids == {1, 2}


def test_multiple_choice_is_all_or_nothing() -> None:
    partly = rules.score_quiz([SINGLE, MULTIPLE], {1: [11], 2: [20]}, 70)
    everything = rules.score_quiz([SINGLE, MULTIPLE], {1: [11], 2: [20, 21, 22]}, 70)
    assert (partly.points, partly.passed) == (1, False)
    assert (everything.points, everything.passed) == (1, False)


def test_pass_mark_is_exact_and_inclusive() -> None:
    # 2 of 4 points is exactly 50 %.
    half = rules.score_quiz([SINGLE, MULTIPLE, HEAVY], {1: [11], 2: [20, 22]}, 50)
    assert (half.points, half.max_points, half.passed) == (2, 4, True)
    assert not rules.score_quiz([SINGLE, MULTIPLE, HEAVY], {1: [11], 2: [20, 22]}, 51).passed
    # 2 of 3 is 66.67 %: passes 66, fails 67.
    two_thirds = [
        SINGLE,
        MULTIPLE,
        rules.QuestionKey(4, rules.SINGLE, frozenset({40, 41}), frozenset({40})),
    ]
    answers = {1: [11], 2: [20, 22], 4: [41]}
    assert rules.score_quiz(two_thirds, answers, 66).passed
    assert not rules.score_quiz(two_thirds, answers, 67).passed
    assert rules.score_quiz(two_thirds, answers, 67).percent == 67


def test_unanswered_questions_earn_nothing() -> None:
    score = rules.score_quiz([SINGLE, MULTIPLE], {}, 50)
    assert (score.points, score.passed) == (0, False)


def test_foreign_choices_and_two_answers_to_a_single_choice_question_are_refused() -> None:
    with pytest.raises(rules.AnswerError) as foreign:
        rules.score_quiz([SINGLE], {1: [20]}, 50)
    assert foreign.value.question_id == 1
    with pytest.raises(rules.AnswerError):
        rules.score_quiz([SINGLE], {1: [10, 11]}, 50)


def test_attempts_left() -> None:
    assert rules.attempts_left(max_attempts=3, used=1) == 2
    assert rules.attempts_left(max_attempts=3, used=3) == 0
    assert rules.attempts_left(max_attempts=3, used=3, granted=1) == 1
    assert rules.attempts_left(max_attempts=0, used=9) is None


FELLOWSHIP = rules.Eligibility(
    countries=frozenset({"RW", "KE"}),
    minimum_age=18,
    maximum_age=35,
    stages=frozenset({"prototype", "early_revenue"}),
)
START = date(2027, 3, 1)


def test_an_eligible_applicant_has_no_problem() -> None:
    assert (
        rules.eligibility_problems(
            FELLOWSHIP,
            country="RW",
            birth_date=date(1995, 6, 1),
            business_stage="prototype",
            reference_date=START,
        )
        == {}
    )


def test_every_broken_rule_is_named() -> None:
    problems = rules.eligibility_problems(
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
    ok = rules.eligibility_problems(
        FELLOWSHIP,
        country="RW",
        birth_date=date(2009, 3, 1),
        business_stage="prototype",
        reference_date=START,
    )
    young = rules.eligibility_problems(
        FELLOWSHIP,
        country="RW",
        birth_date=date(2009, 3, 2),
        business_stage="prototype",
        reference_date=START,
    )
    assert ok == {}
    assert set(young) == {"birth_date"}
    # 35 until the day before the 36th birthday.
    assert rules.age_on(date(1991, 3, 2), START) == 35
    assert rules.age_on(date(1991, 3, 1), START) == 36
    missing = rules.eligibility_problems(
        FELLOWSHIP, country="RW", birth_date=None, business_stage="prototype", reference_date=START
    )
    assert set(missing) == {"birth_date"}


def test_open_rules_accept_anyone() -> None:
    assert (
        rules.eligibility_problems(
            rules.Eligibility(),
            country="FR",
            birth_date=None,
            business_stage="",
            reference_date=START,
        )
        == {}
    )


QUESTIONS = [
    rules.FormQuestion("pitch", rules.LONG_TEXT),
    rules.FormQuestion("sector", rules.CHOICE, choices=("agriculture", "crafts")),
    rules.FormQuestion("employees", rules.NUMBER, minimum=Decimal(0), maximum=Decimal(500)),
    rules.FormQuestion("founded", rules.DATE, required=False),
    rules.FormQuestion("website", rules.TEXT, required=False),
]


def test_answers_are_cleaned() -> None:
    answers, problems = rules.clean_answers(
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
    _answers, problems = rules.clean_answers(
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
    _answers, problems = rules.clean_answers(
        QUESTIONS, {"pitch": "a", "sector": "crafts", "employees": "-1"}
    )
    assert problems == {"employees": "At least 0."}


CRITERIA = [rules.Criterion("impact", 2, 5), rules.Criterion("feasibility", 1, 5)]


def test_review_percent_weights_the_criteria() -> None:
    # (2*4 + 1*2) / (2*5 + 1*5) = 10/15
    assert rules.review_percent(CRITERIA, {"impact": 4, "feasibility": 2}) == Decimal(
        1000
    ) / Decimal(15)
    assert rules.application_score([Decimal(1000) / Decimal(15), Decimal(80)]) == Decimal("73.33")
    assert rules.application_score([]) is None


def test_ranking_breaks_ties_by_earlier_submission_then_id() -> None:
    t0 = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    items = [
        rules.Ranked(1, Decimal("80.00"), t0 + timedelta(hours=2)),
        rules.Ranked(2, Decimal("90.00"), t0 + timedelta(hours=3)),
        rules.Ranked(3, Decimal("80.00"), t0 + timedelta(hours=1)),
        rules.Ranked(4, None, t0),
        rules.Ranked(5, Decimal("80.00"), t0 + timedelta(hours=1)),
    ]
    assert [item.id for item in rules.rank(items)] == [2, 3, 5, 1, 4]
    assert [item.id for item in rules.rank(reversed(items))] == [2, 3, 5, 1, 4]
