"""Seats and enrolment: a learner's enrolment in a course or a cohort, invitations to a cohort."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ewtp.accounts.models import User
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
    Cohort,
    Course,
    Enrolment,
    Invitation,
    Programme,
)
from ewtp.learning.selectors.courses import missing_prerequisites, shared_lessons_done
from ewtp.learning.services.common import (
    CohortFull,
    _audit,
    _fields,
    _require_user,
    require_manager,
)

# -- seats and enrolment ----------------------------------------------------------------------


def _take_seat(cohort: Cohort) -> None:
    """One seat of the cohort, by a single conditional update: never more than its capacity."""
    taken = Cohort.objects.filter(pk=cohort.pk, seats_taken__lt=F("capacity")).update(
        seats_taken=F("seats_taken") + 1
    )
    if not taken:
        raise CohortFull(
            "cohort_full",
            _("Every seat of this cohort is taken."),
            extra={"remaining": 0},
        )


def _release_seat(cohort: Cohort) -> None:
    Cohort.objects.filter(pk=cohort.pk, seats_taken__gt=0).update(seats_taken=F("seats_taken") - 1)


def _enrol_in_cohort(user: User, cohort: Cohort, now: datetime) -> list[Enrolment]:
    """Enrol the learner in every published course of the cohort's programme."""
    enrolments = []
    for course in cohort.programme.courses.filter(is_published=True):
        enrolment, created = Enrolment.objects.get_or_create(
            learner=user, course=course, defaults={"cohort": cohort, "enrolled_at": now}
        )
        if not created and (
            enrolment.status == Enrolment.Status.WITHDRAWN or enrolment.cohort_id is None
        ):
            if enrolment.status == Enrolment.Status.WITHDRAWN:
                enrolment.status = Enrolment.Status.ACTIVE
                enrolment.enrolled_at = now
            enrolment.cohort = cohort
            enrolment.save(update_fields=["status", "enrolled_at", "cohort"])
        enrolments.append(enrolment)
    return enrolments


def _require_prerequisites(user: User, course: Course) -> None:
    missing = missing_prerequisites(user, course)
    if missing:
        raise PermissionDenied(
            "prerequisites_missing",
            _("Complete these courses first: %(courses)s.")
            % {"courses": ", ".join(c.title for c in missing)},
            extra={"missing": [c.slug for c in missing]},
        )


@transaction.atomic
def enrolment_create(*, learner: object, course: Course, cohort: Cohort | None = None) -> Enrolment:
    """Enrol in a course of an open programme (optionally in one of its cohorts, taking a seat).

    Courses of invitation or application programmes are entered through those; enrolling again
    returns the existing enrolment.
    """
    user = _require_user(learner)
    programme = course.programme
    if not (course.is_published and programme.is_published):
        raise NotFound("not_found", _("No such course."))
    existing = Enrolment.objects.filter(learner=user, course=course).first()
    if existing is not None and existing.status != Enrolment.Status.WITHDRAWN:
        return existing
    if programme.enrolment_mode == Programme.Mode.INVITATION:
        raise PermissionDenied("invitation_required", _("This course is open by invitation only."))
    if programme.enrolment_mode == Programme.Mode.APPLICATION:
        raise PermissionDenied(
            "application_required", _("Apply to the programme to take this course.")
        )
    _require_prerequisites(user, course)
    now = clock.now()
    if cohort is not None:
        if cohort.programme_id != programme.pk:
            raise InvalidRequest(
                "invalid_cohort",
                _("That cohort is not of this course's programme."),
                fields={"cohort": "not of this programme"},
            )
        if cohort.ends_on < clock.today():
            raise DomainError("cohort_ended", _("That cohort has ended."))
        lock_rows(Cohort.objects.filter(pk=cohort.pk))
        already_seated = Enrolment.objects.filter(
            learner=user,
            cohort=cohort,
            status__in=[Enrolment.Status.ACTIVE, Enrolment.Status.COMPLETED],
        ).exists()
        if not already_seated:
            _take_seat(cohort)
    if existing is not None:
        existing.status = Enrolment.Status.ACTIVE
        existing.enrolled_at = now
        existing.cohort = cohort
        existing.save(update_fields=["status", "enrolled_at", "cohort"])
        enrolment = existing
    else:
        enrolment = Enrolment.objects.create(
            learner=user, course=course, cohort=cohort, enrolled_at=now
        )
    _audit(user, "learning.enrolment.created", enrolment, programme, course=course.slug)
    if shared_lessons_done(user.pk):
        # Lessons done in another course that this one reuses count at once: the course may
        # be complete already (imported here: studying a course builds on enrolling).
        from ewtp.learning.services.courses import _complete_if_done

        _complete_if_done(enrolment, now)
    return enrolment


@transaction.atomic
def invitation_create(*, actor: object, cohort: Cohort, email: str) -> Invitation:
    user = require_manager(actor, cohort.programme)
    email = User.objects.normalize_email(email.strip()).lower()
    invitation = Invitation(
        cohort=cohort,
        email=email,
        token=secrets.token_urlsafe(24),
        invited_by=user,
        created_at=clock.now(),
    )
    try:
        invitation.full_clean()
    except ValidationError as error:
        if Invitation.objects.filter(cohort=cohort, email=email).exists():
            return Invitation.objects.get(cohort=cohort, email=email)
        raise InvalidRequest(
            "invalid_request", _("Check the email address."), fields=_fields(error)
        ) from None
    invitation.save()
    _audit(user, "learning.invitation.created", invitation, cohort.programme, email=email)
    from ewtp.learning import tasks

    invitation_id = invitation.pk
    transaction.on_commit(lambda: tasks.invitation_send.enqueue(invitation_id))
    return invitation


@transaction.atomic
def invitation_accept(*, learner: object, token: str) -> Invitation:
    user = _require_user(learner)
    found = Invitation.objects.filter(token=token).select_related("cohort__programme").first()
    if found is None:
        raise NotFound("not_found", _("No such invitation."))
    lock_rows(Cohort.objects.filter(pk=found.cohort_id))
    invitation = lock_rows(Invitation.objects.filter(pk=found.pk))[0]
    if invitation.accepted_at is not None:
        if invitation.accepted_by_id == user.pk:
            return invitation
        raise Conflict("invitation_used", _("This invitation has been used already."))
    if invitation.email != user.email:
        raise PermissionDenied(
            "invitation_other_email",
            _("This invitation was sent to another email address; log in with that one."),
        )
    cohort = found.cohort
    now = clock.now()
    _take_seat(cohort)
    _enrol_in_cohort(user, cohort, now)
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    _audit(user, "learning.invitation.accepted", invitation, cohort.programme)
    return invitation


def invitation_send(*, invitation_id: int) -> bool:
    from ewtp.learning import mail

    invitation = (
        Invitation.objects.select_related("cohort__programme__provider")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        return False
    claimed = Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(
        sent_at=clock.now()
    )
    if not claimed:
        return False
    try:
        mail.send_invitation(invitation)
    except Exception:
        Invitation.objects.filter(pk=invitation.pk).update(sent_at=None)
        raise
    return True
