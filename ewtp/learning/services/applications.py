"""Applications to a cohort: submission, decisions, the waiting list's promotion, notices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from ewtp.accounts.models import Organisation, User
from ewtp.accounts.selectors import role_in
from ewtp.core import clock
from ewtp.core.countries import is_country
from ewtp.core.errors import (
    Conflict,
    DomainError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
)
from ewtp.core.locks import lock_rows
from ewtp.learning import calc
from ewtp.learning.models import (
    Application,
    ApplicationNotice,
    Cohort,
    Enrolment,
    Programme,
)
from ewtp.learning.selectors.applications import ranked_applications
from ewtp.learning.services.common import (
    _audit,
    _notify_after_commit,
    _require_user,
    require_manager,
)
from ewtp.learning.services.enrolments import _enrol_in_cohort, _release_seat, _take_seat

# -- applications -----------------------------------------------------------------------------


def _require_open(cohort: Cohort) -> None:
    today = clock.today()
    if cohort.applications_open_on and today < cohort.applications_open_on:
        raise DomainError("applications_not_open", _("Applications have not opened yet."))
    if cohort.applications_close_on and today > cohort.applications_close_on:
        raise DomainError("applications_closed", _("Applications for this cohort have closed."))


def _checked(
    user: User,
    programme: Programme,
    cohort: Cohort,
    form: ApplicationIn,
) -> tuple[str, dict[str, object]]:
    """The application's content checked as a whole: the country, normalised, and the cleaned
    answers; or a domain error naming the fields at fault."""
    country = form.country.strip().upper()
    if not is_country(country):
        raise InvalidRequest(
            "invalid_request", _("Choose your country."), fields={"country": "not a country code"}
        )
    if form.business_stage and form.business_stage not in calc.BUSINESS_STAGES:
        raise InvalidRequest(
            "invalid_request", _("Choose a business stage."), fields={"business_stage": "unknown"}
        )
    if form.organisation is not None and role_in(user, form.organisation) is None:
        raise PermissionDenied(
            "not_a_member", _("You can only apply for an organisation you belong to.")
        )
    problems = calc.eligibility_problems(
        programme.eligibility,
        country=country,
        birth_date=form.birth_date,
        business_stage=form.business_stage,
        reference_date=cohort.starts_on,
    )
    if problems:
        raise DomainError(
            "not_eligible", _("You do not meet the programme's eligibility calc."), fields=problems
        )
    cleaned, answer_problems = calc.clean_answers(
        [question.as_rule() for question in programme.questions.all()], form.answers
    )
    if answer_problems:
        raise InvalidRequest(
            "invalid_answers",
            _("Please correct the answers shown."),
            fields={f"answers.{key}": message for key, message in answer_problems.items()},
        )
    return country, dict(cleaned)


@dataclass(frozen=True)
class ApplicationIn:
    """What an applicant fills in (to submit or to edit an application)."""

    answers: Mapping[str, object]
    country: str
    birth_date: date | None = None
    business_stage: str = ""
    business_name: str = ""
    organisation: Organisation | None = None


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
    _require_open(cohort)
    if Application.objects.filter(cohort=cohort, applicant=user).exists():
        raise Conflict("already_applied", _("You have applied to this cohort already."))
    form = ApplicationIn(
        answers=answers,
        country=country,
        birth_date=birth_date,
        business_stage=business_stage,
        business_name=business_name,
        organisation=organisation,
    )
    country, cleaned = _checked(user, programme, cohort, form)
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


def _own_open_application(user: User, application: Application) -> Application:
    """The applicant's own application, locked, still undecided, before the deadline."""
    if application.applicant_id != user.pk:
        raise NotFound("not_found", _("No such application."))
    cohort = application.cohort
    lock_rows(Cohort.objects.filter(pk=cohort.pk))
    locked = lock_rows(Application.objects.filter(pk=application.pk))[0]
    if locked.status != Application.Status.SUBMITTED:
        raise Conflict(
            "application_decided",
            _("A decision has been made on this application: it can no longer be changed."),
        )
    if cohort.applications_close_on and clock.today() > cohort.applications_close_on:
        raise DomainError(
            "applications_closed",
            _("Applications closed on %(date)s: the application can no longer be changed.")
            % {"date": cohort.applications_close_on.isoformat()},
        )
    return locked


