"""The site on a phone (390 px wide): the header folds into a "Menu" button that works without
JavaScript, and no staff page is wider than the screen (wide tables scroll in their own box).
Every page the header links to, for each staff role of the demo, is measured. The phone menu's
screenshot goes to docs/images/ for the README tour."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import Browser, expect

from ewtp.web.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
PHONE = {"width": 390, "height": 844}
STAFF = (
    "operator@demo.ewtp.rw",
    "hub@demo.ewtp.rw",
    "customs.rw@demo.ewtp.rw",
    "steward@demo.ewtp.rw",
    "gate@demo.ewtp.rw",
    "tours@demo.ewtp.rw",
    "seller@demo.ewtp.rw",
    "trainer@demo.ewtp.rw",
)
WIDER = "document.scrollingElement.scrollWidth"
# What sticks out (to say which element to fix): the first element whose right edge is past
# the screen and whose parent's is not.
WIDEST = """() => {
  for (const el of document.querySelectorAll("body *")) {
    const right = el.getBoundingClientRect().right;
    const parent = el.parentElement.getBoundingClientRect().right;
    if (right > 391 && parent <= 391) return el.tagName + "." + el.className + " " + right;
  }
  return "";
}"""


@pytest.fixture
def demo(transactional_db, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("ewtp.insights.demo.HISTORY_ORDERS", 60)
    monkeypatch.setattr("ewtp.insights.demo.HISTORY_BOOKINGS", 20)
    call_command("loaddemo", stdout=io.StringIO())
    cache.clear()


def test_the_header_folds_into_a_menu_button_on_a_phone(  # type: ignore[no-untyped-def]
    browser: Browser, live_server, transactional_db
) -> None:
    for javascript in (False, True):
        context = browser.new_context(
            base_url=live_server.url, viewport=PHONE, java_script_enabled=javascript
        )
        page = context.new_page()
        page.goto("/")
        shop = page.locator("header nav a", has_text="Shop")
        expect(shop).to_be_hidden()
        expect(page.locator('[data-testid="language"]')).to_be_hidden()
        page.click('[data-testid="menu-button"]')
        expect(shop).to_be_visible()
        expect(page.locator('[data-testid="language"]')).to_be_visible()
        assert page.evaluate(WIDER) <= 390
        if javascript:
            shutil.copyfile(screenshot(page, "phone-menu"), IMAGES / "phone-menu.png")
        page.click('[data-testid="menu-button"]')
        expect(shop).to_be_hidden()
        context.close()
    # On a wide screen the links are in the header, and there is no menu button.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto("/")
    expect(page.locator("header nav a", has_text="Shop")).to_be_visible()
    expect(page.locator('[data-testid="menu-button"]')).to_be_hidden()
    context.close()


def test_no_staff_page_is_wider_than_a_phone(browser: Browser, live_server, demo) -> None:  # type: ignore[no-untyped-def]
    too_wide: list[str] = []
    measured = 0
    for email in STAFF:
        context = browser.new_context(base_url=live_server.url, viewport=PHONE)
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("input[name=username]", email)
        page.fill("input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("main form[method=post] button[type=submit]")
        links = page.eval_on_selector_all(
            "header nav a[href^='/']", "links => links.map(link => link.getAttribute('href'))"
        )
        for href in dict.fromkeys(links):
            page.goto(href)
            measured += 1
            width = page.evaluate(WIDER)
            if width > 390:
                too_wide.append(f"{email} {href}: {width} px, {page.evaluate(WIDEST)}")
        context.close()
    assert measured > 40
    assert too_wide == [], too_wide
