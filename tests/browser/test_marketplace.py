"""The marketplace in a real browser: a buyer in China switches to Chinese and CNY, searches
coffee, fills one cart from two sellers, checks out as a guest and reaches the payment step
with the duties shown; the seller logs in and finds the new order."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, Page, expect

from ewtp.catalog.models import Product
from ewtp.catalog.tests.factories import make_member, make_product, make_seller
from ewtp.orders.models import Checkout, Order
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
    tea = make_seller("nyungwe-tea", name="Nyungwe Tea Estate")
    make_product(
        huye,
        "Huye Mountain roasted coffee beans, 500 g",
        description="Bourbon arabica, fully washed, medium roast.",
        translations={"zh-hans": "胡耶山烘焙咖啡豆 (coffee) 500克"},
        stock=20,
    )
    make_product(
        tea,
        "Nyungwe tea and coffee gift box",
        hs_code="0902.40",
        price="9000",
        weight="0.4",
        translations={"zh-hans": "纽恩威茶与咖啡礼盒 (coffee)"},
        stock=20,
    )
    make_member(huye, "seller@huye.rw", "owner").set_password(PASSWORD)
    from ewtp.accounts.models import User

    seller = User.objects.get(email="seller@huye.rw")
    seller.set_password(PASSWORD)
    seller.save()
    return huye, tea


def _choose(page: Page, testid: str, value: str) -> None:
    with page.expect_navigation():
        page.select_option(f'[data-testid="{testid}"]', value)


def _add_from_results(page: Page, seller: str, shot: str = "") -> None:
    page.locator(f'[data-testid="product-card"][data-seller="{seller}"] a.product-link').click()
    expect(page.locator('[data-testid="price-breakdown"]')).to_be_visible()
    if shot:
        screenshot(page, shot)
    with page.expect_navigation():
        page.click('[data-testid="add-to-cart"]')


def test_a_buyer_in_china_checks_out_two_sellers_and_the_seller_sees_the_order(
    page: Page, browser: Browser, live_server, shop
) -> None:  # type: ignore[no-untyped-def]
    page.goto("/shop/")
    _choose(page, "language", "zh-hans")
    _choose(page, "currency", "CNY")
    _choose(page, "destination", "CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    page.fill('[data-testid="search-input"]', "coffee")
    page.click('[data-testid="search-submit"]')
    cards = page.locator('[data-testid="product-card"]')
    expect(cards).to_have_count(2)
    expect(cards.first.locator('[data-testid="landed-price"]')).to_contain_text("¥")
    expect(page.locator("#results")).to_contain_text("胡耶山烘焙咖啡豆")
    screenshot(page, "marketplace-search-zh-cny")

    _add_from_results(page, "huye-coffee", "marketplace-product")
    page.goto("/shop/search/?q=coffee")
    _add_from_results(page, "nyungwe-tea")
    expect(page.locator('[data-testid="cart-seller"]')).to_have_count(2)
    expect(page.locator('[data-testid="cart-total"]')).to_contain_text("¥")
    screenshot(page, "marketplace-cart")

    with page.expect_navigation():
        page.click('[data-testid="go-checkout"]')
    page.fill("input[name=email]", "wang.fang@example.cn")
    page.fill("input[name=name]", "王芳 Wang Fang")
    page.fill("input[name=line1]", "18 Wensan Road, Xihu District")
    page.fill("input[name=city]", "Hangzhou")
    page.fill("input[name=region]", "Zhejiang")
    page.fill("input[name=postal_code]", "3100")  # wrong: six digits in China
    page.fill("input[name=phone]", "+86 138 0013 8000")
    with page.expect_navigation():
        page.click('[data-testid="place-order"]')
    expect(page.locator('[data-testid="error-postal_code"]')).to_be_visible()
    screenshot(page, "marketplace-checkout-error")
    page.fill("input[name=postal_code]", "310013")
    with page.expect_navigation():
        page.click('[data-testid="place-order"]')

    expect(page).to_have_url(re.compile(r"/orders/checkout/[0-9a-f-]+/\?token="))
    step = page.locator('[data-testid="payment-step"]')
    expect(step).to_be_visible()
    expect(page.locator('[data-testid="checkout-duty"]')).to_contain_text("¥")
    expect(page.locator('[data-testid="checkout-taxes"]')).to_contain_text("¥")
    expect(page.locator('[data-testid="payment-status"]')).to_have_text("pending")
    expect(page.locator('[data-testid="checkout-order"]')).to_have_count(2)
    screenshot(page, "marketplace-payment-step")
    expect(page.locator('[data-testid="checkout-shipping"]')).to_contain_text("¥")
    checkout = Checkout.objects.get()
    assert (checkout.language, checkout.currency, checkout.destination) == ("zh-hans", "CNY", "CN")
    assert checkout.total_minor == sum(o.total_minor for o in checkout.orders.all())

    # Chinese customs declares the buyer by identity card number: given on the order page.
    with page.expect_navigation():
        page.locator('[data-testid="checkout-order"] h3 a').first.click()
    form = page.locator('[data-testid="id-number-form"]')
    expect(form).to_be_visible()
    form.locator("input[name=id_number]").fill("11010519491231002x")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator('[data-testid="id-number"]')).to_contain_text("002X")
    expect(page.locator('[data-testid="id-number-form"]')).to_have_count(0)
    screenshot(page, "marketplace-buyer-id-number")
    checkout.refresh_from_db()
    assert checkout.shipping_address["id_number"] == "11010519491231002X"

    seller_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1200, "height": 900}
    )
    seller_page = seller_context.new_page()
    try:
        seller_page.goto("/accounts/login/")
        seller_page.fill("input[name=username]", "seller@huye.rw")
        seller_page.fill("input[name=password]", PASSWORD)
        with seller_page.expect_navigation():
            seller_page.click("main form[method=post] button[type=submit]")
        seller_page.goto("/orders/seller/")
        rows = seller_page.locator('[data-testid="order-row"]')
        expect(rows).to_have_count(1)
        order = Order.objects.get(seller__slug="huye-coffee")
        expect(rows.first).to_contain_text(order.reference)
        expect(rows.first).to_contain_text("CN")
        screenshot(seller_page, "marketplace-seller-orders")
        rows.first.locator("a").click()
        expect(seller_page.locator('[data-testid="order-status"]')).to_be_visible()
        expect(seller_page.locator('[data-testid="order-history"]')).to_contain_text(
            "Awaiting payment"
        )
        screenshot(seller_page, "marketplace-seller-order")

        # The seller adds a 250 g bag, then takes the 500 g bag (one unit held by the unpaid
        # order) off sale: the held unit stays held, new buyers see the 250 g bag only.
        product = Product.objects.get(seller__slug="huye-coffee")
        seller_page.goto(f"/shop/sell/huye-coffee/p/{product.slug}/")
        add = seller_page.locator('[data-testid="variant-add-form"]')
        add.locator("#id_variant_name").fill("250 g bag")
        add.locator("#id_variant_sku").fill("HUYE-250")
        add.locator("#id_variant_price").fill("6500")
        add.locator("#id_variant_unit_weight_kg").fill("0.25")
        add.locator("#id_variant_stock").fill("8")
        with seller_page.expect_navigation():
            add.locator("button[type=submit]").click()
        expect(seller_page.locator('tr[data-variant="HUYE-250"]')).to_contain_text("250 g bag")
        big = product.variants.get(name="")
        row = seller_page.locator(f'tr[data-variant="{big.sku}"]')
        with seller_page.expect_navigation():
            row.locator('[data-testid="variant-deactivate"]').click()
        expect(seller_page.locator(".messages")).to_contain_text("held for unpaid orders")
        expect(row).to_contain_text("off sale")
        screenshot(seller_page, "marketplace-seller-variants")
    finally:
        seller_context.close()
