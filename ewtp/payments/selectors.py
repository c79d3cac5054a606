"""Reads of payouts for the operator's payout page and the seller's money page: the schedule,
the batches with each organisation's payout, what is due, and each payout's statement (the
orders and fees it covers), every movement told in words."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Min, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ewtp.accounts.models import Organisation
from ewtp.core import clock, conf
from ewtp.core.money import Money
from ewtp.ledger.models import Account, Entry, Posting
from ewtp.payments import providers
from ewtp.payments.models import MoneyTask, Payout, PayoutDestination
from ewtp.payments.payouts import minimum_minor, party_of, payout_period

# Payment providers' failure codes, in words (any other reason is shown as the provider said).
_REASONS = {
    "APPROVAL_REJECTED": gettext_lazy("The mobile-money account refused the transfer."),
    "PAYEE_NOT_FOUND": gettext_lazy("No mobile-money account has this number."),
    "PAYER_NOT_FOUND": gettext_lazy("No mobile-money account has this number."),
    "NOT_ENOUGH_FUNDS": gettext_lazy(
        "The payout account at the provider did not hold enough money."
    ),
    "EXPIRED": gettext_lazy("The transfer was not confirmed in time."),
}


def failure_in_words(reason: str) -> str:
    """A provider's failure reason as people read it."""
    if not reason:
        return ""
    known = _REASONS.get(reason.strip().upper())
    return str(known) if known else reason


@dataclass(frozen=True)
class Schedule:
    every_days: int
    minimums: list[Money]
    next_on: date | None  # None: payouts only by hand
    provider: str


def payout_schedule() -> Schedule:
    """How often the worker makes a batch, the smallest payout per currency, the next batch."""
    every = conf.PAYOUT_EVERY_DAYS()
    adapter = providers.payout_provider()
    minimums = []
    for text in conf.PAYOUT_MINIMUM():
        code = text.strip().partition(" ")[2].strip().upper()
        if code:
            minimums.append(Money.from_minor(minimum_minor(code), code))
    next_on: date | None = None
    if every > 0 and adapter is not None:
        now = clock.now()
        period = payout_period(now)
        if MoneyTask.objects.filter(key=f"payout-batch:{period}").exists():
            next_on = date.fromordinal((period + 1) * every)
        else:
            next_on = now.date()
    return Schedule(
        every_days=every,
        minimums=minimums,
        next_on=next_on,
        provider=adapter.name if adapter is not None else "",
    )


@dataclass
class Batch:
    code: str
    started_at: Any
    payouts: list[Payout] = field(default_factory=list)
    totals: dict[str, Money] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def payout_batches(limit: int = 20) -> list[Batch]:
    """The latest batches, newest first, each with its payouts (a retry joins its batch)."""
    codes = list(
        Payout.objects.values("batch")
        .annotate(started=Min("created_at"))
        .order_by("-started", "-batch")
        .values_list("batch", "started")[:limit]
    )
    batches = {code: Batch(code=code, started_at=started) for code, started in codes}
    for payout in (
        Payout.objects.filter(batch__in=batches)
        .select_related("organisation", "retry_of", "retried_by")
        .order_by("created_at", "id")
    ):
        payout.failure_words = failure_in_words(payout.failure_reason)  # type: ignore[attr-defined]
        batch = batches[payout.batch]
        batch.payouts.append(payout)
        total = batch.totals.get(payout.currency, Money.from_minor(0, payout.currency))
        batch.totals[payout.currency] = total + payout.amount
        batch.counts[payout.status] = batch.counts.get(payout.status, 0) + 1
    return list(batches.values())


@dataclass(frozen=True)
class Due:
    organisation: Organisation
    available: Money
    destination: PayoutDestination | None
    waits_because: str  # "" when the next batch pays it


def payouts_due() -> list[Due]:
    """Every organisation the platform owes money, and whether the next batch pays it."""
    payables = Account.objects.filter(
        purpose="party_payable", owner_ref__startswith="org:"
    ).exclude(balance_minor=0)
    by_party = {account.owner_ref: account for account in payables if account.position_minor > 0}
    organisations = Organisation.objects.filter(
        public_id__in=[ref.removeprefix("org:") for ref in by_party]
    ).select_related("payout_destination")
    due = []
    for organisation in organisations.order_by("name"):
        account = by_party[party_of(organisation)]
        available = Money.from_minor(account.position_minor, account.currency)
        destination = getattr(organisation, "payout_destination", None)
        if destination is None:
            waits = _("No mobile-money number yet.")
        elif destination.currency != available.currency:
            waits = _("The payout number is in another currency.")
        elif available.minor < minimum_minor(available.currency):
            waits = _("Below the minimum payout.")
        else:
            waits = ""
        due.append(Due(organisation, available, destination, waits))
    return due


