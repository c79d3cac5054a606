"""From the seller's door to the buyer's: a seller packs an order and prints its papers, the
Kigali hub scans it in, Rwanda's customs releases the export, the hub consolidates it into a
shipment to Liege and dispatches it, the Belgian officer releases the import declaration,
Liege records arrival and last-mile delivery, and the buyer follows the timeline and
confirms receipt (the orders app's ``order_complete``)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from ewtp.logistics.codes import awb_make
from ewtp.logistics.models import Lane, Parcel, Shipment
from ewtp.logistics.tests.factories import paid_order, world
from ewtp.orders.models import Order
from ewtp.traderules.services.reference_data import reference_data_ensure
from ewtp.web.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot


@pytest.fixture
def scene(transactional_db):  # type: ignore[no-untyped-def]
    reference_data_ensure()
    w = world()
    order = paid_order([(w.coffee, 3)], destination="BE", buyer=w.buyer)
    return w, order


def _login(page: Page, email: str, then: str) -> None:
    page.context.clear_cookies()
    page.goto(f"/accounts/login/?next={then}")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{then}")
    # Log-in takes the profile's language, and the demo seller and the Belgian officer read
    # French: this walk-through switches back to English.
    host = urlsplit(page.url).hostname or "localhost"
    page.context.add_cookies(
        [{"name": "ewtp_language", "value": "en", "domain": host, "path": "/"}]
    )
    page.reload()


def _decide(page: Page, email: str, reference: str, name: str) -> None:
    _login(page, email, "/customs/")
    page.click(f'[data-testid="open-{reference}"]')
    page.check('[data-testid="action-release"]')
    page.click('[data-testid="decide"]')
    expect(page.locator('[data-testid="declaration-status"]')).to_have_text("Released")
    screenshot(page, name)


def test_a_parcel_travels_from_kigali_to_a_buyer_in_belgium(page: Page, scene) -> None:  # type: ignore[no-untyped-def]
    w, order = scene

    # The seller packs the order and prints its papers.
    _login(page, w.seller.email, "/hubs/seller/")
    page.click(f'[data-testid="pack-{order.reference}"]')
    page.fill('[data-testid="weight"]', "2.1")
    page.fill('[data-testid="length"]', "30")
    page.fill('[data-testid="width"]', "20")
    page.fill('[data-testid="height"]', "15")
    page.click('[data-testid="pack"]')
    code = page.locator('[data-testid="parcel-code"]').inner_text()
    parcel = Parcel.objects.get(code=code)
    expect(page.locator('[data-testid="doc-postal"]')).to_contain_text("CN 22")
    for testid in ("doc-label", "doc-invoice", "doc-postal"):
        href = page.locator(f'[data-testid="{testid}"]').get_attribute("href")
        pdf = page.request.get(href)
        assert pdf.ok and pdf.body().startswith(b"%PDF-")
    screenshot(page, "shipping-1-seller-papers")
    page.click('[data-testid="submit-declarations"]')
    expect(page.locator('[data-testid="declaration-import"]')).to_contain_text("Belgian Customs")
    page.click('[data-testid="hand-over"]')
    expect(page.locator('[data-testid="order-status"]')).to_have_text("Handed to the hub")
    screenshot(page, "shipping-2-seller-handed-over")

    # The Kigali hub scans it in (htmx answers in place).
    _login(page, w.kigali.email, "/hubs/KGL/")
    page.fill('[data-testid="intake-code"]', code.lower().replace("-", " "))
    page.click('[data-testid="intake-submit"]')
    expect(page.locator('[data-testid="intake-result"]')).to_contain_text(code)
    screenshot(page, "shipping-3-hub-intake")

    # Rwanda's customs releases the export declaration.
    export = parcel.declarations.get(kind="export")
    _decide(page, w.officer_rw.email, export.reference, "shipping-4-rra-release")

    # The hub consolidates it into a shipment to Liege and dispatches it.
    _login(page, w.kigali.email, "/hubs/KGL/")
    page.check(f'[data-testid="consolidate-{code}"]')
    lane = Lane.objects.get(origin__code="KGL", destination__code="LGG", carrier__code="WB")
    page.select_option('[data-testid="lane"]', value=str(lane.pk))
    page.fill('[data-testid="awb"]', awb_make("459", "2611001"))
    page.click('[data-testid="consolidate"]')
    page.click('[data-testid="dispatch"]')
    expect(page.locator('[data-testid="shipment-status"]')).to_have_text("Dispatched")
    screenshot(page, "shipping-5-hub-dispatched")
    assert Order.objects.get(pk=order.pk).status == Order.Status.SHIPPED

    # The Belgian officer finds it in the queue and releases it.
    imported = parcel.declarations.get(kind="import")
    _decide(page, w.officer_be.email, imported.reference, "shipping-6-be-release")

    # Liege records the arrival and the last-mile delivery.
    shipment = Shipment.objects.get()
    _login(page, w.liege.email, f"/hubs/shipments/{shipment.public_id}/")
    page.click('[data-testid="arrive"]')
    page.goto(f"/hubs/parcels/{code}/")
    page.click('[data-testid="out-for-delivery"]')
    page.fill("#deliver-note", "M. Peeters")
    page.click('[data-testid="deliver"]')
    expect(page.locator('[data-testid="parcel-status"]')).to_have_text("Delivered")
    assert Order.objects.get(pk=order.pk).status == Order.Status.DELIVERED

    # The buyer follows the timeline and confirms receipt.
    _login(page, w.buyer.email, f"/hubs/track/{code}/")
    timeline = page.locator('[data-testid="tracking"]')
    for step in (
        "Packed by the seller",
        "Received at the hub",
        "Dispatched",
        "Released by customs",
        "Delivered",
    ):
        expect(timeline).to_contain_text(step)
    screenshot(page, "shipping-7-buyer-timeline")
    page.click('[data-testid="confirm-receipt"]')
    expect(timeline).to_contain_text("Receipt confirmed by the buyer")
    assert Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED
    screenshot(page, "shipping-8-buyer-confirmed")


def test_a_parcel_inside_rwanda_goes_from_the_seller_to_a_kigali_buyer_without_papers(
    page: Page, transactional_db
) -> None:  # type: ignore[no-untyped-def]
    reference_data_ensure()
    w = world()
    address = {
        "name": "Aline Uwase",
        "landmark": "Blue gate opposite Kimironko market",
        "city": "Gasabo",
        "phone": "0788 123 456",
    }
    order = paid_order(
        [(w.coffee, 2)], destination="RW", currency="RWF", address=address, buyer=w.buyer
    )
    assert order.carriage["local"] is True

    # The seller packs it: a label and an invoice, no customs declaration.
    _login(page, w.seller.email, "/hubs/seller/")
    page.click(f'[data-testid="pack-{order.reference}"]')
    page.fill('[data-testid="weight"]', "1.2")
    page.fill('[data-testid="length"]', "20")
    page.fill('[data-testid="width"]', "15")
    page.fill('[data-testid="height"]', "10")
    page.click('[data-testid="pack"]')
    code = page.locator('[data-testid="parcel-code"]').inner_text()
    expect(page.locator('[data-testid="no-declarations"]')).to_be_visible()
    expect(page.locator('[data-testid="doc-postal"]')).to_have_count(0)
    page.click('[data-testid="hand-over"]')
    expect(page.locator('[data-testid="order-status"]')).to_have_text("Handed to the hub")

    # Kigali scans it in and sends it out with its courier from the local deliveries.
    _login(page, w.kigali.email, "/hubs/KGL/")
    page.fill('[data-testid="intake-code"]', code)
    page.click('[data-testid="intake-submit"]')
    expect(page.locator('[data-testid="intake-result"]')).to_contain_text(code)
    page.goto("/hubs/KGL/")
    expect(page.locator(f'[data-testid="consolidate-{code}"]')).to_have_count(0)
    screenshot(page, "shipping-local-1-hub")
    page.click(f'[data-testid="local-out-{code}"]')
    page.fill("#deliver-note", "Aline at the gate")
    page.click('[data-testid="deliver"]')
    expect(page.locator('[data-testid="deliver"]')).to_have_count(0)
    screenshot(page, "shipping-local-2-delivered")
    parcel = Parcel.objects.get(code=code)
    assert parcel.status == Parcel.Status.DELIVERED
    assert Order.objects.get(pk=order.pk).status == Order.Status.DELIVERED
    assert not parcel.declarations.exists()
