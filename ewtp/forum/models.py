"""Proposals to change the trade rules, their revisions, comments and simulations."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Proposal(models.Model):
    """A set of row changes against a published rules version, on its way to adoption."""

    class Kind(models.TextChoices):
        LEGAL_MIRROR = "legal_mirror", _("Mirrors a legal act")
        PLATFORM_POLICY = "platform_policy", _("Platform policy")
        ADVISORY = "advisory", _("Advisory (never in force)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONSULTATION = "consultation", _("Open for comment")
        REVIEW = "review", _("Under review")
        ADOPTED = "adopted", _("Adopted")
        IN_FORCE = "in_force", _("In force")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REJECTED = "rejected", _("Rejected")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PLATFORM_POLICY)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # Translations: {"en": "...", "fr": "..."}; the first language given is the original.
    title = models.JSONField(default=dict)
    rationale = models.JSONField(default=dict, blank=True)
    legal_act = models.CharField(max_length=300, blank=True)  # cited by a legal mirror
    effective_on = models.DateField()
    consultation_days = models.PositiveIntegerField(default=60)
    consultation_opens_on = models.DateField(null=True, blank=True)
    consultation_closes_on = models.DateField(null=True, blank=True)
    emergency = models.BooleanField(default=False)  # published first, consulted after
    adopted_version = models.CharField(max_length=20, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.code

    def text(self, field: str, language: str = "") -> str:
        values = getattr(self, field) or {}
        short = (language or "").split("-")[0]
        if short in values:
            return str(values[short])
        return str(next(iter(values.values()), ""))


class Revision(models.Model):
    """One revision of a proposal's changes; frozen once simulated or put to consultation."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    base_version = models.CharField(max_length=20)  # the rules version label diffed against
    changes = models.JSONField(default=list)
    frozen = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["proposal", "number"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "number"], name="forum_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.proposal.code} r{self.number}"


class Comment(models.Model):
    """A signed-in user's comment in the consultation, and the steward's reasoned reply."""

    class Stakeholder(models.TextChoices):
        SELLER = "seller", _("Seller")
        BUYER = "buyer", _("Buyer")
        TRADE_BODY = "trade_body", _("Trade body or association")
        AUTHORITY = "authority", _("Public authority")
        CITIZEN = "citizen", _("Citizen")
        OTHER = "other", _("Other")

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        PARTLY = "partly", _("Partly accepted")
        NOT_ACCEPTED = "not_accepted", _("Not accepted")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    stakeholder = models.CharField(max_length=20, choices=Stakeholder.choices)
    language = models.CharField(max_length=10)
    interest = models.CharField(max_length=300)  # the declared interest
    body = models.TextField()
    created_at = models.DateTimeField()
    reply_outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    reply_reason = models.TextField(blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment on {self.proposal.code}"


class Simulation(models.Model):
    """A replay of the orders of a period under the base rules and under one revision."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="simulations")
    revision = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    filters = models.JSONField(
        default=dict, blank=True
    )  # from, to, destinations, sellers, incoterm
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    inputs_hash = models.CharField(max_length=64, blank=True)
    inputs = models.JSONField(default=dict, blank=True)  # rules versions, engine, order set
    summary = models.JSONField(default=dict, blank=True)  # the contract's summary
    details = models.JSONField(default=dict, blank=True)  # breakdowns, behaviour band, charts
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"simulation of {self.proposal.code} r{self.revision}"


class SimulationChange(models.Model):
    """One order a simulation changed: its request, before and after (the summary's
    ``orders_changed``, kept out of memory and paged by the API)."""

    simulation = models.ForeignKey(Simulation, on_delete=models.CASCADE, related_name="changes")
    position = models.PositiveIntegerField()
    order_id = models.CharField(max_length=40)
    destination = models.CharField(max_length=2)
    currency = models.CharField(max_length=3)
    data = models.JSONField()  # {"request", "before", "after"}

    class Meta:
        ordering = ["simulation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["simulation", "position"], name="forum_simulation_change_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id} in {self.simulation_id}"

    def as_item(self) -> dict[str, object]:
        return {
            "order_id": self.order_id,
            "destination": self.destination,
            "currency": self.currency,
            **self.data,
        }
