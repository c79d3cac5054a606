"""The hub's scanner: every scan answers in words, with JavaScript (htmx, in place, the lists
with it) and without (redirect after the POST, the answer on the page once); a batch of codes
is received code by code; a shipment's manifest is a real PDF with its parcels and totals."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from ewtp.customs.services import declarations_submit
from ewtp.logistics.codes import awb_make, parcel_code_new
from ewtp.logistics.models import Lane, Parcel
from ewtp.logistics.services import parcels, shipments
from ewtp.logistics.services.intake import codes_from_text, parcels_receive_batch
from ewtp.logistics.tests.factories import World, packed, paid_order, world

pytestmark = pytest.mark.django_db

INTAKE = reverse("logistics:intake", args=["KGL"])
BATCH = reverse("logistics:intake_batch", args=["KGL"])
HUB = reverse("logistics:hub", args=["KGL"])


@pytest.fixture
def w() -> World:
    return world()


@pytest.fixture
def hub_client(client: Client, w: World) -> Client:
    client.cookies["ewtp_language"] = "en"
    client.force_login(w.kigali)
    return client


def _handed_over(w: World) -> Parcel:
    parcel = packed(w, paid_order([(w.coffee, 3)], destination="BE"))
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    return parcel


def test_without_javascript_a_good_scan_redirects_and_the_page_shows_it_once(
    hub_client: Client, w: World
) -> None:
    parcel = _handed_over(w)
    answer = hub_client.post(INTAKE, {"code": parcel.code.lower()})
    assert answer.status_code == 303 and answer["Location"] == HUB
    page = hub_client.get(HUB).content.decode()
    assert 'data-testid="intake-result"' in page
    assert f"{parcel.code} · Huye Mountain Coffee Cooperative · KGL → LGG" in page
    # The lists show it received: it waits to be consolidated.
    assert f'data-testid="consolidate-{parcel.code}"' in page
    assert 'data-testid="intake-result"' not in hub_client.get(HUB).content.decode()  # once


def test_without_javascript_a_bad_scan_redirects_and_says_why_in_words(
    hub_client: Client, w: World
) -> None:
    unknown = parcel_code_new("KGL")
    answer = hub_client.post(INTAKE, {"code": unknown})
    assert answer.status_code == 303
    page = hub_client.get(HUB).content.decode()
    assert 'data-outcome="not_found"' in page
    assert f"Unknown code</span> No parcel {unknown}." in page
    assert "unknown parcel" not in page  # the API's field note is not shown


def test_with_htmx_a_scan_swaps_the_work_area_with_fresh_lists(
    hub_client: Client, w: World
) -> None:
    parcel = _handed_over(w)
    answer = hub_client.post(INTAKE, {"code": parcel.code}, HTTP_HX_REQUEST="true")
    body = answer.content.decode()
    assert answer.status_code == 200 and "<html" not in body
    assert body.startswith('<div id="hub-work" data-swap-errors>')
    assert f'data-testid="consolidate-{parcel.code}"' in body  # the list refreshed
    assert Parcel.objects.get(pk=parcel.pk).status == Parcel.Status.RECEIVED


def test_a_second_scan_of_the_same_parcel_is_a_duplicate_and_changes_nothing(
    hub_client: Client, w: World
) -> None:
    parcel = _handed_over(w)
    hub_client.post(INTAKE, {"code": parcel.code}, HTTP_HX_REQUEST="true")
    events = parcel.events.count()
    again = hub_client.post(INTAKE, {"code": parcel.code}, HTTP_HX_REQUEST="true")
    body = again.content.decode()
    assert again.status_code == 409
    assert 'data-outcome="already_received"' in body
    assert (
        f"Already scanned</span> Parcel {parcel.code} was received here already: no need to "
        "scan it again." in body
    )
    assert parcel.events.count() == events


def test_a_parcel_of_another_hub_is_refused_in_words(client: Client, w: World) -> None:
    parcel = _handed_over(w)
    client.cookies["ewtp_language"] = "en"
    client.force_login(w.liege)
    answer = client.post(
        reverse("logistics:intake", args=["LGG"]), {"code": parcel.code}, HTTP_HX_REQUEST="true"
    )
    body = answer.content.decode()
    assert answer.status_code == 409 and 'data-outcome="wrong_hub"' in body
    assert f"Belongs to another hub</span> Parcel {parcel.code} leaves from KGL, not LGG." in body
    assert "belongs to KGL" not in body  # the API's field note is not shown
    assert Parcel.objects.get(pk=parcel.pk).status == Parcel.Status.HANDED_OVER


def test_a_scan_in_french_speaks_french(hub_client: Client, w: World) -> None:
    hub_client.cookies["ewtp_language"] = "fr"
    unknown = parcel_code_new("KGL")
    body = hub_client.post(INTAKE, {"code": unknown}, HTTP_HX_REQUEST="true").content.decode()
    assert f"Code inconnu</span> Aucun colis {unknown}." in body


def test_codes_are_read_one_a_line_or_several_whole_codes_on_a_line() -> None:
    assert codes_from_text("KGL-AAAAAAAA-A\n kgl bbbbbbbb b ;KGL-CCCCCCCC-C, \n\n") == [
        "KGL-AAAAAAAA-A",
        "kgl bbbbbbbb b",
        "KGL-CCCCCCCC-C",
    ]
    assert codes_from_text("KGL-AAAAAAAA-A KGLBBBBBBBBB") == ["KGL-AAAAAAAA-A", "KGLBBBBBBBBB"]


def test_a_batch_receives_each_code_on_its_own_and_says_why_others_were_refused(
    w: World,
) -> None:
    good = _handed_over(w)
    other = _handed_over(w)
    not_yet = packed(w, paid_order([(w.coffee, 1)], destination="BE"))
    unknown = parcel_code_new("KGL")
    text = "\n".join([good.code, "KGL-XXXX", unknown, not_yet.code, good.code.lower(), other.code])
    results = parcels_receive_batch(actor=w.kigali, hub=w.kgl, text=text)
    assert [(r.outcome, r.given) for r in results] == [
        ("received", good.code),
        ("invalid_code", "KGL-XXXX"),
        ("not_found", unknown),
        ("not_handed_over", not_yet.code),
        ("duplicate_in_batch", good.code.lower()),
        ("received", other.code),
    ]
    statuses = dict(Parcel.objects.values_list("code", "status"))
    assert statuses == {
        good.code: Parcel.Status.RECEIVED,
        other.code: Parcel.Status.RECEIVED,
        not_yet.code: Parcel.Status.PACKED,
    }
    assert not_yet.events.filter(kind="received").count() == 0


def test_the_batch_page_lists_each_code_with_its_result(hub_client: Client, w: World) -> None:
    good = _handed_over(w)
    unknown = parcel_code_new("KGL")
    answer = hub_client.post(BATCH, {"codes": f"{good.code}\n{unknown}"}, HTTP_HX_REQUEST="true")
    body = answer.content.decode()
    assert answer.status_code == 200
    assert 'data-testid="batch-summary">1 of 2 received.<' in body
    assert body.count('data-testid="batch-row"') == 2
    assert f'data-outcome="not_found"><td><code>{unknown}</code></td>' in body
    assert f"No parcel {unknown}." in body
    assert f'data-testid="consolidate-{good.code}"' in body
    empty = hub_client.post(BATCH, {"codes": "  \n "})
    assert empty.status_code == 303
    assert "Scan or paste at least one parcel code." in hub_client.get(HUB).content.decode()


def test_the_manifest_is_a_pdf_with_every_parcel_and_the_totals(
    hub_client: Client, w: World
) -> None:
    first, second = _handed_over(w), _handed_over(w)
    declarations_submit(actor=w.seller, parcel=first)
    for parcel in (first, second):
        parcels.parcel_receive(actor=w.kigali, hub=w.kgl, code=parcel.code)
    lane = Lane.objects.get(origin=w.kgl, destination=w.lgg, carrier__code="WB")
    shipment = shipments.shipment_create(
        actor=w.kigali,
        lane=lane,
        awb=awb_make("459", "7654321"),
        parcels=list(Parcel.objects.filter(pk__in=[first.pk, second.pk])),
    )
    url = reverse("logistics:shipment_manifest", args=[shipment.public_id])
    assert f'href="{url}"' in hub_client.get(HUB).content.decode()
    response = hub_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    flat = " ".join(text.split())
    imported = first.declarations.get(kind="import")
    declared = Decimal(imported.value_minor) / 100
    goods = Decimal(second.order.goods_minor) / 100
    assert f"AWB {shipment.awb}" in flat
    assert "Kigali Logistics Platform (KGL)" in flat and "Liege eHub (LGG)" in flat
    for parcel in (first, second):
        assert parcel.code in flat
    assert flat.count("Belgium (LGG) 2.100 kg") == 2
    assert f"{declared:.2f} EUR" in flat and f"{goods:.2f} EUR" in flat
    assert f"Total: 2 parcels 4.200 kg {declared + goods:.2f} EUR" in flat
    client = Client()
    client.force_login(w.officer_be)  # no hub of this shipment: not found
    assert client.get(url).status_code == 404


def test_a_batch_over_the_limit_is_refused_whole(w: World) -> None:
    from ewtp.core.errors import InvalidRequest
    from ewtp.logistics.services.intake import MAX_BATCH

    good = _handed_over(w)
    text = "\n".join([good.code] + [parcel_code_new("KGL") for _ in range(MAX_BATCH)])
    with pytest.raises(InvalidRequest) as refused:
        parcels_receive_batch(actor=w.kigali, hub=w.kgl, text=text)
    assert refused.value.message == "At most 200 codes at once: split the list."
    assert Parcel.objects.get(pk=good.pk).status == Parcel.Status.HANDED_OVER
