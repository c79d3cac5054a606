"""The double-entry ledger: accounts, postings and their entries. Append-only.

Amounts are integer minor units, debit positive and credit negative; the entries of one
posting sum to zero in each currency. An account holds one currency; its balance is kept in
step with its entries in the same transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Account(models.Model):
    class Kind(models.TextChoices):
        ASSET = "asset", _("Asset")
        LIABILITY = "liability", _("Liability")
        REVENUE = "revenue", _("Revenue")
        EXPENSE = "expense", _("Expense")
        EQUITY = "equity", _("Equity")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    purpose = models.CharField(max_length=40, db_index=True)
    owner_ref = models.CharField(max_length=100, blank=True, db_index=True)
    name = models.CharField(max_length=200)
    # When set, the balance may never cross to the other side of its normal side
    # (an escrow or a payable never goes negative).
    is_bounded = models.BooleanField(default=False)
    balance_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["code", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["code", "currency"], name="ledger_account_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} [{self.currency}]"

    @property
    def is_debit_normal(self) -> bool:
        return self.kind in {self.Kind.ASSET, self.Kind.EXPENSE}

    @property
    def position_minor(self) -> int:
        """The balance seen from the account's normal side (what is held, owed or earned)."""
        return self.balance_minor if self.is_debit_normal else -self.balance_minor


class AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("ledger rows are append-only; post a reversal instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ledger rows are append-only; post a reversal instead")


class Posting(AppendOnly):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=60, db_index=True)
    memo = models.CharField(max_length=300, blank=True)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    fx = models.JSONField(default=list, blank=True)
    actor_label = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class Entry(AppendOnly):
    posting = models.ForeignKey(Posting, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount_minor=0), name="ledger_entry_not_zero"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account.code} {self.amount_minor} {self.currency}"
