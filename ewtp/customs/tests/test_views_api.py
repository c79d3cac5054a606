"""The customs pages (queue, declaration and decision, figures, the seller's papers) and the
customs API."""

import json
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from ewtp.accounts.services import api_token_issue
from ewtp.customs.models import Declaration, TraderProfile
from ewtp.customs.services import declarations_submit
from ewtp.logistics.tests.factories import packed, paid_order, world
from ewtp.web.demo import DEMO_PASSWORD


@pytest.fixture(autouse=True)
def _english(client):  # type: ignore[no-untyped-def]
    """Some demo users read French (their profile language); these pages are checked in English."""
    client.cookies["ewtp_language"] = "en"


@pytest.fixture
def w(db):
    return world()


@pytest.fixture
def submitted(w):
    order = paid_order([(w.coffee, 3)], destination="BE")
    parcel = packed(w, order)
    export, imported = declarations_submit(actor=w.seller, parcel=parcel)
    return parcel, export, imported


def test_the_officer_works_the_queue_and_decides(client, w, submitted):
    parcel, _export, imported = submitted
    client.force_login(w.officer_be)
    queue = client.get(reverse("customs:queue")).content.decode()
    assert imported.reference in queue and "EU low-value import (H7)" in queue
    url = reverse("customs:declaration", args=[imported.public_id])
    page = client.get(url).content.decode()
    assert parcel.code in page and 'data-testid="decide"' in page
    assert 'data-testid="item-row"' in page and "hs_subheading" not in page  # no JSON
    refused = client.post(url, {"action": "hold"})
    assert refused.status_code == 422 and "needs a reason" in refused.content.decode()
    assert (
        client.post(url, {"action": "hold", "reason": "valuation", "note": "invoice?"}).status_code
        == 302
    )
    assert client.post(url, {"action": "release"}).status_code == 302
    assert Declaration.objects.get(pk=imported.pk).status == "released"
    again = client.post(url, {"action": "release"})
    assert again.status_code == 409
    figures = client.get(reverse("customs:figures")).content.decode()
    assert "Value to be justified" in figures and 'data-testid="released-count">1<' in figures
    xml = client.get(reverse("customs:declaration_data", args=[imported.public_id, "xml"]))
    assert xml["Content-Type"].startswith("application/xml")
    assert ElementTree.fromstring(xml.content).get("dataset") == "eu_h7"
    client.force_login(w.officer_cn)
    assert client.get(url).status_code == 404
    assert imported.reference not in client.get(reverse("customs:queue")).content.decode()


def test_the_seller_downloads_papers_and_submits(client, w):
    order = paid_order([(w.coffee, 3)], destination="BE")
    parcel = packed(w, order)
    client.force_login(w.seller)
    for name in ("invoice", "postal_form"):
        pdf = client.get(reverse(f"customs:{name}", args=[parcel.code]))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert client.get(reverse("customs:origin_statement", args=[parcel.code])).status_code == 404
    draft = client.get(reverse("customs:draft_data", args=[parcel.code, "export", "json"]))
    assert json.loads(draft.content)["dataset"] == "rw_asycuda_export"
    TraderProfile.objects.filter(organisation=w.coffee_org).update(tin="")
    refused = client.post(reverse("customs:submit", args=[parcel.code]))
    assert refused.status_code == 422 and "export.exporter.tin" in refused.content.decode()
    saved = client.post(
        reverse("customs:trader_profile", args=["huye-coffee"]),
        {"tin": "101 234 567", "next": reverse("logistics:pack", args=[order.public_id])},
    )
    assert (
        saved.status_code == 302
        and TraderProfile.objects.get(organisation=w.coffee_org).tin == "101234567"
    )
    assert client.post(reverse("customs:submit", args=[parcel.code])).status_code == 302
    assert Declaration.objects.filter(parcel=parcel).count() == 2
    client.force_login(w.baskets_seller)
    assert client.get(reverse("customs:invoice", args=[parcel.code])).status_code == 404


def test_the_customs_api(client, w, submitted):
    _parcel, _export, imported = submitted
    _token, clear = api_token_issue(email="customs.be@demo.ewtp.rw", password=DEMO_PASSWORD)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {clear}"}
    assert client.get("/api/v1/customs/declarations").status_code == 401
    queue = client.get("/api/v1/customs/declarations", **headers).json()
    assert (queue["total"], queue["items"][0]["reference"]) == (1, imported.reference)
    assert queue["items"][0]["value"]["currency"] == "EUR"
    url = f"/api/v1/customs/declarations/{imported.public_id}"
    data = client.get(f"{url}/data?format=xml", **headers)
    assert ElementTree.fromstring(data.content).get("dataset") == "eu_h7"
    decided = client.post(
        f"{url}/decisions", {"action": "release"}, content_type="application/json", **headers
    )
    assert decided.status_code == 200 and decided.json()["status"] == "released"
    again = client.post(
        f"{url}/decisions",
        {"action": "hold", "reason": "other"},
        content_type="application/json",
        **headers,
    )
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    figures = client.get("/api/v1/customs/figures", **headers).json()
    assert figures["released"] == 1 and figures["authority"] == "be-customs"
