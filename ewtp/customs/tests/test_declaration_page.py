"""The officer's declaration page: the item lines in a table, the duty and taxes the order's
stored quote charged, risk flags in words (in the reader's language), and "release and next"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ewtp.core.money import Money
from ewtp.customs.models import Declaration
from ewtp.customs.services import declarations_submit
from ewtp.logistics.tests.factories import World, packed, paid_order, product, world

pytestmark = pytest.mark.django_db

DECLARATION_PAGE = 10  # measured: 10 with one item line and with two


@pytest.fixture
def w() -> World:
    return world()


def _declared(w: World, weight: str = "2.1") -> Declaration:
    parcel = packed(w, paid_order([(w.coffee, 3)], destination="BE"), weight=weight)
    _export, imported = declarations_submit(actor=w.seller, parcel=parcel)
    return imported


def _text(html: str) -> str:
    main = html[html.index("<main") : html.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def _officer(client: Client, w: World, language: str = "en") -> Client:
    client.cookies["ewtp_language"] = language
    client.force_login(w.officer_be)
    return client


def test_the_page_shows_the_items_and_what_the_buyer_paid(client: Client, w: World) -> None:
    declaration = _declared(w)
    order = declaration.order
    quote = order.quote
    line = quote["lines"][0]
    customs = quote["totals"]["customs"]
    html = _officer(client, w).get(reverse("customs:declaration", args=[declaration.public_id]))
    text = _text(html.content.decode())
    goods = Money.of(customs["goods"], "EUR").format("en")
    vat = Money.of(line["taxes"][0]["amount"], "EUR").format("en")
    assert (
        f"1 Huye roasted coffee beans, 500 g 0901.21 Rwanda 3 {goods} 1.650 kg "
        f"{Money.of(line['duty']['amount'], 'EUR').format('en')} (0%) {vat}"
    ) in text
    assert f"Total {goods} 1.650 kg" in text
    assert "Duties and taxes paid: the buyer paid them at checkout." in text
    duty = Money.of(customs["duty"], "EUR").format("en")
    assert f"Duty {duty} {Money.from_minor(order.duty_minor, 'EUR').format('en')}" in text
    assert f"· VAT (6%) {vat} -" in text
    assert f"· A flat duty for each different HS subheading in the parcel. {duty} -" in text
    paid = Money.from_minor(order.total_minor, "EUR").format("en")
    assert f"Paid at checkout {paid} Due on delivery €0.00" in text
    assert "hs_subheading" not in text and "flat_per_hs6" not in text  # no JSON, no code


def test_risk_flags_read_as_sentences_in_the_readers_language(client: Client, w: World) -> None:
    declaration = _declared(w, weight="1.0")
    url = reverse("customs:declaration", args=[declaration.public_id])
    english = _text(_officer(client, w).get(url).content.decode())
    assert (
        "Weight does not match The parcel weighs 1.000 kg but its goods weigh 1.650 kg: with "
        "packaging, 1.320 to 2.975 kg was expected." in english
    )
    french = _text(_officer(client, w, "fr").get(url).content.decode())
    assert (
        "Poids incohérent Le colis pèse 1.000 kg mais ses marchandises pèsent 1.650 kg : avec "
        "l&#x27;emballage, on attendait de 1.320 à 2.975 kg." in french
    )
    assert "weight_mismatch" not in english + french
    queue = _text(client.get(reverse("customs:queue")).content.decode())
    assert "Poids incohérent" in queue and "weight_mismatch" not in queue


def test_release_and_next_opens_the_next_waiting_declaration_then_the_empty_queue(
    client: Client, w: World
) -> None:
    first, second = _declared(w), _declared(w)
    _officer(client, w)
    url = reverse("customs:declaration", args=[first.public_id])
    assert 'data-testid="release-next"' in client.get(url).content.decode()
    moved = client.post(url, {"action": "release", "then": "next"})
    assert moved.status_code == 302
    assert moved["Location"] == reverse("customs:declaration", args=[second.public_id])
    last = client.post(moved["Location"], {"action": "release", "then": "next"})
    assert last.status_code == 302 and last["Location"] == reverse("customs:queue")
    assert list(Declaration.objects.filter(kind="import").values_list("status", flat=True)) == [
        "released",
        "released",
    ]
    queue = client.get(last["Location"]).content.decode()
    assert 'data-testid="empty-queue"' in queue
    assert "No other declaration is waiting: the queue is clear." in queue
    refused = client.post(url, {"action": "release", "then": "next"})  # released already
    assert refused.status_code == 409


def test_the_declaration_page_reads_a_bounded_number_of_queries(
    client: Client, w: World, django_assert_max_num_queries: Any
) -> None:
    tea = product(
        w.seller, w.coffee_org, title="Green tea", hs_code="0902.10", weight="0.2", price=8000
    )
    one = _declared(w)
    parcel = packed(w, paid_order([(w.coffee, 2), (tea, 3)], destination="BE"), weight="1.9")
    _export, two = declarations_submit(actor=w.seller, parcel=parcel)
    _officer(client, w).get(reverse("customs:declaration", args=[one.public_id]))  # warm caches
    for declaration, rows in ((one, 1), (two, 2)):
        url = reverse("customs:declaration", args=[declaration.public_id])
        with django_assert_max_num_queries(DECLARATION_PAGE):
            page = client.get(url)
        assert page.content.decode().count('data-testid="item-row"') == rows
