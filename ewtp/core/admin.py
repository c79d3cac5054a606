"""Admin for the core records: both are read-only (append-only audit, a log of mails sent)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ewtp.core.models import AuditLog, IdempotencyRecord, OutboxMessage


class WrittenByServices:
    """Mixin for a ModelAdmin or an inline whose rows are written by a service (rules, audit,
    locks): the admin shows them and changes nothing (no add, change or delete)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditLog)
class AuditLogAdmin(_ReadOnly):
    list_display = ["created_at", "actor_label", "action", "target_type", "target_id"]
    list_filter = ["action"]
    search_fields = ["action", "actor_label", "target_id"]
    date_hierarchy = "created_at"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(_ReadOnly):
    list_display = ["created_at", "to", "subject"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(_ReadOnly):
    list_display = ["created_at", "scope", "key", "state", "response_status"]
    list_filter = ["state"]
    search_fields = ["scope", "key"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An operator may clear a key stuck in progress after a crash.
        return bool(getattr(request.user, "is_superuser", False))
