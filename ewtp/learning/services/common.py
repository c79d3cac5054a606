"""Learning's shared write pieces: the manager check, the audit, form errors, notices after commit."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ewtp.accounts.models import User
from ewtp.accounts.selectors import as_user, role_in
from ewtp.core.errors import (
    Conflict,
    NotAuthenticated,
    PermissionDenied,
)
from ewtp.core.services import audit_record
from ewtp.learning.models import (
    Application,
    Programme,
)
from ewtp.learning.selectors.courses import MANAGER_ROLES


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
