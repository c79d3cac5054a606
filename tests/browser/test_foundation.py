"""The foundation in a real browser: sign up, log in, switch to Kinyarwanda and CNY, and find
both remembered on a new page load, after logging out and in again, and on another device."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from ewtp.accounts.models import User
from ewtp.core.models import OutboxMessage
from ewtp.web.tests.messages import ensure_compiled
from tests.browser.conftest import screenshot

PASSWORD = "a long password 1"
EMAIL = "ama@example.org"


@pytest.fixture(autouse=True)
def _compiled_messages() -> None:
    ensure_compiled()


def _last_mail_to(email: str) -> str:
    """The body of the last mail to ``email`` (the outbox table, or Django's test outbox)."""
    from django.core import mail

    bodies = [str(message.body) for message in getattr(mail, "outbox", []) if email in message.to]
    bodies += [m.body for m in OutboxMessage.objects.filter(to=email).order_by("created_at")]
    assert bodies, f"no mail to {email}"
    return bodies[-1]


def _log_in(page: Page) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[method=post] button[type=submit] >> nth=-1")


def _log_out(page: Page) -> None:
    with page.expect_navigation():
        page.click('[data-testid="logout"]')
    expect(page.locator('[data-testid="login"]')).to_be_visible()


def _expect_kinyarwanda_and_cny(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "rw")
    expect(page.locator('[data-testid="language"]')).to_have_value("rw")
    expect(page.locator('[data-testid="currency"]')).to_have_value("CNY")


def test_sign_up_log_in_switch_language_and_currency(
    page: Page, browser: Browser, live_server
) -> None:  # type: ignore[no-untyped-def]
    # Sign up.
    page.goto("/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.fill("input[name=full_name]", "Ama Mensah")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    # The same answer for every address; the mail's link opens the account.
    expect(page.locator('[data-testid="signup-sent"]')).to_be_visible()
    link = re.search(r"https?://\S+(/accounts/signup/confirm/\S+/)", _last_mail_to(EMAIL))
    assert link
    page.goto(link.group(1))
    expect(page.locator(".messages")).to_contain_text("Welcome to eWTP.")
    expect(page.locator('[data-testid="profile"]')).to_be_visible()

    # Log out and in again.
    _log_out(page)
    _log_in(page)
    expect(page.locator('[data-testid="profile"]')).to_have_text("Profile")

    # Switch the language to Kinyarwanda, then the currency to CNY.
    with page.expect_navigation():
        page.select_option('[data-testid="language"]', "rw")
    expect(page.locator("html")).to_have_attribute("lang", "rw")
    expect(page.locator('[data-testid="profile"]')).to_have_text("Umwirondoro")
    with page.expect_navigation():
        page.select_option('[data-testid="currency"]', "CNY")
    _expect_kinyarwanda_and_cny(page)

    # A new page load remembers both.
    page.goto("/")
    _expect_kinyarwanda_and_cny(page)
    expect(page.locator("h1")).to_have_text(
        "Curuza hanze y'imipaka, urebe ikiguzi cyose mbere yo kwishyura"
    )
    expect(page.locator('[data-testid="shown-in"]')).to_contain_text("CNY")

    # The profile has them too.
    user = User.objects.get(email=EMAIL)
    assert (user.language, user.currency) == ("rw", "CNY")

    # Logging out and in again keeps them.
    _log_out(page)
    _expect_kinyarwanda_and_cny(page)
    _log_in(page)
    page.goto("/")
    _expect_kinyarwanda_and_cny(page)
    screenshot(page, "home")

    # Another device (no cookies) starts in English, and takes the profile's on log-in.
    other = browser.new_context(base_url=live_server.url)
    other_page = other.new_page()
    try:
        other_page.goto("/")
        expect(other_page.locator("html")).to_have_attribute("lang", "en")
        _log_in(other_page)
        other_page.goto("/accounts/profile/")
        _expect_kinyarwanda_and_cny(other_page)
        expect(other_page).to_have_url(re.compile(r"/accounts/profile/$"))
    finally:
        other.close()
