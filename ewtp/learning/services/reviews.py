"""Review of applications: reviewers, assignments, conflicts of interest, scores."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from ewtp.accounts.models import Membership, User
from ewtp.core import clock
from ewtp.core.errors import (
    Conflict,
    DomainError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
)
from ewtp.core.locks import lock_rows
from ewtp.learning.models import (
    Application,
    Cohort,
    ConflictDeclaration,
    Programme,
    ProgrammeReviewer,
    ReviewAssignment,
    ReviewScore,
)
from ewtp.learning.services.common import _audit, _require_user, require_manager


@transaction.atomic
def reviewer_add(*, actor: object, programme: Programme, user: User) -> ProgrammeReviewer:
    manager = require_manager(actor, programme)
    reviewer, created = ProgrammeReviewer.objects.get_or_create(
        programme=programme, user=user, defaults={"added_at": clock.now()}
    )
    if created:
        _audit(manager, "learning.reviewer.added", programme, programme, reviewer=user.email)
    return reviewer


def conflicted_reviewers(application: Application, reviewer_ids: Iterable[int]) -> set[int]:
    """The reviewers who may not review this application: the applicant, members of any
    organisation of the applicant's (or of the business they applied for), and anyone who
    declared a conflict with it."""
    candidates = set(reviewer_ids)
    conflicted = {application.applicant_id} & candidates
    conflicted |= set(
        ConflictDeclaration.objects.filter(
            application=application, reviewer_id__in=candidates
        ).values_list("reviewer_id", flat=True)
    )
    organisations = set(
        Membership.objects.filter(user_id=application.applicant_id).values_list(
            "organisation_id", flat=True
        )
    )
    if application.organisation_id:
        organisations.add(application.organisation_id)
    if organisations:
        conflicted |= set(
            Membership.objects.filter(
                organisation_id__in=organisations, user_id__in=candidates
            ).values_list("user_id", flat=True)
        )
    return conflicted


def _assign(
    application: Application, wanted: int, load: dict[int, int], now: datetime
) -> list[ReviewAssignment]:
    """Give the application up to `wanted` reviewers in all: the least loaded first, ties by
    the reviewer's id, never one with a conflict of interest."""
    reviewer_ids = list(
        ProgrammeReviewer.objects.filter(programme=application.cohort.programme).values_list(
            "user_id", flat=True
        )
    )
    assigned = set(application.assignments.values_list("reviewer_id", flat=True))
    missing = wanted - len(assigned)
    if missing <= 0:
        return []
    blocked = conflicted_reviewers(application, reviewer_ids) | assigned
    candidates = sorted(
        (reviewer for reviewer in reviewer_ids if reviewer not in blocked),
        key=lambda reviewer: (load.get(reviewer, 0), reviewer),
    )
    created = []
    for reviewer in candidates[:missing]:
        created.append(
            ReviewAssignment.objects.create(
                application=application, reviewer_id=reviewer, assigned_at=now
            )
        )
        load[reviewer] = load.get(reviewer, 0) + 1
    return created


def _cohort_load(cohort: Cohort) -> dict[int, int]:
    load: dict[int, int] = {}
    for reviewer in ReviewAssignment.objects.filter(application__cohort=cohort).values_list(
        "reviewer_id", flat=True
    ):
        load[reviewer] = load.get(reviewer, 0) + 1
    return load


@transaction.atomic
def reviewers_assign(*, actor: object, cohort: Cohort) -> list[ReviewAssignment]:
    """Give every undecided application of the cohort the programme's number of reviewers."""
    programme = cohort.programme
    manager = require_manager(actor, programme)
    lock_rows(Cohort.objects.filter(pk=cohort.pk))
    now = clock.now()
    load = _cohort_load(cohort)
    created: list[ReviewAssignment] = []
    pending = cohort.applications.filter(
        status__in=[Application.Status.SUBMITTED, Application.Status.WAITLISTED]
    ).select_related("cohort__programme")
    for application in pending.order_by("submitted_at", "id"):
        created += _assign(application, programme.reviews_per_application, load, now)
    if created:  # nothing assigned, nothing changed: no record
        _audit(manager, "learning.reviewers.assigned", cohort, programme, assignments=len(created))
    return created


