"""Pages keep their behaviour under the Content-Security-Policy (scripts from the site only):
no violation reported, and the gate's offline check picks the key a voucher names, a retired
one included."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, ConsoleMessage, expect

from ewtp.tourism import vouchers
from ewtp.tourism.tests.factories import TOURISM_APPS, make_member, make_operator

RANGER_PASSWORD = "gate-password-123"  # set by make_member


def _voucher(names: list[str]) -> str:
    return vouchers.token_issue(
        vouchers.VoucherPayload(
            booking="b-1",
            experience="gorillas",
            visit_on=date(2026, 7, 1),
            visitors=len(names),
            names=names,
            kid="",
        )
    )


@pytest.mark.django_db(transaction=True, available_apps=TOURISM_APPS)
def test_the_gate_checks_vouchers_of_old_and_new_keys_offline_without_csp_violations(
    browser: Browser, live_server
) -> None:  # type: ignore[no-untyped-def]
    ranger = make_member(make_operator(), "ranger@parks.rw")
    before = _voucher(["Ann Lee"])
    call_command("keys", "rotate", stdout=StringIO())
    after = _voucher(["Bo Kim"])
    forged = before.split(".")[0] + "." + after.split(".")[1]

    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(message.text)

    page.on("console", watch)
    page.goto("/")
    page.goto("/accounts/login/?next=/visit/gate/")
    page.fill("input[name=username]", ranger.email)
    page.fill("input[name=password]", RANGER_PASSWORD)
    with page.expect_navigation():
        page.click("form[method=post] button[type=submit] >> nth=-1")
    offline = page.locator('[data-testid="offline-check"]')
    page.fill('[data-testid="token"]', before)
    expect(offline).to_have_text("Signature valid (checked offline): 2026-07-01, Ann Lee")
    page.fill('[data-testid="token"]', after)
    expect(offline).to_have_text("Signature valid (checked offline): 2026-07-01, Bo Kim")
    page.fill('[data-testid="token"]', forged)
    expect(offline).to_have_text("Forged: the signature does not match.")
    assert violations == []
    context.close()
