"""Reads of the catalogue and a course's outline: prerequisites, attempts, progress, access to lessons and quizzes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from ewtp.accounts.models import Membership, User
from ewtp.accounts.selectors import as_user, role_in
from ewtp.core.errors import NotFound, PermissionDenied
from ewtp.learning.models import (
    AttemptGrant,
    Course,
    Enrolment,
    Lesson,
    LessonCompletion,
    Module,
    Programme,
    Quiz,
    QuizAttempt,
)

MANAGER_ROLES = {Membership.Role.OWNER, Membership.Role.STAFF}


def attempts_allowed(enrolment: Enrolment, quiz: Quiz) -> int | None:
    """Attempts a learner has at a quiz, with any a trainer granted; None when unlimited."""
    if quiz.max_attempts == 0:
        return None
    granted = sum(
        AttemptGrant.objects.filter(enrolment=enrolment, quiz=quiz).values_list(
            "extra_attempts", flat=True
        )
    )
    return quiz.max_attempts + granted


def missing_prerequisites(user: User, course: Course) -> list[Course]:
    """The prerequisite courses the learner has not completed yet."""
    required = list(course.prerequisites.all())
    if not required:
        return []
    completed = set(
        Enrolment.objects.filter(
            learner=user, course__in=required, status=Enrolment.Status.COMPLETED
        ).values_list("course_id", flat=True)
    )
    return [prerequisite for prerequisite in required if prerequisite.pk not in completed]


def course_requirements(course: Course) -> tuple[set[int], set[int]]:
    """(lesson ids, quiz ids) a learner must finish to complete the course."""
    lessons = set(Lesson.objects.filter(module__course=course).values_list("id", flat=True))
    quizzes = set(Quiz.objects.filter(module__course=course).values_list("id", flat=True))
    return lessons, quizzes


# -- the catalogue and a course's outline ---------------------------------------------------------


def programmes_published() -> QuerySet[Programme]:
    return (
        Programme.objects.filter(is_published=True)
        .select_related("provider")
        .prefetch_related(
            Prefetch(
                "courses",
                queryset=Course.objects.filter(is_published=True).prefetch_related("translations"),
            ),
            "cohorts",
            "translations",
        )
        .order_by("title")
    )


def courses_published(*, q: str = "") -> QuerySet[Course]:
    courses = Course.objects.filter(is_published=True, programme__is_published=True)
    if q.strip():
        courses = courses.filter(Q(title__icontains=q.strip()) | Q(summary__icontains=q.strip()))
    return (
        courses.select_related("programme__provider")
        .prefetch_related("translations", "programme__translations")
        .order_by("programme__title", "position", "title")
    )


def programme_get(slug: str) -> Programme:
    programme = (
        Programme.objects.select_related("provider")
        .prefetch_related("translations")
        .filter(slug=slug)
        .first()
    )
    if programme is None or not programme.is_published:
        raise NotFound("not_found", _("No such programme."))
    return programme


def programme_get_for_manager(actor: object, slug: str) -> Programme:
    """A programme, published or not, for its managers; NotFound for anyone else."""
    programme = (
        Programme.objects.select_related("provider")
        .prefetch_related("translations")
        .filter(slug=slug)
        .first()
    )
    if programme is None or not can_manage(actor, programme):
        raise NotFound("not_found", _("No such programme."))
    return programme


def course_get_for_manager(actor: object, slug: str) -> Course:
    """A course, published or not, for its programme's managers; NotFound for anyone else."""
    course = (
        Course.objects.select_related("programme__provider")
        .prefetch_related("translations")
        .filter(slug=slug)
        .first()
    )
    if course is None or not can_manage(actor, course.programme):
        raise NotFound("not_found", _("No such course."))
    return course


def course_get(slug: str) -> Course:
    course = (
        Course.objects.select_related("programme__provider")
        .prefetch_related("prerequisites", "translations", "programme__translations")
        .filter(slug=slug)
        .first()
    )
    if course is None or not course.is_published or not course.programme.is_published:
        raise NotFound("not_found", _("No such course."))
    return course


@dataclass(frozen=True)
class Item:
    """A step of a course: a lesson or a quiz, in the order a learner meets them."""

    kind: str  # "lesson" or "quiz"
    id: int
    title: str
    module: Module
    position: int  # 1-based in the course
    shared_id: int = 0  # a lesson's identity across the courses that reuse it


def course_modules(course: Course) -> list[Module]:
    return list(
        course.modules.prefetch_related(
            Prefetch("lessons", queryset=Lesson.objects.order_by("position", "id")),
            Prefetch("quizzes", queryset=Quiz.objects.order_by("position", "id")),
        )
    )


def course_items(course: Course, modules: list[Module] | None = None) -> list[Item]:
    """Each module's lessons, then its quizzes."""
    items: list[Item] = []
    for module in modules if modules is not None else course_modules(course):
        for lesson in module.lessons.all():
            items.append(
                Item("lesson", lesson.pk, lesson.title, module, len(items) + 1, lesson.shared_id)
            )
        for quiz in module.quizzes.all():
            items.append(Item("quiz", quiz.pk, quiz.title, module, len(items) + 1))
    return items


