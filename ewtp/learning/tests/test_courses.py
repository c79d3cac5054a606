"""Enrolment, lesson progress, quiz attempts and the completion rule."""

from __future__ import annotations

import pytest

from ewtp.core.errors import DomainError, PermissionDenied
from ewtp.core.models import AuditLog
from ewtp.learning.models import (
    Certificate,
    Enrolment,
    Lesson,
    LessonCompletion,
    Programme,
    Quiz,
    QuizAttempt,
)
from ewtp.learning.selectors.courses import course_items, progress_of, quiz_standing
from ewtp.learning.services import courses, enrolments
from ewtp.learning.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():  # type: ignore[no-untyped-def]
    trainer = f.user("trainer@example.org", "Trainer")
    provider = f.provider(trainer)
    programme = f.programme(provider)
    course = f.course(programme, lessons=2, pass_mark=100, max_attempts=2, title="Export readiness")
    learner = f.user("learner@example.org", "Aline Uwase")
    return trainer, programme, course, learner


def _finish_lessons(learner, course) -> None:  # type: ignore[no-untyped-def]
    for lesson in Lesson.objects.filter(module__course=course):
        courses.lesson_complete(learner=learner, lesson=lesson)


def test_enrolment_in_an_open_course_is_idempotent(setting) -> None:  # type: ignore[no-untyped-def]
    _trainer, _programme, course, learner = setting
    first = enrolments.enrolment_create(learner=learner, course=course)
    again = enrolments.enrolment_create(learner=learner, course=course)
    assert first.pk == again.pk
    assert Enrolment.objects.count() == 1
    assert AuditLog.objects.filter(action="learning.enrolment.created").count() == 1


def test_lessons_need_an_enrolment(setting) -> None:  # type: ignore[no-untyped-def]
    _trainer, _programme, course, learner = setting
    lesson = Lesson.objects.filter(module__course=course).first()
    with pytest.raises(PermissionDenied) as refused:
        courses.lesson_complete(learner=learner, lesson=lesson)
    assert refused.value.code == "not_enrolled"
    assert LessonCompletion.objects.count() == 0


def test_a_failed_quiz_keeps_the_learner_and_counts_attempts(setting) -> None:  # type: ignore[no-untyped-def]
    _trainer, _programme, course, learner = setting
    enrolments.enrolment_create(learner=learner, course=course)
    quiz = Quiz.objects.get(module__course=course)
    wrong = f.quiz_answers(quiz, single="A", multiple=("X",))
    first = courses.quiz_submit(learner=learner, quiz=quiz, selected=wrong)
    assert (first.number, first.points, first.max_points, first.passed) == (1, 0, 2, False)
    half = courses.quiz_submit(
        learner=learner, quiz=quiz, selected=f.quiz_answers(quiz, multiple=("X",))
    )
    assert (half.number, half.points, half.passed) == (2, 1, False)  # pass mark 100 %
    with pytest.raises(DomainError) as used_up:
        courses.quiz_submit(learner=learner, quiz=quiz, selected=f.quiz_answers(quiz))
    assert used_up.value.code == "no_attempts_left"
    assert used_up.value.http_status == 409
    assert QuizAttempt.objects.count() == 2
    enrolment = Enrolment.objects.get()
    assert enrolment.status == Enrolment.Status.ACTIVE  # never removed on failure
    standing = quiz_standing(enrolment, quiz)
    assert (standing.left, standing.may_attempt) == (0, False)


def test_a_trainer_may_grant_another_attempt(setting) -> None:  # type: ignore[no-untyped-def]
    trainer, _programme, course, learner = setting
    enrolment = enrolments.enrolment_create(learner=learner, course=course)
    quiz = Quiz.objects.get(module__course=course)
    wrong = f.quiz_answers(quiz, single="C")
    courses.quiz_submit(learner=learner, quiz=quiz, selected=wrong)
    courses.quiz_submit(learner=learner, quiz=quiz, selected=wrong)
    with pytest.raises(PermissionDenied):
        courses.attempts_grant(actor=learner, enrolment=enrolment, quiz=quiz)
    courses.attempts_grant(actor=trainer, enrolment=enrolment, quiz=quiz)
    third = courses.quiz_submit(learner=learner, quiz=quiz, selected=f.quiz_answers(quiz))
    assert (third.number, third.passed) == (3, True)


def test_a_passed_quiz_cannot_be_retaken(setting) -> None:  # type: ignore[no-untyped-def]
    _trainer, _programme, course, learner = setting
    enrolments.enrolment_create(learner=learner, course=course)
    quiz = Quiz.objects.get(module__course=course)
    courses.quiz_submit(learner=learner, quiz=quiz, selected=f.quiz_answers(quiz))
    with pytest.raises(DomainError) as again:
        courses.quiz_submit(learner=learner, quiz=quiz, selected=f.quiz_answers(quiz))
    assert again.value.code == "quiz_already_passed"


