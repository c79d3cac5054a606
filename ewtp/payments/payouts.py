"""Payouts: what the platform owes each organisation, sent in its currency to mobile money.

A run books, per organisation with money available, Dr its payable / Cr payouts pending and
commits; then asks the provider to transfer (outside any transaction); the provider's final
word moves Dr payouts pending / Cr provider settlement, or reverses the first posting.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction

from ewtp.accounts.models import Organisation
from ewtp.core import clock
from ewtp.core.errors import InvalidRequest
from ewtp.core.money import Money
from ewtp.core.services import audit_record
from ewtp.ledger import accounts as chart
from ewtp.ledger.models import Account, Posting
from ewtp.ledger.services import account_for, credit, debit, posting_record, posting_reverse
from ewtp.payments.models import Payout, PayoutDestination
from ewtp.payments.providers import ProviderUnavailable, momo_transfer, momo_transfer_status
from ewtp.payments.services import msisdn_normalise

PAYOUT_PROVIDER = "momo"


def party_of(organisation: Organisation) -> str:
    """The ledger's name for an organisation as a party that is owed money."""
    return f"org:{organisation.public_id}"


def payable_account(organisation: Organisation, currency: str) -> Account:
    return account_for(chart.party_payable(party_of(organisation), organisation.name), currency)


@transaction.atomic
def payout_destination_set(
    *, actor: Any, organisation: Organisation, msisdn: str, currency: str = "RWF"
) -> PayoutDestination:
    from ewtp.accounts.selectors import require_role

    require_role(actor, organisation, {"owner"})
    number = msisdn_normalise(msisdn, organisation.country or "RW")
    destination, _ = PayoutDestination.objects.update_or_create(
        organisation=organisation,
        defaults={"msisdn": number, "currency": currency, "updated_at": clock.now()},
    )
    audit_record(
        actor=actor,
        action="payments.payout_destination.set",
        target=organisation,
        organisation_ref=str(organisation.public_id),
        data={"msisdn": number[-4:]},
    )
    return destination


def _pending_account(currency: str) -> Account:
    return account_for(chart.payouts_in_transit(PAYOUT_PROVIDER), currency)


def payouts_run(*, actor: Any = None) -> list[Payout]:
    """Pay every organisation with a destination what is available to it; one payout each."""
    batch = "po_" + clock.now().strftime("%Y%m%d%H%M%S") + secrets.token_hex(2)
    created: list[Payout] = []
    for destination in PayoutDestination.objects.select_related("organisation"):
        payout = _payout_book(destination=destination, batch=batch, actor=actor)
        if payout is not None:
            created.append(payout)
    for payout in created:
        _payout_send(payout)
    return [Payout.objects.get(pk=payout.pk) for payout in created]


@transaction.atomic
def _payout_book(*, destination: PayoutDestination, batch: str, actor: Any) -> Payout | None:
    payable = payable_account(destination.organisation, destination.currency)
    payable = Account.objects.select_for_update().get(pk=payable.pk)
    available = payable.position_minor
    if available <= 0:
        return None
    amount = Money.from_minor(available, destination.currency)
    payout = Payout.objects.create(
        organisation=destination.organisation,
        batch=batch,
        amount_minor=available,
        currency=destination.currency,
        msisdn=destination.msisdn,
        created_at=clock.now(),
    )
    posting_record(
        kind="payout.initiated",
        legs=[debit(payable, amount), credit(_pending_account(amount.currency), amount)],
        memo=f"Payout to {destination.organisation.name}",
        reference=str(payout.public_id),
        dedupe_key=f"payout:{payout.public_id}:initiated",
        actor=actor,
    )
    return payout


def _payout_send(payout: Payout) -> None:
    try:
        reference = momo_transfer(
            msisdn=payout.msisdn, amount=payout.amount, external_id=f"payout:{payout.public_id}"
        )
    except (ProviderUnavailable, InvalidRequest) as error:
        payout_settle(payout_id=payout.pk, state="failed", reason=str(error))
        return
    except Exception as error:  # a refusal from the provider
        payout_settle(payout_id=payout.pk, state="failed", reason=str(error))
        return
    Payout.objects.filter(pk=payout.pk).update(provider_reference=reference)


@transaction.atomic(durable=True)
def payout_settle(*, payout_id: int, state: str, reason: str = "") -> Payout:
    payout = Payout.objects.select_for_update().get(pk=payout_id)
    if payout.status != Payout.Status.PENDING or state == "pending":
        return payout
    amount = payout.amount
    if state == "succeeded":
        posting_record(
            kind="payout.completed",
            legs=[
                debit(_pending_account(amount.currency), amount),
                credit(
                    account_for(chart.provider_settlement(PAYOUT_PROVIDER), amount.currency), amount
                ),
            ],
            memo=f"Payout to {payout.organisation.name}",
            reference=str(payout.public_id),
            dedupe_key=f"payout:{payout.public_id}:completed",
        )
        payout.status = Payout.Status.SUCCEEDED
        payout.settled_at = clock.now()
    else:
        initiated = Posting.objects.get(dedupe_key=f"payout:{payout.public_id}:initiated")
        posting_reverse(posting=initiated, memo=f"Payout failed: {reason}"[:300])
        payout.status = Payout.Status.FAILED
        payout.failure_reason = reason[:300]
    payout.save(update_fields=["status", "settled_at", "failure_reason"])
    audit_record(
        actor=None,
        action=f"payments.payout.{payout.status}",
        target=payout,
        organisation_ref=str(payout.organisation.public_id),
        data={"amount": str(amount)},
    )
    return payout


def payouts_poll_pending() -> int:
    settled = 0
    for payout in list(
        Payout.objects.filter(status=Payout.Status.PENDING).exclude(provider_reference="")[:200]
    ):
        try:
            status = momo_transfer_status(payout.provider_reference)
        except ProviderUnavailable:
            continue
        if status.state != "pending":
            payout_settle(payout_id=payout.pk, state=status.state, reason=status.reason)
            settled += 1
    return settled
