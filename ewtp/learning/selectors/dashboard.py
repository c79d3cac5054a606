"""The learner's dashboard and the trainer's programmes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from ewtp.accounts.models import User
from ewtp.accounts.selectors import as_user
from ewtp.learning.models import (
    Application,
    Certificate,
    Enrolment,
    ReviewAssignment,
)
from ewtp.learning.selectors.courses import Progress, course_items, progress_of

# -- the learner's dashboard ----------------------------------------------------------------------


@dataclass
class EnrolmentRow:
    enrolment: Enrolment
    progress: Progress


def learner_dashboard(actor: object) -> dict[str, Any]:
    user = as_user(actor)
    if user is None:
        return {"rows": [], "certificates": [], "applications": [], "reviews": 0, "sessions": []}
    rows = []
    enrolments = (
        Enrolment.objects.filter(learner=user)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("course__programme", "cohort")
        .prefetch_related("course__translations")
        .order_by("status", "-enrolled_at")
    )
    for enrolment in enrolments:
        rows.append(EnrolmentRow(enrolment, progress_of(enrolment, course_items(enrolment.course))))
    sessions = []
    cohorts = {row.enrolment.cohort for row in rows if row.enrolment.cohort}
    for cohort in sorted(cohorts, key=lambda c: c.starts_on):
        sessions += [(cohort, session) for session in cohort.sessions.all()]
    return {
        "rows": rows,
        "certificates": list(certificates_of(user)),
        "applications": list(
            Application.objects.filter(applicant=user).select_related("cohort__programme")
        ),
        "reviews": ReviewAssignment.objects.filter(
            reviewer=user, submitted_at__isnull=True
        ).count(),
        "sessions": sessions,
    }


def certificates_of(user: User) -> QuerySet[Certificate]:
    return Certificate.objects.filter(holder=user).select_related("programme", "course")
