"""The rules forum in a real browser: the steward edits the working copy and drafts a proposal
from it, simulates it on the orders placed, opens consultation; the seller sees the effect on
a product and comments; the steward replies and adopts; from the effective date the shop shows
the new price."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, Page, expect

from ewtp.accounts.models import Organisation, User
from ewtp.catalog.tests.factories import ADDRESSES, make_member, make_product, make_seller
from ewtp.core import clock
from ewtp.forum.models import Proposal
from ewtp.orders.services.carts import cart_create, cart_line_add
from ewtp.orders.services.checkout import checkout_place
from ewtp.traderules.models import Tax
from tests.browser.conftest import screenshot

PASSWORD = "a-long-password-1"
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def _user(organisation: Organisation, email: str) -> None:
    make_member(organisation, email, "owner")
    user = User.objects.get(email=email)
    user.set_password(PASSWORD)
    user.save()


@pytest.fixture
def forum(transactional_db):  # type: ignore[no-untyped-def]
    from ewtp.logistics.demo import network_ensure
    from ewtp.traderules.services.reference_data import reference_data_ensure

    reference_data_ensure()
    network_ensure()
    cache.clear()
    huye = make_seller("huye-coffee", name="Huye Mountain Coffee")
    coffee = make_product(huye, "Huye Mountain roasted coffee beans, 500 g", stock=50)
    _user(huye, "seller@huye.rw")
    ministry = Organisation.objects.create(
        slug="rules-ministry",
        name="Ministry of Trade",
        kind=Organisation.Kind.RULE_STEWARD,
        country="RW",
        verification=Organisation.Verification.VERIFIED,
    )
    _user(ministry, "steward@ministry.example")
    for quantity in (1, 3):
        cart = cart_create()
        cart_line_add(cart=cart, product_id=str(coffee.public_id), quantity=quantity)
        checkout_place(
            cart=cart,
            email="anne@example.be",
            destination="BE",
            currency="EUR",
            shipping_address=ADDRESSES["BE"],
        )
    return coffee


def _login(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")


def _act(page: Page, value: str) -> None:
    with page.expect_navigation():
        page.click(f'button[name="go"][value="{value}"]')


def _amount(shown: str) -> Decimal:
    return Decimal(re.sub(r"[^0-9.]", "", shown))


def _landed(page: Page, slug: str) -> str:
    page.goto(f"/shop/p/{slug}/")
    return page.locator('[data-testid="landed-price"]').inner_text()


def test_steward_drafts_simulates_consults_and_adopts_and_the_shop_follows(
    page: Page, browser: Browser, live_server, forum, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    today = clock.today()
    # Read before the browser starts: on SQLite the test's thread shares the live server's
    # connection, and a query here while the server still answers a page the browser has
    # left (the shop after its destination changed) breaks that request.
    row = Tax.objects.get(country="BE", kind="vat", hs_prefix="09")
    _login(page, "steward@ministry.example")
    page.goto("/shop/")
    with page.expect_navigation():
        page.select_option('[data-testid="destination"]', "BE")
    page.wait_for_load_state("networkidle")
    initial = _landed(page, forum.slug)  # one unit delivered to Belgium, at 6% VAT
    page.goto(f"/rules/steward/taxes/{row.pk}/")
    page.fill("input[name=rate]", "12")  # percent
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")

    page.goto("/rules/proposals/")
    page.fill("input[name=title]", "VAT on coffee and tea into Belgium")
    page.fill("input[name=effective_on]", today.isoformat())
    page.fill("textarea[name=rationale]", "Aligns the rate on the finance act.")
    with page.expect_navigation():
        page.click('form[action$="/draft/"] button[type=submit]')
    expect(page.locator("h1")).to_contain_text("VAT on coffee and tea into Belgium")
    expect(page.locator("ul.changes")).to_contain_text("6% -> 12%")
    code = Proposal.objects.get().code

    _act(page, "simulate")
    expect(page.locator(".simulation-summary")).to_contain_text("2 orders replayed, 2 changed")
    page.fill("input[name=days]", "1")
    _act(page, "open")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "consultation")
    screenshot(page, "forum-proposal")
    page.screenshot(path=str(IMAGES / "forum-proposal.png"), full_page=True)

    seller_context = browser.new_context(base_url=live_server.url)
    seller = seller_context.new_page()
    try:
        _login(seller, "seller@huye.rw")
        seller.goto("/rules/proposals/my-products/")
        effect = seller.locator("table.effects tbody tr").first
        expect(effect).to_contain_text("Huye Mountain roasted coffee beans")
        after = effect.locator("td").nth(3).inner_text().split()[0]
        before = effect.locator("td").nth(2).inner_text().split()[0]
        assert before != after
        seller.screenshot(path=str(IMAGES / "forum-my-products.png"), full_page=True)
        seller.goto(f"/rules/proposals/{code}/")
        seller.select_option("select[name=stakeholder]", "seller")
        seller.fill("input[name=interest]", "I sell roasted coffee to Belgium")
        seller.fill("textarea[name=body]", "Twelve percent makes my coffee dearer than my rivals'.")
        _act(seller, "comment")
        expect(seller.locator("article.comment")).to_contain_text("Twelve percent")
    finally:
        seller_context.close()

    page.reload()
    page.select_option("select[name=outcome]", "not_accepted")
    page.fill("textarea[name=reason]", "The rate mirrors the finance act; it cannot differ.")
    _act(page, "reply")
    expect(page.locator("blockquote.reply")).to_contain_text("Not accepted")
    # The window (one day) has closed: the steward adopts.
    monkeypatch.setattr(clock, "today", lambda: today + timedelta(days=2))
    _act(page, "adopt")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "in_force")

    # From the effective date the shop's price follows the adopted rules: one unit delivered
    # to Belgium now pays 12% VAT where it paid 6%.
    shown = _landed(page, forum.slug)
    assert _amount(shown) > _amount(initial)
    screenshot(page, "forum-shop-after")
