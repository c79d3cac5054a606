"""The hub's scanner and the customs officer's desk in a real browser.

A bad scan answers in words in place (JavaScript on: no page load, the lists follow a good
scan), in English and in French; without JavaScript the page reloads with the same answer; a
batch lists each code's result; the manifest link gives a PDF. The officer reads a
declaration's item table and the duty and taxes paid, then releases it and moves on to the
next one, down to the empty queue. Screenshots go to docs/images/ for the README tour."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from ewtp.customs.services import declarations_submit
from ewtp.logistics.codes import awb_make, parcel_code_new
from ewtp.logistics.models import Lane, Parcel
from ewtp.logistics.services import parcels, shipments
from ewtp.logistics.tests.factories import World, packed, paid_order, world
from ewtp.traderules.services.reference_data import reference_data_ensure
from ewtp.web.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def tour(page: Page, name: str) -> None:
    """A screenshot for review, and a copy for the README tour."""
    shutil.copyfile(screenshot(page, name), IMAGES / f"{name}.png")


def _language(page: Page, language: str) -> None:
    host = urlsplit(page.url).hostname or "localhost"
    page.context.add_cookies(
        [{"name": "ewtp_language", "value": language, "domain": host, "path": "/"}]
    )


def _login(page: Page, email: str, then: str, language: str = "en") -> None:
    page.context.clear_cookies()
    page.goto(f"/accounts/login/?next={then}")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{then}")
    _language(page, language)  # log-in takes the profile's language: this test chooses
    page.reload()


def _handed_over(w: World) -> Parcel:
    parcel = packed(w, paid_order([(w.coffee, 3)], destination="BE"))
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    return parcel


@pytest.fixture
def w(transactional_db) -> World:  # type: ignore[no-untyped-def]
    reference_data_ensure()
    return world()


def _scan(page: Page, code: str) -> None:
    page.fill('[data-testid="intake-code"]', code)
    page.click('[data-testid="intake-submit"]')


def test_a_bad_scan_at_the_hub_answers_in_words_in_place(page: Page, w: World) -> None:
    good, later = _handed_over(w), _handed_over(w)
    unknown = parcel_code_new("KGL")
    _login(page, w.kigali.email, "/hubs/KGL/")
    page.evaluate("window.noReload = true")  # gone if the page loads again

    # A good scan: the answer and the lists change in place.
    _scan(page, good.code.lower())
    expect(page.locator('[data-testid="intake-result"]')).to_contain_text(good.code)
    expect(page.locator(f'[data-testid="consolidate-{good.code}"]')).to_be_visible()

    # An unknown code, then the same parcel again: each says what happened, in words.
    _scan(page, unknown)
    error = page.locator('[data-testid="scan-error"]')
    expect(error).to_contain_text(f"Unknown code No parcel {unknown}.")
    expect(page.locator('[data-testid="intake-code"]')).to_be_focused()
    assert page.evaluate("window.noReload") is True
    tour(page, "hub-bad-scan-en")
    _scan(page, good.code)
    expect(error).to_contain_text(
        f"Already scanned Parcel {good.code} was received here already: no need to scan it again."
    )
    assert page.evaluate("window.noReload") is True

    # The same in French.
    _language(page, "fr")
    page.reload()
    _scan(page, "KGL-1234")
    expect(error).to_contain_text("Pas un code de colis")
    expect(error).to_contain_text("KGL-1234")
    tour(page, "hub-bad-scan-fr")

    # A batch: each code with its result, the good one received.
    _language(page, "en")
    page.reload()
    page.click('[data-testid="batch"] summary')
    page.fill('[data-testid="batch-codes"]', f"{later.code}\n{unknown}\n{good.code}")
    page.click('[data-testid="batch-submit"]')
    expect(page.locator('[data-testid="batch-summary"]')).to_have_text("1 of 3 received.")
    rows = page.locator('[data-testid="batch-row"]')
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Received")
    expect(rows.nth(1)).to_contain_text("Unknown code")
    expect(rows.nth(2)).to_contain_text("Already scanned")
    screenshot(page, "hub-batch-en")
    assert Parcel.objects.get(pk=later.pk).status == Parcel.Status.RECEIVED

    # The manifest of a shipment, from the hub's list of shipments.
    lane = Lane.objects.get(origin=w.kgl, destination=w.lgg, carrier__code="WB")
    shipment = shipments.shipment_create(
        actor=w.kigali, lane=lane, awb=awb_make("459", "3334445"), parcels=[good, later]
    )
    page.reload()
    link = page.locator(f'[data-testid="manifest-{shipment.awb}"]')
    pdf = page.request.get(link.get_attribute("href") or "")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")


def test_without_javascript_a_bad_scan_reloads_the_page_with_the_answer(
    browser: Browser, live_server, w: World
) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        _login(page, w.kigali.email, "/hubs/KGL/")
        unknown = parcel_code_new("KGL")
        with page.expect_navigation():
            _scan(page, unknown)
        assert page.url.endswith("/hubs/KGL/")  # redirected after the POST
        expect(page.locator('[data-testid="scan-error"]')).to_contain_text(
            f"Unknown code No parcel {unknown}."
        )
    finally:
        context.close()


def test_the_officer_reads_the_items_and_releases_one_after_the_other(page: Page, w: World) -> None:
    first = packed(w, paid_order([(w.coffee, 3)], destination="BE"), weight="1.0")
    second = packed(w, paid_order([(w.coffee, 2)], destination="BE"))
    one = declarations_submit(actor=w.seller, parcel=first)[1]
    two = declarations_submit(actor=w.seller, parcel=second)[1]
    _login(page, w.officer_be.email, "/customs/")
    page.click(f'[data-testid="open-{one.reference}"]')
    rows = page.locator('[data-testid="item-row"]')
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Huye roasted coffee beans, 500 g")
    expect(rows.first).to_contain_text("0901.21")
    expect(rows.first).to_contain_text("Rwanda")
    expect(page.locator('[data-testid="flags"]')).to_contain_text(
        "Weight does not match The parcel weighs 1.000 kg but its goods weigh 1.650 kg"
    )
    expect(page.locator('[data-testid="incoterm"]')).to_contain_text(
        "Duties and taxes paid: the buyer paid them at checkout."
    )
    expect(page.locator('[data-testid="charges"]')).to_contain_text("VAT (6%)")
    tour(page, "customs-declaration")

    page.click('[data-testid="release-next"]')
    expect(page.locator("h1")).to_contain_text(two.reference)
    page.click('[data-testid="release-next"]')
    expect(page.locator('[data-testid="empty-queue"]')).to_be_visible()
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.status, two.status) == ("released", "released")
