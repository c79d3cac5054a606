"""The admin shows reviewers, enrolments, applications and certificates and changes none of
them: their writes go through the learning services (manager checks, seats, audit)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import RequestFactory

from ewtp.accounts.models import User
from ewtp.core.tests.admin_checks import assert_admin_refuses_writes
from ewtp.learning.models import (
    Certificate,
    Enrolment,
    Lesson,
    Programme,
    ProgrammeReviewer,
    Quiz,
)
from ewtp.learning.services import courses, enrolments
from ewtp.learning.tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_admin_refuses_to_write_enrolments_applications_and_certificates(
    admin_client: Any,
) -> None:
    trainer = f.user("trainer@example.org", "Trainer")
    programme = f.programme(f.provider(trainer), title="Sellers' academy")
    course = f.course(programme, lessons=1)
    learner = f.user("aline@example.org", "Aline Uwase")
    enrolments.enrolment_create(learner=learner, course=course)
    courses.lesson_complete(learner=learner, lesson=Lesson.objects.get(module__course=course))
    quiz = Quiz.objects.get(module__course=course)
    courses.quiz_submit(learner=learner, quiz=quiz, selected=f.quiz_answers(quiz))
    selective = f.selective_programme(f.provider(f.user("boss@example.org")))
    application = f.application(f.cohort(selective, capacity=1), f.user("ben@example.org"))

    assert_admin_refuses_writes(
        admin_client, "learning/enrolment", Enrolment.objects.get(), {"status": "active"}
    )
    assert_admin_refuses_writes(
        admin_client, "learning/application", application, {"status": "accepted"}
    )
    assert_admin_refuses_writes(
        admin_client,
        "learning/certificate",
        Certificate.objects.get(),
        {"status": "revoked", "holder_name": "Someone Else"},
    )


def test_reviewers_are_shown_on_the_programme_but_not_written_there(
    admin_client: Any, admin_user: User
) -> None:
    programme = f.selective_programme(f.provider(f.user("boss@example.org")))
    f.add_reviewer(programme, f.user("rev@example.org"))
    page = admin_client.get(f"/admin/learning/programme/{programme.pk}/change/")
    assert page.status_code == 200
    assert "rev@example.org" in page.content.decode()

    request = RequestFactory().get("/")
    request.user = admin_user
    inline = next(
        each
        for each in admin.site.get_model_admin(Programme).get_inline_instances(request, programme)
        if each.model is ProgrammeReviewer
    )
    assert not inline.has_add_permission(request, programme)
    assert not inline.has_change_permission(request, programme)
    assert not inline.has_delete_permission(request, programme)
    # The programme itself stays editable (it is authored here).
    assert admin.site.get_model_admin(Programme).has_change_permission(request, programme)
