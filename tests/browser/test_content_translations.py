"""Content translations in a real browser: the seller opens the French section of the product
form, types the French name and description and saves; a French visitor's shop and product page
show the French name, an English visitor's the original."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, Page, expect

from ewtp.accounts.models import User
from ewtp.catalog.models import ProductTranslation
from ewtp.catalog.tests.factories import make_member, make_product, make_seller
from tests.browser.conftest import screenshot

PASSWORD = "a-long-password-1"


@pytest.fixture
def honey(transactional_db):  # type: ignore[no-untyped-def]
    from ewtp.logistics.demo import network_ensure
    from ewtp.traderules.services.reference_data import reference_data_ensure

    reference_data_ensure()
    network_ensure()
    cache.clear()
    huye = make_seller("huye-coffee", name="Huye Mountain Coffee")
    product = make_product(
        huye,
        "Huye mountain honey, 500 g",
        hs_code="0409.00",
        description="Raw honey from the hills of Huye.",
        stock=12,
    )
    make_member(huye, "seller@huye.rw", "owner")
    seller = User.objects.get(email="seller@huye.rw")
    seller.set_password(PASSWORD)
    seller.save()
    return product


def test_the_seller_names_the_product_in_french_and_the_french_shop_shows_it(
    page: Page, browser: Browser, live_server, honey
) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "seller@huye.rw")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")
    page.goto(f"/shop/sell/huye-coffee/p/{honey.slug}/")
    french = page.locator('details.translation[data-language="fr"]')
    expect(french).not_to_have_attribute("open", "")
    expect(page.locator("#id_title_fr")).to_be_hidden()
    french.locator("summary").click()  # a <details>: opens without JavaScript
    page.fill("#id_title_fr", "Miel des collines de Huye, 500 g")
    page.fill("#id_description_fr", "Miel cru des collines de Huye.")
    page.locator("#id_title_fr").scroll_into_view_if_needed()
    screenshot(page, "content-translation-seller-fr")
    with page.expect_navigation():
        page.click("form.product-form button[type=submit]:not([name])")
    expect(page.locator("ul.messages")).to_contain_text("The product is saved.")
    saved = ProductTranslation.objects.get(product=honey)
    assert (saved.language, saved.title, saved.description) == (
        "fr",
        "Miel des collines de Huye, 500 g",
        "Miel cru des collines de Huye.",
    )
    # Saved and shown again: the French section is open with its texts.
    expect(page.locator('details.translation[data-language="fr"]')).to_have_attribute("open", "")
    expect(page.locator("#id_title_fr")).to_have_value("Miel des collines de Huye, 500 g")

    visitor_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1200, "height": 900}
    )
    visitor = visitor_context.new_page()
    try:
        visitor.goto("/shop/")
        with visitor.expect_navigation():
            visitor.select_option('[data-testid="language"]', "fr")
        expect(visitor.locator("html")).to_have_attribute("lang", "fr")
        card = visitor.locator('[data-testid="product-card"]').first
        expect(card).to_contain_text("Miel des collines de Huye, 500 g")
        expect(card).not_to_contain_text("Huye mountain honey")
        screenshot(visitor, "content-translation-fr")
        card.locator("a.product-link").click()
        expect(visitor.locator("h1")).to_have_text("Miel des collines de Huye, 500 g")
        expect(visitor.locator("main")).to_contain_text("Miel cru des collines de Huye.")
        expect(visitor.locator('[data-testid="regime"]')).to_contain_text("vers l\u2019UE")
        screenshot(visitor, "content-translation-fr-product")
        with visitor.expect_navigation():
            visitor.select_option('[data-testid="language"]', "en")
        expect(visitor.locator("h1")).to_have_text("Huye mountain honey, 500 g")
    finally:
        visitor_context.close()


@pytest.fixture
def school(transactional_db):  # type: ignore[no-untyped-def]
    from ewtp.learning.tests import factories

    manager = factories.user("manager@school.rw")
    manager.set_password(PASSWORD)
    manager.save()
    provider = factories.provider(manager)
    programme = factories.programme(
        provider,
        title="Export basics for sellers",
        summary="Sell abroad with the right papers.",
        description="Learn to price, pack and declare your goods.",
    )
    factories.course(programme, slug="customs-101", title="Customs 101")
    return programme


def test_the_provider_titles_a_programme_in_swahili_and_swahili_visitors_read_it(
    page: Page, school
) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "manager@school.rw")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")
    page.goto(f"/learn/programmes/{school.slug}/")
    with page.expect_navigation():
        page.click('[data-testid="programme-translations"]')
    page.locator('details.translation[data-language="sw"] summary').click()
    page.fill("#id_title_sw", "Misingi ya kuuza nje kwa wauzaji")
    page.fill("#id_description_sw", "Jifunze kupanga bei, kufunga na kutangaza bidhaa zako.")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator("ul.messages")).to_contain_text("The translations are saved.")
    with page.expect_navigation():
        page.select_option('[data-testid="language"]', "sw")
    page.goto(f"/learn/programmes/{school.slug}/")
    expect(page.locator("h1")).to_have_text("Misingi ya kuuza nje kwa wauzaji")
    expect(page.locator("main")).to_contain_text("Jifunze kupanga bei")
    screenshot(page, "content-translation-sw-programme")
    with page.expect_navigation():
        page.select_option('[data-testid="language"]', "fr")
    expect(page.locator("h1")).to_have_text("Export basics for sellers")
