"""Studying a course: lessons done, quiz attempts and grants, completion."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from ewtp.accounts.models import User
from ewtp.core import clock
from ewtp.core.errors import (
    Conflict,
    DomainError,
    InvalidRequest,
    PermissionDenied,
)
from ewtp.core.locks import lock_rows
from ewtp.learning import calc
from ewtp.learning.models import (
    AttemptGrant,
    Certificate,
    Course,
    Enrolment,
    Lesson,
    LessonCompletion,
    Quiz,
    QuizAttempt,
)
from ewtp.learning.selectors.courses import attempts_allowed, course_requirements, lessons_done
from ewtp.learning.services.certificates import _certificate_issue
from ewtp.learning.services.common import _audit, _require_user, require_manager
from ewtp.learning.services.enrolments import _require_prerequisites

# -- progress, quizzes, completion --------------------------------------------------------------


def _learning_enrolment(user: User, course: Course) -> Enrolment:
    """The learner's enrolment, locked, that allows learning (active or completed)."""
    found = Enrolment.objects.filter(learner=user, course=course).first()
    if found is None or found.status == Enrolment.Status.WITHDRAWN:
        raise PermissionDenied("not_enrolled", _("Enrol in the course first."))
    _require_prerequisites(user, course)
    return lock_rows(Enrolment.objects.filter(pk=found.pk))[0]


@transaction.atomic
def lesson_complete(*, learner: object, lesson: Lesson) -> Enrolment:
    """Mark a lesson done (again is harmless); completes the course when it was the last step."""
    user = _require_user(learner)
    course = lesson.module.course
    enrolment = _learning_enrolment(user, course)
    now = clock.now()
    LessonCompletion.objects.get_or_create(
        enrolment=enrolment, lesson=lesson, defaults={"completed_at": now}
    )
    _complete_if_done(enrolment, now)
    # The same lesson reused by the learner's other courses counts there too: one of them
    # may be complete now.
    reusing = Enrolment.objects.filter(
        learner=user,
        status=Enrolment.Status.ACTIVE,
        course__modules__lessons__in=Lesson.objects.filter(
            Q(pk=lesson.shared_id) | Q(reuses_id=lesson.shared_id)
        ),
    ).exclude(pk=enrolment.pk)
    others = lock_rows(Enrolment.objects.filter(pk__in=set(reusing.values_list("pk", flat=True))))
    for other in others:
        _complete_if_done(other, now)
    return enrolment


@transaction.atomic
def quiz_submit(
    *, learner: object, quiz: Quiz, selected: Mapping[int, Iterable[int]]
) -> QuizAttempt:
    """Score an attempt. A failed attempt never removes the learner from the course: they may
    try again while attempts are left (and a trainer may grant more)."""
    user = _require_user(learner)
    course = quiz.module.course
    enrolment = _learning_enrolment(user, course)
    attempts = list(QuizAttempt.objects.filter(enrolment=enrolment, quiz=quiz))
    if any(attempt.passed for attempt in attempts):
        raise Conflict("quiz_already_passed", _("You have passed this quiz already."))
    allowed = attempts_allowed(enrolment, quiz)
    if allowed is not None and len(attempts) >= allowed:
        raise DomainError(
            "no_attempts_left",
            _("You have used every attempt at this quiz; ask your trainer for another."),
            http_status=409,
        )
    try:
        answered = {question: list(chosen) for question, chosen in selected.items()}
    except TypeError:
        raise InvalidRequest("invalid_answer", _("Answers must be choice ids.")) from None
    if not any(answered.values()):
        # Nothing answered: refused as it is, not scored and not counted as an attempt.
        raise InvalidRequest(
            "empty_submission",
            _("Answer at least one question before you submit: nothing was counted."),
        )
    questions = list(quiz.questions.prefetch_related("choices"))
    keys = [
        calc.QuestionKey(
            id=question.pk,
            kind=question.kind,
            choice_ids=frozenset(choice.pk for choice in question.choices.all()),
            correct_ids=frozenset(c.pk for c in question.choices.all() if c.is_correct),
            points=question.points,
        )
        for question in questions
    ]
    try:
        normalised = {int(q): sorted({int(c) for c in chosen}) for q, chosen in answered.items()}
        score = calc.score_quiz(keys, normalised, quiz.pass_mark_percent)
    except calc.AnswerError as error:
        raise InvalidRequest(
            "invalid_answer", error.message, fields={f"question_{error.question_id}": error.message}
        ) from None
    except (TypeError, ValueError):
        raise InvalidRequest("invalid_answer", _("Answers must be choice ids.")) from None
    now = clock.now()
    attempt = QuizAttempt.objects.create(
        enrolment=enrolment,
        quiz=quiz,
        number=len(attempts) + 1,
        selected={str(q): chosen for q, chosen in normalised.items() if q in {k.id for k in keys}},
        points=score.points,
        max_points=score.max_points,
        passed=score.passed,
        submitted_at=now,
    )
    _audit(
        user,
        "learning.quiz.attempted",
        attempt,
        course.programme,
        quiz=quiz.pk,
        points=score.points,
        max_points=score.max_points,
        passed=score.passed,
    )
    if score.passed:
        _complete_if_done(enrolment, now)
    return attempt


@transaction.atomic
def attempts_grant(
    *, actor: object, enrolment: Enrolment, quiz: Quiz, extra: int = 1
) -> AttemptGrant:
    programme = enrolment.course.programme
    user = require_manager(actor, programme)
    if quiz.module.course_id != enrolment.course_id or extra < 1:
        raise InvalidRequest("invalid_request", _("That quiz is not of the learner's course."))
    grant = AttemptGrant.objects.create(
        enrolment=enrolment,
        quiz=quiz,
        extra_attempts=extra,
        granted_by=user,
        granted_at=clock.now(),
    )
    _audit(user, "learning.quiz.attempts_granted", enrolment, programme, quiz=quiz.pk, extra=extra)
    return grant


def _complete_if_done(enrolment: Enrolment, now: datetime) -> Certificate | None:
    """The completion rule: every lesson done and every quiz passed."""
    if enrolment.status == Enrolment.Status.COMPLETED:
        return None
    course = enrolment.course
    lessons, quizzes = course_requirements(course)
    if not lessons and not quizzes:
        return None
    done = lessons_done(enrolment.learner_id, lessons)
    passed = set(enrolment.attempts.filter(passed=True).values_list("quiz_id", flat=True))
    if not (lessons <= done and quizzes <= passed):
        return None
    enrolment.status = Enrolment.Status.COMPLETED
    enrolment.completed_at = now
    enrolment.save(update_fields=["status", "completed_at"])
    programme = course.programme
    _audit(
        enrolment.learner, "learning.enrolment.completed", enrolment, programme, course=course.slug
    )
    certificate = None
    if course.issues_certificate:
        certificate = _certificate_issue(
            holder=enrolment.learner,
            programme=programme,
            course=course,
            cohort=enrolment.cohort,
            now=now,
        )
    if programme.issues_certificate:
        published = set(programme.courses.filter(is_published=True).values_list("id", flat=True))
        completed = set(
            Enrolment.objects.filter(
                learner=enrolment.learner, course__in=published, status=Enrolment.Status.COMPLETED
            ).values_list("course_id", flat=True)
        )
        if published and published <= completed:
            _certificate_issue(
                holder=enrolment.learner,
                programme=programme,
                course=None,
                cohort=enrolment.cohort,
                now=now,
            )
    return certificate
