"""The landed-cost calculator in a real browser: a visitor finds roasted coffee by words,
quotes 3 bags from Rwanda to Belgium and then to China, and sees the regime and the
preference programme named, with the landed price split in a bar."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from ewtp.traderules.services.reference_data import reference_data_ensure
from tests.browser.conftest import screenshot


def _quote(page: Page) -> None:
    page.click('[data-testid="quote-submit"]')
    expect(page.locator('[data-testid="quote-result"]')).to_be_visible()


def test_a_visitor_quotes_roasted_coffee_to_belgium_and_china(page: Page) -> None:
    reference_data_ensure()  # the live server's database is flushed between tests

    page.goto("/rules/")
    page.click('[data-testid="open-calculator"]')
    expect(page.locator("h1")).to_have_text("Landed-cost calculator")

    # Find the HS code by words, as the visitor types.
    page.locator('[data-testid="line-0-find"]').press_sequentially("roasted coffee", delay=20)
    first = page.locator('[data-testid="line-0-suggestion-list"] [data-testid="suggestion"]').first
    expect(first).to_have_text("0901.21")
    screenshot(page, "quote-calculator-hs-search")
    first.click()
    expect(page.locator('[data-testid="line-0-hs_code"]')).to_have_value("0901.21")
    expect(page.locator('[data-testid="line-0-hs_description"]')).to_have_text(
        "Coffee; roasted, not decaffeinated"
    )

    # 3 bags of 5 kg at RWF 150,000 each, to Belgium, on the contract's date.
    page.fill('[data-testid="quote-date"]', "2026-11-26")
    page.select_option('[data-testid="quote-origin"]', "RW")
    page.select_option('[data-testid="quote-destination"]', "BE")
    page.select_option('[data-testid="currency-choice"]', "EUR")
    page.fill('[data-testid="line-0-quantity"]', "3")
    page.fill('[data-testid="line-0-price"]', "150000")
    page.fill('[data-testid="line-0-weight"]', "5")
    _quote(page)
    result = page.locator('[data-testid="quote-result"]')
    expect(page.locator('[data-testid="regime-name"]')).to_have_text("Standard import treatment")
    expect(page.locator('[data-testid="programme"]')).to_have_text("eu-eba")
    # Goods 267.46 EUR; Belgian VAT on coffee 6% (foodstuffs): 16.0476 -> 16.05.
    expect(result).to_contain_text("Landed cost: 283.51 EUR")
    expect(result).to_contain_text("statement_on_origin")
    expect(page.locator('[data-testid="landed-bar"] span')).to_have_count(2)
    screenshot(page, "quote-calculator-belgium")

    # The same bags to China for a business buyer: China's LDC zero tariff applies.
    page.select_option('[data-testid="quote-destination"]', "CN")
    page.select_option('[data-testid="currency-choice"]', "CNY")
    page.select_option('[data-testid="buyer-kind"]', "business")
    expect(page.locator('[data-testid="line-0-hs_code"]')).to_have_value("0901.21")
    _quote(page)
    expect(page.locator('[data-testid="regime-name"]')).to_have_text("Standard import treatment")
    expect(page.locator('[data-testid="programme"]')).to_have_text("cn-ldc-zero")
    expect(result).to_contain_text("phytosanitary_certificate")
    expect(result).to_contain_text("Landed cost: 2412.56 CNY")

    # A consumer in China buys through the cross-border retail regime instead.
    page.select_option('[data-testid="buyer-kind"]', "consumer")
    _quote(page)
    expect(page.locator('[data-testid="regime-id"]')).to_have_text("cn-cbec-retail")
    expect(page.locator('[data-testid="regime-name"]')).to_contain_text(
        "China cross-border e-commerce retail import"
    )
    expect(result).to_contain_text("Landed cost: 2329.30 CNY")
    screenshot(page, "quote-calculator-china")