@dataclass(frozen=True)
class StatementLine:
    at: Any
    words: str
    amount: Money  # into (+) or out of (-) the organisation's balance
    gross: Money | None = None  # what the buyer paid for it (in the order's currency)
    fee: Money | None = None  # the platform's fee taken from it


def _short(reference: str) -> str:
    return reference.split("-")[0].upper()


def posting_in_words(posting: Posting, payouts: dict[str, Payout] | None = None) -> str:
    """A movement of an organisation's balance as people say it (never the event code)."""
    reference = _short(posting.reference)
    if posting.kind == "escrow.released":
        return _("Released: order %(reference)s delivered") % {"reference": reference}
    if posting.kind == "order.refunded":
        return _("Refunded to the buyer: order %(reference)s (%(reason)s)") % {
            "reference": reference,
            "reason": posting.memo,
        }
    if posting.kind == "tourism.booking.paid":
        return _("Booking paid: %(what)s") % {"what": posting.memo}
    payout = (payouts or {}).get(posting.reference)
    number = f"+{payout.msisdn}" if payout is not None else ""
    if posting.kind == "payout.initiated":
        return _("Payout to mobile money %(number)s") % {"number": number}
    if posting.kind == "reversal" and posting.memo.startswith("Payout failed"):
        reason = failure_in_words(payout.failure_reason) if payout is not None else ""
        return _("Payout failed, the money is back in your balance: %(reason)s") % {
            "reason": reason
        }
    if posting.kind == "reversal":
        return _("Correction of an earlier movement")
    return posting.memo or _("Other movement")


def _fees_and_gross(postings: list[int]) -> dict[int, tuple[Money | None, Money | None]]:
    """Per posting: (gross paid by the buyer, platform fee), read from the posting's legs."""
    legs = Entry.objects.filter(
        posting_id__in=postings,
        account__purpose__in=["escrow", "payments_clearing", "platform_fee_revenue"],
    ).values_list("posting_id", "account__purpose", "amount_minor", "currency")
    found: dict[int, dict[str, Money]] = defaultdict(dict)
    for posting_id, purpose, minor, currency in legs:
        kind = "fee" if purpose == "platform_fee_revenue" else "gross"
        found[posting_id][kind] = Money.from_minor(abs(minor), currency)
    return {pk: (parts.get("gross"), parts.get("fee")) for pk, parts in found.items()}


def statement_lines(entries: list[Entry], payouts: dict[str, Payout]) -> list[StatementLine]:
    """The movements of a payable account in words, with the fee and gross of each sale."""
    parts = _fees_and_gross(
        [
            e.posting_id
            for e in entries
            if e.posting.kind in {"escrow.released", "tourism.booking.paid"}
        ]
    )
    lines = []
    for entry in entries:
        gross, fee = parts.get(entry.posting_id, (None, None))
        lines.append(
            StatementLine(
                at=entry.posting.created_at,
                words=posting_in_words(entry.posting, payouts),
                amount=Money.from_minor(-entry.amount_minor, entry.currency),
                gross=gross,
                fee=fee,
            )
        )
    return lines


def payouts_by_reference(organisation: Organisation) -> dict[str, Payout]:
    return {str(p.public_id): p for p in Payout.objects.filter(organisation=organisation)}


def payout_statement(
    payout: Payout, payouts: dict[str, Payout] | None = None
) -> list[StatementLine]:
    """What a payout covers: the sales, refunds and fees on the organisation's balance since
    the last payout that went through (a failed payout's own movements cancel out, not shown)."""
    account = Account.objects.filter(
        owner_ref=party_of(payout.organisation), purpose="party_payable", currency=payout.currency
    ).first()
    if account is None:
        return []
    entries = list(
        Entry.objects.filter(
            account=account, id__gt=payout.statement_from, id__lte=payout.statement_through
        )
        .exclude(posting__kind="payout.initiated")
        .exclude(Q(posting__kind="reversal") & Q(posting__reverses__kind="payout.initiated"))
        .select_related("posting")
        .order_by("id")
    )
    return statement_lines(entries, payouts or {})
