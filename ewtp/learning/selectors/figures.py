"""The trainer's figures: enrolments and completions, the application pipeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from ewtp.accounts.models import Organisation
from ewtp.accounts.selectors import organisations_of
from ewtp.core.errors import NotFound
from ewtp.learning.models import (
    Application,
    Cohort,
    Enrolment,
    Programme,
    QuizAttempt,
)
from ewtp.learning.selectors.courses import can_teach

# -- the trainer's figures ------------------------------------------------------------------------


def provider_programmes_for(actor: object) -> QuerySet[Programme]:
    providers = organisations_of(actor, kind=Organisation.Kind.TRAINING_PROVIDER)
    return (
        Programme.objects.filter(provider__in=providers)
        .select_related("provider")
        .prefetch_related("cohorts", "courses")
        .order_by("title")
    )


@dataclass(frozen=True)
class Figures:
    label: str
    enrolments: int
    completed: int
    quiz_attempted: int
    quiz_passed: int

    @property
    def completion_percent(self) -> int:
        return round(self.completed * 100 / self.enrolments) if self.enrolments else 0

    @property
    def pass_percent(self) -> int:
        return round(self.quiz_passed * 100 / self.quiz_attempted) if self.quiz_attempted else 0


def figures_of(label: str, enrolments: QuerySet[Enrolment]) -> Figures:
    """Completion rate: completed enrolments over enrolments (withdrawn ones left out).
    Pass rate: (learner, quiz) pairs passed over pairs attempted."""
    enrolments = enrolments.exclude(status=Enrolment.Status.WITHDRAWN)
    attempts = QuizAttempt.objects.filter(enrolment__in=enrolments)
    return Figures(
        label=label,
        enrolments=enrolments.count(),
        completed=enrolments.filter(status=Enrolment.Status.COMPLETED).count(),
        quiz_attempted=attempts.values("enrolment", "quiz").distinct().count(),
        quiz_passed=attempts.filter(passed=True).values("enrolment", "quiz").distinct().count(),
    )


def programme_figures(programme: Programme) -> list[Figures]:
    """One row per cohort, and one for self-paced learners (no cohort)."""
    rows = [
        figures_of(cohort.name, Enrolment.objects.filter(cohort=cohort))
        for cohort in programme.cohorts.all()
    ]
    self_paced = Enrolment.objects.filter(course__programme=programme, cohort__isnull=True)
    if self_paced.exists():
        rows.append(figures_of("Self-paced", self_paced))
    return rows


def application_pipeline(cohort: Cohort) -> dict[str, int]:
    """How many applications stand where: awaiting review, reviewed, and each decision."""
    counts = dict(
        cohort.applications.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    undecided = cohort.applications.filter(status=Application.Status.SUBMITTED).annotate(
        assigned=Count("assignments"),
        submitted=Count("assignments", filter=Q(assignments__submitted_at__isnull=False)),
    )
    reviewed = sum(1 for a in undecided if a.assigned and a.submitted >= a.assigned)
    unassigned = sum(1 for a in undecided if not a.assigned)
    return {
        "total": sum(counts.values()),
        "unassigned": unassigned,
        "in_review": counts.get(Application.Status.SUBMITTED, 0) - reviewed - unassigned,
        "reviewed": reviewed,
        "accepted": counts.get(Application.Status.ACCEPTED, 0),
        "waitlisted": counts.get(Application.Status.WAITLISTED, 0),
        "rejected": counts.get(Application.Status.REJECTED, 0),
        "declined": counts.get(Application.Status.DECLINED, 0),
    }


def cohort_get_for_manager(actor: object, public_id: object) -> Cohort:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound("not_found", _("No such cohort.")) from None
    cohort = Cohort.objects.select_related("programme__provider").filter(public_id=key).first()
    if cohort is None or not can_teach(actor, cohort.programme):
        raise NotFound("not_found", _("No such cohort."))
    return cohort
