"""Writes of learning: enrolment, progress, quizzes, applications and their review and decision,
certificates. Each service owns its transaction; mail goes out through tasks after commit."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.accounts.selectors import as_user, is_platform_operator, role_in
from ewtp.core import clock, signing
from ewtp.core.countries import is_country
from ewtp.core.errors import (
    Conflict,
    DomainError,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from ewtp.core.locks import lock_rows
from ewtp.core.services import audit_record
from ewtp.learning import codes, credentials, rules
from ewtp.learning.links import (
    certificate_status_url,
    certificate_verification_url,
    issuer_url,
    site_url,
)
from ewtp.learning.models import (
    Application,
    ApplicationNotice,
    AttemptGrant,
    Certificate,
    Cohort,
    ConflictDeclaration,
    Course,
    Enrolment,
    Invitation,
    Lesson,
    LessonCompletion,
    Programme,
    ProgrammeReviewer,
    Quiz,
    QuizAttempt,
    ReviewAssignment,
    ReviewScore,
)
from ewtp.learning.selectors import (
    MANAGER_ROLES,
    attempts_allowed,
    course_requirements,
    missing_prerequisites,
    ranked_applications,
)


class CohortFull(Conflict):
    code = "cohort_full"


def _require_user(actor: object) -> User:
    user = as_user(actor)
    if user is None:
        raise NotAuthenticated("not_authenticated", _("Log in first."))
    return user


def require_manager(actor: object, programme: Programme) -> User:
    """A programme is managed by the owners and staff of its training provider."""
    user = _require_user(actor)
    if role_in(user, programme.provider) not in MANAGER_ROLES:
        raise PermissionDenied("permission_denied", _("Only the programme's managers may do this."))
    return user


def _audit(actor: object, action: str, target: Any, programme: Programme, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=target,
        organisation_ref=str(programme.provider.public_id),
        data=data,
    )


def _fields(error: ValidationError) -> dict[str, str]:
    if hasattr(error, "error_dict"):
        return {
            name: " ".join(str(m) for e in errors for m in e.messages)
            for name, errors in error.error_dict.items()
        }
    return {"__all__": " ".join(error.messages)}


def _notify_after_commit(application: Application, kind: str) -> None:
    from ewtp.learning import tasks

    application_id = application.pk
    transaction.on_commit(lambda: tasks.application_notify.enqueue(application_id, kind))


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
    questions = list(quiz.questions.prefetch_related("choices"))
    keys = [
        rules.QuestionKey(
            id=question.pk,
            kind=question.kind,
            choice_ids=frozenset(choice.pk for choice in question.choices.all()),
            correct_ids=frozenset(c.pk for c in question.choices.all() if c.is_correct),
            points=question.points,
        )
        for question in questions
    ]
    try:
        normalised = {int(q): sorted({int(c) for c in chosen}) for q, chosen in selected.items()}
        score = rules.score_quiz(keys, normalised, quiz.pass_mark_percent)
    except rules.AnswerError as error:
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
    done = set(enrolment.completions.values_list("lesson_id", flat=True))
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


# -- certificates ---------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_credential(certificate: Certificate, holder_email: str) -> dict[str, Any]:
    """The signed OpenBadgeCredential of a certificate."""
    programme = certificate.programme
    course = certificate.course
    site = site_url()
    if course is not None:
        achievement_url = f"{site}/learn/courses/{course.slug}/"
        title = course.title
        description = course.summary or course.title
        narrative = "Completed every lesson of the course and passed every quiz at its pass mark."
    else:
        achievement_url = f"{site}/learn/programmes/{programme.slug}/"
        title = programme.title
        description = programme.summary or programme.title
        narrative = "Completed every course of the programme."
    valid_from = _iso(certificate.issued_at)
    issuer = {
        "id": issuer_url(),
        "type": ["Profile"],
        "name": "eWTP",
        "url": f"{site}/",
    }
    achievement = {
        "id": achievement_url,
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": title,
        "description": description,
        "criteria": {"id": achievement_url, "narrative": narrative},
        "creator": {
            "id": f"urn:uuid:{programme.provider.public_id}",
            "type": ["Profile"],
            "name": programme.provider.name,
        },
        "humanCode": certificate.code,
    }
    unsigned = credentials.open_badge_credential(
        credential_id=f"urn:uuid:{certificate.public_id}",
        issuer=issuer,
        valid_from=valid_from,
        name=f"{title}: certificate",
        description=f"Awarded to {certificate.holder_name} by {programme.provider.name} "
        f"for completing {title}.",
        achievement=achievement,
        recipient_email=holder_email,
        recipient_name=certificate.holder_name,
        salt=secrets.token_hex(8),
        status_url=certificate_status_url(certificate.code),
        evidence_url=certificate_verification_url(certificate.code),
    )
    key = signing.active_key()
    certificate.key_id = key.kid  # the certificate names the key that signed it
    return credentials.sign_credential(
        unsigned,
        sign=key.sign,
        verification_method=f"{issuer_url()}#{key.kid}",
        created=valid_from,
    )


def _new_code() -> str:
    for _attempt in range(10):
        code = codes.generate()
        if not Certificate.objects.filter(code=code).exists():
            return code
    raise Conflict("busy", _("Could not draw a free certificate code; try again."))


def _certificate_issue(
    *,
    holder: User,
    programme: Programme,
    course: Course | None,
    cohort: Cohort | None,
    now: datetime,
) -> Certificate:
    existing = Certificate.objects.filter(holder=holder, programme=programme, course=course).first()
    if existing is not None:
        return existing
    certificate = Certificate(
        code=_new_code(),
        holder=holder,
        holder_name=holder.full_name or holder.email,
        programme=programme,
        course=course,
        cohort=cohort,
        issued_at=now.replace(microsecond=0),
        key_id=signing.key_id(),
    )
    certificate.credential = build_credential(certificate, holder.email)
    certificate.save()
    _audit(holder, "learning.certificate.issued", certificate, programme, code=certificate.code)
    return certificate


@transaction.atomic
def certificate_revoke(*, actor: object, certificate: Certificate, reason: str) -> Certificate:
    """Revoke with a reason, shown on every verification; by the provider's managers or the
    platform operator. The signed document stays as it was: its status says revoked."""
    user = _require_user(actor)
    if not is_platform_operator(user):
        require_manager(user, certificate.programme)
    reason = reason.strip()
    if not reason:
        raise InvalidRequest(
            "reason_required",
            _("Say why the certificate is revoked."),
            fields={"reason": "required"},
        )
    locked = lock_rows(Certificate.objects.filter(pk=certificate.pk))[0]
    if locked.status == Certificate.Status.REVOKED:
        raise Conflict("already_revoked", _("This certificate is revoked already."))
    locked.status = Certificate.Status.REVOKED
    locked.revoked_at = clock.now()
    locked.revoked_by = user
    locked.revocation_reason = reason
    locked.save(update_fields=["status", "revoked_at", "revoked_by", "revocation_reason"])
    _audit(user, "learning.certificate.revoked", locked, locked.programme, reason=reason)
    return locked


# -- applications -----------------------------------------------------------------------------


@transaction.atomic
def application_submit(
    *,
    applicant: object,
    cohort: Cohort,
    answers: Mapping[str, object],
    country: str,
    birth_date: date | None = None,
    business_stage: str = "",
    business_name: str = "",
    organisation: Organisation | None = None,
    language: str = "en",
) -> Application:
    """Apply to a cohort of a selective programme. Ineligible or incomplete applications are
    refused with the fields at fault, and nothing is written."""
    user = _require_user(applicant)
    programme = cohort.programme
    if programme.enrolment_mode != Programme.Mode.APPLICATION or not programme.is_published:
        raise DomainError("not_by_application", _("This programme does not take applications."))
    today = clock.today()
    if cohort.applications_open_on and today < cohort.applications_open_on:
        raise DomainError("applications_not_open", _("Applications have not opened yet."))
    if cohort.applications_close_on and today > cohort.applications_close_on:
        raise DomainError("applications_closed", _("Applications for this cohort have closed."))
    if Application.objects.filter(cohort=cohort, applicant=user).exists():
        raise Conflict("already_applied", _("You have applied to this cohort already."))
    country = country.strip().upper()
    if not is_country(country):
        raise InvalidRequest(
            "invalid_request", _("Choose your country."), fields={"country": "not a country code"}
        )
    if business_stage and business_stage not in rules.BUSINESS_STAGES:
        raise InvalidRequest(
            "invalid_request", _("Choose a business stage."), fields={"business_stage": "unknown"}
        )
    if organisation is not None and role_in(user, organisation) is None:
        raise PermissionDenied(
            "not_a_member", _("You can only apply for an organisation you belong to.")
        )
    problems = rules.eligibility_problems(
        programme.eligibility,
        country=country,
        birth_date=birth_date,
        business_stage=business_stage,
        reference_date=cohort.starts_on,
    )
    if problems:
        raise DomainError(
            "not_eligible", _("You do not meet the programme's eligibility rules."), fields=problems
        )
    cleaned, answer_problems = rules.clean_answers(
        [question.as_rule() for question in programme.questions.all()], answers
    )
    if answer_problems:
        raise InvalidRequest(
            "invalid_answers",
            _("Please correct the answers shown."),
            fields={f"answers.{key}": message for key, message in answer_problems.items()},
        )
    application = Application.objects.create(
        cohort=cohort,
        applicant=user,
        organisation=organisation,
        business_name=business_name.strip()[:200] or (organisation.name if organisation else ""),
        country=country,
        birth_date=birth_date,
        business_stage=business_stage,
        answers=cleaned,
        language=language or user.language,
        submitted_at=clock.now(),
    )
    _audit(
        user, "learning.application.submitted", application, programme, cohort=str(cohort.public_id)
    )
    _notify_after_commit(application, ApplicationNotice.Kind.RECEIVED)
    return application


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


_TRANSITIONS = {
    Application.Status.SUBMITTED: {
        Application.Status.ACCEPTED,
        Application.Status.WAITLISTED,
        Application.Status.REJECTED,
    },
    Application.Status.WAITLISTED: {Application.Status.ACCEPTED, Application.Status.REJECTED},
}
_NOTICE_OF = {
    Application.Status.ACCEPTED: ApplicationNotice.Kind.ACCEPTED,
    Application.Status.WAITLISTED: ApplicationNotice.Kind.WAITLISTED,
    Application.Status.REJECTED: ApplicationNotice.Kind.REJECTED,
}


@transaction.atomic
def application_decide(
    *, actor: object, application: Application, decision: str, note: str = ""
) -> Application:
    """Accept, waitlist or reject. Accepting takes a seat of the cohort under the cohort's row
    lock and by a conditional update, so two managers deciding at once never exceed capacity:
    the one who finds no seat left gets 409 cohort_full and nothing changes."""
    cohort = application.cohort
    programme = cohort.programme
    manager = require_manager(actor, programme)
    if decision not in _NOTICE_OF:
        raise InvalidRequest(
            "invalid_decision",
            _("Decide accepted, waitlisted or rejected."),
            fields={"decision": "accepted, waitlisted or rejected"},
        )
    # One lock order everywhere: the cohort, then its applications by primary key.
    lock_rows(Cohort.objects.filter(pk=cohort.pk))
    locked = lock_rows(Application.objects.filter(pk=application.pk))[0]
    if locked.status == decision:
        return locked
    if decision not in _TRANSITIONS.get(Application.Status(locked.status), set()):
        raise Conflict(
            "decision_not_allowed",
            _("An application that is %(status)s cannot be %(decision)s.")
            % {"status": locked.status, "decision": decision},
        )
    now = clock.now()
    if decision == Application.Status.ACCEPTED:
        _take_seat(cohort)
        _enrol_in_cohort(locked.applicant, cohort, now)
    locked.status = decision
    locked.decided_at = now
    locked.decided_by = manager
    locked.decision_note = note.strip()
    locked.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    _audit(manager, f"learning.application.{decision}", locked, programme)
    _notify_after_commit(locked, _NOTICE_OF[Application.Status(decision)])
    return locked


@transaction.atomic
def application_decline(*, applicant: object, application: Application) -> Application:
    """The applicant gives up their place (or leaves the waitlist). A place given up goes to the
    next ranked waitlisted applicant, in the same transaction."""
    user = _require_user(applicant)
    if application.applicant_id != user.pk:
        raise NotFound("not_found", _("No such application."))
    cohort = application.cohort
    lock_rows(Cohort.objects.filter(pk=cohort.pk))
    locked = lock_rows(Application.objects.filter(pk=application.pk))[0]
    if locked.status == Application.Status.DECLINED:
        return locked
    if locked.status not in {Application.Status.ACCEPTED, Application.Status.WAITLISTED}:
        raise Conflict("decline_not_allowed", _("There is no place or waitlist spot to decline."))
    had_place = locked.status == Application.Status.ACCEPTED
    now = clock.now()
    locked.status = Application.Status.DECLINED
    locked.decided_at = now
    locked.save(update_fields=["status", "decided_at"])
    _audit(user, "learning.application.declined", locked, cohort.programme)
    if had_place:
        Enrolment.objects.filter(
            learner=user, cohort=cohort, status=Enrolment.Status.ACTIVE
        ).update(status=Enrolment.Status.WITHDRAWN)
        _release_seat(cohort)
        _promote_next(cohort, now)
    return locked


def _promote_next(cohort: Cohort, now: datetime) -> Application | None:
    """Offer the freed place to the best-ranked waitlisted applicant (see selectors.ranking)."""
    waitlisted = lock_rows(cohort.applications.filter(status=Application.Status.WAITLISTED))
    if not waitlisted:
        return None
    ranked = ranked_applications(waitlisted)
    chosen = ranked[0].application
    _take_seat(cohort)
    _enrol_in_cohort(chosen.applicant, cohort, now)
    chosen.status = Application.Status.ACCEPTED
    chosen.decided_at = now
    chosen.decided_by = None
    chosen.decision_note = "Offered the place another applicant declined."
    chosen.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    _audit(None, "learning.application.promoted", chosen, cohort.programme)
    _notify_after_commit(chosen, ApplicationNotice.Kind.PROMOTED)
    return chosen


# -- mail (called by tasks, outside any transaction) ------------------------------------------


def application_notice_send(*, application_id: int, kind: str) -> bool:
    """Send one message of a kind to an applicant, in their language, at most once."""
    from ewtp.learning import mail

    application = (
        Application.objects.select_related("applicant", "cohort__programme__provider")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        return False
    try:
        with transaction.atomic():
            notice = ApplicationNotice.objects.create(
                application=application, kind=kind, sent_at=clock.now()
            )
    except IntegrityError:
        return False  # sent already
    try:
        mail.send_application_notice(application, kind)
    except Exception:
        ApplicationNotice.objects.filter(pk=notice.pk).delete()  # let a retry send it
        raise
    return True


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
