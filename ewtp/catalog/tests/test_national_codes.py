"""National codes picked by sellers (landed-cost.md, Extensions item 6; issue 14 item 2).

The US tariff (HTSUS 2025, data/rules/schedules/us/hts-2025.csv) splits green tea, HS 0902.10,
into 0902.10.10 "flavored" at 6.4% and 0902.10.90 at Free: the 6-digit code alone cannot be
priced for the United States, so the seller picks the national code and the catalogue's
prices and the checkout's quotes send it.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ewtp.catalog import landed_prices
from ewtp.catalog.models import Product
from ewtp.catalog.services.products import ProductData, product_update
from ewtp.catalog.tests.factories import make_member, make_product, make_seller, variant_of
from ewtp.core.errors import DomainError

pytestmark = pytest.mark.django_db

EDIT = "/shop/sell/nyungwe-tea/p/{slug}/"


@pytest.fixture
def tea(reference_data):  # type: ignore[no-untyped-def]
    seller = make_seller("nyungwe-tea", name="Nyungwe Tea")
    product = make_product(
        seller, "Green tea, 100 g", hs_code="0902.10", price="20.00", currency="USD", weight="0.1"
    )
    return seller, product


def _form(product: Product, **extra: str) -> dict[str, str]:
    return {
        "title": product.title,
        "hs_code": "0902.10",
        "origin": "RW",
        "unit_weight_kg": "0.1",
        "price": "20.00",
        "currency": "USD",
        "language": "en",
        **extra,
    }


def _us_page(client, product: Product) -> str:  # type: ignore[no-untyped-def]
    client.cookies["ewtp_destination"] = "US"
    client.cookies["ewtp_currency"] = "USD"
    text: str = client.get(f"/shop/p/{product.slug}/").text
    return text


def test_the_product_form_offers_the_us_national_codes_with_their_descriptions(client, tea):
    seller, product = tea
    client.force_login(make_member(seller, "owner@tea.rw"))
    html = client.get(EDIT.format(slug=product.slug)).text
    assert 'name="national_US"' in html
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', html)
    assert [code for code, _label in options if code.startswith("0902")] == [
        "09021010",
        "09021090",
    ]
    labels = dict(options)
    assert "flavored" in labels["09021010"] and "6.4%" in labels["09021010"]
    assert labels["09021090"].endswith("not flavored (Free) · 0%")
    # The EU does not split 0902.10 with different duties: no choice offered for it.
    assert 'name="national_EU"' not in html
    # The same choices come back while typing the code (htmx), and none for coffee.
    fragment = client.get("/shop/sell/national-codes/", {"hs_code": "0902.10"}).text
    assert 'name="national_US"' in fragment and "09021090" in fragment
    assert "national_" not in client.get("/shop/sell/national-codes/", {"hs_code": "0901.21"}).text
    # A choice already made stays chosen when the fragment comes again.
    again = client.get(
        "/shop/sell/national-codes/", {"hs_code": "0902.10", "national_US": "09021090"}
    ).text
    assert '<option value="09021090" selected>' in again


def test_picking_the_code_makes_the_us_price_complete(client, tea):
    seller, product = tea
    client.force_login(make_member(seller, "owner@tea.rw"))
    before = _us_page(client, product)
    assert "estimate" in before and 'data-testid="estimate-reason"' in before
    response = client.post(EDIT.format(slug=product.slug), _form(product, national_US="09021090"))
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.national_codes == {"US": "09021090"}
    after = _us_page(client, product)
    assert 'data-testid="estimate-reason"' not in after
    # USD 20.00 + duty Free (0902.10.90) + the informal-entry processing fee, a flat
    # USD 2.77 from 1 October 2026 (data/rules/fees.csv, us-mpf-informal FY2027); no VAT.
    assert 'data-testid="landed-price">$22.77<' in after
    # The checkout's request names the national code for the US, the HS code elsewhere.
    variant = variant_of(product)
    us = landed_prices.quote_request([(variant, 2)], destination="US", currency="USD")
    be = landed_prices.quote_request([(variant, 2)], destination="BE", currency="EUR")
    assert us["lines"][0]["hs_code"] == "09021090"
    assert be["lines"][0]["hs_code"] == "090210"
    # Changing the HS code drops the codes picked for the old one.
    client.post(EDIT.format(slug=product.slug), _form(product, hs_code="0902.20"))
    product.refresh_from_db()
    assert product.hs_code == "090220" and product.national_codes == {}


def test_a_code_that_is_not_a_candidate_is_refused_and_nothing_changes(tea):
    seller, product = tea
    owner = make_member(seller, "owner@tea.rw")
    data = ProductData(
        title=product.title,
        hs_code="0902.10",
        origin="RW",
        unit_weight_kg="0.1",
        price="20.00",
        currency="USD",
        national_codes={"US": "09021099", "GB": "0902100010"},
    )
    with pytest.raises(DomainError) as refused:
        product_update(actor=owner, product=product, data=data)
    message = refused.value.fields["national_codes"]
    assert "GB needs no national code for HS 0902.10." in message
    assert "09021099 is not a national code of HS 0902.10 in" in message
    assert "pick one of 09021010, 09021090." in message
    product.refresh_from_db()
    assert product.national_codes == {}


HEADER = "title,hs_code,origin,unit_weight_kg,price,currency,national_codes\n"


def _import(client, content: str):  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile("p.csv", content.encode(), "text/csv")
    return client.post("/shop/sell/nyungwe-tea/import/", {"file": upload})


def test_csv_import_with_a_bad_national_code_is_refused_naming_row_and_column(client, tea):
    seller, _product = tea
    client.force_login(make_member(seller, "owner@tea.rw"))
    content = (
        HEADER
        + "Jasmine tea,0902.10,RW,0.1,22.00,USD,US:09021010\n"
        + "Plain green tea,0902.10,RW,0.1,18.00,USD,US:09021099\n"
        + "Sencha,0902.10,RW,0.1,18.00,USD,US=09021090\n"
    )
    response = _import(client, content)
    assert response.status_code == 200
    assert '<td class="num">3</td><td>national_codes</td>' in response.text
    assert "09021099 is not a national code of HS 0902.10" in response.text
    assert '<td class="num">4</td><td>national_codes</td>' in response.text
    assert "write a destination and its code" in response.text
    assert not Product.objects.filter(title__in=["Jasmine tea", "Plain green tea"]).exists()
    # The same file without the bad rows is imported with its codes.
    response = _import(client, HEADER + "Jasmine tea,0902.10,RW,0.1,22.00,USD,US:0902.10.10\n")
    assert response.status_code == 302
    assert Product.objects.get(title="Jasmine tea").national_codes == {"US": "09021010"}


def test_a_code_picked_for_a_customs_territory_serves_each_of_its_countries(reference_data):
    # Keys are a territory ("EU") or a country ("FR"); a country's own key wins.
    codes = {"EU": "61091000", "FR": "61091000", "US": "61091000"}
    assert landed_prices.hs_code_for("610910", codes, "BE") == "61091000"
    assert landed_prices.hs_code_for("610910", {"EU": "61091000"}, "DE") == "61091000"
    assert landed_prices.hs_code_for("610910", {"EU": "61091000"}, "GB") == "610910"
    assert landed_prices.hs_code_for("610910", {}, "US") == "610910"
    assert landed_prices.hs_code_for("610910", codes, "") == "610910"
