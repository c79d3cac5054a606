"""Comments in a proposal's consultation and the steward's reasoned replies."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ewtp.core import clock
from ewtp.core.errors import Conflict, InvalidRequest, NotAuthenticated
from ewtp.core.services import audit_record
from ewtp.forum.models import Comment, Proposal
from ewtp.traderules.services.permissions import _require_steward


def _required(values: dict[str, str]) -> dict[str, str]:
    missing = {name: "required" for name, value in values.items() if not (value or "").strip()}
    if missing:
        raise InvalidRequest(
            "invalid_request", _("Please fill in the fields shown."), fields=missing
        )
    return {name: value.strip() for name, value in values.items()}


@transaction.atomic
def comment_create(
    *, proposal: Proposal, actor: Any, stakeholder: str, language: str, interest: str, body: str
) -> Comment:
    """A signed-in user's comment, accepted only while the comment window is open."""
    if not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated("not_authenticated", _("Sign in to comment."))
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    today = clock.today()
    closes = proposal.consultation_closes_on
    if proposal.status != Proposal.Status.CONSULTATION or closes is None or today > closes:
        raise Conflict(
            "consultation_closed",
            _("Comments on %(code)s are closed.") % {"code": proposal.code},
            fields={"body": f"the window closed on {closes}" if closes else "not open"},
        )
    if stakeholder not in Comment.Stakeholder.values:
        raise InvalidRequest(
            "invalid_request", _("Choose a kind of stakeholder."), fields={"stakeholder": "unknown"}
        )
    values = _required({"language": language, "interest": interest, "body": body})
    comment = Comment.objects.create(
        proposal=proposal,
        author=actor,
        stakeholder=stakeholder,
        language=values["language"][:10],
        interest=values["interest"][:300],
        body=values["body"],
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        action="forum.comment.created",
        target=proposal,
        data={"comment": str(comment.public_id)},
    )
    return comment


@transaction.atomic
def comment_reply(*, comment: Comment, actor: Any, outcome: str, reason: str) -> Comment:
    """The steward's reasoned reply: accepted, partly or not accepted, and why."""
    _require_steward(actor)
    if outcome not in Comment.Outcome.values:
        raise InvalidRequest(
            "invalid_request", _("Choose an outcome."), fields={"outcome": "unknown"}
        )
    reason = _required({"reason": reason})["reason"]
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    comment.reply_outcome = outcome
    comment.reply_reason = reason
    comment.replied_by = actor
    comment.replied_at = clock.now()
    comment.save(update_fields=["reply_outcome", "reply_reason", "replied_by", "replied_at"])
    audit_record(
        actor=actor,
        action="forum.comment.replied",
        target=comment.proposal,
        data={"comment": str(comment.public_id), "outcome": outcome},
    )
    return comment
