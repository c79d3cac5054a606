from __future__ import annotations

import pytest

from ewtp.catalog import landed_prices, traderules_gateway
from ewtp.catalog.tests.factories import make_product, make_seller, variant_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/catalog/products"


def test_the_list_has_exactly_the_contract_shape_and_landed_prices(client, reference_data):
    product = make_product(make_seller("huye-coffee"), stock=12)
    response = client.get(URL, {"destination": "CN", "currency": "CNY", "q": "coffee", "page": 1})
    assert response.status_code == 200
    body = response.json()
    # The contract's keys, extended with total_is_exact (a search counts up to 1,000 matches).
    assert set(body) == {"items", "page", "pages", "total", "total_is_exact"}
    assert (body["page"], body["pages"], body["total"], body["total_is_exact"]) == (1, 1, 1, True)
    item = body["items"][0]
    assert set(item) == {
        "id",
        "slug",
        "title",
        "seller",
        "hs_code",
        "origin",
        "price",
        "landed_price",
        "available",
    }
    expected = traderules_gateway.quote_compute(
        landed_prices.quote_request([(variant_of(product), 1)], destination="CN", currency="CNY")
    )
    assert item == {
        "id": str(product.public_id),
        "slug": product.slug,
        "title": "Roasted coffee beans, 500 g",
        "seller": "huye-coffee",
        "hs_code": "0901.21",
        "origin": "RW",
        "price": {"amount": "12000", "currency": "RWF"},
        "landed_price": {"amount": expected["totals"]["display"]["landed"], "currency": "CNY"},
        "available": 12,
    }
    assert expected["payable_at_checkout"]["amount"] == expected["totals"]["display"]["landed"]


def test_24_a_page_drafts_and_unverified_sellers_left_out(client, reference_data):
    seller = make_seller()
    for number in range(26):
        make_product(seller, f"Coffee lot {number:02d}", sku=f"LOT-{number}")
    make_product(seller, "Draft coffee", publish=False)
    make_product(make_seller("new-seller", verified=False), "Unverified coffee")
    first = client.get(URL, {"destination": "BE", "currency": "EUR"}).json()
    second = client.get(URL, {"destination": "BE", "currency": "EUR", "page": 2}).json()
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (
        26,
        2,
        24,
        2,
    )
    assert first["items"][0]["title"] == "Coffee lot 25"  # newest first
    titles = {i["title"] for i in first["items"] + second["items"]}
    assert "Draft coffee" not in titles and "Unverified coffee" not in titles


def test_prices_are_computed_once_and_cached_per_rules_version(client, reference_data, monkeypatch):
    make_product(make_seller())
    calls = []
    real = traderules_gateway.quote_compute

    def counting(request, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(request["destination"])
        return real(request, **kwargs)

    monkeypatch.setattr(traderules_gateway, "quote_compute", counting)
    for _ in range(3):
        client.get(URL, {"destination": "BE", "currency": "EUR"})
    assert calls == ["BE"]
    client.get(URL, {"destination": "GB", "currency": "GBP"})
    assert calls == ["BE", "GB"]
    monkeypatch.setattr(traderules_gateway, "rules_version", lambda: "a-new-version")
    client.get(URL, {"destination": "BE", "currency": "EUR"})
    assert calls == ["BE", "GB", "BE"]


def test_bad_parameters_are_422_with_the_field(client, reference_data):
    response = client.get(URL, {"destination": "Belgium", "currency": "EURO"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert set(response.json()["fields"]) == {"destination", "currency"}


def test_an_unsupported_destination_lists_products_without_a_landed_price(client, reference_data):
    make_product(make_seller())
    item = client.get(URL, {"destination": "JP", "currency": "JPY"}).json()["items"][0]
    assert item["landed_price"] is None and item["price"] == {"amount": "12000", "currency": "RWF"}
