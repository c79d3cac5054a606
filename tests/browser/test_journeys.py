"""The buyer's and the seller's journeys in a real browser, in English and French: the US shirt
sold delivered-at-place with its unknown duty stated (or refused), the payment page turning to
"Thank you" by itself, the buyer's My orders and the seller's one Orders page with its fulfil
action. Screenshots go to docs/images/ for the README tour."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, Page, expect

from ewtp.catalog.tests.factories import make_member, make_product, make_seller, make_user
from ewtp.orders.models import Checkout, Order
from tests.browser.conftest import screenshot

PASSWORD = "a-long-password-1"
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def tour(page: Page, name: str) -> None:
    """A screenshot for review, and a copy for the README tour."""
    shutil.copyfile(screenshot(page, name), IMAGES / f"{name}.png")


@pytest.fixture
def shirt_shop(transactional_db):  # type: ignore[no-untyped-def]
    from ewtp.logistics.demo import network_ensure
    from ewtp.traderules.services.reference_data import reference_data_ensure

    reference_data_ensure()
    network_ensure()
    cache.clear()
    threads = make_seller("kigali-threads", name="Kigali Threads")
    make_member(threads, "owner@threads.rw", "owner")
    shirt = make_product(
        threads,
        "African print cotton shirt, men's",
        hs_code="6205.20",
        price="25000",
        weight="0.3",
        stock=10,
        translations={"fr": "Chemise homme en coton wax"},
    )
    make_user("sam@example.com")
    return shirt


def _prefer(page: Page, language: str, destination: str, currency: str) -> None:
    page.context.add_cookies(
        [
            {"name": name, "value": value, "url": re.sub(r"^(https?://[^/]+).*", r"\1/", page.url)}
            for name, value in (
                ("ewtp_language", language),
                ("ewtp_destination", destination),
                ("ewtp_currency", currency),
            )
        ]
    )


def _log_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")


def _to_checkout(page: Page, shirt) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/shop/p/{shirt.slug}/")
    with page.expect_navigation():
        page.click('[data-testid="add-to-cart"]')


def _place_us_order(page: Page) -> None:
    with page.expect_navigation():
        page.click('[data-testid="go-checkout"]')
    page.fill("input[name=email]", "sam@example.com")
    page.fill("input[name=name]", "Sam Rivera")
    page.fill("input[name=line1]", "350 Fifth Avenue")
    page.fill("input[name=city]", "New York")
    page.fill("input[name=region]", "NY")
    page.fill("input[name=postal_code]", "10118")
    with page.expect_navigation():
        page.click('[data-testid="place-order"]')


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_us_shirt_is_sold_dap_with_its_unknown_duty_stated(  # type: ignore[no-untyped-def]
    page: Page, live_server, shirt_shop, settings, language
) -> None:
    settings.EWTP_INCOMPLETE_QUOTE = "dap"
    page.goto("/shop/")
    _prefer(page, language, "US", "USD")
    page.goto(f"/shop/p/{shirt_shop.slug}/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator('[data-testid="estimate-reason"]')).to_contain_text("6205.20")
    tour(page, f"journey-us-shirt-product-{language}")
    with page.expect_navigation():
        page.click('[data-testid="add-to-cart"]')
    reason = page.locator('[data-testid="estimate-reason"]')
    expect(reason).to_contain_text("6205.20")
    expect(page.locator('[data-testid="duty-unknown"]')).to_be_visible()
    expect(page.locator('[data-testid="line-total"]')).to_contain_text("$")
    expect(page.locator('[data-testid="pay-now"]')).to_contain_text("(DAP)")
    tour(page, f"journey-us-shirt-cart-{language}")
    _place_us_order(page)
    expect(page).to_have_url(re.compile(r"/orders/checkout/[0-9a-f-]+/\?token="))
    expect(page.locator('[data-testid="checkout-total"]').locator("..")).to_contain_text("DAP")
    expect(page.locator('[data-testid="estimate-reason"]')).to_contain_text("6205.20")
    expect(page.locator('[data-testid="checkout-on-delivery"]')).to_be_visible()
    order = Order.objects.get()
    assert (order.incoterm, order.is_quote_complete) == ("DAP", False)
    assert order.total_minor == order.goods_minor + order.shipping_minor


def test_the_us_shirt_is_refused_with_its_reason(  # type: ignore[no-untyped-def]
    page: Page, live_server, shirt_shop, settings
) -> None:
    settings.EWTP_INCOMPLETE_QUOTE = "refuse"
    page.goto("/shop/")
    _prefer(page, "fr", "US", "USD")
    _to_checkout(page, shirt_shop)
    expect(page.locator("main")).to_contain_text("6205.20")
    _place_us_order(page)
    expect(page.locator('[data-testid="checkout-error"]')).to_contain_text("6205.20")
    tour(page, "journey-us-shirt-refused-fr")
    assert not Checkout.objects.exists()


def test_paying_turns_the_page_to_thank_you_and_my_orders_lists_it(  # type: ignore[no-untyped-def]
    page: Page, browser: Browser, live_server, shirt_shop
) -> None:
    page.goto("/shop/")
    _prefer(page, "fr", "US", "USD")
    _log_in(page, "sam@example.com")
    _to_checkout(page, shirt_shop)
    _place_us_order(page)
    state = page.locator('[data-testid="payment-state"]')
    expect(state).to_have_attribute("data-state", "pending")
    expect(page.locator('[data-testid="checkout-heading"]')).not_to_contain_text("Merci")
    expect(page.locator('[data-testid="refresh"]')).to_be_visible()
    tour(page, "journey-pay-pending-fr")
    approve = page.locator('[data-testid="pay-now"]').get_attribute("href") or ""

    # The buyer pays in another tab (the provider's page); this one is not reloaded.
    other = page.context.new_page()
    other.goto(approve)
    with other.expect_navigation():
        other.click("button[value=approve]")
    other.close()
    expect(state).to_have_attribute("data-state", "paid", timeout=15_000)
    expect(page.locator('[data-testid="checkout-order"] .badge').first).not_to_have_text(
        "En attente de paiement"
    )
    expect(page.locator('[data-testid="pay-now"]')).to_have_count(0)
    expect(page.locator('[data-testid="payment-status"]')).not_to_have_text("")
    tour(page, "journey-pay-thank-you-fr")
    order = Order.objects.get()
    assert order.status == "paid"

    page.goto("/orders/mine/")
    rows = page.locator('[data-testid="my-order"]')
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-reference", order.reference)
    tour(page, "journey-my-orders-fr")
    rows.first.locator("a").first.click()
    expect(page.locator('[data-testid="thank-you"]')).to_be_visible()
    expect(page.locator('[data-testid="order-history"]')).not_to_contain_text("@")


def test_the_seller_fulfils_from_the_one_orders_page(  # type: ignore[no-untyped-def]
    page: Page, live_server, shirt_shop
) -> None:
    from ewtp.orders.services.handover import checkout_mark_paid

    page.goto("/shop/")
    _prefer(page, "en", "US", "USD")
    _to_checkout(page, shirt_shop)
    _place_us_order(page)
    checkout = Checkout.objects.get()
    checkout_mark_paid(checkout=checkout, payment_reference="browser-test")
    order = checkout.orders.get()
    page.context.clear_cookies()
    page.goto("/shop/")
    _prefer(page, "en", "US", "USD")
    _log_in(page, "owner@threads.rw")
    page.goto("/orders/seller/")
    expect(page.locator('[data-testid="sales-overview"]')).to_be_visible()
    expect(page.locator('[data-testid="to-ship"]')).to_have_text("1")
    row = page.locator(f'[data-testid="order-row"][data-reference="{order.reference}"]')
    tour(page, "journey-seller-orders")
    with page.expect_navigation():
        row.locator(f'[data-testid="fulfil-{order.reference}"]').click()
    expect(page).to_have_url(re.compile(r"/orders/seller/kigali-threads/"))
    expect(row.locator('[data-testid="row-status"]')).to_have_text("Accepted")
    expect(row.locator(f'[data-testid="pack-{order.reference}"]')).to_be_visible()
    tour(page, "journey-seller-orders-accepted")
    order.refresh_from_db()
    assert order.status == "accepted"
