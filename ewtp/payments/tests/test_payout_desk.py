"""The operator's payout page (schedule, what is due, run, batches, failures given back, retry)
and what the seller reads: each payout with the orders and fees it covers, in words; a payout
number must be a mobile number of the organisation's country."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from ewtp.accounts.models import Organisation
from ewtp.catalog.tests.factories import make_member, make_operator, make_seller
from ewtp.core.errors import DomainError
from ewtp.core.models import AuditLog
from ewtp.core.money import Money
from ewtp.ledger import accounts as chart
from ewtp.ledger.services import account_for, credit, debit, ledger_verify, posting_record
from ewtp.payments.models import Payout, PayoutDestination
from ewtp.payments.payouts import (
    payable_account,
    payout_destination_set,
    payout_retry,
    payouts_poll_pending,
    payouts_run,
)
from ewtp.payments.selectors import payout_statement

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-password-1"


def _sold(seller: Organisation, order_id: str, paid: int, fee: int) -> None:
    """What a paid and delivered order books: the buyer's money into escrow, then released to
    the seller less the platform's fee."""
    escrow = account_for(chart.escrow(f"order:{order_id}"), "RWF")
    posting_record(
        kind="escrow.funded",
        legs=[
            debit(account_for(chart.provider_settlement("momo-sim"), "RWF"), Money.of(paid, "RWF")),
            credit(escrow, Money.of(paid, "RWF")),
        ],
        reference=order_id,
    )
    posting_record(
        kind="escrow.released",
        legs=[
            debit(escrow, Money.of(paid, "RWF")),
            credit(account_for(chart.platform_fees(), "RWF"), Money.of(fee, "RWF")),
            credit(payable_account(seller, "RWF"), Money.of(paid - fee, "RWF")),
        ],
        memo=f"Order {order_id} delivered",
        reference=order_id,
    )


ORDER_A = "7c60e99b-0000-4000-8000-000000000001"
ORDER_B = "a1b2c3d4-0000-4000-8000-000000000002"
ORDER_C = "c0ffee00-0000-4000-8000-000000000003"


@pytest.fixture
def huye() -> Organisation:
    seller = make_seller("huye-coffee", name="Huye Mountain Coffee")
    make_member(seller, "owner@huye.rw", "owner")
    make_operator()
    return seller


def test_a_payout_number_must_be_a_mobile_number_of_the_country(huye: Organisation) -> None:
    owner = huye.memberships.get().user
    payout_destination_set(actor=owner, organisation=huye, msisdn="0788 123 456")
    for number in ("+254 712 345 678", "+250 250 123 456"):  # Kenyan mobile; Rwandan landline
        with pytest.raises(DomainError) as refused:
            payout_destination_set(actor=owner, organisation=huye, msisdn=number)
        assert refused.value.code == "not_a_mobile_number_of_country"
        assert refused.value.message == (
            "Payouts go to a mobile-money number in Rwanda: this is not a mobile number of "
            "Rwanda (for example +250 720 123 456)."
        )
    assert PayoutDestination.objects.get(organisation=huye).msisdn == "250788123456"  # unchanged


def test_the_seller_page_refuses_a_foreign_number_and_says_why(
    huye: Organisation, client: Client
) -> None:
    client.login(username="owner@huye.rw", password=PASSWORD)
    page = client.post("/orders/seller/huye-coffee/money/", {"msisdn": "+254 712 345 678"})
    assert page.status_code == 200
    assert "this is not a mobile number of Rwanda" in page.text
    assert 'value="+254 712 345 678"' in page.text  # kept for correcting
    assert not PayoutDestination.objects.filter(organisation=huye).exists()


def test_each_payout_covers_the_orders_since_the_last_one(huye: Organisation) -> None:
    owner = huye.memberships.get().user
    payout_destination_set(actor=owner, organisation=huye, msisdn="0788123456")
    _sold(huye, ORDER_A, 100_000, 5_000)
    _sold(huye, ORDER_B, 40_000, 2_000)
    first = payouts_run()[0]
    assert first.amount_minor == 133_000
    payouts_poll_pending()
    payouts_poll_pending()
    _sold(huye, ORDER_C, 20_000, 1_000)
    second = payouts_run()[0]
    assert second.amount_minor == 19_000

    def lines(payout: Payout) -> list[tuple[str, str, str, str]]:
        return [
            (line.words, line.gross.format("en"), line.fee.format("en"), line.amount.format("en"))
            for line in payout_statement(payout)
        ]

    assert lines(first) == [
        ("Released: order 7C60E99B delivered", "RWF100,000", "RWF5,000", "RWF95,000"),
        ("Released: order A1B2C3D4 delivered", "RWF40,000", "RWF2,000", "RWF38,000"),
    ]
    assert lines(second) == [
        ("Released: order C0FFEE00 delivered", "RWF20,000", "RWF1,000", "RWF19,000")
    ]


