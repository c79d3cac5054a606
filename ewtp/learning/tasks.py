"""Background work of learning: messages to applicants and invitees (enqueued after commit)."""

from __future__ import annotations

from django.tasks import task

from ewtp.learning.services import applications, enrolments


@task()
def application_notify(application_id: int, kind: str) -> bool:
    """Idempotent: a message of a kind goes to an application once."""
    return applications.application_notice_send(application_id=application_id, kind=kind)


@task()
def invitation_send(invitation_id: int) -> bool:
    return enrolments.invitation_send(invitation_id=invitation_id)
