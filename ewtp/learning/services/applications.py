"""Applications to a cohort: submission, decisions, the waiting list's promotion, notices."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ewtp.accounts.models import Organisation
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
    if business_stage and business_stage not in calc.BUSINESS_STAGES:
        raise InvalidRequest(
            "invalid_request", _("Choose a business stage."), fields={"business_stage": "unknown"}
        )
    if organisation is not None and role_in(user, organisation) is None:
        raise PermissionDenied(
            "not_a_member", _("You can only apply for an organisation you belong to.")
        )
    problems = calc.eligibility_problems(
        programme.eligibility,
        country=country,
        birth_date=birth_date,
        business_stage=business_stage,
        reference_date=cohort.starts_on,
    )
    if problems:
        raise DomainError(
            "not_eligible", _("You do not meet the programme's eligibility calc."), fields=problems
        )
    cleaned, answer_problems = calc.clean_answers(
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
