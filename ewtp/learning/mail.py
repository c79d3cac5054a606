"""Messages to applicants and invitees, written in the recipient's language."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from ewtp.accounts.models import User
from ewtp.learning.links import site_url
from ewtp.learning.models import Application, Invitation


def _subject(kind: str, programme: str) -> str:
    subjects = {
        "received": _("We received your application to %(programme)s"),
        "accepted": _("You have a place in %(programme)s"),
        "waitlisted": _("You are on the waiting list of %(programme)s"),
        "rejected": _("Your application to %(programme)s"),
        "promoted": _("A place has opened for you in %(programme)s"),
    }
    return subjects[kind] % {"programme": programme}


def send_application_notice(application: Application, kind: str) -> None:
    cohort = application.cohort
    programme = cohort.programme
    with translation.override(application.language or "en"):
        subject = _subject(kind, programme.title)
        body = render_to_string(
            "learning/mail/application_notice.txt",
            {
                "kind": kind,
                "application": application,
                "cohort": cohort,
                "programme": programme,
                "name": application.applicant.get_full_name(),
                "link": f"{site_url()}/learn/applications/{application.public_id}/",
            },
        )
    EmailMessage(subject, body, to=[application.applicant.email]).send()


def send_invitation(invitation: Invitation) -> None:
    cohort = invitation.cohort
    programme = cohort.programme
    known = User.objects.filter(email=invitation.email).values_list("language", flat=True).first()
    with translation.override(known or "en"):
        subject = _("You are invited to %(programme)s") % {"programme": programme.title}
        body = render_to_string(
            "learning/mail/invitation.txt",
            {
                "invitation": invitation,
                "cohort": cohort,
                "programme": programme,
                "link": f"{site_url()}/learn/invitations/{invitation.token}/",
            },
        )
    EmailMessage(subject, body, to=[invitation.email]).send()