def test_a_choice_of_another_question_is_refused_and_nothing_is_written(setting) -> None:  # type: ignore[no-untyped-def]
    _trainer, _programme, course, learner = setting
    enrolments.enrolment_create(learner=learner, course=course)
    quiz = Quiz.objects.get(module__course=course)
    answers = f.quiz_answers(quiz)
    first, second = list(answers)
    with pytest.raises(DomainError) as refused:
        courses.quiz_submit(learner=learner, quiz=quiz, selected={first: answers[second]})
    assert refused.value.code == "invalid_answer"
    assert QuizAttempt.objects.count() == 0


def test_completion_needs_every_lesson_and_every_quiz(setting) -> None:  # type: ignore[no-untyped-def]
    _trainer, _programme, course, learner = setting
    enrolments.enrolment_create(learner=learner, course=course)
    quiz = Quiz.objects.get(module__course=course)
    courses.quiz_submit(learner=learner, quiz=quiz, selected=f.quiz_answers(quiz))
    enrolment = Enrolment.objects.get()
    assert enrolment.status == Enrolment.Status.ACTIVE  # lessons not done yet
    assert Certificate.objects.count() == 0
    first, second = Lesson.objects.filter(module__course=course)
    courses.lesson_complete(learner=learner, lesson=first)
    courses.lesson_complete(learner=learner, lesson=first)  # twice is harmless
    assert Enrolment.objects.get().status == Enrolment.Status.ACTIVE
    courses.lesson_complete(learner=learner, lesson=second)
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.COMPLETED
    assert enrolment.completed_at is not None
    certificate = Certificate.objects.get()
    assert (certificate.holder, certificate.course, certificate.holder_name) == (
        learner,
        course,
        "Aline Uwase",
    )
    assert certificate.status == Certificate.Status.VALID
    progress = progress_of(enrolment, course_items(course))
    assert (progress.steps_done, progress.steps_total, progress.percent) == (3, 3, 100)
    assert progress.next_item is None


def test_lessons_first_then_the_quiz_completes(setting) -> None:  # type: ignore[no-untyped-def]
    _trainer, _programme, course, learner = setting
    enrolments.enrolment_create(learner=learner, course=course)
    _finish_lessons(learner, course)
    assert Certificate.objects.count() == 0
    quiz = Quiz.objects.get(module__course=course)
    courses.quiz_submit(learner=learner, quiz=quiz, selected=f.quiz_answers(quiz, single="A"))
    assert Certificate.objects.count() == 0
    courses.quiz_submit(learner=learner, quiz=quiz, selected=f.quiz_answers(quiz))
    assert Certificate.objects.filter(holder=learner, course=course).count() == 1


def test_prerequisites_gate_enrolment(setting) -> None:  # type: ignore[no-untyped-def]
    _trainer, programme, course, learner = setting
    advanced = f.course(programme, title="Advanced", quiz=False, lessons=1)
    advanced.prerequisites.add(course)
    with pytest.raises(PermissionDenied) as refused:
        enrolments.enrolment_create(learner=learner, course=advanced)
    assert refused.value.code == "prerequisites_missing"
    enrolments.enrolment_create(learner=learner, course=course)
    _finish_lessons(learner, course)
    quiz = Quiz.objects.get(module__course=course)
    courses.quiz_submit(learner=learner, quiz=quiz, selected=f.quiz_answers(quiz))
    assert enrolments.enrolment_create(learner=learner, course=advanced).status == "active"


def test_a_programme_certificate_once_every_course_is_done(setting) -> None:  # type: ignore[no-untyped-def]
    _trainer, programme, course, learner = setting
    programme.issues_certificate = True
    programme.save()
    second = f.course(programme, title="Second", quiz=False, lessons=1)
    for each in (course, second):
        enrolments.enrolment_create(learner=learner, course=each)
        _finish_lessons(learner, each)
    quiz = Quiz.objects.get(module__course=course)
    courses.quiz_submit(learner=learner, quiz=quiz, selected=f.quiz_answers(quiz))
    assert set(Certificate.objects.values_list("course__title", flat=True)) == {
        "Export readiness",
        "Second",
        None,
    }


def test_open_cohort_seats_are_taken_once_per_learner(setting) -> None:  # type: ignore[no-untyped-def]
    _trainer, programme, course, learner = setting
    cohort = f.cohort(programme, capacity=1, starts_on=f.clock.today(), ends_on=f.clock.today())
    enrolments.enrolment_create(learner=learner, course=course, cohort=cohort)
    other_course = f.course(programme, quiz=False)
    enrolments.enrolment_create(learner=learner, course=other_course, cohort=cohort)
    cohort.refresh_from_db()
    assert cohort.seats_taken == 1
    with pytest.raises(DomainError) as full:
        enrolments.enrolment_create(learner=f.user(), course=course, cohort=cohort)
    assert (full.value.code, full.value.http_status) == ("cohort_full", 409)