def test_a_failed_payout_is_given_back_and_the_operator_sends_it_again(
    huye: Organisation,
) -> None:
    owner = huye.memberships.get().user
    operator = make_operator()
    payout_destination_set(actor=owner, organisation=huye, msisdn="0788123450")  # refused
    _sold(huye, ORDER_A, 100_000, 5_000)
    failed = payouts_run()[0]
    payouts_poll_pending()
    payouts_poll_pending()
    failed.refresh_from_db()
    assert (failed.status, failed.failure_reason) == ("failed", "APPROVAL_REJECTED")
    assert payable_account(huye, "RWF").position_minor == 95_000  # given back
    with pytest.raises(DomainError) as denied:
        payout_retry(actor=owner, payout=failed)
    assert denied.value.code == "permission_denied"

    payout_destination_set(actor=owner, organisation=huye, msisdn="0788123456")  # corrected
    again = payout_retry(actor=operator, payout=failed)
    assert (again.amount_minor, again.msisdn, again.retry_of_id, again.batch) == (
        95_000,
        "250788123456",
        failed.pk,
        failed.batch,
    )
    with pytest.raises(DomainError) as twice:
        payout_retry(actor=operator, payout=failed)
    assert twice.value.code == "not_retriable"
    payouts_poll_pending()
    payouts_poll_pending()
    again.refresh_from_db()
    assert again.status == "succeeded"
    assert payable_account(huye, "RWF").position_minor == 0
    # The retry covers the same order (the failed payout and its reversal cancel out).
    assert [line.words for line in payout_statement(again)] == [
        "Released: order 7C60E99B delivered"
    ]
    assert AuditLog.objects.filter(action="payments.payout.retry", actor=operator).count() == 1
    assert ledger_verify()["balanced"] is True


def test_the_operator_runs_and_follows_payouts_on_the_page(
    huye: Organisation, client: Client, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_PAYOUT_MINIMUM = ["5000 RWF"]
    owner = huye.memberships.get().user
    payout_destination_set(actor=owner, organisation=huye, msisdn="0788123456")
    gahaya = make_seller("gahaya-links", name="Gahaya Links")
    _sold(huye, ORDER_A, 1_250_000, 62_500)
    _sold(gahaya, ORDER_B, 40_000, 2_000)  # owed, but no number yet
    client.login(username="operator@ewtp.test", password=PASSWORD)
    page = client.get("/pay/operator/payouts/").text
    assert "A payout batch is made every 7 days." in page
    assert "Smallest payout: RWF5,000." in page
    assert "RWF1,187,500" in page and "RWF38,000" in page
    assert "No mobile-money number yet." in page

    done = client.post("/pay/operator/payouts/", {"action": "run"}, follow=True).text
    assert "Payout batch made: 1 payout sent." in done
    assert "Huye Mountain Coffee" in done and "+250788123456" in done and "Sending" in done
    assert AuditLog.objects.filter(action="payments.payouts.run").count() == 1
    payouts_poll_pending()
    payouts_poll_pending()
    page = client.get("/pay/operator/payouts/").text
    assert "1 paid out, 0 sending, 0 failed" in page
    assert "Paid out" in page

    client.logout()
    client.login(username="owner@huye.rw", password=PASSWORD)
    assert client.get("/pay/operator/payouts/").status_code == 404
    assert client.post("/pay/operator/payouts/", {"action": "run"}).status_code == 404
    assert (
        client.post(
            "/pay/operator/payouts/", {"action": "retry", "payout": str(uuid.uuid4())}
        ).status_code
        == 404
    )


def test_the_seller_reads_payouts_in_words_with_thousands_separators(
    huye: Organisation, client: Client
) -> None:
    owner = huye.memberships.get().user
    payout_destination_set(actor=owner, organisation=huye, msisdn="0788123456")
    _sold(huye, ORDER_A, 1_250_000, 62_500)
    payouts_run()
    payouts_poll_pending()
    payouts_poll_pending()
    client.login(username="owner@huye.rw", password=PASSWORD)
    page = client.get("/orders/seller/huye-coffee/money/").text
    assert "Payouts are sent every 7 days when at least RWF5,000 is available." in page
    assert "Released: order 7C60E99B delivered" in page
    assert "Payout to mobile money +250788123456" in page
    assert "RWF1,187,500" in page and "\u2212RWF62,500" in page and "RWF1,250,000" in page
    for code in ("escrow.released", "payout.initiated", "1187500"):
        assert code not in page
    client.cookies["ewtp_language"] = "fr"
    page = client.get("/orders/seller/huye-coffee/money/").text
    assert "1\u202f187\u202f500\xa0RWF" in page
