"""Small factories for learning tests: a provider, programmes, a course with a quiz."""

from __future__ import annotations

import itertools
from datetime import date

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.core import clock
from ewtp.learning.models import (
    Application,
    ApplicationQuestion,
    Choice,
    Cohort,
    Course,
    Lesson,
    Module,
    Programme,
    ProgrammeReviewer,
    Question,
    Quiz,
    RubricCriterion,
)

_counter = itertools.count(1)


def user(email: str = "", name: str = "", language: str = "en") -> User:
    email = email or f"user{next(_counter)}@example.org"
    return User.objects.create_user(email, "password-12345", full_name=name, language=language)


def organisation(
    kind: str = Organisation.Kind.SELLER, slug: str = "", *members: User
) -> Organisation:
    slug = slug or f"org-{next(_counter)}"
    org = Organisation.objects.create(
        slug=slug, name=slug.replace("-", " ").title(), kind=kind, country="RW"
    )
    for member in members:
        Membership.objects.create(user=member, organisation=org, role=Membership.Role.OWNER)
    return org


def provider(*members: User) -> Organisation:
    return organisation(Organisation.Kind.TRAINING_PROVIDER, "", *members)


def programme(
    provider_org: Organisation, mode: str = Programme.Mode.OPEN, **extra: object
) -> Programme:
    return Programme.objects.create(
        provider=provider_org,
        slug=f"programme-{next(_counter)}",
        title=str(extra.pop("title", "Programme")),
        enrolment_mode=mode,
        **extra,
    )


def cohort(programme_obj: Programme, capacity: int = 10, **extra: object) -> Cohort:
    return Cohort.objects.create(
        programme=programme_obj,
        name=str(extra.pop("name", "Class of 2027")),
        starts_on=extra.pop("starts_on", date(2027, 3, 1)),
        ends_on=extra.pop("ends_on", date(2027, 9, 30)),
        capacity=capacity,
        **extra,
    )


def course(
    programme_obj: Programme,
    *,
    lessons: int = 2,
    quiz: bool = True,
    pass_mark: int = 50,
    max_attempts: int = 2,
    **extra: object,
) -> Course:
    """A course of one module: `lessons` lessons, then a quiz of two questions: a single-choice
    one (right answer "B") and a multiple-choice one (right answers "X" and "Z")."""
    created = Course.objects.create(
        programme=programme_obj,
        slug=str(extra.pop("slug", f"course-{next(_counter)}")),
        title=str(extra.pop("title", "Course")),
        **extra,
    )
    module = Module.objects.create(course=created, title="Module 1", position=1)
    for number in range(1, lessons + 1):
        Lesson.objects.create(module=module, title=f"Lesson {number}", position=number, body="Text")
    if quiz:
        made = Quiz.objects.create(
            module=module, title="Quiz", pass_mark_percent=pass_mark, max_attempts=max_attempts
        )
        single = Question.objects.create(quiz=made, position=1, text="Pick B", kind="single")
        for position, text in enumerate(["A", "B", "C"]):
            Choice.objects.create(
                question=single, position=position, text=text, is_correct=text == "B"
            )
        multiple = Question.objects.create(
            quiz=made, position=2, text="Pick X and Z", kind="multiple"
        )
        for position, text in enumerate(["X", "Y", "Z"]):
            Choice.objects.create(
                question=multiple, position=position, text=text, is_correct=text in {"X", "Z"}
            )
    return created


def quiz_answers(
    quiz: Quiz, *, single: str = "B", multiple: tuple[str, ...] = ("X", "Z")
) -> dict[int, list[int]]:
    answers: dict[int, list[int]] = {}
    for question in quiz.questions.all():
        wanted = {single} if question.kind == "single" else set(multiple)
        answers[question.pk] = [c.pk for c in question.choices.all() if c.text in wanted]
    return answers


def selective_programme(provider_org: Organisation, **extra: object) -> Programme:
    """An application programme with a form, a rubric (impact x2, feasibility x1, out of 5)."""
    made = programme(provider_org, Programme.Mode.APPLICATION, title="Fellowship", **extra)
    ApplicationQuestion.objects.create(
        programme=made, key="pitch", position=1, label="Pitch", kind="long_text"
    )
    ApplicationQuestion.objects.create(
        programme=made,
        key="sector",
        position=2,
        label="Sector",
        kind="choice",
        choices=["agriculture", "crafts", "services"],
    )
    ApplicationQuestion.objects.create(
        programme=made, key="employees", position=3, label="Employees", kind="number", minimum=0
    )
    ApplicationQuestion.objects.create(
        programme=made,
        key="founded",
        position=4,
        label="Founded on",
        kind="date",
        is_required=False,
    )
    RubricCriterion.objects.create(
        programme=made, key="impact", label="Impact", weight=2, max_score=5, position=1
    )
    RubricCriterion.objects.create(
        programme=made, key="feasibility", label="Feasibility", weight=1, max_score=5, position=2
    )
    return made


ANSWERS = {"pitch": "Coffee to Europe", "sector": "agriculture", "employees": "4"}


def add_reviewer(programme_obj: Programme, reviewer: User) -> ProgrammeReviewer:
    return ProgrammeReviewer.objects.create(
        programme=programme_obj, user=reviewer, added_at=clock.now()
    )


def application(cohort_obj: Cohort, applicant: User, **extra: object) -> Application:
    """An application written straight to the table (for ranking and decision tests)."""
    return Application.objects.create(
        cohort=cohort_obj,
        applicant=applicant,
        country=str(extra.pop("country", "RW")),
        answers=extra.pop("answers", dict(ANSWERS)),
        submitted_at=extra.pop("submitted_at", clock.now()),
        **extra,
    )