def test_invitation_programmes(setting, django_capture_on_commit_callbacks, mailoutbox) -> None:  # type: ignore[no-untyped-def]
    trainer, _programme, _course, learner = setting
    programme = f.programme(trainer.memberships.get().organisation, Programme.Mode.INVITATION)
    course = f.course(programme, quiz=False, lessons=1)
    cohort = f.cohort(programme, capacity=5)
    with pytest.raises(PermissionDenied) as refused:
        enrolments.enrolment_create(learner=learner, course=course)
    assert refused.value.code == "invitation_required"
    with django_capture_on_commit_callbacks(execute=True):
        invitation = enrolments.invitation_create(
            actor=trainer, cohort=cohort, email="LEARNER@example.org"
        )
    assert [m.to for m in mailoutbox] == [["learner@example.org"]]
    assert f"/learn/invitations/{invitation.token}/" in mailoutbox[0].body
    stranger = f.user("stranger@example.org")
    with pytest.raises(PermissionDenied):
        enrolments.invitation_accept(learner=stranger, token=invitation.token)
    enrolments.invitation_accept(learner=learner, token=invitation.token)
    assert Enrolment.objects.get(learner=learner, course=course).cohort == cohort
    cohort.refresh_from_db()
    assert cohort.seats_taken == 1


def test_an_empty_quiz_submission_is_refused_and_not_counted(setting) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    _trainer, _programme, course, learner = setting
    enrolments.enrolment_create(learner=learner, course=course)
    quiz = Quiz.objects.get(module__course=course)
    for nothing in ({}, {question.pk: [] for question in quiz.questions.all()}):
        with pytest.raises(DomainError) as refused:
            courses.quiz_submit(learner=learner, quiz=quiz, selected=nothing)
        assert (refused.value.code, refused.value.http_status) == ("empty_submission", 422)
    # The page says so, and the learner keeps every attempt.
    client = Client()
    client.force_login(learner)
    page = client.post(f"/learn/courses/{course.slug}/quizzes/{quiz.pk}/", {})
    assert page.status_code == 200
    assert "Answer at least one question before you submit: nothing was counted." in (
        page.content.decode()
    )
    assert QuizAttempt.objects.count() == 0
    enrolment = Enrolment.objects.get()
    assert quiz_standing(enrolment, quiz).left == 2
    assert not AuditLog.objects.filter(action="learning.quiz.attempted").exists()
    # One answer is an attempt (scored, counted).
    one = {question.pk: [] for question in quiz.questions.all()}
    first = quiz.questions.order_by("position").first()
    assert first is not None
    one[first.pk] = [first.choices.get(text="B").pk]
    attempt = courses.quiz_submit(learner=learner, quiz=quiz, selected=one)
    assert (attempt.number, attempt.points, attempt.max_points) == (1, 1, 2)


def test_a_lesson_reused_by_two_courses_counts_in_both(setting) -> None:  # type: ignore[no-untyped-def]
    _trainer, programme, course, learner = setting
    shared = Lesson.objects.filter(module__course=course).order_by("position").first()
    assert shared is not None
    other = f.course(programme, lessons=0, quiz=False, title="Selling abroad")
    module = other.modules.get()
    reused = Lesson.objects.create(module=module, title=shared.title, position=1, reuses=shared)
    Lesson.objects.create(module=module, title="Own lesson", position=2)
    enrolments.enrolment_create(learner=learner, course=course)
    enrolments.enrolment_create(learner=learner, course=other)

    courses.lesson_complete(learner=learner, lesson=shared)  # done in the first course
    second = Enrolment.objects.get(course=other)
    progress = progress_of(second, course_items(other))
    assert (progress.steps_done, progress.steps_total, progress.percent) == (1, 2, 50)
    assert progress.lessons_done == {reused.pk}
    assert progress.next_item is not None and progress.next_item.title == "Own lesson"
    assert LessonCompletion.objects.filter(enrolment=second).count() == 0  # one record, shared

    # Finishing the second course's own lesson completes it (the shared one is done).
    courses.lesson_complete(learner=learner, lesson=Lesson.objects.get(title="Own lesson"))
    second.refresh_from_db()
    assert second.status == Enrolment.Status.COMPLETED

    # A course enrolled in later whose every lesson is already done is complete at once.
    third = f.course(programme, lessons=0, quiz=False, title="Third")
    Lesson.objects.create(module=third.modules.get(), title="Again", position=1, reuses=shared)
    assert enrolments.enrolment_create(learner=learner, course=third).status == (
        Enrolment.Status.COMPLETED
    )

    # The other way round: the reuse done in the second course counts in the first.
    another = f.user("bea@example.org", "Bea")
    enrolments.enrolment_create(learner=another, course=course)
    enrolments.enrolment_create(learner=another, course=other)
    courses.lesson_complete(learner=another, lesson=reused)
    first = Enrolment.objects.get(course=course, learner=another)
    assert progress_of(first, course_items(course)).lessons_done == {shared.pk}
