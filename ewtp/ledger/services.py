"""Every write to the ledger: accounts, balanced postings, reversals; and the invariants check."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from ewtp.core import clock
from ewtp.core.errors import DomainError
from ewtp.core.locks import lock_rows
from ewtp.core.money import Money
from ewtp.core.services import audit_record
from ewtp.ledger.models import Account, Entry, Posting


class LedgerError(DomainError):
    code = "ledger_error"
    http_status = 422


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    http_status = 409


@dataclass(frozen=True)
class AccountSpec:
    """What an account is; `account_for` finds or opens it in a currency."""

    code: str
    kind: str
    purpose: str
    name: str
    owner_ref: str = ""
    is_bounded: bool = False


def account_for(spec: AccountSpec, currency: str) -> Account:
    """The account of `spec` in `currency`, opened on first use."""
    account, _ = Account.objects.get_or_create(
        code=spec.code,
        currency=currency,
        defaults={
            "kind": spec.kind,
            "purpose": spec.purpose,
            "name": spec.name,
            "owner_ref": spec.owner_ref,
            "is_bounded": spec.is_bounded,
            "created_at": clock.now(),
        },
    )
    return account


@dataclass(frozen=True)
class Leg:
    """One side of a posting: debit when the amount is positive, credit when negative."""

    account: Account
    amount: Money


def debit(account: Account, amount: Money) -> Leg:
    return Leg(account, amount)


def credit(account: Account, amount: Money) -> Leg:
    return Leg(account, -amount)


def _check_legs(legs: Sequence[Leg]) -> dict[int, int]:
    if len(legs) < 2:
        raise LedgerError("unbalanced_posting", "A posting needs at least two entries.")
    per_currency: dict[str, int] = defaultdict(int)
    per_account: dict[int, int] = defaultdict(int)
    for leg in legs:
        if leg.account.currency != leg.amount.currency:
            raise LedgerError(
                "currency_mismatch",
                f"Account {leg.account} holds {leg.account.currency}, not {leg.amount.currency}.",
            )
        minor = leg.amount.minor  # raises if not on the minor unit
        per_currency[leg.amount.currency] += minor
        per_account[leg.account.pk] += minor
    unbalanced = {currency: total for currency, total in per_currency.items() if total}
    if unbalanced:
        raise LedgerError(
            "unbalanced_posting",
            f"Entries must sum to zero in each currency; off by {unbalanced}.",
        )
    return {account_id: total for account_id, total in per_account.items() if total}


@transaction.atomic
def posting_record(
    *,
    kind: str,
    legs: Sequence[Leg],
    memo: str = "",
    reference: str = "",
    dedupe_key: str | None = None,
    actor: Any = None,
    fx: list[dict[str, str]] | None = None,
    reverses: Posting | None = None,
) -> Posting:
    """Record one balanced posting and move the balances with it, or nothing at all.

    With a `dedupe_key`, recording the same posting again returns the first one.
    """
    if dedupe_key:
        existing = Posting.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    movements = _check_legs(legs)
    # One lock per account, in primary-key order, for the whole posting.
    accounts = {
        account.pk: account for account in lock_rows(Account.objects.filter(pk__in=movements))
    }
    for account_id, minor in movements.items():
        account = accounts[account_id]
        new_balance = account.balance_minor + minor
        position = new_balance if account.is_debit_normal else -new_balance
        if account.is_bounded and position < 0:
            raise InsufficientFunds(
                "insufficient_funds",
                f"{account.name} holds {Money.from_minor(account.position_minor, account.currency)};"
                f" this would take it below zero.",
            )
    posting = Posting(
        kind=kind,
        memo=memo[:300],
        reference=reference,
        dedupe_key=dedupe_key or None,
        reverses=reverses,
        fx=fx or [],
        actor_label=(getattr(actor, "email", "") or str(actor)) if actor is not None else "system",
        created_at=clock.now(),
    )
    try:
        with transaction.atomic():
            posting.save()
    except IntegrityError:
        if dedupe_key:  # a concurrent twin recorded it first
            return Posting.objects.get(dedupe_key=dedupe_key)
        raise
    Entry.objects.bulk_create(
        [
            Entry(
                posting=posting,
                account=leg.account,
                amount_minor=leg.amount.minor,
                currency=leg.amount.currency,
            )
            for leg in legs
            if leg.amount.minor != 0
        ]
    )
    for account_id, minor in movements.items():
        Account.objects.filter(pk=account_id).update(balance_minor=F("balance_minor") + minor)
    audit_record(
        actor=actor,
        action=f"ledger.{kind}",
        target=posting,
        data={"reference": reference, "memo": memo[:300]},
    )
    return posting


@transaction.atomic
def posting_reverse(*, posting: Posting, actor: Any = None, memo: str = "") -> Posting:
    """Undo a posting with its mirror image; a posting is reversed at most once."""
    if hasattr(posting, "reversed_by"):
        return posting.reversed_by
    legs = [
        Leg(entry.account, -Money.from_minor(entry.amount_minor, entry.currency))
        for entry in posting.entries.select_related("account")
    ]
    return posting_record(
        kind="reversal",
        legs=legs,
        memo=memo or f"Reversal of {posting.kind}",
        reference=posting.reference,
        dedupe_key=f"reversal:{posting.public_id}",
        actor=actor,
        reverses=posting,
    )


_OUTSIDE_CHECKS: list[Callable[[], dict[str, Any]]] = []


def register_outside_check(check: Callable[[], dict[str, Any]]) -> None:
    """A comparison of the ledger with records kept outside it (the payments app registers
    the provider-side refunds and payouts). It answers extra fields for the verdict, with
    ``only_at_provider`` and ``only_in_ledger`` lists that count as problems."""
    if check not in _OUTSIDE_CHECKS:
        _OUTSIDE_CHECKS.append(check)


def _outside_checks(problems: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for check in _OUTSIDE_CHECKS:
        found = check()
        for name in ("only_at_provider", "only_in_ledger"):
            side = "the provider" if name == "only_at_provider" else "the ledger"
            problems += [f"only in {side}: {item}" for item in found.get(name, [])]
            fields[name] = fields.get(name, []) + list(found.get(name, []))
        fields.update({key: value for key, value in found.items() if not key.startswith("only_")})
    return fields


def ledger_verify() -> dict[str, Any]:
    """Check every invariant of the ledger; `balanced` is true only when none is broken."""
    problems: list[str] = []
    unbalanced = (
        Entry.objects.values("posting_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
    )
    for row in unbalanced[:100]:
        problems.append(
            f"posting {row['posting_id']} does not sum to zero in {row['currency']}: {row['total']}"
        )
    entry_totals = dict(
        Entry.objects.values("account_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("account_id", "total")
    )
    accounts = 0
    for account in Account.objects.all().iterator():
        accounts += 1
        total = entry_totals.get(account.pk, 0) or 0
        if total != account.balance_minor:
            problems.append(
                f"account {account} balance {account.balance_minor} != sum of entries {total}"
            )
        if account.is_bounded and account.position_minor < 0:
            problems.append(f"account {account} is below zero: {account.position_minor}")
    mismatched = Entry.objects.exclude(currency=F("account__currency")).count()
    if mismatched:
        problems.append(f"{mismatched} entries in another currency than their account")
    lonely = Posting.objects.filter(entries__isnull=True).count()
    if lonely:
        problems.append(f"{lonely} postings without entries")
    outside = _outside_checks(problems)
    return {
        "balanced": not problems,
        "accounts": accounts,
        "postings": Posting.objects.count(),
        "problems": problems,
        **outside,
    }
