"""Demo of learning: the academy's programmes and courses, a fellowship with applicants and
reviewers, and a seller who finished export readiness (so the storefront shows the badge).

Idempotent: programmes, courses and cohorts are found by slug or name, their content written
only when the course is created, and learners' steps go through the services, which ignore
what was done already.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, TextIO

from django.db import transaction

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.core import clock
from ewtp.learning import demo_content
from ewtp.learning.models import (
    Application,
    ApplicationQuestion,
    Certificate,
    Choice,
    Cohort,
    Course,
    Lesson,
    LiveSession,
    Module,
    Programme,
    ProgrammeReviewer,
    Question,
    Quiz,
    ReviewAssignment,
    RubricCriterion,
)
from ewtp.learning.services import applications, courses, enrolments, reviews

ACADEMY_SLUG = "ewtp-academy"
TRAINER_EMAIL = "trainer@demo.ewtp.rw"
# Founders who apply (email, age when the cohort starts, stage, sector, staff, business) to the fellowship, and reviewers: the base demo's users, so that the demo
# stays one set of log-ins. Reviewers sit outside the applicants' organisations.
APPLICANTS = [
    (
        "seller@demo.ewtp.rw",
        34,
        "early_revenue",
        "agriculture",
        "18",
        "We wash and roast coffee from 600 smallholders in Huye and want to sell roasted coffee "
        "to cafés in Belgium instead of green coffee through traders.",
    ),
    (
        "tea@demo.ewtp.rw",
        30,
        "growth",
        "agriculture",
        "42",
        "Our estate sells black tea at the Mombasa auction. We want our own brand of green and "
        "black teas in shops in China, where buyers already ask for African teas.",
    ),
    (
        "baskets@demo.ewtp.rw",
        27,
        "early_revenue",
        "crafts",
        "65",
        "Sixty-five weavers make agaseke baskets. Buyers in Europe find us at fairs; we want "
        "orders all year and prices that pay the weavers fairly.",
    ),
    (
        "chili@demo.ewtp.rw",
        25,
        "prototype",
        "food_processing",
        "5",
        "We make chili oil from Rwandan peppers and have a recipe that keeps for a year. We need "
        "labels and papers that pass EU food rules.",
    ),
    (
        "fashion@demo.ewtp.rw",
        32,
        "early_revenue",
        "fashion",
        "9",
        "Kitenge shirts and accessories designed in Kigali; the diaspora in Belgium and France "
        "buys from us on social media, and we want a proper cross-border shop.",
    ),
]
REVIEWERS = ["trainer@demo.ewtp.rw", "operator@demo.ewtp.rw", "steward@demo.ewtp.rw"]
# The first three applications have been read by both their reviewers: (impact, team, export,
# feasibility) per reviewer.
SCORES = {
    "seller@demo.ewtp.rw": [(4, 4, 5, 4), (5, 4, 4, 4)],
    "tea@demo.ewtp.rw": [(4, 5, 4, 5), (4, 4, 5, 4)],
    "baskets@demo.ewtp.rw": [(5, 3, 4, 3), (4, 4, 4, 3)],
}


def _academy() -> tuple[Organisation, User]:
    academy, _created = Organisation.objects.get_or_create(
        slug=ACADEMY_SLUG,
        defaults={
            "name": "eWTP Academy Kigali",
            "kind": Organisation.Kind.TRAINING_PROVIDER,
            "country": "RW",
            "description": "E-commerce training for lecturers, founders and exporters.",
        },
    )
    trainer = User.objects.filter(email=TRAINER_EMAIL).first()
    if trainer is None:
        trainer = User.objects.create_user(
            TRAINER_EMAIL, "ewtp-demo-2026", full_name="Dr. Esther Trainer"
        )
    Membership.objects.get_or_create(
        user=trainer, organisation=academy, defaults={"role": Membership.Role.OWNER}
    )
    return academy, trainer


def _course(
    programme: Programme,
    slug: str,
    title: str,
    summary: str,
    modules: list[tuple[str, list[tuple[str, int, str]], Any]],
    **extra: Any,
) -> Course:
    course, created = Course.objects.get_or_create(
        slug=slug,
        defaults={"programme": programme, "title": title, "summary": summary, **extra},
    )
    if not created:
        return course
    for module_position, (module_title, lessons, quiz) in enumerate(modules, start=1):
        module = Module.objects.create(course=course, title=module_title, position=module_position)
        for position, (lesson_title, minutes, body) in enumerate(lessons, start=1):
            Lesson.objects.create(
                module=module,
                title=lesson_title,
                position=position,
                minutes=minutes,
                body=body.strip(),
            )
        if quiz is not None:
            quiz_title, pass_mark, attempts, questions = quiz
            made = Quiz.objects.create(
                module=module,
                title=quiz_title,
                pass_mark_percent=pass_mark,
                max_attempts=attempts,
            )
            for question_position, (text, kind, choices, explanation) in enumerate(questions):
                question = Question.objects.create(
                    quiz=made,
                    position=question_position,
                    text=text,
                    kind=kind,
                    explanation=explanation,
                )
                for choice_position, (choice_text, is_correct) in enumerate(choices):
                    Choice.objects.create(
                        question=question,
                        position=choice_position,
                        text=choice_text,
                        is_correct=is_correct,
                    )
    return course


def _programme(academy: Organisation, slug: str, **defaults: Any) -> Programme:
    programme, _created = Programme.objects.get_or_create(
        slug=slug, defaults={"provider": academy, **defaults}
    )
    return programme


def _cohort(programme: Programme, name: str, **defaults: Any) -> Cohort:
    cohort, _created = Cohort.objects.get_or_create(
        programme=programme, name=name, defaults=defaults
    )
    return cohort


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=clock.now().tzinfo)


@transaction.atomic
def load(stdout: TextIO) -> None:
    academy, trainer = _academy()
    today = clock.today()

    sellers = _programme(
        academy,
        "sellers-academy",
        title="Sellers' Export Academy",
        summary="Short, practical courses for sellers who want to export.",
        description=demo_content.SELLERS_DESCRIPTION.strip(),
        enrolment_mode=Programme.Mode.OPEN,
    )
    export = _course(
        sellers,
        "export-readiness",
        "Export readiness",
        "HS codes, landed cost, packaging and papers, pricing for export.",
        demo_content.EXPORT_READINESS,
        description="Four modules and four short quizzes: classify your products, work out "
        "what a buyer abroad really pays, pack and document a parcel, and price for export. "
        "Completing the course shows an export-ready badge on your storefront.",
        estimated_hours=2,
        marks_export_ready=True,
        position=1,
    )

    lecturers = _programme(
        academy,
        "global-ecommerce-talent",
        title="Global E-commerce Talent",
        summary="Training lecturers to teach cross-border e-commerce with real firms.",
        description=demo_content.LECTURERS_DESCRIPTION.strip(),
        enrolment_mode=Programme.Mode.OPEN,
        issues_certificate=True,
    )
    _course(
        lecturers,
        "teaching-cross-border-ecommerce",
        "Teaching cross-border e-commerce",
        "Models, trade rules as data, and a practical course built around local firms.",
        demo_content.TEACHING_ECOMMERCE,
        estimated_hours=3,
        position=1,
    )
    lecturer_cohort = _cohort(
        lecturers,
        "Lecturers 2027, Kigali",
        starts_on=today + timedelta(days=14),
        ends_on=today + timedelta(days=134),
        capacity=40,
    )
    if not lecturer_cohort.sessions.exists():
        for month, topic in enumerate(
            [
                "Kick-off: the models of cross-border e-commerce",
                "Rules as data: exercises with landed-cost quotes",
                "Live projects with local firms: first results",
            ],
        ):
            LiveSession.objects.create(
                cohort=lecturer_cohort,
                title=topic,
                starts_at=_at(lecturer_cohort.starts_on + timedelta(days=30 * month), 13),
                duration_minutes=90,
                location="eWTP Academy, Kigali, and online",
            )

    fellowship = _programme(
        academy,
        "founders-fellowship",
        title="eWTP Founders Fellowship",
        summary="Six months for founders building cross-border businesses: 24 places.",
        description=demo_content.FELLOWSHIP_DESCRIPTION.strip(),
        enrolment_mode=Programme.Mode.APPLICATION,
        eligible_countries=["RW", "KE", "UG", "TZ", "BI", "SS", "CD", "SO"],
        minimum_age=18,
        maximum_age=35,
        eligible_stages=["prototype", "early_revenue", "growth"],
        reviews_per_application=2,
    )
    _course(
        fellowship,
        "founders-bootcamp",
        "Founders' bootcamp: cross-border operations",
        "The fellowship's first month: from a local business to an exporting one.",
        demo_content.EXPORT_READINESS[1:3],
        estimated_hours=2,
        position=1,
    )
    if not fellowship.questions.exists():
        questions: list[tuple[str, str, str, dict[str, Any]]] = [
            ("business", "What does your business do, and for whom?", "long_text", {}),
            (
                "sector",
                "Sector",
                "choice",
                {
                    "choices": [
                        "agriculture",
                        "food_processing",
                        "crafts",
                        "fashion",
                        "services",
                        "other",
                    ]
                },
            ),
            ("employees", "How many people work in the business?", "number", {"minimum": 0}),
            ("founded", "When was it founded?", "date", {"is_required": False}),
        ]
        for position, (key, label, kind, extra) in enumerate(questions):
            ApplicationQuestion.objects.create(
                programme=fellowship, key=key, position=position, label=label, kind=kind, **extra
            )
        for position, (key, label, weight, description) in enumerate(
            [
                ("impact", "Impact", 3, "Jobs and incomes the business creates or could create."),
                ("team", "Team", 2, "Can the founders carry the plan?"),
                ("export", "Export potential", 3, "A product and a market that fit."),
                ("feasibility", "Feasibility", 2, "Is the plan realistic in six months?"),
            ]
        ):
            RubricCriterion.objects.create(
                programme=fellowship,
                key=key,
                position=position,
                label=label,
                weight=weight,
                max_score=5,
                description=description,
            )
    fellowship_class = _cohort(
        fellowship,
        "Class of 2027",
        starts_on=today + timedelta(days=60),
        ends_on=today + timedelta(days=240),
        capacity=24,
        applications_open_on=today - timedelta(days=30),
        applications_close_on=today + timedelta(days=30),
    )
    if not fellowship_class.sessions.exists():
        LiveSession.objects.create(
            cohort=fellowship_class,
            title="Welcome and export plans",
            starts_at=_at(fellowship_class.starts_on, 9),
            duration_minutes=120,
            location="Kigali Logistics Platform, conference room",
        )

    for email in REVIEWERS:
        reviewer = User.objects.filter(email=email).first()
        if reviewer is not None:
            ProgrammeReviewer.objects.get_or_create(
                programme=fellowship, user=reviewer, defaults={"added_at": clock.now()}
            )

    applied = 0
    for email, age, stage, sector, employees, business in APPLICANTS:
        # Ages, not dates: the demo stays eligible whenever it is loaded.
        birth_date = fellowship_class.starts_on - timedelta(days=365 * age + 100)
        applicant = User.objects.filter(email=email).first()
        if (
            applicant is None
            or Application.objects.filter(cohort=fellowship_class, applicant=applicant).exists()
        ):
            continue
        organisation = Organisation.objects.filter(memberships__user=applicant).first()
        applications.application_submit(
            applicant=applicant,
            cohort=fellowship_class,
            answers={"business": business, "sector": sector, "employees": employees},
            country="RW",
            birth_date=birth_date,
            business_stage=stage,
            organisation=organisation,
            language=applicant.language,
        )
        applied += 1
    reviews.reviewers_assign(actor=trainer, cohort=fellowship_class)
    for email, given in SCORES.items():
        assignments = ReviewAssignment.objects.filter(
            application__cohort=fellowship_class, application__applicant__email=email
        ).order_by("reviewer_id")
        for assignment, scores in zip(assignments, given, strict=False):
            if assignment.submitted_at is None:
                reviews.review_submit(
                    reviewer=assignment.reviewer,
                    assignment=assignment,
                    scores=dict(
                        zip(["impact", "team", "export", "feasibility"], scores, strict=True)
                    ),
                    comment="Clear market and a credible first step.",
                )

    # A seller who finished export readiness: the storefront of Huye coffee shows the badge.
    seller = User.objects.filter(email="seller@demo.ewtp.rw").first()
    issued = 0
    if seller is not None and not Certificate.objects.filter(holder=seller, course=export).exists():
        enrolments.enrolment_create(learner=seller, course=export)
        for lesson in Lesson.objects.filter(module__course=export):
            courses.lesson_complete(learner=seller, lesson=lesson)
        for quiz in Quiz.objects.filter(module__course=export):
            correct = {
                question.pk: [c.pk for c in question.choices.all() if c.is_correct]
                for question in quiz.questions.all()
            }
            courses.quiz_submit(learner=seller, quiz=quiz, selected=correct)
        issued = Certificate.objects.filter(holder=seller, course=export).count()
    stdout.write(
        f"learning: {Programme.objects.filter(provider=academy).count()} programmes, "
        f"{Course.objects.filter(programme__provider=academy).count()} courses, "
        f"{applied} applications, {issued} certificate issued\n"
    )
