"""A tourist books gorilla permits in a real browser, pays in the sandbox and downloads the
voucher; a ranger checks it in at the gate, and a second scan is refused."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from ewtp.tourism.models import Booking, CheckIn, DailyCapacity
from ewtp.tourism.services import common
from ewtp.tourism.services.gate import voucher_token
from ewtp.tourism.tests.factories import TOURISM_APPS, make_experience, make_member
from tests.browser.conftest import screenshot

RANGER_PASSWORD = "gate-password-123"  # set by make_member


@pytest.mark.django_db(transaction=True, available_apps=TOURISM_APPS)
def test_book_pay_download_and_check_in_once(page: Page, browser: Browser, live_server) -> None:  # type: ignore[no-untyped-def]
    experience = make_experience(slug="gorilla-trekking")
    ranger = make_member(experience.operator, "ranger@parks.rw", "staff")
    today = common.local_today(experience)

    # The tourist picks a date on the calendar (the month grid navigates with htmx).
    page.goto("/visit/")
    page.click("text=Experience gorilla-trekking")
    calendar = page.locator('[data-testid="calendar"]')
    month = page.locator('[data-testid="cal-month"]').inner_text()
    page.click('[data-testid="cal-next"]')
    expect(page.locator('[data-testid="cal-month"]')).not_to_have_text(month)
    page.click('[data-testid="cal-previous"]')
    expect(page.locator('[data-testid="cal-month"]')).to_have_text(month)
    expect(calendar).to_be_visible()
    screenshot(page, "tourism-1-calendar")
    page.click(f'[data-testid="day-{today.isoformat()}"]')
    expect(page.locator('[data-testid="remaining"]')).to_contain_text("96 places left")

    # Two permits: add a visitor row, fill both.
    page.fill('[data-testid="email"]', "ann@example.org")
    page.select_option('[data-testid="v0-category"]', "foreign_non_resident")
    page.fill('[data-testid="v0-full_name"]', "Ann Lee")
    page.fill('[data-testid="v0-nationality"]', "FR")
    page.fill('[data-testid="v0-birth_date"]', "1990-05-01")
    page.fill('[data-testid="v0-document_number"]', "FR123456")
    page.click('[data-testid="add-visitor"]')
    expect(page.locator('[data-testid="visitor-1"]')).to_be_visible()
    expect(page.locator('[data-testid="v0-full_name"]')).to_have_value("Ann Lee")
    page.select_option('[data-testid="v1-category"]', "eac_citizen")
    page.fill('[data-testid="v1-full_name"]', "Baraka Otieno")
    page.fill('[data-testid="v1-nationality"]', "KE")
    page.fill('[data-testid="v1-birth_date"]', "1988-11-20")
    page.fill('[data-testid="v1-document_number"]', "KE998877")
    screenshot(page, "tourism-2-booking-form")
    with page.expect_navigation():
        page.click('[data-testid="hold"]')

    # The hold: a countdown and the payment link.
    expect(page.locator('[data-testid="status"]')).to_contain_text("Held")
    expect(page.locator('[data-testid="countdown"]')).to_have_text(re.compile(r"^(19|20):\d\d$"))
    expect(page.locator('[data-testid="total"]')).to_contain_text("$1,700.00")
    assert DailyCapacity.objects.get(experience=experience, visit_on=today).taken == 2
    screenshot(page, "tourism-3-hold")

    # Pay in the sandbox; its signed webhook confirms the booking.
    with page.expect_navigation():
        page.click('[data-testid="pay"]')
    expect(page.locator('[data-testid="sandbox-amount"]')).to_contain_text("1700.00")
    with page.expect_navigation():
        page.click("button[value=approve]")
    expect(page.locator('[data-testid="status"]')).to_contain_text("Confirmed")
    expect(page.locator('[data-testid="voucher"] svg')).to_be_visible()
    screenshot(page, "tourism-4-voucher")

    with page.expect_download() as download:
        page.click('[data-testid="voucher-pdf"]')
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    booking = Booking.objects.get()
    assert download.value.suggested_filename == f"voucher-{booking.code}.pdf"
    page.click("summary")
    token = page.locator('[data-testid="voucher-token"]').input_value()
    assert token == voucher_token(booking)

    # The ranger checks the voucher in; the same voucher again is refused.
    gate_context = browser.new_context(base_url=live_server.url)
    gate = gate_context.new_page()
    gate.goto("/accounts/login/?next=/visit/gate/")
    gate.fill("input[name=username]", ranger.email)
    gate.fill("input[name=password]", RANGER_PASSWORD)
    with gate.expect_navigation():
        gate.click("form[method=post] button[type=submit] >> nth=-1")
    expect(gate.locator("h1")).to_have_text("Gate check-in")
    gate.fill('[data-testid="token"]', token)
    expect(gate.locator('[data-testid="offline-check"]')).to_contain_text("Signature valid")
    gate.click('[data-testid="check-in"]')
    expect(gate.locator('[data-testid="gate-ok"]')).to_contain_text("Baraka Otieno")
    expect(gate.locator('[data-testid="gate-ok"]')).to_contain_text("EAC passport or ID")
    screenshot(gate, "tourism-5-gate-checked-in")
    gate.fill('[data-testid="token"]', token)
    gate.click('[data-testid="check-in"]')
    expect(gate.locator('[data-testid="gate-refused"]')).to_contain_text("Already checked in at")
    screenshot(gate, "tourism-6-gate-second-scan")
    assert CheckIn.objects.count() == 1
    gate_context.close()


IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def tour(page: Page, name: str) -> None:
    """A screenshot for review, and a copy for the README tour."""
    shutil.copyfile(screenshot(page, name), IMAGES / f"{name}.png")


def _fill_visitor(page: Page, name: str, nationality: str, document: str) -> None:
    page.select_option('[data-testid="v0-category"]', "foreign_non_resident")
    page.fill('[data-testid="v0-full_name"]', name)
    page.fill('[data-testid="v0-nationality"]', nationality)
    page.fill('[data-testid="v0-birth_date"]', "1990-05-01")
    page.fill('[data-testid="v0-document_number"]', document)


@pytest.mark.django_db(transaction=True, available_apps=TOURISM_APPS)
@pytest.mark.parametrize(
    ("language", "nationality_error", "document_error"),
    [
        ("en", "Nationality must be an ISO country code.", "Give the number of the document."),
        (
            "fr",
            "La nationalité doit être un code pays ISO.",
            "Indiquez le numéro du document.",
        ),
    ],
)
def test_a_corrected_booking_form_is_accepted_on_the_next_submit(  # type: ignore[no-untyped-def]
    page: Page, live_server, language: str, nationality_error: str, document_error: str
) -> None:
    experience = make_experience(slug="gorilla-trekking")
    day = common.local_today(experience) + timedelta(days=30)
    page.context.add_cookies([{"name": "ewtp_language", "value": language, "url": live_server.url}])
    page.goto(f"/visit/gorilla-trekking/book/?date={day.isoformat()}")
    page.fill('[data-testid="email"]', "ann@example.org")
    _fill_visitor(page, "Ann Lee", "ZZ", "")
    page.click('[data-testid="hold"]')  # htmx: the form comes back in place, every error shown
    form = page.locator("#booking-form")
    expect(form).to_contain_text(nationality_error)
    expect(form).to_contain_text(document_error)
    assert Booking.objects.count() == 0
    page.fill('[data-testid="v0-nationality"]', "FR")
    page.fill('[data-testid="v0-document_number"]', "FR123456")
    tour(page, f"tourism-corrected-form-{language}")
    with page.expect_navigation():
        page.click('[data-testid="hold"]')
    expect(page.locator('[data-testid="status"]')).to_be_visible()
    booking = Booking.objects.get()
    assert (booking.status, booking.visit_on, booking.places) == ("held", day, 1)
    screenshot(page, f"tourism-corrected-form-held-{language}")


@pytest.mark.django_db(transaction=True, available_apps=TOURISM_APPS)
def test_the_all_parks_dashboard(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    from ewtp.tourism.services.gate import checkin_record
    from ewtp.tourism.tests.factories import book_api, make_park, pay, visitor_json

    gorillas = make_experience(slug="gorilla-trekking")
    make_experience(
        slug="canopy-walk", park=make_park("nyungwe", "Nyungwe National Park"), capacity=40
    )
    make_experience(
        slug="boat-safari", park=make_park("akagera", "Akagera National Park"), capacity=30
    )
    owner = make_member(gorillas.operator, "owner@parks.rw", "owner")
    ranger = make_member(gorillas.operator, "ranger@parks.rw", "staff")
    today = common.local_today(gorillas)
    guest = Client()
    for slug, count, checked in (
        ("gorilla-trekking", 3, 2),
        ("canopy-walk", 2, 1),
        ("boat-safari", 1, 0),
    ):
        for number in range(count):
            held = book_api(
                guest,
                slug,
                {
                    "date": today.isoformat(),
                    "email": f"guest{number}@example.org",
                    "visitors": [visitor_json(name=f"Guest {slug} {number}")],
                },
            ).json()
            pay(guest, held)
            if number < checked:
                booking = Booking.objects.get(public_id=held["id"])
                checkin_record(token=voucher_token(booking), actor=ranger)

    page.goto("/accounts/login/?next=/visit/operator/today/")
    page.fill("input[name=username]", owner.email)
    page.fill("input[name=password]", RANGER_PASSWORD)
    with page.expect_navigation():
        page.click("form[method=post] button[type=submit] >> nth=-1")
    expect(page.locator("h1")).to_have_text("All parks today")
    expect(page.locator('[data-testid="sold-gorilla-trekking"]')).to_have_text("3 / 96")
    expect(page.locator('[data-testid="checked-in-gorilla-trekking"]')).to_have_text("2 / 3")
    expect(page.locator('[data-testid="revenue-gorilla-trekking"]')).to_have_text("$4,500.00")
    expect(page.locator('[data-testid="community-gorilla-trekking"]')).to_have_text("$450.00")
    expect(page.locator('[data-testid="sold-canopy-walk"]')).to_have_text("2 / 40")
    expect(page.locator('[data-testid="total-revenue-USD"]')).to_have_text("$9,000.00")
    tour(page, "tourism-all-parks")
