"""The money path in a real browser: the buyer pays on the sandbox's approval page, the order
shows paid, the seller and the hub move it to the buyer, the buyer confirms delivery, and the
seller's money page shows what is due at the next payout."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, Page, expect

from ewtp.catalog.tests.factories import make_member, make_operator, make_product, make_seller
from ewtp.ledger.services import ledger_verify
from ewtp.orders.models import Order
from ewtp.payments.payouts import payable_account
from tests.browser.conftest import screenshot

PASSWORD = "a-long-password-1"


@pytest.fixture
def shop(transactional_db):  # type: ignore[no-untyped-def]
    from ewtp.logistics.demo import network_ensure
    from ewtp.traderules.services.reference_data import reference_data_ensure

    reference_data_ensure()

    network_ensure()
    cache.clear()
    huye = make_seller("huye-coffee", name="Huye Mountain Coffee")
    make_product(huye, "Huye Mountain roasted coffee beans, 500 g", stock=20)
    for user in (make_member(huye, "seller@huye.rw", "owner"), make_operator()):
        user.set_password(PASSWORD)
        user.save()
    return huye


def _log_in(browser: Browser, live_server, email: str) -> Page:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")
    return page


def _act(page: Page, order: Order, action: str) -> None:
    page.goto(f"/orders/o/{order.public_id}/")
    with page.expect_navigation():
        page.click(f'[data-testid="action-{action}"]')


def test_pay_ship_confirm_and_see_the_payout_due(  # type: ignore[no-untyped-def]
    page: Page, browser: Browser, live_server, shop
) -> None:
    page.goto("/shop/search/?q=coffee")
    page.locator('[data-testid="product-card"] a.product-link').first.click()
    with page.expect_navigation():
        page.click('[data-testid="add-to-cart"]')
    with page.expect_navigation():
        page.click('[data-testid="go-checkout"]')
    page.fill("input[name=email]", "anne.peeters@example.be")
    page.fill("input[name=name]", "Anne Peeters")
    page.fill("input[name=line1]", "Rue Neuve 12")
    page.fill("input[name=city]", "Bruxelles")
    page.fill("input[name=postal_code]", "1000")
    with page.expect_navigation():
        page.click('[data-testid="place-order"]')
    expect(page).to_have_url(re.compile(r"/orders/checkout/[0-9a-f-]+/\?token="))
    buyer_checkout_url = page.url
    screenshot(page, "money-0-placed")

    page.goto(page.get_by_role("link", name="Pay now").get_attribute("href") or "")
    expect(page.locator('[data-testid="sandbox-amount"]')).to_be_visible()
    screenshot(page, "money-1-sandbox-approval")
    with page.expect_navigation():
        page.click("button[value=approve]")
    expect(page).to_have_url(re.compile(r"/orders/checkout/"))
    expect(page.locator('[data-testid="payment-status"]')).to_have_text("Paid")
    screenshot(page, "money-2-paid")
    order = Order.objects.get()
    assert order.status == "paid"

    seller = _log_in(browser, live_server, "seller@huye.rw")
    for action in ("accept", "pack", "hand_to_hub"):
        _act(seller, order, action)
    operator = _log_in(browser, live_server, "operator@ewtp.test")
    for action in ("ship", "deliver"):
        _act(operator, order, action)
    order.refresh_from_db()
    assert order.status == "delivered"

    page.goto(buyer_checkout_url)
    page.locator('[data-testid="checkout-order"] a').first.click()
    with page.expect_navigation():
        page.click('[data-testid="action-complete"]')
    expect(page.locator('[data-testid="order-status"]')).to_contain_text("Completed")
    screenshot(page, "money-3-buyer-confirmed")

    seller.goto("/orders/seller/huye-coffee/money/")
    due = payable_account(order.seller, "RWF")
    assert due.position_minor > 0
    expect(seller.locator('[data-testid="available"]')).to_have_text(f"RWF{due.position_minor:,}")
    screenshot(seller, "money-4-seller-balance")
    assert ledger_verify()["balanced"] is True
