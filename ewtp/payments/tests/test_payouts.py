"""Payouts to sellers' mobile money: booked, sent, confirmed or reversed; ledger balanced."""

from __future__ import annotations

import pytest

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.core.money import Money
from ewtp.ledger import accounts as chart
from ewtp.ledger.models import Account
from ewtp.ledger.services import account_for, credit, debit, ledger_verify, posting_record
from ewtp.payments.models import Payout
from ewtp.payments.payouts import (
    payable_account,
    payout_destination_set,
    payouts_poll_pending,
    payouts_run,
)


def _seller(slug: str, msisdn: str) -> Organisation:
    owner = User.objects.create_user(f"{slug}@example.org", "x" * 12)
    seller = Organisation.objects.create(slug=slug, name=slug.title(), kind="seller", country="RW")
    Membership.objects.create(user=owner, organisation=seller, role="owner")
    payout_destination_set(actor=owner, organisation=seller, msisdn=msisdn)
    # What escrow release would have booked: the seller is owed 169,750 RWF.
    posting_record(
        kind="escrow.released",
        legs=[
            debit(
                account_for(chart.provider_settlement("momo-sim"), "RWF"), Money.of("169750", "RWF")
            ),
            credit(payable_account(seller, "RWF"), Money.of("169750", "RWF")),
        ],
    )
    return seller


@pytest.mark.django_db(transaction=True)
def test_a_payout_run_pays_what_is_available_once() -> None:
    seller = _seller("huye", "0788 123 456")
    payouts = payouts_run()
    assert [(p.amount_minor, p.currency, p.msisdn, p.status) for p in payouts] == [
        (169750, "RWF", "250788123456", "pending")
    ]
    assert payable_account(seller, "RWF").position_minor == 0
    assert payouts_run() == []  # nothing left to pay
    assert payouts_poll_pending() == 0  # the transfer is still pending at the provider
    assert payouts_poll_pending() == 1
    payout = Payout.objects.get()
    assert payout.status == "succeeded"
    pending = Account.objects.get(code="provider:momo-sim:payouts", currency="RWF")
    assert pending.balance_minor == 0
    assert account_for(chart.provider_settlement("momo-sim"), "RWF").balance_minor == 0
    assert ledger_verify()["balanced"] is True


@pytest.mark.django_db(transaction=True)
def test_a_failed_transfer_gives_the_money_back_to_the_payable() -> None:
    seller = _seller("gahaya", "0788 123 450")  # the simulator rejects numbers ending in 0
    payouts_run()
    payouts_poll_pending()
    payout = Payout.objects.get()
    assert payout.status == "failed"
    assert payout.failure_reason == "APPROVAL_REJECTED"
    assert payable_account(seller, "RWF").position_minor == 169750
    assert ledger_verify()["balanced"] is True


@pytest.mark.django_db
def test_only_an_owner_sets_the_payout_number_and_it_must_be_valid() -> None:
    owner = User.objects.create_user("o@example.org", "x" * 12)
    viewer = User.objects.create_user("v@example.org", "x" * 12)
    seller = Organisation.objects.create(slug="s", name="S", kind="seller", country="RW")
    Membership.objects.create(user=owner, organisation=seller, role="owner")
    Membership.objects.create(user=viewer, organisation=seller, role="viewer")
    with pytest.raises(Exception) as denied:
        payout_destination_set(actor=viewer, organisation=seller, msisdn="0788123456")
    assert getattr(denied.value, "code", "") == "permission_denied"
    with pytest.raises(Exception) as invalid:
        payout_destination_set(actor=owner, organisation=seller, msisdn="07")
    assert getattr(invalid.value, "code", "") == "invalid_msisdn"
    assert (
        payout_destination_set(actor=owner, organisation=seller, msisdn="+250788123456").msisdn
        == "250788123456"
    )
