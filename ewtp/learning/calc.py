"""Pure rules of learning: quiz scoring, eligibility, application answers, scores and ranking.

No Django here: the services feed these functions plain values, so they are fast to test and
the rules read in one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

# -- quizzes --------------------------------------------------------------------------------

SINGLE = "single"
MULTIPLE = "multiple"


@dataclass(frozen=True)
class QuestionKey:
    """What scoring needs of a question: its kind, its choices and which are correct."""

    id: int
    kind: str
    choice_ids: frozenset[int]
    correct_ids: frozenset[int]
    points: int = 1


@dataclass(frozen=True)
class QuizScore:
    points: int
    max_points: int
    passed: bool
    correct_question_ids: frozenset[int]

    @property
    def percent(self) -> int:
        """Whole percent, rounded half up (for display; passing uses exact arithmetic)."""
        if not self.max_points:
            return 0
        value = Decimal(self.points * 100) / Decimal(self.max_points)
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class AnswerError(ValueError):
    def __init__(self, question_id: int, message: str) -> None:
        super().__init__(message)
        self.question_id = question_id
        self.message = message


def score_quiz(
    questions: Sequence[QuestionKey], selected: Mapping[int, Iterable[int]], pass_mark_percent: int
) -> QuizScore:
    """Score an attempt. A question earns its points only when the choices selected are exactly
    the correct ones (all or nothing, also for multiple choice: no credit for guessing every box).
    An unanswered question earns nothing. Passed when points/max >= pass mark, exactly.

    Raises AnswerError for a choice that is not the question's, or several on a single-choice
    question.
    """
    points = 0
    max_points = 0
    correct: set[int] = set()
    for question in questions:
        chosen = frozenset(int(choice) for choice in selected.get(question.id, ()))
        if not chosen <= question.choice_ids:
            raise AnswerError(question.id, "That choice does not belong to the question.")
        if question.kind == SINGLE and len(chosen) > 1:
            raise AnswerError(question.id, "Choose one answer.")
        max_points += question.points
        if chosen and chosen == question.correct_ids:
            points += question.points
            correct.add(question.id)
    passed = max_points > 0 and points * 100 >= pass_mark_percent * max_points
    return QuizScore(points, max_points, passed, frozenset(correct))


# -- eligibility ----------------------------------------------------------------------------

BUSINESS_STAGES = ("idea", "prototype", "early_revenue", "growth")


@dataclass(frozen=True)
class Eligibility:
    countries: frozenset[str] = frozenset()  # empty: any country
    minimum_age: int | None = None
    maximum_age: int | None = None
    stages: frozenset[str] = frozenset()  # empty: any stage

    @property
    def asks_age(self) -> bool:
        return self.minimum_age is not None or self.maximum_age is not None


def age_on(birth_date: date, on: date) -> int:
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def eligibility_problems(
    rules: Eligibility,
    *,
    country: str,
    birth_date: date | None,
    business_stage: str,
    reference_date: date,
) -> dict[str, str]:
    """Field -> reason for every rule the applicant does not meet; empty when eligible.

    Age is taken on the reference date (the cohort's first day): an applicant must be old
    enough, and not too old, when the programme starts.
    """
    problems: dict[str, str] = {}
    if rules.countries and country not in rules.countries:
        problems["country"] = "The programme is open to applicants from {}.".format(
            ", ".join(sorted(rules.countries))
        )
    if rules.asks_age:
        if birth_date is None:
            problems["birth_date"] = "Give your date of birth."
        else:
            age = age_on(birth_date, reference_date)
            if rules.minimum_age is not None and age < rules.minimum_age:
                problems["birth_date"] = f"Applicants must be at least {rules.minimum_age}."
            elif rules.maximum_age is not None and age > rules.maximum_age:
                problems["birth_date"] = f"Applicants must be at most {rules.maximum_age}."
    if rules.stages and business_stage not in rules.stages:
        problems["business_stage"] = "The programme is for businesses at another stage."
    return problems


# -- the programme's own questions ------------------------------------------------------------

TEXT = "text"
LONG_TEXT = "long_text"
CHOICE = "choice"
NUMBER = "number"
DATE = "date"
QUESTION_KINDS = (TEXT, LONG_TEXT, CHOICE, NUMBER, DATE)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class FormQuestion:
    key: str
    kind: str
    required: bool = True
    choices: tuple[str, ...] = ()
    max_length: int = 2000
    minimum: Decimal | None = None
    maximum: Decimal | None = None


def _clean_number(question: FormQuestion, text: str) -> str:
    if not _NUMBER.match(text):
        raise ValueError("Give a number.")
    number = Decimal(text)
    if question.minimum is not None and number < question.minimum:
        raise ValueError(f"At least {question.minimum}.")
    if question.maximum is not None and number > question.maximum:
        raise ValueError(f"At most {question.maximum}.")
    return text


def _clean_answer(question: FormQuestion, text: str) -> str:
    """One non-empty answer, normalised; ValueError with the problem otherwise."""
    if question.kind in (TEXT, LONG_TEXT):
        limit = question.max_length if question.kind == LONG_TEXT else min(question.max_length, 300)
        if len(text) > limit:
            raise ValueError(f"At most {limit} characters.")
    elif question.kind == CHOICE:
        if text not in question.choices:
            raise ValueError("Choose one of the options.")
    elif question.kind == NUMBER:
        return _clean_number(question, text)
    elif question.kind == DATE:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("Give a date as YYYY-MM-DD.") from None
    return text


def clean_answers(
    questions: Sequence[FormQuestion], raw: Mapping[str, object]
) -> tuple[dict[str, str], dict[str, str]]:
    """(answers, problems): every answer as a normalised string keyed by question key.

    Numbers keep their decimal text, dates their ISO form, choices must be one of the offered
    values; unknown keys are dropped.
    """
    answers: dict[str, str] = {}
    problems: dict[str, str] = {}
    for question in questions:
        value = raw.get(question.key)
        text = "" if value is None else str(value).strip()
        if not text:
            if question.required:
                problems[question.key] = "This answer is required."
            continue
        try:
            answers[question.key] = _clean_answer(question, text)
        except ValueError as problem:
            problems[question.key] = str(problem)
    return answers, problems


# -- review scores and ranking ----------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    key: str
    weight: int
    max_score: int


def review_percent(criteria: Sequence[Criterion], scores: Mapping[str, int]) -> Decimal:
    """One review as a percentage: sum(weight x score) / sum(weight x max score) x 100."""
    earned = sum(criterion.weight * scores[criterion.key] for criterion in criteria)
    possible = sum(criterion.weight * criterion.max_score for criterion in criteria)
    if not possible:
        return Decimal(0)
    return Decimal(earned * 100) / Decimal(possible)


def application_score(review_percents: Sequence[Decimal]) -> Decimal | None:
    """The mean of the submitted reviews, to two places half up; None with no review yet."""
    if not review_percents:
        return None
    mean = sum(review_percents, Decimal(0)) / len(review_percents)
    return mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Ranked:
    id: int
    score: Decimal | None
    submitted_at: datetime
    extra: dict[str, object] = field(default_factory=dict, compare=False)


def rank(applications: Iterable[Ranked]) -> list[Ranked]:
    """Highest score first. Ties go to the earlier submission, then to the lower id (the order
    the platform received them), so the same scores always give the same ranking. Applications
    not scored yet come last."""
    return sorted(
        applications,
        key=lambda item: (
            item.score is None,
            -(item.score or Decimal(0)),
            item.submitted_at,
            item.id,
        ),
    )
