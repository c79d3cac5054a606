"""Reads of the core records. Callers check who may see them (accounts.selectors)."""

from __future__ import annotations

from django.db.models import QuerySet

from ewtp.core.models import AuditLog, OutboxMessage


def audit_log_list(
    *, action: str = "", organisation_ref: str = "", target_id: str = ""
) -> QuerySet[AuditLog]:
    """Newest first. `action` matches exactly or, ending in a dot, as a prefix."""
    entries = AuditLog.objects.all()
    action = action.strip()
    if action.endswith("."):
        entries = entries.filter(action__startswith=action)
    elif action:
        entries = entries.filter(action=action)
    if organisation_ref:
        entries = entries.filter(organisation_ref=organisation_ref)
    if target_id:
        entries = entries.filter(target_id=target_id)
    return entries.order_by("-created_at", "-id")


def audit_actions() -> list[str]:
    """The distinct action keys written so far, for a filter."""
    return list(AuditLog.objects.order_by("action").values_list("action", flat=True).distinct())


def outbox_list(*, to: str = "") -> QuerySet[OutboxMessage]:
    messages = OutboxMessage.objects.all()
    if to.strip():
        messages = messages.filter(to__icontains=to.strip())
    return messages.order_by("-created_at", "-id")
