"""Trade insights in a real browser: the public page reads without JavaScript (charts are
SVG, each with its table and CSV link), and the operator's dashboard after logging in."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import Browser, expect

from ewtp.web.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot


@pytest.fixture
def demo(transactional_db, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("ewtp.insights.demo.HISTORY_ORDERS", 400)
    monkeypatch.setattr("ewtp.insights.demo.HISTORY_BOOKINGS", 60)
    call_command("loaddemo", stdout=io.StringIO())
    cache.clear()


def test_public_insights_without_javascript_and_the_operator_dashboard(  # type: ignore[no-untyped-def]
    browser: Browser, live_server, demo
) -> None:
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1200, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    page.goto("/insights/")
    expect(page.locator("h1")).to_have_text("Trade insights")
    destinations = page.locator('[data-testid="figure-exports-by-destination"]')
    expect(destinations.locator("svg")).to_be_visible()
    expect(destinations.locator('[data-testid="csv-exports-by-destination"]')).to_be_visible()
    destinations.locator("summary").click()
    expect(destinations.locator("table tbody tr").first).to_be_visible()
    expect(page.locator('[data-testid="figure-time-to-release"] table')).to_have_count(1)
    screenshot(page, "insights-public")
    context.close()

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "operator@demo.ewtp.rw")
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")
    page.goto("/")
    with page.expect_navigation():
        page.click("header nav a:text-is('Insights')")
    expect(page.locator("h1")).to_have_text("Trade insights: operator")
    expect(page.locator('[data-testid="figure-exports-by-seller"] svg')).to_be_visible()
    expect(page.locator('[data-testid="figure-learning"] table')).to_be_visible()
    expect(page.locator('[data-testid="figure-tourism"] svg')).to_be_visible()
    screenshot(page, "insights-operator")
    context.close()
