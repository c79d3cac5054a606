"""The logistics pages: the seller's pack page, the hub's intake, consolidation and shipment
pages, the parcel page, and the public tracking page with the buyer's confirmation."""

import zoneinfo

import pytest
from django.urls import reverse

from ewtp.customs.services import declaration_decide, declarations_submit
from ewtp.logistics.codes import awb_make
from ewtp.logistics.models import Lane, Parcel, Shipment
from ewtp.logistics.services import delivery, parcels
from ewtp.logistics.tests.factories import packed, paid_order, world
from ewtp.orders.models import Order


@pytest.fixture(autouse=True)
def _english(client):  # type: ignore[no-untyped-def]
    """Some demo users read French (their profile language); these pages are checked in English."""
    client.cookies["ewtp_language"] = "en"


@pytest.fixture
def w(db):
    return world()


def test_the_pack_form_names_each_wrong_field_in_words_beside_it(client, w):
    order = paid_order([(w.coffee, 3)], destination="BE")
    client.force_login(w.seller)
    url = reverse("logistics:pack", args=[order.public_id])
    bad = client.post(
        url, {"weight_kg": "0", "length_cm": "-3", "width_cm": "20", "height_cm": "15"}
    )
    html = bad.content.decode()
    assert bad.status_code == 422
    # Every error beside its field, none as a raw field name in a list of codes.
    assert "<code>weight_kg</code>" not in html and "<code>length_cm</code>" not in html
    assert html.count('<span class="error">') == 2
    assert not Parcel.objects.exists()


def test_the_seller_packs_and_sees_the_papers(client, w):
    order = paid_order([(w.coffee, 3)], destination="BE")
    client.force_login(w.seller)
    listing = client.get(reverse("logistics:seller_orders"))
    assert order.reference in listing.content.decode()
    url = reverse("logistics:pack", args=[order.public_id])
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="pack"' in page.content.decode()
    bad = client.post(
        url, {"weight_kg": "0", "length_cm": "30", "width_cm": "20", "height_cm": "15"}
    )
    assert bad.status_code == 422 and "weight_kg" in bad.content.decode()
    assert not Parcel.objects.exists()
    done = client.post(
        url, {"weight_kg": "2.1", "length_cm": "30", "width_cm": "20", "height_cm": "15"}
    )
    assert done.status_code == 302
    parcel = Parcel.objects.get(order=order)
    page = client.get(url).content.decode()
    assert parcel.code in page and "CN 22 (PDF)" in page and "EU low-value import (H7)" in page
    assert 'data-testid="submit-declarations"' in page
    label = client.get(reverse("logistics:label", args=[parcel.code]))
    assert label.status_code == 200 and label["Content-Type"] == "application/pdf"
    assert client.post(url, {"action": "hand_over"}).status_code == 302
    assert Order.objects.get(pk=order.pk).status == Order.Status.HANDED_TO_HUB
    client.force_login(w.baskets_seller)  # another seller's member sees nothing of it
    assert client.get(url).status_code == 404
    assert client.get(reverse("logistics:label", args=[parcel.code])).status_code == 404


