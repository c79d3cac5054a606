"""Staff pages speak in words: the text a hub worker, a customs officer or a rules reader sees (visible text,
options, tooltips) never shows a raw code of the platform's code lists (``weight_mismatch``,
``flat_per_hs6``, ``not_found`` ...), in English or in French.

The pages are filled so that every kind of code has a chance to appear: risk flags on a
declaration, a flat duty per HS subheading in the order's quote, refused scans at the hub, a
batch with every kind of refusal, a shipment and a parcel.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from ewtp.core import wording
from ewtp.customs.models import Decision, Declaration
from ewtp.customs.selectors import FLAG_CODES
from ewtp.customs.services import declarations_submit
from ewtp.logistics.codes import awb_make, parcel_code_new
from ewtp.logistics.models import Lane, Parcel
from ewtp.logistics.services import parcels, shipments
from ewtp.logistics.tests.factories import World, packed, paid_order, world

pytestmark = pytest.mark.django_db


def _codes() -> set[str]:
    """Every code with an underscore in the platform's code lists."""
    listed = {
        *wording.KNOWN_CODES,
        *FLAG_CODES,
        *Parcel.Status.values,
        *Decision.Reason.values,
        *Declaration.Dataset.values,
    }
    return {code for code in listed if "_" in code}


class _Text(HTMLParser):
    """What a reader sees: text outside <script>/<style>, and title/alt/placeholder."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            if name in {"title", "alt", "placeholder", "aria-label"} and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def raw_codes_in(html: str, codes: set[str]) -> list[str]:
    parser = _Text()
    parser.feed(html)
    text = " ".join(parser.parts)
    return sorted(
        code for code in codes if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)
    )


def test_the_scanner_finds_a_raw_code_in_text_but_not_in_attributes() -> None:
    codes = {"weight_mismatch", "not_found"}
    assert raw_codes_in('<p data-testid="flag-weight_mismatch">Weight</p>', codes) == []
    assert raw_codes_in("<p>flag: weight_mismatch</p>", codes) == ["weight_mismatch"]
    assert raw_codes_in('<span title="not_found">x</span>', codes) == ["not_found"]


@pytest.fixture
def scene() -> tuple[World, dict[str, str]]:
    """A flagged, consolidated parcel with its declarations, and a second one handed over."""
    w = world()
    order = paid_order([(w.coffee, 3)], destination="BE")
    light = packed(w, order, weight="1.0")  # 1.65 kg of coffee in 1 kg: weight_mismatch
    export, imported = declarations_submit(actor=w.seller, parcel=light)
    parcels.parcel_hand_over(actor=w.seller, parcel=light)
    parcels.parcel_receive(actor=w.kigali, hub=w.kgl, code=light.code)
    lane = Lane.objects.get(origin=w.kgl, destination=w.lgg, carrier__code="WB")
    shipment = shipments.shipment_create(
        actor=w.kigali,
        lane=lane,
        awb=awb_make("459", "1112223"),
        parcels=[Parcel.objects.get(pk=light.pk)],
    )
    waiting = packed(w, paid_order([(w.coffee, 1)], destination="BE"))
    assert [flag["code"] for flag in imported.risk_flags] == ["weight_mismatch"]
    assert "flat_per_hs6" in str(order.quote)  # the quote's duty treatment is a code
    return w, {
        "light": light.code,
        "waiting": waiting.code,
        "export": str(export.public_id),
        "import": str(imported.public_id),
        "shipment": str(shipment.public_id),
    }


def _hub_pages(client: Client, w: World, ids: dict[str, str]) -> list[tuple[str, str]]:
    client.force_login(w.kigali)
    intake = reverse("logistics:intake", args=["KGL"])
    batch = reverse("logistics:intake_batch", args=["KGL"])
    pages = []
    for code in (ids["light"], ids["waiting"], parcel_code_new("KGL"), "KGL-XX"):
        answer = client.post(intake, {"code": code}, HTTP_HX_REQUEST="true")
        pages.append((f"scan {code}", answer.content.decode()))
    everything = "\n".join(
        [ids["light"], ids["waiting"], parcel_code_new("KGL"), "nonsense", ids["light"]]
    )
    answer = client.post(batch, {"codes": everything}, HTTP_HX_REQUEST="true")
    pages.append(("batch", answer.content.decode()))
    client.post(intake, {"code": parcel_code_new("KGL")})  # without JavaScript: redirected
    for name, url in (
        ("hub", reverse("logistics:hub", args=["KGL"])),
        ("shipment", reverse("logistics:shipment", args=[ids["shipment"]])),
        ("parcel", reverse("logistics:parcel", args=[ids["light"]])),
    ):
        answer = client.get(url)
        assert answer.status_code == 200, name
        pages.append((name, answer.content.decode()))
    return pages


def _customs_pages(client: Client, w: World, ids: dict[str, str]) -> list[tuple[str, str]]:
    client.force_login(w.officer_be)
    declaration = reverse("customs:declaration", args=[ids["import"]])
    pages = []
    for name, url in (
        ("queue", reverse("customs:queue")),
        ("queue flagged", reverse("customs:queue") + "?flag=weight_mismatch"),
        ("declaration", declaration),
        ("figures", reverse("customs:figures")),
    ):
        answer = client.get(url)
        assert answer.status_code == 200, name
        pages.append((name, answer.content.decode()))
    refused = client.post(declaration, {"action": "hold"})
    pages.append(("refused decision", refused.content.decode()))
    client.post(declaration, {"action": "hold", "reason": "documents_missing", "note": "x"})
    pages.append(("held", client.get(declaration).content.decode()))
    return pages


RULE_PAGES = ("/rules/", "/rules/territories/EU/", "/rules/territories/US/", "/rules/coverage/")


def _rule_pages(client: Client, w: World) -> list[tuple[str, str]]:
    client.force_login(w.operator)
    pages = []
    for url in RULE_PAGES:
        answer = client.get(url)
        assert answer.status_code == 200, url
        pages.append((url, answer.content.decode()))
    return pages


@pytest.mark.parametrize("language", ["en", "fr"])
def test_hub_and_customs_pages_show_no_raw_code(client: Client, scene, language: str) -> None:  # type: ignore[no-untyped-def]
    w, ids = scene
    client.cookies["ewtp_language"] = language
    codes = _codes()
    assert {"weight_mismatch", "flat_per_hs6", "stale_fx_rate", "not_found"} <= codes
    pages = _hub_pages(client, w, ids) + _customs_pages(client, w, ids) + _rule_pages(client, w)
    found = {name: raw_codes_in(html, codes) for name, html in pages}
    assert found == {name: [] for name, _html in pages}