@dataclass
class Progress:
    lessons_done: set[int]
    quizzes_passed: set[int]
    steps_total: int
    steps_done: int
    next_item: Item | None

    @property
    def percent(self) -> int:
        return round(self.steps_done * 100 / self.steps_total) if self.steps_total else 0

    def is_done(self, item: Item) -> bool:
        return item.id in (self.lessons_done if item.kind == "lesson" else self.quizzes_passed)


def shared_lessons_done(learner_id: int) -> set[int]:
    """The shared identities of the lessons a learner completed, in any course (a lesson reused
    by several courses is done in all of them once done in one)."""
    return {
        reuses_id or lesson_id
        for lesson_id, reuses_id in LessonCompletion.objects.filter(
            enrolment__learner_id=learner_id
        ).values_list("lesson_id", "lesson__reuses_id")
    }


def lessons_done(learner_id: int, lesson_ids: Iterable[int]) -> set[int]:
    """Which of these lessons count as done for the learner (in this course or another that
    reuses the same lesson)."""
    shared = shared_lessons_done(learner_id)
    return {
        lesson_id
        for lesson_id, reuses_id in Lesson.objects.filter(pk__in=list(lesson_ids)).values_list(
            "id", "reuses_id"
        )
        if (reuses_id or lesson_id) in shared
    }


def progress_of(enrolment: Enrolment | None, items: list[Item]) -> Progress:
    if enrolment is None:
        return Progress(set(), set(), len(items), 0, items[0] if items else None)
    shared = shared_lessons_done(enrolment.learner_id)
    done = {item.id for item in items if item.kind == "lesson" and item.shared_id in shared}
    passed = set(enrolment.attempts.filter(passed=True).values_list("quiz_id", flat=True))
    progress = Progress(done, passed, len(items), 0, None)
    progress.steps_done = sum(1 for item in items if progress.is_done(item))
    progress.next_item = next((item for item in items if not progress.is_done(item)), None)
    return progress


def enrolment_of(actor: object, course: Course) -> Enrolment | None:
    user = as_user(actor)
    if user is None:
        return None
    return Enrolment.objects.filter(learner=user, course=course).select_related("cohort").first()


def can_teach(actor: object, programme: Programme) -> bool:
    """Members of the provider see every lesson and quiz (to prepare and check them)."""
    return role_in(actor, programme.provider) is not None


def can_manage(actor: object, programme: Programme) -> bool:
    return role_in(actor, programme.provider) in MANAGER_ROLES


def _may_study(actor: object, course: Course) -> Enrolment | None:
    """The actor's enrolment that allows studying the course; a trainer of it gets None."""
    enrolment = enrolment_of(actor, course)
    if enrolment is not None and enrolment.status != Enrolment.Status.WITHDRAWN:
        return enrolment
    if can_teach(actor, course.programme):
        return None
    raise PermissionDenied("not_enrolled", _("Enrol in the course to open its lessons."))


def lesson_get_for(
    actor: object, course: Course, lesson_id: int
) -> tuple[Lesson, Enrolment | None]:
    lesson = (
        Lesson.objects.select_related("module")
        .prefetch_related("files")
        .filter(pk=lesson_id, module__course=course)
        .first()
    )
    if lesson is None:
        raise NotFound("not_found", _("No such lesson."))
    return lesson, _may_study(actor, course)


def quiz_get_for(actor: object, course: Course, quiz_id: int) -> tuple[Quiz, Enrolment | None]:
    quiz = (
        Quiz.objects.select_related("module")
        .prefetch_related("questions__choices")
        .filter(pk=quiz_id, module__course=course)
        .first()
    )
    if quiz is None:
        raise NotFound("not_found", _("No such quiz."))
    return quiz, _may_study(actor, course)


@dataclass(frozen=True)
class QuizStanding:
    attempts: list[QuizAttempt]
    allowed: int | None  # None: unlimited
    passed: bool

    @property
    def left(self) -> int | None:
        return None if self.allowed is None else max(self.allowed - len(self.attempts), 0)

    @property
    def may_attempt(self) -> bool:
        return not self.passed and (self.left is None or self.left > 0)


def quiz_standing(enrolment: Enrolment | None, quiz: Quiz) -> QuizStanding:
    if enrolment is None:
        return QuizStanding([], quiz.max_attempts or None, False)
    attempts = list(QuizAttempt.objects.filter(enrolment=enrolment, quiz=quiz).order_by("number"))
    return QuizStanding(
        attempts, attempts_allowed(enrolment, quiz), any(a.passed for a in attempts)
    )


def attempt_get_for(actor: object, quiz: Quiz, number: int) -> QuizAttempt:
    user = as_user(actor)
    attempt = (
        QuizAttempt.objects.select_related("enrolment")
        .filter(quiz=quiz, number=number, enrolment__learner=user)
        .first()
        if user
        else None
    )
    if attempt is None:
        raise NotFound("not_found", _("No such attempt."))
    return attempt
