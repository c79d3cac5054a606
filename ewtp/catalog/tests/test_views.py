from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ewtp.catalog.models import Product, StockLevel, Variant
from ewtp.catalog.services.stock import stock_hold
from ewtp.catalog.services.variants import variant_create
from ewtp.catalog.tests.factories import (
    make_category,
    make_member,
    make_product,
    make_seller,
    variant_of,
)
from ewtp.core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(reference_data):  # type: ignore[no-untyped-def]
    huye = make_seller("huye-coffee", name="Huye Mountain Coffee")
    coffee = make_category("coffee", "Coffee", **{"zh-hans": "咖啡"})
    product = make_product(huye, category=coffee, translations={"zh-hans": "烘焙咖啡豆"})
    return huye, product


def test_storefront_category_search_and_seller_pages(client, shop):
    _huye, product = shop
    client.cookies["ewtp_destination"] = "CN"
    client.cookies["ewtp_currency"] = "CNY"
    for url in ["/shop/", "/shop/c/coffee/", "/shop/search/?q=coffee", "/shop/s/huye-coffee/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert product.title in response.text
        assert "CN¥" in response.text or "CNY" in response.text
    partial = client.get("/shop/search/?q=coffee", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert (
        partial.status_code == 200 and "<html" not in partial.text and product.title in partial.text
    )


def test_product_page_shows_what_is_in_the_price_in_the_visitors_language(client, shop):
    _, product = shop
    client.cookies["ewtp_destination"] = "BE"
    client.cookies["ewtp_currency"] = "EUR"
    client.cookies["ewtp_language"] = "zh-hans"
    response = client.get(f"/shop/p/{product.slug}/")
    assert response.status_code == 200
    assert "烘焙咖啡豆" in response.text
    assert 'data-testid="price-breakdown"' in response.text
    assert "€" in response.text


def test_drafts_are_seen_by_the_seller_only(client, shop):
    huye, _ = shop
    draft = make_product(huye, "Secret blend", publish=False)
    assert client.get(f"/shop/p/{draft.slug}/").status_code == 404
    client.force_login(make_member(huye, "owner@huye.rw"))
    assert client.get(f"/shop/p/{draft.slug}/").status_code == 200


def test_a_seller_cannot_open_another_sellers_dashboard_or_products(client, shop):
    _huye, product = shop
    tea = make_seller("nyungwe-tea")
    client.force_login(make_member(tea, "owner@tea.rw"))
    assert client.get("/shop/sell/huye-coffee/").status_code == 404
    assert client.get(f"/shop/sell/huye-coffee/p/{product.slug}/").status_code == 404
    response = client.post(
        f"/shop/sell/huye-coffee/p/{product.slug}/status/", {"action": "unpublish"}
    )
    assert response.status_code == 404
    product.refresh_from_db()
    assert product.is_published
    assert client.get("/shop/sell/").status_code == 302  # to their own dashboard


def test_a_seller_creates_a_product_and_sees_errors_next_to_fields(client, shop):
    huye, _ = shop
    client.force_login(make_member(huye, "owner@huye.rw"))
    form = {
        "title": "Huye honey",
        "hs_code": "1299.99",
        "origin": "RW",
        "unit_weight_kg": "0.5",
        "price": "7000",
        "currency": "RWF",
        "stock": "5",
        "language": "en",
        "title_fr": "Miel de Huye",
    }
    response = client.post("/shop/sell/huye-coffee/new/", form)
    assert response.status_code == 200
    assert "not a subheading of the HS 2022" in response.text
    suggest = client.post("/shop/sell/huye-coffee/new/", {**form, "suggest": "1"})
    assert 'data-testid="hs-suggestions"' in suggest.text and "0409.00" in suggest.text
    response = client.post(
        "/shop/sell/huye-coffee/new/", {**form, "hs_code": "0409.00", "publish": "1"}
    )
    assert response.status_code == 302
    created = Product.objects.get(title="Huye honey")
    assert created.is_published and created.translations.get(language="fr").title == "Miel de Huye"
    dashboard = client.get("/shop/sell/huye-coffee/")
    assert "Huye honey" in dashboard.text


def test_csv_import_page_lists_errors_by_row_and_column(client, shop):
    huye, _ = shop
    client.force_login(make_member(huye, "owner@huye.rw"))
    content = b"title,hs_code,origin,unit_weight_kg,price,currency\nGood,0901.21,RW,1,100,RWF\nBad,0901.21,ZZ,1,100,RWF\n"
    response = client.post(
        "/shop/sell/huye-coffee/import/", {"file": SimpleUploadedFile("p.csv", content, "text/csv")}
    )
    assert response.status_code == 200
    assert 'data-testid="import-errors"' in response.text
    assert '<td class="num">3</td><td>origin</td>' in response.text
    assert not Product.objects.filter(title="Good").exists()


# Variants ------------------------------------------------------------------------------------


@pytest.fixture
def sizes(shop):  # type: ignore[no-untyped-def]
    """Huye's coffee in a 500 g bag (10 in stock) and a 250 g bag (4 in stock, 1 held)."""
    huye, product = shop
    owner = make_member(huye, "owner@huye.rw")
    big = variant_of(product)
    small = variant_create(
        actor=owner,
        product=product,
        sku="HUYE-250",
        name="250 g bag",
        price="6500",
        unit_weight_kg="0.25",
        stock=4,
    )
    stock_hold(
        variant=small, quantity=1, reference="order-1", expires_at=clock.now() + timedelta(hours=1)
    )
    return huye, product, owner, big, small


def _edit_url(product, tail=""):  # type: ignore[no-untyped-def]
    return f"/shop/sell/huye-coffee/p/{product.slug}/{tail}"


def test_the_product_page_of_the_dashboard_lists_the_variants(client, sizes):
    _huye, product, owner, big, small = sizes
    client.force_login(owner)
    response = client.get(_edit_url(product))
    assert response.status_code == 200
    html = response.text
    assert 'data-testid="variants"' in html
    row = html[html.index('<tr data-variant="HUYE-250">') :]
    row = row[: row.index("</tr>")]
    assert "250 g bag" in row and "RWF6,500" in row and "0.250 kg" in row
    assert "KGL: 4 on hand, 1 held" in row
    assert '<td class="num" data-testid="variant-available">3</td>' in row
    big_row = html[html.index(f'<tr data-variant="{big.sku}">') :]
    big_row = big_row[: big_row.index("</tr>")]
    assert '0.500 kg <span class="small muted">(the product\'s)</span>' in big_row
    assert "KGL: 10 on hand, 0 held" in big_row
    assert f"/variants/{small.public_id}/" in html
    assert 'data-testid="variant-add-form"' in html
    assert "Price of one unit (RWF)" in html
    assert f'<option value="{small.public_id}">250 g bag (HUYE-250)</option>' in html
    assert "each other variant has its own price below" in html


def test_a_variant_without_stock_shows_an_empty_state(client, shop):
    huye, product = shop
    Variant.objects.create(product=product, sku="BARE", price_minor=1, currency="RWF")
    client.force_login(make_member(huye, "owner@huye.rw"))
    response = client.get(_edit_url(product))
    bare = response.text[response.text.index('<tr data-variant="BARE">') :]
    assert "No stock recorded." in bare[: bare.index("</tr>")]


def test_a_seller_adds_a_variant_and_sees_errors_next_to_the_fields(client, shop):
    huye, product = shop
    client.force_login(make_member(huye, "owner@huye.rw"))
    url = _edit_url(product, "variants/new/")
    assert client.get(url).status_code == 200
    form = {"name": "1 kg bag", "sku": "HUYE-1000", "price": "22000.5", "unit_weight_kg": "0"}
    response = client.post(url, form)
    assert response.status_code == 422
    assert "A price in RWF without decimals, e.g. 12000." in response.text
    assert "A weight in kg above 0 and at most 100000, e.g. 0.5." in response.text
    assert product.variants.count() == 1
    missing = client.post(url, {"name": "1 kg bag", "price": "22000"})
    assert missing.status_code == 422 and "This field is required." in missing.text
    response = client.post(url, {**form, "price": "22000", "unit_weight_kg": "1", "stock": "6"})
    assert response.status_code == 302
    assert response["Location"] == _edit_url(product) + "#variants"
    added = product.variants.get(sku="HUYE-1000")
    assert (added.name, added.price_minor, added.unit_weight_kg) == (
        "1 kg bag",
        22000,
        Decimal("1.000"),
    )
    assert added.stock_levels.get().on_hand == 6
    page = client.get(response["Location"])
    assert "Variant 1 kg bag (HUYE-1000) added." in page.text


def test_a_seller_edits_a_variant(client, sizes):
    _huye, product, owner, _big, small = sizes
    client.force_login(owner)
    url = _edit_url(product, f"variants/{small.public_id}/")
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="price" value="6500"' in page.text
    assert 'name="unit_weight_kg" value="0.250"' in page.text
    assert 'name="stock"' not in page.text
    duplicate = client.post(url, {"sku": variant_of(product).sku, "price": "6500"})
    assert duplicate.status_code == 422
    assert "This product has a variant with this SKU already." in duplicate.text
    response = client.post(
        url, {"sku": "HUYE-250", "name": "250 g", "price": "6900", "unit_weight_kg": ""}
    )
    assert response.status_code == 302
    small.refresh_from_db()
    assert (small.name, small.price_minor, small.unit_weight_kg) == ("250 g", 6900, None)


def test_a_seller_takes_a_variant_off_sale_and_back(client, sizes):
    _huye, product, owner, big, small = sizes
    client.force_login(owner)
    response = client.post(
        _edit_url(product, f"variants/{small.public_id}/active/"),
        {"action": "deactivate"},
        follow=True,
    )
    assert response.status_code == 200
    assert (
        "250 g bag (HUYE-250) is off sale. 1 unit stays held for unpaid orders; those orders "
        "can still be paid and shipped." in response.text
    )
    small.refresh_from_db()
    assert not small.is_active
    row = response.text[response.text.index('<tr data-variant="HUYE-250">') :]
    assert "off sale" in row[: row.index("</tr>")]
    shop_page = client.get(f"/shop/p/{product.slug}/")
    assert "HUYE-250" not in shop_page.text and "250 g bag" not in shop_page.text
    refused = client.post(
        _edit_url(product, f"variants/{big.public_id}/active/"),
        {"action": "deactivate"},
        follow=True,
    )
    assert "A product keeps at least one variant on sale" in refused.text
    big.refresh_from_db()
    assert big.is_active
    client.post(_edit_url(product, f"variants/{small.public_id}/active/"), {"action": "activate"})
    small.refresh_from_db()
    assert small.is_active


def test_the_shop_lists_variants_with_their_price_in_money(client, sizes):
    _huye, product, _owner, _big, small = sizes
    response = client.get(f"/shop/p/{product.slug}/")
    assert f'<option value="{small.public_id}">250 g bag · RWF6,500</option>' in response.text


def test_the_stock_form_sets_the_chosen_variant(client, sizes):
    _huye, product, owner, big, small = sizes
    client.force_login(owner)
    response = client.post(
        _edit_url(product, "stock/"),
        {
            "variant": str(small.public_id),
            "hub_code": "KGL",
            "on_hand": "12",
            "next": _edit_url(product) + "#variants",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == _edit_url(product) + "#variants"
    assert StockLevel.objects.get(variant=small).on_hand == 12
    assert StockLevel.objects.get(variant=big).on_hand == 10
    offsite = client.post(
        _edit_url(product, "stock/"),
        {"variant": str(big.public_id), "on_hand": "11", "next": "https://evil.example/"},
    )
    assert offsite["Location"] == "/shop/sell/huye-coffee/"
    assert StockLevel.objects.get(variant=big).on_hand == 11
    unknown = client.post(
        _edit_url(product, "stock/"), {"variant": "nope", "on_hand": "1"}, follow=True
    )
    assert "Choose a variant." in unknown.text


def test_another_seller_or_a_viewer_cannot_touch_the_variants(client, sizes):
    huye, product, _owner, _big, small = sizes
    tea = make_seller("nyungwe-tea")
    client.force_login(make_member(tea, "owner@tea.rw"))
    urls = [
        _edit_url(product, "variants/new/"),
        _edit_url(product, f"variants/{small.public_id}/"),
    ]
    for url in urls:
        assert client.get(url).status_code == 404
    form = {"sku": "MINE", "price": "1"}
    assert client.post(urls[0], form).status_code == 404
    assert client.post(urls[1], form).status_code == 404
    active = _edit_url(product, f"variants/{small.public_id}/active/")
    assert client.post(active, {"action": "deactivate"}).status_code == 404
    assert client.post(_edit_url(product, "stock/"), {"on_hand": "1"}).status_code == 404
    client.force_login(make_member(huye, "viewer@huye.rw", "viewer"))
    page = client.get(_edit_url(product))
    assert page.status_code == 200 and 'data-testid="variant-table"' in page.text
    assert 'data-testid="variant-add-form"' not in page.text
    assert client.post(urls[0], form).status_code == 404
    assert client.post(active, {"action": "deactivate"}).status_code == 404
    assert client.get(_edit_url(product, f"variants/{uuid.uuid4()}/")).status_code == 404
    small.refresh_from_db()
    assert small.is_active and small.sku == "HUYE-250"
    assert product.variants.count() == 2


def test_the_product_page_prices_one_unit_with_its_delivery(client, shop):
    from ewtp.catalog.traderules_gateway import quote_compute
    from ewtp.logistics.demo import network_ensure
    from ewtp.orders.shipping import consignment_request

    _, product = shop
    client.cookies["ewtp_destination"] = "BE"
    client.cookies["ewtp_currency"] = "USD"
    client.cookies["ewtp_language"] = "en"
    page = client.get(f"/shop/p/{product.slug}/").text
    assert 'data-testid="delivered-unit"' not in page  # no hub network: no delivery price
    network_ensure()
    request, _carriage = consignment_request(
        [(product.variants.get(), 1)], destination="BE", currency="USD"
    )
    assert request["shipping"] == {"amount": "14.40", "currency": "USD"}  # 12.00 + 4.80 x 0.5
    display = quote_compute(request)["totals"]["display"]
    page = client.get(f"/shop/p/{product.slug}/").text
    # The figures the cart shows for the same unit (carriage counted in EUR, the customs
    # currency, and shown back in dollars: 14.39).
    assert display["shipping"] == "14.39"
    assert (
        f"Bought alone, with delivery: <strong>${Decimal(display['landed']):,.2f}</strong> "
        "(delivery $14.39, RwandAir Cargo, about 3 days)."
    ) in page
