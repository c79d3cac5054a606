"""Selective programmes: the form and eligibility, reviewers without conflicts of interest,
scores and ranking, decisions within capacity, messages, and the waitlist moving."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ewtp.accounts.models import Organisation
from ewtp.core import clock
from ewtp.core.errors import DomainError, PermissionDenied
from ewtp.learning.models import (
    Application,
    ApplicationNotice,
    Cohort,
    ConflictDeclaration,
    Enrolment,
    ReviewAssignment,
)
from ewtp.learning.selectors.applications import cohort_ranking_for, ranked_applications
from ewtp.learning.selectors.figures import application_pipeline
from ewtp.learning.services import reviews
from ewtp.learning.services.applications import (
    application_decide,
    application_decline,
    application_notice_send,
    application_submit,
)
from ewtp.learning.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def fellowship():  # type: ignore[no-untyped-def]
    manager = f.user("manager@example.org", "Programme Manager")
    provider = f.provider(manager)
    programme = f.selective_programme(
        provider,
        eligible_countries=["RW", "KE"],
        minimum_age=18,
        maximum_age=35,
        eligible_stages=["prototype", "early_revenue"],
    )
    f.course(programme, quiz=False, lessons=1, title="Founders' bootcamp")
    cohort = f.cohort(programme, capacity=2, starts_on=date(2027, 3, 1))
    return manager, programme, cohort


def _apply(cohort, applicant, **extra):  # type: ignore[no-untyped-def]
    values = {
        "answers": dict(f.ANSWERS),
        "country": "RW",
        "birth_date": date(1995, 5, 5),
        "business_stage": "prototype",
    }
    values.update(extra)
    return application_submit(applicant=applicant, cohort=cohort, **values)


def test_an_eligible_application_is_stored_with_clean_answers(
    fellowship, django_capture_on_commit_callbacks, mailoutbox
) -> None:  # type: ignore[no-untyped-def]
    _manager, _programme, cohort = fellowship
    applicant = f.user("amina@example.org", "Amina", language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        application = _apply(
            cohort, applicant, language="fr", answers={**f.ANSWERS, "founded": "2024-06-01"}
        )
    assert application.status == Application.Status.SUBMITTED
    assert application.answers == {**f.ANSWERS, "founded": "2024-06-01"}
    assert [m.to for m in mailoutbox] == [["amina@example.org"]]
    assert ApplicationNotice.objects.get().kind == "received"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"country": "FR"}, "country"),
        ({"birth_date": date(1985, 1, 1)}, "birth_date"),
        ({"birth_date": date(2009, 3, 2)}, "birth_date"),
        ({"birth_date": None}, "birth_date"),
        ({"business_stage": "idea"}, "business_stage"),
    ],
)
def test_an_ineligible_applicant_is_refused_and_nothing_is_written(
    fellowship, changes, field
) -> None:  # type: ignore[no-untyped-def]
    _manager, _programme, cohort = fellowship
    with pytest.raises(DomainError) as refused:
        _apply(cohort, f.user(), **changes)
    assert refused.value.code == "not_eligible"
    assert set(refused.value.fields) == {field}
    assert Application.objects.count() == 0


def test_answers_follow_the_programme_form(fellowship) -> None:  # type: ignore[no-untyped-def]
    _manager, _programme, cohort = fellowship
    with pytest.raises(DomainError) as refused:
        _apply(cohort, f.user(), answers={"pitch": "", "sector": "mining", "employees": "-3"})
    assert refused.value.code == "invalid_answers"
    assert set(refused.value.fields) == {"answers.pitch", "answers.sector", "answers.employees"}
    assert Application.objects.count() == 0


def test_one_application_per_cohort_and_only_while_open(fellowship) -> None:  # type: ignore[no-untyped-def]
    _manager, _programme, cohort = fellowship
    applicant = f.user()
    _apply(cohort, applicant)
    with pytest.raises(DomainError) as twice:
        _apply(cohort, applicant)
    assert (twice.value.code, twice.value.http_status) == ("already_applied", 409)
    Cohort.objects.filter(pk=cohort.pk).update(
        applications_close_on=clock.today() - timedelta(days=1)
    )
    cohort.refresh_from_db()
    with pytest.raises(DomainError) as closed:
        _apply(cohort, f.user())
    assert closed.value.code == "applications_closed"


def _reviewers(programme, *names):  # type: ignore[no-untyped-def]
    made = []
    for name in names:
        reviewer = f.user(f"{name.lower()}@example.org", name)
        f.add_reviewer(programme, reviewer)
        made.append(reviewer)
    return made


def test_reviewers_from_the_applicants_organisation_or_with_a_declared_conflict_are_never_assigned(
    fellowship,
) -> None:  # type: ignore[no-untyped-def]
    manager, programme, cohort = fellowship
    colleague, conflicted, neutral_a, neutral_b = _reviewers(
        programme, "Colleague", "Cousin", "Neutral", "Other"
    )
    applicant = f.user("founder@example.org", "Founder")
    f.organisation(Organisation.Kind.SELLER, "founder-coffee", applicant, colleague)
    application = _apply(cohort, applicant)
    reviews.conflict_declare(reviewer=conflicted, application=application, reason="My cousin")
    created = reviews.reviewers_assign(actor=manager, cohort=cohort)
    assigned = set(
        ReviewAssignment.objects.filter(application=application).values_list(
            "reviewer__email", flat=True
        )
    )
    assert assigned == {"neutral@example.org", "other@example.org"}
    assert len(created) == 2
    with pytest.raises(DomainError) as refused:
        reviews.review_assign(actor=manager, application=application, reviewer=colleague)
    assert refused.value.code == "conflict_of_interest"
    with pytest.raises(DomainError):
        reviews.review_assign(actor=manager, application=application, reviewer=conflicted)
    assert reviews.conflicted_reviewers(
        application, [r.pk for r in (colleague, conflicted, neutral_a, neutral_b)]
    ) == {colleague.pk, conflicted.pk}


def test_the_business_applied_for_counts_as_the_applicants_organisation(fellowship) -> None:  # type: ignore[no-untyped-def]
    manager, programme, cohort = fellowship
    (staff,) = _reviewers(programme, "Staff")
    applicant = f.user()
    business = f.organisation(Organisation.Kind.SELLER, "business", applicant)
    business.memberships.create(user=staff, role="viewer")
    application = _apply(cohort, applicant, organisation=business)
    reviews.reviewers_assign(actor=manager, cohort=cohort)
    assert not ReviewAssignment.objects.filter(application=application).exists()


def test_a_conflict_declared_after_assignment_moves_the_review(fellowship) -> None:  # type: ignore[no-untyped-def]
    manager, programme, cohort = fellowship
    first, second, third = _reviewers(programme, "First", "Second", "Third")
    application = _apply(cohort, f.user())
    reviews.reviewers_assign(actor=manager, cohort=cohort)
    assigned = set(ReviewAssignment.objects.values_list("reviewer_id", flat=True))
    assert assigned == {first.pk, second.pk}  # least loaded, then by id
    assignment = ReviewAssignment.objects.get(reviewer=first)
    reviews.review_submit(
        reviewer=first, assignment=assignment, scores={"impact": 5, "feasibility": 5}
    )
    reviews.conflict_declare(reviewer=first, application=application, reason="Former employee")
    assert set(ReviewAssignment.objects.values_list("reviewer_id", flat=True)) == {
        second.pk,
        third.pk,
    }
    assert ConflictDeclaration.objects.count() == 1
    # The first reviewer's scores went with the assignment.
    assert ranked_applications([application])[0].score is None


def test_reviews_load_is_balanced(fellowship) -> None:  # type: ignore[no-untyped-def]
    manager, programme, cohort = fellowship
    reviewers = _reviewers(programme, "A", "B", "C")
    for _ in range(3):
        _apply(cohort, f.user())
    reviews.reviewers_assign(actor=manager, cohort=cohort)
    loads = sorted(ReviewAssignment.objects.filter(reviewer=r).count() for r in reviewers)
    assert loads == [2, 2, 2]
    assert reviews.reviewers_assign(actor=manager, cohort=cohort) == []  # nothing more to do


def test_scores_are_checked_against_the_rubric(fellowship) -> None:  # type: ignore[no-untyped-def]
    manager, programme, cohort = fellowship
    (reviewer,) = _reviewers(programme, "Reviewer")
    _apply(cohort, f.user())
    reviews.reviewers_assign(actor=manager, cohort=cohort)
    assignment = ReviewAssignment.objects.get()
    with pytest.raises(DomainError) as refused:
        reviews.review_submit(
            reviewer=reviewer, assignment=assignment, scores={"impact": 6, "feasibility": "x"}
        )
    assert set(refused.value.fields) == {"scores.impact", "scores.feasibility"}
    assignment.refresh_from_db()
    assert assignment.submitted_at is None
    with pytest.raises(DomainError):
        reviews.review_submit(
            reviewer=manager, assignment=assignment, scores={"impact": 1, "feasibility": 1}
        )


def _scored(cohort, reviewer, scores_by_applicant):  # type: ignore[no-untyped-def]
    for application, scores in scores_by_applicant:
        assignment = ReviewAssignment.objects.create(
            application=application, reviewer=reviewer, assigned_at=clock.now()
        )
        reviews.review_submit(reviewer=reviewer, assignment=assignment, scores=scores)


def test_ranking_by_weighted_score_with_ties_to_the_earlier_submission(fellowship) -> None:  # type: ignore[no-untyped-def]
    manager, programme, cohort = fellowship
    (reviewer,) = _reviewers(programme, "Reviewer")
    start = clock.now()
    late_tie = f.application(
        cohort, f.user(name="Late tie"), submitted_at=start + timedelta(minutes=5)
    )
    early_tie = f.application(
        cohort, f.user(name="Early tie"), submitted_at=start + timedelta(minutes=1)
    )
    best = f.application(cohort, f.user(name="Best"), submitted_at=start + timedelta(minutes=9))
    unscored = f.application(cohort, f.user(name="Unscored"), submitted_at=start)
    _scored(
        cohort,
        reviewer,
        [
            (late_tie, {"impact": 4, "feasibility": 2}),  # (8+2)/15 = 66.67
            (early_tie, {"impact": 3, "feasibility": 4}),  # (6+4)/15 = 66.67
            (best, {"impact": 5, "feasibility": 1}),  # 11/15 = 73.33
        ],
    )
    ranking = cohort_ranking_for(manager, cohort)
    assert [(row.rank, row.application.pk, str(row.score)) for row in ranking] == [
        (1, best.pk, "73.33"),
        (2, early_tie.pk, "66.67"),
        (3, late_tie.pk, "66.67"),
        (4, unscored.pk, "None"),
    ]
    with pytest.raises(PermissionDenied):
        cohort_ranking_for(reviewer, cohort)


def test_decisions_stay_within_capacity_and_write_in_the_applicants_language(
    fellowship, django_capture_on_commit_callbacks, mailoutbox
) -> None:  # type: ignore[no-untyped-def]
    manager, _programme, cohort = fellowship
    applications = [
        f.application(
            cohort, f.user(f"a{n}@example.org", f"Applicant {n}", language="fr"), language="fr"
        )
        for n in range(3)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        application_decide(actor=manager, application=applications[0], decision="accepted")
        application_decide(actor=manager, application=applications[1], decision="accepted")
    with pytest.raises(DomainError) as full:
        application_decide(actor=manager, application=applications[2], decision="accepted")
    assert (full.value.code, full.value.http_status) == ("cohort_full", 409)
    applications[2].refresh_from_db()
    assert applications[2].status == Application.Status.SUBMITTED
    cohort.refresh_from_db()
    assert (cohort.seats_taken, cohort.capacity) == (2, 2)
    assert Enrolment.objects.filter(cohort=cohort).count() == 2
    assert len(mailoutbox) == 2
    # Rendered in French: Django's own catalogue names the month of the start date.
    assert "1 mars 2027" in mailoutbox[0].body
    assert str(applications[0].public_id) in mailoutbox[0].body


def test_decisions_are_for_managers_and_follow_the_allowed_transitions(fellowship) -> None:  # type: ignore[no-untyped-def]
    manager, programme, cohort = fellowship
    (reviewer,) = _reviewers(programme, "Reviewer")
    application = f.application(cohort, f.user())
    with pytest.raises(PermissionDenied):
        application_decide(actor=reviewer, application=application, decision="accepted")
    application_decide(actor=manager, application=application, decision="rejected")
    with pytest.raises(DomainError) as refused:
        application_decide(actor=manager, application=application, decision="accepted")
    assert refused.value.code == "decision_not_allowed"
    with pytest.raises(DomainError) as unknown:
        application_decide(actor=manager, application=application, decision="maybe")
    assert unknown.value.code == "invalid_decision"


def test_the_waitlist_moves_when_someone_declines(
    fellowship, django_capture_on_commit_callbacks, mailoutbox
) -> None:  # type: ignore[no-untyped-def]
    manager, programme, cohort = fellowship
    (reviewer,) = _reviewers(programme, "Reviewer")
    start = clock.now()
    accepted = [f.application(cohort, f.user(name=f"In {n}"), submitted_at=start) for n in range(2)]
    second_best = f.application(cohort, f.user("second@example.org", "Second"), submitted_at=start)
    best = f.application(
        cohort, f.user("best@example.org", "Best"), submitted_at=start + timedelta(hours=1)
    )
    _scored(
        cohort,
        reviewer,
        [
            (second_best, {"impact": 3, "feasibility": 3}),
            (best, {"impact": 5, "feasibility": 5}),
        ],
    )
    for application in accepted:
        application_decide(actor=manager, application=application, decision="accepted")
    application_decide(actor=manager, application=second_best, decision="waitlisted")
    application_decide(actor=manager, application=best, decision="waitlisted")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        application_decline(applicant=accepted[0].applicant, application=accepted[0])
    accepted[0].refresh_from_db()
    best.refresh_from_db()
    second_best.refresh_from_db()
    assert accepted[0].status == Application.Status.DECLINED
    assert best.status == Application.Status.ACCEPTED  # the best ranked, not the earliest
    assert second_best.status == Application.Status.WAITLISTED
    assert Enrolment.objects.get(learner=accepted[0].applicant).status == Enrolment.Status.WITHDRAWN
    assert Enrolment.objects.get(learner=best.applicant).status == Enrolment.Status.ACTIVE
    cohort.refresh_from_db()
    assert cohort.seats_taken == 2
    assert [m.to for m in mailoutbox] == [["best@example.org"]]
    assert ApplicationNotice.objects.filter(application=best, kind="promoted").exists()
    # Sending again is a no-op (idempotent task).
    assert application_notice_send(application_id=best.pk, kind="promoted") is False


def test_a_decline_with_an_empty_waitlist_frees_the_seat(fellowship) -> None:  # type: ignore[no-untyped-def]
    manager, _programme, cohort = fellowship
    application = f.application(cohort, f.user())
    application_decide(actor=manager, application=application, decision="accepted")
    with pytest.raises(DomainError):
        application_decline(applicant=manager, application=application)
    application_decline(applicant=application.applicant, application=application)
    cohort.refresh_from_db()
    assert cohort.seats_taken == 0


def test_the_pipeline_counts(fellowship) -> None:  # type: ignore[no-untyped-def]
    manager, programme, cohort = fellowship
    (reviewer,) = _reviewers(programme, "Reviewer")
    applications = [f.application(cohort, f.user()) for _ in range(4)]
    ReviewAssignment.objects.create(
        application=applications[0], reviewer=reviewer, assigned_at=clock.now()
    )
    _scored(cohort, reviewer, [(applications[1], {"impact": 1, "feasibility": 1})])
    application_decide(actor=manager, application=applications[2], decision="accepted")
    assert application_pipeline(cohort) == {
        "total": 4,
        "unassigned": 1,
        "in_review": 1,
        "reviewed": 1,
        "accepted": 1,
        "waitlisted": 0,
        "rejected": 0,
        "declined": 0,
    }


def test_accepting_with_fewer_reviews_than_assigned_asks_for_confirmation_and_a_reason(
    fellowship,
) -> None:  # type: ignore[no-untyped-def]
    from ewtp.core.models import AuditLog

    manager, programme, cohort = fellowship
    first, second = f.user("r1@example.org", "Reviewer One"), f.user("r2@example.org", "Two")
    f.add_reviewer(programme, first)
    f.add_reviewer(programme, second)
    application = _apply(cohort, f.user("amina@example.org", "Amina"))
    now = clock.now()
    done = ReviewAssignment.objects.create(application=application, reviewer=first, assigned_at=now)
    ReviewAssignment.objects.create(application=application, reviewer=second, assigned_at=now)
    reviews.review_submit(reviewer=first, assignment=done, scores={"impact": 5, "feasibility": 4})

    with pytest.raises(DomainError) as asked:
        application_decide(actor=manager, application=application, decision="accepted")
    assert (asked.value.code, asked.value.http_status) == ("fewer_reviews", 409)
    assert asked.value.message == (
        "Only 1 of the 2 assigned reviews are in. Confirm that you accept now, and say why."
    )
    with pytest.raises(DomainError) as no_reason:
        application_decide(
            actor=manager, application=application, decision="accepted", fewer_reviews_reason=" "
        )
    assert no_reason.value.code == "reason_required"
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert Enrolment.objects.count() == 0
    assert Cohort.objects.get(pk=cohort.pk).seats_taken == 0  # no seat taken

    accepted = application_decide(
        actor=manager,
        application=application,
        decision="accepted",
        fewer_reviews_reason="The second reviewer is on leave until after the start.",
    )
    assert accepted.status == Application.Status.ACCEPTED
    assert accepted.fewer_reviews_reason == (
        "The second reviewer is on leave until after the start."
    )
    audit = AuditLog.objects.get(action="learning.application.accepted")
    assert audit.data == {
        "reviews_done": 1,
        "reviews_assigned": 2,
        "fewer_reviews_reason": "The second reviewer is on leave until after the start.",
    }
    # Rejecting never asks: only a place given early needs a reason.
    other = _apply(cohort, f.user("bo@example.org", "Bo"))
    ReviewAssignment.objects.create(application=other, reviewer=second, assigned_at=now)
    assert application_decide(actor=manager, application=other, decision="rejected").status == (
        Application.Status.REJECTED
    )


def test_applicants_edit_or_withdraw_before_the_deadline_and_not_after(fellowship) -> None:  # type: ignore[no-untyped-def]
    from ewtp.core.models import AuditLog
    from ewtp.learning.services.applications import (
        ApplicationIn,
        application_update,
        application_withdraw,
    )

    _manager, _programme, cohort = fellowship
    today = clock.today()
    Cohort.objects.filter(pk=cohort.pk).update(applications_close_on=today + timedelta(days=3))
    cohort.refresh_from_db()
    applicant = f.user("amina@example.org", "Amina")
    application = _apply(cohort, applicant)
    form = ApplicationIn(
        answers={**f.ANSWERS, "pitch": "Coffee and tea to Europe", "employees": "6"},
        country="KE",
        birth_date=date(1995, 5, 5),
        business_stage="early_revenue",
    )
    with pytest.raises(DomainError) as bad:
        application_update(
            applicant=applicant,
            application=application,
            form=ApplicationIn(answers={**f.ANSWERS, "employees": "-1"}, country="KE"),
        )
    assert bad.value.code in {"invalid_answers", "not_eligible"}
    application.refresh_from_db()
    assert application.country == "RW"  # nothing changed
    edited = application_update(applicant=applicant, application=application, form=form)
    assert (edited.country, edited.business_stage, edited.answers["pitch"]) == (
        "KE",
        "early_revenue",
        "Coffee and tea to Europe",
    )
    with pytest.raises(DomainError):  # someone else's application
        application_withdraw(applicant=f.user("eve@example.org"), application=application)
    withdrawn = application_withdraw(applicant=applicant, application=application)
    assert withdrawn.status == Application.Status.WITHDRAWN
    assert list(
        AuditLog.objects.filter(target_id=str(application.public_id))
        .order_by("pk")
        .values_list("action", flat=True)
    )[-2:] == ["learning.application.edited", "learning.application.withdrawn"]

    # After the deadline: neither edit nor withdraw.
    late = _apply(cohort, f.user("bo@example.org", "Bo"))
    Cohort.objects.filter(pk=cohort.pk).update(applications_close_on=today - timedelta(days=1))
    late.refresh_from_db()
    with pytest.raises(DomainError) as closed:
        application_update(applicant=late.applicant, application=late, form=form)
    assert closed.value.code == "applications_closed"
    with pytest.raises(DomainError) as closed_again:
        application_withdraw(applicant=late.applicant, application=late)
    assert closed_again.value.code == "applications_closed"
    late.refresh_from_db()
    assert (late.status, late.country) == (Application.Status.SUBMITTED, "RW")
