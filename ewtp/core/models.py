"""Cross-cutting records: the audit log, idempotency keys and the mail outbox."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AuditLog(models.Model):
    """Who did what to which thing, and when. Append-only."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    organisation_ref = models.CharField(max_length=100, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label or 'system'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Append-only: an entry, once written, is never rewritten.
        if self.pk is not None and not self._state.adding:
            raise ValueError("audit entries are append-only")
        super().save(*args, **kwargs)


class IdempotencyRecord(models.Model):
    """The first answer to a POST made with an Idempotency-Key, replayed on a retry."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        DONE = "done"

    scope = models.CharField(max_length=200)
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} {self.state}"


class OutboxMessage(models.Model):
    """Every mail the platform sends, kept for the operator's outbox page."""

    to = models.TextField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} -> {self.to}"


class SigningKey(models.Model):
    """One Ed25519 key of the platform's key set, named by its id (kid).

    Every key ever used stays here with its public part, so that what a retired key signed
    still verifies; the published JWK set lists them all. Exactly one row is active when the
    keys are held in the database (EWTP_SIGNING_KEY empty or ``database``); its private part is
    kept until it is retired. A key given through EWTP_SIGNING_KEY is recorded here with its
    public part only.
    """

    class Source(models.TextChoices):
        DATABASE = "database"
        CONFIGURED = "configured"

    kid = models.CharField(max_length=32, unique=True)
    public_key = models.CharField(max_length=64)  # base64url of the 32 raw bytes
    private_pem = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    active = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"],
                condition=models.Q(active=True),
                name="signing_key_one_active",
            )
        ]

    def __str__(self) -> str:
        state = "active" if self.active else ("retired" if self.retired_at else "published")
        return f"{self.kid} ({state})"


class RateCounter(models.Model):
    """Requests counted in one minute for one client or account and one bucket: the shared
    store of the rate limits when no Redis is configured (every worker and server counts
    here)."""

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
