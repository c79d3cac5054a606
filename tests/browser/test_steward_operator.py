"""Four eyes on a rule publication in a real browser, in English and French: steward A enters
Belgium's VAT on coffee as a percentage and asks for publication; steward B of the same
ministry sees the change in words and the products whose landed price moves, and approves.
And the platform operator's overview. Screenshots go to docs/images/ for the README tour."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, Page, expect

from ewtp.accounts.models import Organisation, User
from ewtp.catalog.tests.factories import make_member, make_product, make_seller
from ewtp.traderules.models import PublicationRequest, RuleVersion, Tax
from tests.browser.conftest import screenshot

PASSWORD = "a-long-password-1"
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def tour(page: Page, name: str) -> None:
    """A screenshot for review, and a copy for the README tour."""
    shutil.copyfile(screenshot(page, name), IMAGES / f"{name}.png")


def _user(organisation: Organisation, email: str, role: str, language: str) -> None:
    make_member(organisation, email, role)
    user = User.objects.get(email=email)
    user.set_password(PASSWORD)
    user.language = language
    user.save()


def _prefer(page: Page, language: str) -> None:
    url = re.sub(r"^(https?://[^/]+).*", r"\1/", page.url)
    page.context.add_cookies(
        [
            {"name": "ewtp_language", "value": language, "url": url},
            {"name": "ewtp_destination", "value": "BE", "url": url},
            {"name": "ewtp_currency", "value": "EUR", "url": url},
        ]
    )


def _log_in(page: Page, email: str, language: str) -> None:
    page.goto("/accounts/login/")
    _prefer(page, language)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")


@pytest.fixture
def ministry(transactional_db, request):  # type: ignore[no-untyped-def]
    from ewtp.logistics.demo import network_ensure
    from ewtp.traderules.services.reference_data import reference_data_ensure

    language = getattr(request, "param", "en")
    reference_data_ensure()
    network_ensure()
    cache.clear()
    huye = make_seller("huye-coffee", name="Huye Mountain Coffee")
    make_product(huye, "Huye Mountain roasted coffee beans, 500 g", stock=50)
    ministry = Organisation.objects.create(
        slug="minicom-rules",
        name="Ministry of Trade and Industry",
        kind=Organisation.Kind.RULE_STEWARD,
        country="RW",
        verification=Organisation.Verification.VERIFIED,
    )
    _user(ministry, "alice@minicom.gov.rw", "owner", language)
    _user(ministry, "bruno@minicom.gov.rw", "staff", language)
    return language


WORDS = {
    "en": {
        "subject": "VAT on coffee, tea, mate and spices (HS 09) into Belgium",
        "notice": "a second steward of your organisation approves it",
    },
    "fr": {
        "subject": "TVA sur coffee, tea, mate and spices (HS 09) à destination de Belgique",
        "notice": "un second gestionnaire de votre organisation l\u2019approuve",
    },
}


@pytest.mark.parametrize("ministry", ["en", "fr"], indirect=True)
def test_a_four_eyes_publication_with_a_price_preview(
    page: Page, browser: Browser, live_server, ministry: str
) -> None:  # type: ignore[no-untyped-def]
    language = ministry
    words = WORDS[language]
    _log_in(page, "alice@minicom.gov.rw", language)
    expect(page.locator("html")).to_have_attribute("lang", language)
    row = Tax.objects.get(country="BE", kind="vat", hs_prefix="09")
    page.goto(f"/rules/steward/taxes/{row.pk}/")
    expect(page.locator("input[name=rate]")).to_have_value("6")
    page.fill("input[name=rate]", "12")
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")
    page.goto("/rules/steward/")
    changes = page.locator('[data-testid="changes"]')
    expect(changes).to_contain_text(words["subject"])
    expect(changes.locator("del")).to_have_text("6%")
    expect(changes.locator("ins")).to_have_text("12%")
    page.fill("textarea[name=note]", "VAT on coffee and tea into Belgium follows the finance act.")
    with page.expect_navigation():
        page.click('[data-testid="publish-form"] button[type=submit]')
    expect(page.locator('[data-testid="four-eyes-notice"]')).to_contain_text(words["notice"])
    expect(page.locator('[data-testid="approve-form"]')).to_have_count(0)
    asked = PublicationRequest.objects.get()
    assert RuleVersion.objects.count() == 1

    second = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
    other = second.new_page()
    try:
        _log_in(other, "bruno@minicom.gov.rw", language)
        other.goto("/rules/steward/")
        with other.expect_navigation():
            other.click('[data-testid="publication-link"]')
        assert other.url.endswith(f"/rules/steward/publication/{asked.pk}/")
        preview = other.locator('[data-testid="price-preview"] tbody tr')
        expect(preview.first).to_contain_text("Huye Mountain roasted coffee beans")
        expect(preview.first).to_contain_text("Belg")
        cells = preview.first.locator("td")
        before, after = cells.nth(2).inner_text(), cells.nth(3).inner_text()
        assert before != after and "€" in before and "€" in after
        tour(other, f"steward-four-eyes-{language}")
        with other.expect_navigation():
            other.click('[data-testid="approve-form"] button[type=submit]')
        expect(other.locator("h1")).to_contain_text(RuleVersion.objects.order_by("-id")[0].label)
        expect(other.locator('[data-testid="changes"] ins')).to_have_text("12%")
    finally:
        second.close()
    version = RuleVersion.objects.order_by("-id").first()
    assert version is not None and version.created_by.email == "alice@minicom.gov.rw"
    assert Tax.objects.get(pk=row.pk).rate == "0.12"
    asked.refresh_from_db()
    assert asked.status == "approved" and asked.decided_by.email == "bruno@minicom.gov.rw"


def _paid(product, quantity: int, destination: str, currency: str) -> None:  # type: ignore[no-untyped-def]
    """A checkout placed and paid through the payments app: its money goes into escrow."""
    from ewtp.catalog.tests.factories import ADDRESSES
    from ewtp.orders.services import money
    from ewtp.orders.services.carts import cart_create, cart_line_add
    from ewtp.orders.services.checkout import checkout_place
    from ewtp.payments.providers import Status
    from ewtp.payments.services import payment_settle

    cart = cart_create()
    cart_line_add(cart=cart, product_id=product.public_id, quantity=quantity)
    checkout = checkout_place(
        cart=cart,
        email="anne@example.be",
        destination=destination,
        currency=currency,
        shipping_address=ADDRESSES[destination],
    )
    payment = money.checkout_payment_start(checkout)
    payment_settle(payment_id=payment.pk, status=Status("succeeded"))


@pytest.fixture
def platform(transactional_db):  # type: ignore[no-untyped-def]
    from ewtp.logistics.tests.factories import world

    setting = world()
    cache.clear()
    _paid(setting.coffee, 2, "BE", "EUR")
    _paid(setting.coffee, 1, "CN", "CNY")
    Organisation.objects.create(slug="new-weavers", name="New Weavers", kind="seller", country="RW")
    setting.operator.set_password(PASSWORD)
    setting.operator.save()
    return setting


def test_the_operator_overview(page: Page, live_server, platform) -> None:  # type: ignore[no-untyped-def]
    _log_in(page, platform.operator.email, "en")
    with page.expect_navigation():
        page.click('header a[href="/operator/"]')
    figures = page.locator('[data-testid="operator-figures"]')
    expect(figures.locator('[data-figure="orders_today"] .figure-count')).to_have_text("2")
    expect(figures.locator('[data-figure="orders_month"]')).to_contain_text("€")
    expect(figures.locator('[data-figure="orders_month"]')).to_contain_text("CN¥")
    expect(figures.locator('[data-figure="escrow"]')).to_contain_text("€")
    tour(page, "operator-overview")
    with page.expect_navigation():
        figures.locator('[data-figure="organisations"] a').click()
    assert page.url.endswith("/accounts/operator/organisations/")
    expect(page.locator('[data-organisation="new-weavers"]')).to_be_visible()