@transaction.atomic
def review_assign(*, actor: object, application: Application, reviewer: User) -> ReviewAssignment:
    """Assign one reviewer by hand; refused when they have a conflict of interest."""
    programme = application.cohort.programme
    manager = require_manager(actor, programme)
    if not ProgrammeReviewer.objects.filter(programme=programme, user=reviewer).exists():
        raise DomainError("not_a_reviewer", _("Add them as a reviewer of the programme first."))
    if conflicted_reviewers(application, [reviewer.pk]):
        raise Conflict(
            "conflict_of_interest",
            _("This reviewer has a conflict of interest with the applicant."),
        )
    assignment, created = ReviewAssignment.objects.get_or_create(
        application=application, reviewer=reviewer, defaults={"assigned_at": clock.now()}
    )
    if created:
        _audit(manager, "learning.review.assigned", application, programme, reviewer=reviewer.email)
    return assignment


@transaction.atomic
def conflict_declare(
    *, reviewer: object, application: Application, reason: str = ""
) -> ConflictDeclaration:
    """A reviewer declares a conflict: their assignment (and any scores) go, and another reviewer
    takes the place when one is free of conflicts."""
    user = _require_user(reviewer)
    programme = application.cohort.programme
    if not ProgrammeReviewer.objects.filter(programme=programme, user=user).exists():
        raise NotFound("not_found", _("No such application."))
    now = clock.now()
    declaration, _created = ConflictDeclaration.objects.get_or_create(
        application=application,
        reviewer=user,
        defaults={"reason": reason[:300], "declared_at": now},
    )
    removed, _detail = ReviewAssignment.objects.filter(
        application=application, reviewer=user
    ).delete()
    if removed:
        _assign(
            application, programme.reviews_per_application, _cohort_load(application.cohort), now
        )
    _audit(user, "learning.review.conflict_declared", application, programme)
    return declaration


@transaction.atomic
def review_submit(
    *,
    reviewer: object,
    assignment: ReviewAssignment,
    scores: Mapping[str, object],
    comment: str = "",
) -> ReviewAssignment:
    """Score an application on the programme's rubric (may be revised until the decision)."""
    user = _require_user(reviewer)
    if assignment.reviewer_id != user.pk:
        raise NotFound("not_found", _("No such review."))
    application = assignment.application
    programme = application.cohort.programme
    if application.status not in {Application.Status.SUBMITTED, Application.Status.WAITLISTED}:
        raise Conflict("application_decided", _("A decision has been made on this application."))
    if conflicted_reviewers(application, [user.pk]):
        raise PermissionDenied(
            "conflict_of_interest", _("You have a conflict of interest with this applicant.")
        )
    criteria = list(programme.criteria.all())
    values: dict[int, int] = {}
    problems: dict[str, str] = {}
    for criterion in criteria:
        raw = scores.get(criterion.key)
        try:
            value = int(str(raw))
        except (TypeError, ValueError):
            problems[f"scores.{criterion.key}"] = "Give a whole number."
            continue
        if not 0 <= value <= criterion.max_score:
            problems[f"scores.{criterion.key}"] = f"From 0 to {criterion.max_score}."
            continue
        values[criterion.pk] = value
    if problems:
        raise InvalidRequest(
            "invalid_scores", _("Please correct the scores shown."), fields=problems
        )
    assignment = lock_rows(ReviewAssignment.objects.filter(pk=assignment.pk))[0]
    ReviewScore.objects.filter(assignment=assignment).delete()
    ReviewScore.objects.bulk_create(
        ReviewScore(assignment=assignment, criterion_id=criterion_id, score=value)
        for criterion_id, value in values.items()
    )
    assignment.submitted_at = clock.now()
    assignment.comment = comment.strip()
    assignment.save(update_fields=["submitted_at", "comment"])
    _audit(user, "learning.review.submitted", application, programme)
    return assignment
