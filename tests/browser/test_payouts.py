"""Payouts in a real browser: the seller sets a mobile-money number (a foreign one is refused
with the reason), the operator runs a batch from the payout page and follows it to "Paid out",
and the seller reads the payout and what it covers on the money page, in French. Screenshots go
to docs/images/ for the README tour."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, Page, expect

from ewtp.catalog.tests.factories import make_member, make_operator, make_seller
from ewtp.core.money import Money
from ewtp.ledger import accounts as chart
from ewtp.ledger.services import account_for, credit, debit, ledger_verify, posting_record
from ewtp.payments.models import Payout
from ewtp.payments.payouts import payable_account, payouts_poll_pending
from tests.browser.conftest import screenshot

PASSWORD = "a-long-password-1"
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
ORDERS = (
    ("7c60e99b-5d1e-4b8a-9a55-3f1f0c9e2a11", 1_250_000, 62_500),
    ("a1b2c3d4-7e8f-4a0b-8c1d-2e3f4a5b6c7d", 84_000, 4_200),
)


def tour(page: Page, name: str) -> None:
    shutil.copyfile(screenshot(page, name), IMAGES / f"{name}.png")


def _delivered(seller, order_id: str, paid: int, fee: int) -> None:  # type: ignore[no-untyped-def]
    """What a paid, delivered order books: escrow funded, then released less the fee."""
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


@pytest.fixture
def owed(transactional_db):  # type: ignore[no-untyped-def]
    cache.clear()
    huye = make_seller("huye-coffee", name="Huye Mountain Coffee")
    make_member(huye, "seller@huye.rw", "owner")
    make_operator()
    for order_id, paid, fee in ORDERS:
        _delivered(huye, order_id, paid, fee)
    return huye


def _log_in(browser: Browser, live_server, email: str, language: str) -> Page:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "ewtp_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")
    return page


def test_a_payout_run_from_the_operator_page_reaches_the_sellers_mobile_money(  # type: ignore[no-untyped-def]
    browser: Browser, live_server, owed
) -> None:
    seller = _log_in(browser, live_server, "seller@huye.rw", "en")
    seller.goto("/orders/seller/huye-coffee/money/")
    expect(seller.locator('[data-testid="available"]')).to_have_text("RWF1,267,300")
    seller.fill("input[name=msisdn]", "+254 712 345 678")
    with seller.expect_navigation():
        seller.click('[data-testid="save-msisdn"]')
    expect(seller.locator('[data-testid="msisdn-error"]')).to_have_text(
        "Payouts go to a mobile-money number in Rwanda: this is not a mobile number of Rwanda "
        "(for example +250 720 123 456)."
    )
    seller.fill("input[name=msisdn]", "0788 123 456")
    with seller.expect_navigation():
        seller.click('[data-testid="save-msisdn"]')
    expect(seller.locator('[data-testid="payout-destination"]')).to_contain_text("+250788123456")

    operator = _log_in(browser, live_server, "operator@ewtp.test", "en")
    operator.goto("/pay/operator/payouts/")
    due = operator.locator('[data-testid="payouts-due"]')
    expect(due).to_contain_text("Huye Mountain Coffee")
    expect(due).to_contain_text("RWF1,267,300")
    with operator.expect_navigation():
        operator.click('[data-testid="payouts-run"]')
    expect(operator.locator(".messages")).to_contain_text("Payout batch made: 1 payout sent.")
    expect(operator.locator('[data-testid="payout-state"]')).to_have_text("Sending")
    payouts_poll_pending()  # the worker asks the provider (the simulator answers on the 2nd)
    payouts_poll_pending()
    operator.reload()
    state = operator.locator('[data-testid="payout-state"]')
    expect(state).to_contain_text("Paid out")
    expect(operator.locator('[data-testid="payout-batch"]')).to_contain_text(
        "1 paid out, 0 sending, 0 failed"
    )
    expect(operator.locator('[data-testid="payout-row"]')).to_contain_text("+250788123456")
    tour(operator, "payout-operator-en")
    assert Payout.objects.get().status == "succeeded"

    seller.context.add_cookies([{"name": "ewtp_language", "value": "fr", "url": live_server.url}])
    seller.goto("/orders/seller/huye-coffee/money/")
    expect(seller.locator('[data-testid="paid-out"]')).to_have_text("1\u202f267\u202f300\xa0RWF")
    expect(seller.locator('[data-testid="payout-status"]')).to_have_text("Versé")
    seller.locator('[data-testid="payout-statement"] summary').click()
    statement = seller.locator('[data-testid="payout-statement"]')
    expect(statement).to_contain_text("Libéré : commande 7C60E99B livrée")
    expect(statement).to_contain_text("Libéré : commande A1B2C3D4 livrée")
    expect(statement).to_contain_text("\u221262\u202f500\xa0RWF")
    expect(seller.locator('[data-testid="statement"]')).to_contain_text(
        "Versement vers le mobile money +250788123456"
    )
    expect(seller.locator("main")).not_to_contain_text("escrow.released")
    tour(seller, "payout-seller-fr")
    assert ledger_verify()["balanced"] is True
