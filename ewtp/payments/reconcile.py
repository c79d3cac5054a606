"""Reconciliation: the providers' word against the platform's records.

Daily, for each provider in use, the statement of the day before (the simulators serve one;
real providers without a statement API are asked about each of the day's requests) is
compared with the payments, refunds and payouts recorded here; every difference is stored for
the operator (/pay/operator/). `ewtp ledger verify` also compares the ledger with the
provider-side records (refunds, payouts) and reports what only one side has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ewtp.core import clock
from ewtp.ledger.models import Posting
from ewtp.payments import providers
from ewtp.payments.models import Payment, Payout, ProviderDifference, Refund
from ewtp.payments.providers import PaymentProvider, StatementLine
from ewtp.payments.retry import money_task_enqueue

SUCCEEDED = {"succeeded", "successful", "ts"}


@dataclass(frozen=True)
class Ours:
    record: str
    reference: str
    amount_minor: int
    currency: str
    state: str


def _ours(provider: str, day: date) -> dict[str, Ours]:
    """Our records at ``provider`` that moved money on ``day``, by the provider's reference."""
    found: dict[str, Ours] = {}
    for payment in Payment.objects.filter(provider=provider, settled_at__date=day).exclude(
        provider_reference=""
    ):
        found[payment.provider_reference] = Ours(
            "payment",
            payment.provider_reference,
            payment.amount_minor,
            payment.currency,
            payment.status,
        )
    for refund in Refund.objects.filter(payment__provider=provider, created_at__date=day).exclude(
        provider_reference=""
    ):
        found[refund.provider_reference] = Ours(
            "refund", refund.provider_reference, refund.amount_minor, refund.currency, refund.status
        )
    for payout in Payout.objects.filter(provider=provider, created_at__date=day).exclude(
        provider_reference=""
    ):
        found[payout.provider_reference] = Ours(
            "payout", payout.provider_reference, payout.amount_minor, payout.currency, payout.status
        )
    return found


def _asked(adapter: PaymentProvider, ours: dict[str, Ours], day: date) -> list[StatementLine]:
    """A statement made of status queries, for providers that publish none."""
    lines: list[StatementLine] = []
    for payment in Payment.objects.filter(provider=adapter.name, created_at__date=day).exclude(
        provider_reference=""
    ):
        state = adapter.status(payment).state
        lines.append(
            StatementLine(
                "payment", payment.provider_reference, payment.amount_minor, payment.currency, state
            )
        )
    for payout in Payout.objects.filter(provider=adapter.name, created_at__date=day).exclude(
        provider_reference=""
    ):
        state = adapter.payout_status(payout.provider_reference).state
        lines.append(
            StatementLine(
                "payout", payout.provider_reference, payout.amount_minor, payout.currency, state
            )
        )
    return lines


def _difference(
    provider: str, day: date, record: str, reference: str, kind: str, ours: str, theirs: str
) -> None:
    ProviderDifference.objects.get_or_create(
        provider=provider,
        day=day,
        record=record,
        reference=reference[:100],
        kind=kind,
        defaults={"ours": ours[:100], "theirs": theirs[:100], "found_at": clock.now()},
    )


def reconcile_day(*, provider_name: str, day: date) -> int:
    """Compare one provider's statement of ``day`` with our records; returns the differences."""
    adapter = providers.provider(provider_name)
    ours = _ours(provider_name, day)
    statement = adapter.statement(day)
    lines = statement if statement is not None else _asked(adapter, ours, day)
    before = ProviderDifference.objects.filter(provider=provider_name, day=day).count()
    seen: set[str] = set()
    for line in lines:
        seen.add(line.reference)
        mine = ours.get(line.reference)
        theirs_done = line.state in SUCCEEDED
        if mine is None:
            if theirs_done and statement is not None:
                amount = f"{line.amount_minor} {line.currency}"
                _difference(
                    provider_name, day, line.kind, line.reference, "only_provider", "", amount
                )
            continue
        if theirs_done and (mine.amount_minor, mine.currency) != (line.amount_minor, line.currency):
            _difference(
                provider_name,
                day,
                mine.record,
                line.reference,
                "amount",
                f"{mine.amount_minor} {mine.currency}",
                f"{line.amount_minor} {line.currency}",
            )
        if theirs_done != (mine.state == "succeeded") and line.state != "pending":
            _difference(
                provider_name, day, mine.record, line.reference, "state", mine.state, line.state
            )
    if statement is not None:
        for reference, mine in ours.items():
            if reference not in seen and mine.state == "succeeded":
                amount = f"{mine.amount_minor} {mine.currency}"
                _difference(provider_name, day, mine.record, reference, "only_here", amount, "")
    return ProviderDifference.objects.filter(provider=provider_name, day=day).count() - before


def reconcile_day_task(*, provider_name: str, day: str) -> None:
    reconcile_day(provider_name=provider_name, day=date.fromisoformat(day))


def providers_in_use() -> list[str]:
    names = list(providers.offered())
    payout = providers.payout_provider()
    if payout is not None and payout.name not in names:
        names.append(payout.name)
    return names


def reconcile_scheduled() -> int:
    """The worker's job: once a day, reconcile yesterday for every provider in use."""
    yesterday = (clock.now() - timedelta(days=1)).date().isoformat()
    for name in providers_in_use():
        money_task_enqueue(
            "payments.reconcile",
            key=f"reconcile:{name}:{yesterday}",
            args={"provider_name": name, "day": yesterday},
        )
    return len(providers_in_use())


def provider_records_compare() -> dict[str, Any]:
    """The ledger against the provider-side records: refunds and payouts the provider made
    that the ledger lacks, and ledger postings with no such record."""
    only_at_provider: list[str] = []
    only_in_ledger: list[str] = []
    refund_keys = set(
        Posting.objects.filter(kind="payment.refunded").values_list("dedupe_key", flat=True)
    )
    refunds = list(
        Refund.objects.exclude(provider_reference="").exclude(status=Refund.Status.FAILED)
    )
    for refund in refunds:
        if f"refund:{refund.public_id}" not in refund_keys:
            only_at_provider.append(f"refund {refund.public_id} ({refund.provider_reference})")
    known = {f"refund:{refund.public_id}" for refund in refunds}
    only_in_ledger += [f"posting {key}" for key in sorted(refund_keys - known, key=str) if key]
    completed = set(
        Posting.objects.filter(kind="payout.completed").values_list("dedupe_key", flat=True)
    )
    payouts = list(Payout.objects.filter(status=Payout.Status.SUCCEEDED))
    for payout in payouts:
        if f"payout:{payout.public_id}:completed" not in completed:
            only_at_provider.append(f"payout {payout.public_id} ({payout.provider_reference})")
    paid = {f"payout:{payout.public_id}:completed" for payout in payouts}
    only_in_ledger += [f"posting {key}" for key in sorted(completed - paid, key=str) if key]
    return {
        "provider_records": {"refunds": len(refunds), "payouts": len(payouts)},
        "only_at_provider": only_at_provider,
        "only_in_ledger": only_in_ledger,
    }
