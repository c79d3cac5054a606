from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ewtp.catalog.models import Product
from ewtp.catalog.tests.factories import make_category, make_member, make_product, make_seller

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
