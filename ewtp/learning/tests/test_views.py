"""The pages: each renders, forms go through the services, refusals are explained."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from ewtp.learning.models import (
    Application,
    Certificate,
    Enrolment,
    Lesson,
    Quiz,
    ReviewAssignment,
)
from ewtp.learning.tests import factories as f

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def course():  # type: ignore[no-untyped-def]
    trainer = f.user("trainer@example.org", "Trainer")
    programme = f.programme(f.provider(trainer), title="Sellers' academy")
    made = f.course(programme, lessons=2, title="Export readiness", slug="export-readiness")
    first = Lesson.objects.filter(module__course=made).first()
    first.body = "## Landed cost\n\n<script>alert(1)</script>[ok](https://example.org) ![map](https://example.org/m.png)"
    first.video_url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    first.save()
    return made


def test_the_catalogue_and_the_course_page_are_public(course) -> None:  # type: ignore[no-untyped-def]
    catalogue = Client().get("/learn/")
    assert catalogue.status_code == 200
    assert "Export readiness" in catalogue.content.decode()
    page = Client().get("/learn/courses/export-readiness/")
    assert page.status_code == 200
    assert "Log in to enrol" in page.content.decode()
    assert Client().get("/learn/courses/nope/").status_code == 404
    assert Client().get("/learn/?q=readiness").status_code == 200


def test_a_learner_goes_through_the_course(course) -> None:  # type: ignore[no-untyped-def]
    learner = f.user("aline@example.org", "Aline Uwase")
    client = _client(learner)
    first, second = Lesson.objects.filter(module__course=course)
    quiz = Quiz.objects.get(module__course=course)
    assert client.get(f"/learn/courses/export-readiness/lessons/{first.pk}/").status_code == 403

    enrolled = client.post("/learn/courses/export-readiness/enrol/")
    assert enrolled.status_code == 302
    assert enrolled["Location"] == f"/learn/courses/export-readiness/lessons/{first.pk}/"

    lesson = client.get(enrolled["Location"]).content.decode()
    assert "<h2>Landed cost</h2>" in lesson
    assert "<script>" not in lesson
    assert 'rel="noopener noreferrer nofollow"' in lesson
    assert "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ" in lesson
    assert f"/learn/courses/export-readiness/lessons/{second.pk}/" in lesson  # next

    done = client.post(f"/learn/courses/export-readiness/lessons/{first.pk}/done/")
    assert done["Location"] == f"/learn/courses/export-readiness/lessons/{second.pk}/"
    done = client.post(f"/learn/courses/export-readiness/lessons/{second.pk}/done/")
    assert done["Location"] == f"/learn/courses/export-readiness/quizzes/{quiz.pk}/"

    assert client.get(done["Location"]).status_code == 200
    answers = f.quiz_answers(quiz, single="A", multiple=("Y",))
    wrong = client.post(done["Location"], {f"question_{q}": c for q, c in answers.items()})
    assert wrong["Location"] == f"/learn/courses/export-readiness/quizzes/{quiz.pk}/attempts/1/"
    result = client.get(wrong["Location"]).content.decode()
    assert "Not passed" in result and "Try again" in result

    answers = f.quiz_answers(quiz)
    right = client.post(done["Location"], {f"question_{q}": c for q, c in answers.items()})
    result = client.get(right["Location"]).content.decode()
    certificate = Certificate.objects.get()
    assert "Passed" in result
    assert f"/learn/certificates/{certificate.code}/" in result

    dashboard = client.get("/learn/dashboard/").content.decode()
    assert certificate.code in dashboard and "Completed" in dashboard
    assert client.get("/api/v1/learning/me/enrolments").json()[0]["percent"] == 100


def test_the_trainer_sees_figures(course) -> None:  # type: ignore[no-untyped-def]
    learner = f.user()
    Enrolment.objects.create(learner=learner, course=course, enrolled_at=f.clock.now())
    trainer = course.programme.provider.memberships.get().user
    page = _client(trainer).get("/learn/training/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Self-paced" in text and "0%" in text
    assert _client(learner).get("/learn/training/").status_code == 200  # an empty page


def test_the_api_lists_courses(course) -> None:  # type: ignore[no-untyped-def]
    body = Client().get("/api/v1/learning/courses").json()
    assert body["total"] == 1
    assert body["items"][0]["slug"] == "export-readiness"
    assert body["items"][0]["enrolment_mode"] == "open"


@pytest.fixture
def fellowship():  # type: ignore[no-untyped-def]
    manager = f.user("manager@example.org", "Manager")
    programme = f.selective_programme(f.provider(manager), eligible_countries=["RW"])
    cohort = f.cohort(programme, capacity=1, starts_on=date(2027, 3, 1))
    reviewer = f.user("reviewer@example.org", "Reviewer")
    f.add_reviewer(programme, reviewer)
    return manager, programme, cohort, reviewer


def test_apply_review_decide(fellowship) -> None:  # type: ignore[no-untyped-def]
    manager, programme, cohort, reviewer = fellowship
    applicant = f.user("founder@example.org", "Founder")
    client = _client(applicant)
    url = f"/learn/programmes/{programme.slug}/apply/{cohort.public_id}/"
    assert "Apply to" in client.get(f"/learn/programmes/{programme.slug}/").content.decode()
    form = {"country": "FR", "q_pitch": "Baskets", "q_sector": "crafts", "q_employees": "3"}
    refused = client.post(url, form)
    assert refused.status_code == 200
    assert "eligibility" in refused.content.decode()
    assert Application.objects.count() == 0
    sent = client.post(url, {**form, "country": "RW"})
    application = Application.objects.get()
    assert sent["Location"] == f"/learn/applications/{application.public_id}/"
    assert application.answers == {"pitch": "Baskets", "sector": "crafts", "employees": "3"}

    manage = _client(manager)
    cohort_url = f"/learn/training/cohorts/{cohort.public_id}/"
    manage.post(cohort_url + "assign/")
    assignment = ReviewAssignment.objects.get()
    review = _client(reviewer)
    assert "Founder" in review.get("/learn/reviews/").content.decode()
    scored = review.post(
        f"/learn/reviews/{assignment.public_id}/", {"score_impact": "4", "score_feasibility": "5"}
    )
    assert scored.status_code == 302
    ranking = manage.get(cohort_url).content.decode()
    assert "86.67" in ranking  # (2*4 + 5) / 15

    decided = manage.post(
        f"/learn/applications/{application.public_id}/decide/",
        {"decision": "accepted"},
        HTTP_HX_REQUEST="true",
    )
    assert decided.status_code == 200
    assert 'id="ranking"' in decided.content.decode()
    assert "<html" not in decided.content.decode()
    application.refresh_from_db()
    assert application.status == "accepted"
    assert _client(reviewer).get(cohort_url).status_code == 404
    assert _client(f.user()).get(f"/learn/applications/{application.public_id}/").status_code == 404


def test_the_programme_page_shows_the_rubrics_criteria() -> None:
    from ewtp.learning.models import RubricCriterion

    programme = f.selective_programme(f.provider(f.user("m@example.org", "Manager")))
    RubricCriterion.objects.filter(key="impact").update(
        description="Jobs and income the business creates"
    )
    html = Client().get(f"/learn/programmes/{programme.slug}/").content.decode()
    assert "How applications are scored" in html
    assert (
        '<tr data-testid="criterion-impact"><td>Impact</td><td>Jobs and income the business '
        'creates</td><td class="num">×2</td><td class="num">5</td></tr>'  # noqa: RUF001
    ) in html
    assert '<tr data-testid="criterion-feasibility"><td>Feasibility</td>' in html


def test_the_applicant_edits_then_withdraws_through_the_pages() -> None:
    from ewtp.learning.models import Application

    programme = f.selective_programme(f.provider(f.user("m@example.org", "Manager")))
    cohort = f.cohort(programme, applications_close_on=date(2099, 1, 1))
    applicant = f.user("amina@example.org", "Amina")
    application = f.application(cohort, applicant)
    client = _client(applicant)
    detail = client.get(f"/learn/applications/{application.public_id}/").content.decode()
    assert "You may edit or withdraw your application until 1 January 2099." in detail
    form = client.get(f"/learn/applications/{application.public_id}/edit/")
    assert form.status_code == 200 and "Coffee to Europe" in form.content.decode()
    saved = client.post(
        f"/learn/applications/{application.public_id}/edit/",
        {"country": "KE", "q_pitch": "Tea too", "q_sector": "crafts", "q_employees": "3"},
    )
    assert saved.status_code == 302
    application.refresh_from_db()
    assert (application.country, application.answers["pitch"]) == ("KE", "Tea too")
    assert (
        _client(f.user("eve@example.org"))
        .post(f"/learn/applications/{application.public_id}/withdraw/")
        .status_code
        == 404
    )
    client.post(f"/learn/applications/{application.public_id}/withdraw/")
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    after = client.get(f"/learn/applications/{application.public_id}/").content.decode()
    assert "Withdrawn by the applicant" in after and 'data-testid="withdraw"' not in after


def test_the_manager_confirms_an_early_acceptance_with_a_reason() -> None:
    from ewtp.core import clock
    from ewtp.learning.models import Application, ReviewAssignment

    manager = f.user("m@example.org", "Manager")
    programme = f.selective_programme(f.provider(manager))
    cohort = f.cohort(programme)
    application = f.application(cohort, f.user("amina@example.org", "Amina"))
    reviewer = f.user("r@example.org", "Reviewer")
    f.add_reviewer(programme, reviewer)
    ReviewAssignment.objects.create(
        application=application, reviewer=reviewer, assigned_at=clock.now()
    )
    client = _client(manager)
    address = f"/learn/applications/{application.public_id}/decide/"
    asked = client.post(address, {"decision": "accepted"})
    assert asked.status_code == 409
    html = asked.content.decode()
    assert "Only 0 of the 1 assigned reviews are in." in html
    assert 'data-testid="confirm-accept"' in html
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    done = client.post(
        address,
        {"decision": "accepted", "confirm": "on", "fewer_reviews_reason": "Reviewer is ill."},
    )
    assert done.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.fewer_reviews_reason) == (
        Application.Status.ACCEPTED,
        "Reviewer is ill.",
    )
