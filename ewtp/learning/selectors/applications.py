"""Applications: the ranking, a manager's cohort, applications and review assignments with their permission checks."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ewtp.accounts.selectors import as_user
from ewtp.core import clock
from ewtp.core.errors import NotFound, PermissionDenied
from ewtp.learning import calc
from ewtp.learning.models import (
    Application,
    Cohort,
    Programme,
    ProgrammeReviewer,
    ReviewAssignment,
)
from ewtp.learning.selectors.courses import can_manage

# -- ranking ----------------------------------------------------------------------------------------


@dataclass
class RankedApplication:
    application: Application
    rank: int
    score: Decimal | None
    reviews_submitted: int
    reviews_assigned: int
    reviewers: list[str] = field(default_factory=list)


def ranked_applications(applications: Iterable[Application]) -> list[RankedApplication]:
    """Ranked by score (the mean of the submitted reviews' weighted percentages), highest first;
    ties go to the earlier submission, then the lower id; unscored applications come last.
    See calc.rank."""
    chosen = list(applications)
    if not chosen:
        return []
    programme_ids = {a.cohort.programme_id for a in chosen}
    criteria: dict[int, list[calc.Criterion]] = {pid: [] for pid in programme_ids}
    keys: dict[int, str] = {}
    programmes = Programme.objects.filter(pk__in=programme_ids).prefetch_related("criteria")
    for programme in programmes:
        for criterion in programme.criteria.all():
            criteria[programme.pk].append(criterion.as_rule())
            keys[criterion.pk] = criterion.key
    assignments = (
        ReviewAssignment.objects.filter(application__in=chosen)
        .select_related("reviewer")
        .prefetch_related("scores")
    )
    percents: dict[int, list[Decimal]] = {a.pk: [] for a in chosen}
    assigned: dict[int, list[str]] = {a.pk: [] for a in chosen}
    for assignment in assignments:
        assigned[assignment.application_id].append(assignment.reviewer.get_full_name())
        if assignment.submitted_at is None:
            continue
        scores = {
            keys[s.criterion_id]: s.score for s in assignment.scores.all() if s.criterion_id in keys
        }
        programme_id = next(
            a.cohort.programme_id for a in chosen if a.pk == assignment.application_id
        )
        rubric = criteria[programme_id]
        filled = {c.key: scores.get(c.key, 0) for c in rubric}
        percents[assignment.application_id].append(calc.review_percent(rubric, filled))
    by_id = {a.pk: a for a in chosen}
    order = calc.rank(
        calc.Ranked(a.pk, calc.application_score(percents[a.pk]), a.submitted_at) for a in chosen
    )
    return [
        RankedApplication(
            application=by_id[item.id],
            rank=position,
            score=item.score,
            reviews_submitted=len(percents[item.id]),
            reviews_assigned=len(assigned[item.id]),
            reviewers=assigned[item.id],
        )
        for position, item in enumerate(order, start=1)
    ]


def cohort_ranking_for(
    actor: object, cohort: Cohort, *, status: str = ""
) -> list[RankedApplication]:
    if not can_manage(actor, cohort.programme):
        raise PermissionDenied(
            "permission_denied", _("Only the programme's managers see the ranking.")
        )
    applications = cohort.applications.select_related("applicant", "cohort", "organisation")
    if status:
        applications = applications.filter(status=status)
    return ranked_applications(applications)


# -- applications and reviews -----------------------------------------------------------------------


def cohorts_open_for_applications(programme: Programme, today: Any) -> list[Cohort]:
    return [
        cohort
        for cohort in programme.cohorts.all()
        if (cohort.applications_open_on is None or cohort.applications_open_on <= today)
        and (cohort.applications_close_on is None or today <= cohort.applications_close_on)
        and cohort.ends_on >= today
    ]


def application_get_for(actor: object, public_id: object) -> Application:
    """The applicant sees their own application; the programme's managers see every one."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound("not_found", _("No such application.")) from None
    application = (
        Application.objects.select_related("cohort__programme__provider", "applicant")
        .filter(public_id=key)
        .first()
    )
    user = as_user(actor)
    if application is None or user is None:
        raise NotFound("not_found", _("No such application."))
    if application.applicant_id == user.pk or can_manage(user, application.cohort.programme):
        return application
    raise NotFound("not_found", _("No such application."))


def assignments_for(actor: object) -> QuerySet[ReviewAssignment]:
    user = as_user(actor)
    if user is None:
        return ReviewAssignment.objects.none()
    return (
        ReviewAssignment.objects.filter(reviewer=user)
        .select_related("application__cohort__programme", "application__applicant")
        .order_by("submitted_at", "assigned_at", "id")
    )


def assignment_get_for(actor: object, public_id: object) -> ReviewAssignment:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound("not_found", _("No such review.")) from None
    assignment = assignments_for(actor).filter(public_id=key).first()
    if assignment is None:
        raise NotFound("not_found", _("No such review."))
    return assignment


def is_reviewer(actor: object) -> bool:
    user = as_user(actor)
    return user is not None and ProgrammeReviewer.objects.filter(user=user).exists()


def application_may_change(application: Application) -> bool:
    """The applicant may still edit or withdraw it: undecided, and the deadline not passed."""
    close_on = application.cohort.applications_close_on
    return application.status == Application.Status.SUBMITTED and (
        close_on is None or clock.today() <= close_on
    )