@transaction.atomic
def application_update(
    *, applicant: object, application: Application, form: ApplicationIn
) -> Application:
    """The applicant edits their application before the deadline, while undecided; checked
    as a new submission would be. Reviews already given stay (reviewers may revise them)."""
    user = _require_user(applicant)
    locked = _own_open_application(user, application)
    programme = locked.cohort.programme
    country, cleaned = _checked(user, programme, locked.cohort, form)
    organisation = form.organisation
    locked.organisation = organisation
    locked.business_name = form.business_name.strip()[:200] or (
        organisation.name if organisation else ""
    )
    locked.country = country
    locked.birth_date = form.birth_date
    locked.business_stage = form.business_stage
    locked.answers = cleaned
    locked.updated_at = clock.now()
    locked.save()
    _audit(user, "learning.application.edited", locked, programme)
    return locked


@transaction.atomic
def application_withdraw(*, applicant: object, application: Application) -> Application:
    """The applicant withdraws before the deadline, while undecided; reviewers' open
    assignments on it go (nothing is left to review)."""
    user = _require_user(applicant)
    locked = _own_open_application(user, application)
    locked.status = Application.Status.WITHDRAWN
    locked.decided_at = clock.now()
    locked.save(update_fields=["status", "decided_at"])
    locked.assignments.filter(submitted_at__isnull=True).delete()
    _audit(user, "learning.application.withdrawn", locked, locked.cohort.programme)
    return locked


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
    *,
    actor: object,
    application: Application,
    decision: str,
    note: str = "",
    fewer_reviews_reason: str | None = None,
) -> Application:
    """Accept, waitlist or reject. Accepting takes a seat of the cohort under the cohort's row
    lock and by a conditional update, so two managers deciding at once never exceed capacity:
    the one who finds no seat left gets 409 cohort_full and nothing changes.

    Accepting before every assigned reviewer has scored is refused (409 fewer_reviews) unless
    the manager confirms it with a reason (``fewer_reviews_reason``), which is stored on the
    application and in the audit record with the reviews counted."""
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
    reviews: dict[str, object] = {}
    if decision == Application.Status.ACCEPTED:
        reviews = _reviews_short(locked, fewer_reviews_reason)
    now = clock.now()
    if decision == Application.Status.ACCEPTED:
        _take_seat(cohort)
        _enrol_in_cohort(locked.applicant, cohort, now)
    locked.status = decision
    locked.decided_at = now
    locked.decided_by = manager
    locked.decision_note = note.strip()
    locked.fewer_reviews_reason = str(reviews.get("fewer_reviews_reason", ""))
    locked.save(
        update_fields=[
            "status",
            "decided_at",
            "decided_by",
            "decision_note",
            "fewer_reviews_reason",
        ]
    )
    _audit(manager, f"learning.application.{decision}", locked, programme, **reviews)
    _notify_after_commit(locked, _NOTICE_OF[Application.Status(decision)])
    return locked


def _reviews_short(application: Application, reason: str | None) -> dict[str, object]:
    """Reviews in against reviews assigned; when some are missing, the manager's confirmed
    reason (else a refusal that asks for it). What the audit record keeps."""
    counts = application.assignments.aggregate(
        assigned=Count("pk"), done=Count("pk", filter=Q(submitted_at__isnull=False))
    )
    assigned, done = int(counts["assigned"]), int(counts["done"])
    if done >= assigned:
        return {}
    if reason is None:
        raise Conflict(
            "fewer_reviews",
            _(
                "Only %(done)d of the %(assigned)d assigned reviews are in. Confirm that you "
                "accept now, and say why."
            )
            % {"done": done, "assigned": assigned},
            extra={"reviews_done": done, "reviews_assigned": assigned},
        )
    if not reason.strip():
        raise InvalidRequest(
            "reason_required",
            _("Say why you accept before every review is in."),
            fields={"fewer_reviews_reason": _("Say why you accept before every review is in.")},
        )
    return {
        "reviews_done": done,
        "reviews_assigned": assigned,
        "fewer_reviews_reason": reason.strip()[:2000],
    }


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
