"""Payments: intents with a provider, refunds, incoming provider events; and the sandbox
provider's own books, kept apart as if it were outside the platform."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from ewtp.core.money import Money


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Paid")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    FINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.EXPIRED})

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.CharField(max_length=20)
    subject_type = models.CharField(max_length=30)
    subject_ref = models.CharField(max_length=100, db_index=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    refunded_minor = models.BigIntegerField(default=0)
    email = models.EmailField()
    description = models.CharField(max_length=300)
    return_url = models.CharField(max_length=500, blank=True)
    payer_msisdn = models.CharField(max_length=20, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True, db_index=True)
    approve_url = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    failure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.amount} {self.status}"

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)

    @property
    def refunded(self) -> Money:
        return Money.from_minor(self.refunded_minor, self.currency)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": str(self.public_id),
            "provider": self.provider,
            "status": self.status,
            "amount": self.amount.as_dict(),
            "approve_url": self.approve_url or None,
        }


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    provider_reference = models.CharField(max_length=100, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    actor_label = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"refund {self.amount} of {self.payment_id}"

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)


class ProviderEvent(models.Model):
    """An incoming, verified provider event; the unique event id de-duplicates deliveries."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=60)
    reference = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} {self.kind}"


# The sandbox provider's side. It is the stand-in for a card network at the edge of the world:
# its own charges, its own approval page, and signed webhooks it delivers with retries.


class SandboxCharge(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        DECLINED = "declined"
        REFUNDED = "refunded"

    reference = models.CharField(max_length=40, unique=True)
    # The provider is idempotent on the merchant's reference: one charge per payment, which the
    # unique index keeps even against two concurrent creations (sandbox.charge_create).
    merchant_reference = models.CharField(max_length=100, unique=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    refunded_minor = models.BigIntegerField(default=0)
    description = models.CharField(max_length=300)
    return_url = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Refunds made, by the merchant's refund key: {key: {reference, amount_minor, at}}.
    refunds = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sandbox {self.reference} {self.status}"


class SandboxWebhook(models.Model):
    """One event the sandbox owes the platform, delivered with retries and back-off."""

    event_id = models.CharField(max_length=40, unique=True)
    payload = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"webhook {self.event_id} ({self.attempts} attempts)"


class MomoRequest(models.Model):
    """The mobile-money simulator's request-to-pay (and transfer) records."""

    class Status(models.TextChoices):
        PENDING = "PENDING"
        SUCCESSFUL = "SUCCESSFUL"
        FAILED = "FAILED"

    reference_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=12, default="requesttopay")  # or "transfer"
    external_id = models.CharField(max_length=100)
    amount = models.CharField(max_length=30)
    currency = models.CharField(max_length=3)
    party_id = models.CharField(max_length=20)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=100, blank=True)
    polls = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"momo {self.kind} {self.reference_id} {self.status}"


class PayoutDestination(models.Model):
    """Where an organisation is paid: a mobile-money number in its currency."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="payout_destination"
    )
    msisdn = models.CharField(max_length=20)
    currency = models.CharField(max_length=3, default="RWF")
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.organisation} -> {self.msisdn} ({self.currency})"


class Payout(models.Model):
    """Money sent to an organisation's mobile-money number: one per organisation per run."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Sending")
        SUCCEEDED = "succeeded", _("Paid out")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="payouts"
    )
    batch = models.CharField(max_length=40, db_index=True)
    provider = models.CharField(max_length=20, default="momo-sim")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    msisdn = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    provider_reference = models.CharField(max_length=100, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)
    # What the payout covers: the movements of the organisation's payable account with
    # from < entry id <= through (releases, refunds, fees), the statement the seller reads.
    statement_from = models.BigIntegerField(default=0)
    statement_through = models.BigIntegerField(default=0)
    retry_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="retried_by"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"payout {self.amount} to {self.organisation}"

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)


class MoneyTask(models.Model):
    """A piece of money work (a webhook, a refund, a payout, a mail that matters) that is
    retried with back-off until it is done, or parked for the operator with the reason."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DONE = "done", _("Done")
        PARKED = "parked", _("Parked")

    name = models.CharField(max_length=60)
    key = models.CharField(max_length=200, unique=True)
    args = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.name} {self.key} ({self.status})"


class ProviderDifference(models.Model):
    """A difference between a provider's statement and the platform's records, for the
    operator: found by the daily reconciliation."""

    class Kind(models.TextChoices):
        ONLY_AT_PROVIDER = "only_provider", _("Only at the provider")
        ONLY_HERE = "only_here", _("Only on the platform")
        AMOUNT = "amount", _("Amounts differ")
        STATE = "state", _("States differ")

    provider = models.CharField(max_length=20)
    day = models.DateField()
    record = models.CharField(max_length=10)  # payment, refund or payout
    reference = models.CharField(max_length=100)
    kind = models.CharField(max_length=14, choices=Kind.choices)
    ours = models.CharField(max_length=100, blank=True)
    theirs = models.CharField(max_length=100, blank=True)
    found_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "provider", "reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "day", "record", "reference", "kind"],
                name="provider_difference_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.day} {self.record} {self.reference}: {self.kind}"
