"""The admin shows the catalog and changes none of the rows whose writes have rules."""

from __future__ import annotations

from typing import Any

import pytest

from ewtp.catalog.models import Product, StockLevel, Variant
from ewtp.catalog.tests.factories import make_product, make_seller, variant_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(reference_data):  # type: ignore[no-untyped-def]
    return make_product(make_seller("huye-coffee", name="Huye Mountain Coffee"), stock=7)


def test_the_admin_shows_products_variants_and_stock(admin_client: Any, product: Product) -> None:
    variant = variant_of(product)
    level = variant.stock_levels.get()
    for url in (
        "/admin/catalog/product/",
        f"/admin/catalog/product/{product.pk}/change/",
        "/admin/catalog/variant/",
        f"/admin/catalog/variant/{variant.pk}/change/",
        "/admin/catalog/stocklevel/",
        f"/admin/catalog/stocklevel/{level.pk}/change/",
        "/admin/catalog/stockreservation/",
        "/admin/catalog/photo/",
        "/admin/catalog/category/add/",
    ):
        assert admin_client.get(url).status_code == 200, url


def test_the_admin_refuses_to_change_add_or_delete_products_variants_and_stock(
    admin_client: Any, product: Product
) -> None:
    variant = variant_of(product)
    level = variant.stock_levels.get()
    for model, row, data in (
        ("product", product, {"title": "Cheap coffee", "status": "draft"}),
        ("variant", variant, {"price_minor": "1", "sku": "X"}),
        ("stocklevel", level, {"on_hand": "1000", "reserved": "0"}),
    ):
        changed = admin_client.post(f"/admin/catalog/{model}/{row.pk}/change/", data)
        assert changed.status_code == 403, model
        assert admin_client.post(f"/admin/catalog/{model}/add/", data).status_code == 403
        deleted = admin_client.post(f"/admin/catalog/{model}/{row.pk}/delete/", {"post": "yes"})
        assert deleted.status_code == 403, model
    product.refresh_from_db()
    assert (product.title, product.status) == ("Roasted coffee beans, 500 g", "published")
    assert Variant.objects.get().price_minor == variant.price_minor
    assert StockLevel.objects.get().on_hand == 7
    assert Product.objects.count() == 1
