"""Four eyes on publishing: a steward asks for the working copy to be published, a second
steward of the same organisation sees what changes (rows and the products whose landed prices
move) and approves; the version is then in force. Every step is audited.

The request pins the working copy it was made on and the version then in force: an approval
publishes exactly what was asked for, or nothing (a later edit or version makes it ask again).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ewtp.accounts.models import Membership, Organisation
from ewtp.accounts.selectors import is_platform_operator
from ewtp.core import clock
from ewtp.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from ewtp.core.services import audit_record
from ewtp.traderules.errors import NothingToPublish
from ewtp.traderules.extensions import publication_preview
from ewtp.traderules.models import PublicationRequest, RuleVersion
from ewtp.traderules.selectors.snapshot import snapshot_cache_clear
from ewtp.traderules.services.edits import working_copy_content
from ewtp.traderules.services.fx import _lock_state
from ewtp.traderules.services.permissions import _require_steward
from ewtp.traderules.services.validation import _data_from_content
from ewtp.traderules.services.versions import (
    _version_create,
    _version_summary,
    changes_between,
)

_STEWARD_ROLES = (Membership.Role.OWNER, Membership.Role.STAFF)


def _digest(content: dict[str, Any]) -> str:
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _steward_organisation(actor: Any) -> Organisation | None:
    """The actor's verified rule-steward organisation (None for the platform operator)."""
    membership = (
        Membership.objects.select_related("organisation")
        .filter(
            user=actor,
            organisation__kind=Organisation.Kind.RULE_STEWARD,
            organisation__verification=Organisation.Verification.VERIFIED,
            role__in=_STEWARD_ROLES,
        )
        .order_by("organisation_id")
        .first()
    )
    return membership.organisation if membership is not None else None


def may_approve(actor: Any, request: PublicationRequest) -> bool:
    """A steward other than the requester; of the request's organisation when it has one."""
    if not getattr(actor, "is_authenticated", False) or actor.pk == request.requested_by_id:
        return False
    if request.organisation_id is None:
        return is_platform_operator(actor) or _steward_organisation(actor) is not None
    return Membership.objects.filter(
        user=actor, organisation_id=request.organisation_id, role__in=_STEWARD_ROLES
    ).exists()


def _working_copy_data() -> tuple[Any, dict[str, Any], RuleVersion | None, dict[str, Any]]:
    data = _data_from_content(working_copy_content())
    content = data.content()
    current = RuleVersion.objects.order_by("-id").first()
    changes = changes_between(current.content if current else None, content)
    return data, content, current, changes


@transaction.atomic
def publication_request(*, actor: Any, note: str) -> PublicationRequest:
    """Ask for the working copy to be published; a newer request replaces a pending one."""
    _require_steward(actor)
    note = note.strip()
    if not note:
        raise InvalidRequest(
            "invalid_request", _("Say what this version changes."), fields={"note": "required"}
        )
    _lock_state()
    _data, content, current, changes = _working_copy_data()
    if current is not None and not changes:
        raise NothingToPublish(
            "nothing_to_publish", _("The working copy equals the rules in force.")
        )
    now = clock.now()
    for older in PublicationRequest.objects.select_for_update().filter(
        status=PublicationRequest.Status.PENDING
    ):
        _close(older, actor=actor, status=PublicationRequest.Status.WITHDRAWN, now=now)
        older.reason = "replaced by a newer request"
        older.save(update_fields=["reason"])
    request = PublicationRequest.objects.create(
        note=note,
        requested_by=actor,
        requested_at=now,
        organisation=_steward_organisation(actor),
        based_on=current.label if current else "",
        content_digest=_digest(content),
        changes=changes,
    )
    audit_record(
        actor=actor,
        action="traderules.publication.requested",
        target=request,
        data={"note": note, "based_on": request.based_on, "tables": sorted(changes)},
    )
    return request


def _close(request: PublicationRequest, *, actor: Any, status: str, now: Any) -> None:
    request.status = status
    request.decided_by = actor
    request.decided_at = now
    request.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action=f"traderules.publication.{status}",
        target=request,
        data={"requested_by": request.requested_by_id},
    )


def _pending(request_id: int) -> PublicationRequest:
    request = PublicationRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound("not_found", _("No such publication request."))
    if request.status != PublicationRequest.Status.PENDING:
        raise Conflict("not_pending", _("This request no longer waits for approval."))
    return request


@transaction.atomic
def publication_approve(*, actor: Any, request_id: int) -> RuleVersion:
    """A second steward approves: the working copy asked for becomes the version in force."""
    _require_steward(actor)
    _lock_state()
    request = _pending(request_id)
    if actor.pk == request.requested_by_id:
        raise PermissionDenied(
            "four_eyes",
            _("You asked for this publication: a second steward must approve it."),
        )
    if not may_approve(actor, request):
        raise PermissionDenied(
            "permission_denied",
            _("Only another steward of %(organisation)s may approve this publication.")
            % {"organisation": request.organisation},
        )
    data, content, current, _changes = _working_copy_data()
    if (current.label if current else "") != request.based_on:
        raise Conflict(
            "rules_moved",
            _("Another version was published since this request; ask for publication again."),
        )
    if _digest(content) != request.content_digest:
        raise Conflict(
            "working_copy_changed",
            _(
                "The working copy changed after publication was requested; ask again, so that "
                "the second steward sees what is published."
            ),
        )
    version = _version_create(actor=request.requested_by, note=request.note, data=data)
    _close(request, actor=actor, status=PublicationRequest.Status.APPROVED, now=clock.now())
    request.version = version
    request.save(update_fields=["version"])
    audit_record(
        actor=actor,
        action="traderules.version.published",
        target=version,
        data={
            **_version_summary(version),
            "requested_by": request.requested_by_id,
            "approved_by": actor.pk,
        },
    )
    snapshot_cache_clear()
    return version


@transaction.atomic
def publication_withdraw(*, actor: Any, request_id: int, reason: str = "") -> PublicationRequest:
    """The requester withdraws the request, or a second steward turns it down (with why)."""
    _require_steward(actor)
    request = _pending(request_id)
    reason = reason.strip()
    if actor.pk != request.requested_by_id:
        if not may_approve(actor, request):
            raise PermissionDenied(
                "permission_denied", _("Only the requester or a second steward may do this.")
            )
        if not reason:
            raise InvalidRequest(
                "invalid_request",
                _("Say why, so that the requester can put it right."),
                fields={"reason": "required"},
            )
    request.reason = reason
    request.save(update_fields=["reason"])
    _close(request, actor=actor, status=PublicationRequest.Status.WITHDRAWN, now=clock.now())
    return request


def publication_effects(request: PublicationRequest) -> dict[str, Any]:
    """What approving would do (nothing is written): whether the working copy is still the one
    asked for, and the products whose landed price moves (``None`` when no app previews)."""
    _data, content, current, changes = _working_copy_data()
    unchanged = _digest(content) == request.content_digest and (
        (current.label if current else "") == request.based_on
    )
    effects = publication_preview(request.based_on, content) if current is not None else None
    return {"unchanged": unchanged, "changes": changes, "effects": effects}