def test_the_hub_lists_times_in_its_own_zone_and_says_which(client, w):
    order = paid_order([(w.coffee, 1)], destination="BE")
    parcel = packed(w, order)
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    client.force_login(w.kigali)
    html = client.get(reverse("logistics:hub", args=["KGL"])).content.decode()
    kigali = zoneinfo.ZoneInfo("Africa/Kigali")  # UTC+2 all year
    parcel.refresh_from_db()
    local = parcel.updated_at.astimezone(kigali).strftime("%Y-%m-%d %H:%M")
    utc = parcel.updated_at.astimezone(zoneinfo.ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M")
    assert local != utc
    assert f"<td>{local}</td>" in html and f"<td>{utc}</td>" not in html
    assert "Updated (Africa/Kigali)" in html


def test_the_hub_scans_consolidates_and_dispatches(client, w):
    order = paid_order([(w.coffee, 3)], destination="BE")
    parcel = packed(w, order)
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    client.force_login(w.kigali)
    assert (
        client.get(reverse("logistics:hub_dashboard")).status_code == 302
    )  # one hub: straight to it
    hub_url = reverse("logistics:hub", args=["KGL"])
    assert parcel.code in client.get(hub_url).content.decode()  # handed over, on its way in
    intake = reverse("logistics:intake", args=["KGL"])
    bad = client.post(intake, {"code": "KGL-XXXX"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and 'id="intake"' in bad.content.decode()
    scanned = client.post(intake, {"code": parcel.code.lower()}, HTTP_HX_REQUEST="true")
    body = scanned.content.decode()
    assert (
        scanned.status_code == 200 and 'data-testid="intake-result"' in body and "<html" not in body
    )
    received = parcel.events.get(kind="received").occurred_at
    # The public page tells the buyer the time in the buyer's zone (the destination hub's).
    zone = zoneinfo.ZoneInfo(parcel.destination_hub.time_zone)
    buyer_time = received.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    assert (
        f"{buyer_time} <small>{parcel.destination_hub.time_zone}</small>"
        in client.get(reverse("logistics:track", args=[parcel.code])).content.decode()
    )
    assert parcel.destination_hub.time_zone == "Europe/Brussels"
    lane = Lane.objects.get(origin=w.kgl, destination=w.lgg, carrier__code="WB")
    consolidate = reverse("logistics:consolidate", args=["KGL"])
    wrong = client.post(
        consolidate, {"lane": lane.pk, "awb": "459-12345676", "parcels": [parcel.code]}
    )
    assert wrong.status_code == 422 and "should be 5" in wrong.content.decode()
    made = client.post(
        consolidate, {"lane": lane.pk, "awb": awb_make("459", "1234567"), "parcels": [parcel.code]}
    )
    shipment = Shipment.objects.get()
    assert made.status_code == 302 and made["Location"] == reverse(
        "logistics:shipment", args=[shipment.public_id]
    )
    dispatch = reverse("logistics:shipment_action", args=[shipment.public_id, "dispatch"])
    blocked = client.post(dispatch)
    assert blocked.status_code == 409 and "export declaration" in blocked.content.decode()
    export, _imported = declarations_submit(actor=w.seller, parcel=parcel)
    declaration_decide(actor=w.officer_rw, declaration=export, action="release")
    assert client.post(dispatch).status_code == 302
    assert Shipment.objects.get().status == Shipment.Status.DISPATCHED
    client.force_login(w.liege)
    assert client.get(hub_url).status_code == 404  # Liege staff do not work Kigali's pages
    shipment_page = client.get(
        reverse("logistics:shipment", args=[shipment.public_id])
    ).content.decode()
    assert 'data-testid="arrive"' in shipment_page


def test_the_public_tracking_page_and_the_buyers_confirmation(client, w):
    order = paid_order([(w.coffee, 1)], destination="BE", buyer=w.buyer)
    parcel = packed(w, order)
    track = reverse("logistics:track", args=[parcel.code])
    page = client.get(track).content.decode()
    assert "Packed by the seller" in page and "Marie" not in page  # no personal data
    assert client.post(track).status_code == 404  # a stranger cannot confirm
    Parcel.objects.filter(pk=parcel.pk).update(
        status=Parcel.Status.OUT_FOR_DELIVERY, current_hub=w.lgg
    )
    from ewtp.orders.services.transitions import order_hand_to_hub, order_ship

    order_hand_to_hub(actor=w.seller, order=order)
    order_ship(actor=w.kigali, order=order)
    delivery.parcel_deliver(actor=w.liege, parcel=parcel)
    client.force_login(w.buyer)
    page = client.get(track).content.decode()
    assert 'data-testid="confirm-receipt"' in page
    assert client.post(track).status_code == 302
    assert Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED


def test_empty_states(client, w):
    client.force_login(w.officer_be)
    assert 'data-testid="empty"' in client.get(reverse("logistics:hub_dashboard")).content.decode()
    assert 'data-testid="empty"' in client.get(reverse("logistics:seller_orders")).content.decode()
    client.force_login(w.kigali)
    page = client.get(reverse("logistics:hub", args=["KGL"])).content.decode()
    assert 'data-testid="empty-parcels"' in page


def test_the_tracking_partial_for_the_orders_pages(w):
    from django.template import Context, Template

    order = paid_order([(w.coffee, 1)], destination="BE")
    empty = Template("{% load logistics %}{% tracking_timeline order %}").render(
        Context({"order": order})
    )
    assert "has not packed" in empty
    packed(w, order)
    html = Template("{% load logistics %}{% tracking_timeline order %}").render(
        Context({"order": order})
    )
    assert "Packed by the seller" in html and 'data-kind="packed"' in html


def test_the_hub_sends_a_local_parcel_out_from_its_page_and_the_seller_needs_no_papers(client, w):
    rwanda = {
        "name": "Aline Uwase",
        "landmark": "Blue gate opposite Kimironko market",
        "city": "Gasabo",
        "phone": "0788 123 456",
    }
    local_order = paid_order([(w.coffee, 1)], destination="RW", currency="RWF", address=rwanda)
    abroad = paid_order([(w.coffee, 1)], destination="BE")
    local, flying = packed(w, local_order), packed(w, abroad)
    client.force_login(w.seller)
    pack_page = client.get(reverse("logistics:pack", args=[local_order.public_id])).text
    assert 'data-testid="no-declarations"' in pack_page and "CN 22" not in pack_page
    assert 'data-testid="submit-declarations"' not in pack_page
    assert client.get(reverse("customs:postal_form", args=[local.code])).status_code == 404
    for parcel in (local, flying):
        parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
        parcels.parcel_receive(actor=w.kigali, hub=w.kgl, code=parcel.code)
    client.force_login(w.kigali)
    page = client.get(reverse("logistics:hub", args=["KGL"])).text
    assert f'data-testid="local-{local.code}"' in page
    assert f'data-testid="consolidate-{local.code}"' not in page
    assert f'data-testid="consolidate-{flying.code}"' in page
    assert f'data-testid="local-{flying.code}"' not in page
    sent = client.post(reverse("logistics:parcel_action", args=[local.code, "out_for_delivery"]))
    assert sent.status_code == 302
    local.refresh_from_db()
    assert local.status == Parcel.Status.OUT_FOR_DELIVERY
    assert Order.objects.get(pk=local_order.pk).status == Order.Status.SHIPPED
