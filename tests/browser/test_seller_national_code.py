"""A seller lists green tea, HS 0902.10, which the US tariff splits into 0902.10.10 (flavored,
6.4%) and 0902.10.90 (not flavored, Free): typing the code brings the choice into the form,
with each national line's description and duty; once picked, the product page quotes the
United States complete. In English and French; screenshots go to docs/images/."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from ewtp.catalog.models import Product
from ewtp.catalog.tests.factories import make_member, make_seller
from tests.browser.test_journeys import PASSWORD, _log_in, tour

FORM_LABEL = {"en": "National code for United States", "fr": "Code national pour États-Unis"}


@pytest.fixture
def tea_seller(transactional_db):  # type: ignore[no-untyped-def]
    from ewtp.traderules.services.reference_data import reference_data_ensure

    reference_data_ensure()
    cache.clear()
    seller = make_seller("nyungwe-tea", name="Nyungwe Tea")
    make_member(seller, "owner@tea.rw", "owner")
    return seller


def _language(page: Page, language: str, destination: str = "US") -> None:
    page.context.add_cookies(
        [
            {"name": name, "value": value, "url": re.sub(r"^(https?://[^/]+).*", r"\1/", page.url)}
            for name, value in (
                ("ewtp_language", language),
                ("ewtp_destination", destination),
                ("ewtp_currency", "USD"),
            )
        ]
    )


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_seller_picks_the_us_national_code_in_the_form(  # type: ignore[no-untyped-def]
    page: Page, live_server, tea_seller, language
) -> None:
    assert PASSWORD
    page.goto("/shop/")
    _language(page, language)
    _log_in(page, "owner@tea.rw")
    page.goto("/shop/sell/nyungwe-tea/new/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.fill("#id_title", "Nyungwe green tea, 100 g")
    page.fill("#id_hs_code", "0902.10")
    page.locator("#id_hs_code").press("Tab")
    choice = page.locator("#id_national_US")
    expect(choice).to_be_visible()
    expect(page.locator("label[for=id_national_US]")).to_have_text(FORM_LABEL[language])
    expect(choice.locator("option")).to_have_count(3)
    expect(choice.locator("option[value='09021090']")).to_contain_text("not flavored (Free)")
    choice.select_option("09021090")
    page.fill("#id_unit_weight_kg", "0.1")
    page.fill("#id_price", "20.00")
    page.fill("#id_currency", "USD")
    page.fill("#id_stock", "10")
    choice.scroll_into_view_if_needed()
    name = "seller-national-code" if language == "en" else f"seller-national-code-{language}"
    tour(page, name)
    with page.expect_navigation():
        page.click("button[name=publish]")
    product = Product.objects.get(title="Nyungwe green tea, 100 g")
    assert product.national_codes == {"US": "09021090"}
    expect(page.locator("#id_national_US")).to_have_value("09021090")
    page.goto(f"/shop/p/{product.slug}/")
    # USD 20.00, duty Free (0902.10.90), the informal-entry processing fee USD 2.77
    # (data/rules/fees.csv, us-mpf-informal FY2027), no VAT: complete, no estimate.
    expect(page.locator('[data-testid="landed-price"]')).to_have_text(re.compile(r"22[.,]77"))
    expect(page.locator('[data-testid="estimate-reason"]')).to_have_count(0)
