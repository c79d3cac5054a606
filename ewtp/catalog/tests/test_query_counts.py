"""Query counts of the storefront and the seller's dashboard.

Each page is read with a few rows and again with three times as many; the maximum is the
count measured, so a query per row (an N+1) fails here instead of in a benchmark. The cache
is cleared before each reading (the listing caches its cards).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.cache import cache
from PIL import Image

from ewtp.catalog.models import Product
from ewtp.catalog.services.photos import photo_add
from ewtp.catalog.services.variants import variant_create
from ewtp.catalog.tests.factories import make_category, make_member, make_product, make_seller

pytestmark = pytest.mark.django_db


def read(client: Any, url: str, django_assert_max_num_queries: Any, most: int) -> None:
    cache.clear()
    with django_assert_max_num_queries(most):
        response = client.get(url)
    assert response.status_code == 200, url


def add_products(seller: Any, count: int, start: int) -> list[Product]:
    coffee = make_category("coffee", "Coffee")
    return [
        make_product(
            seller, f"Roasted coffee {n}, 500 g", price=str(12000 + n), stock=5 + n, category=coffee
        )
        for n in range(start, start + count)
    ]


def add_variants(owner: Any, product: Product, count: int, start: int) -> None:
    for n in range(start, start + count):
        variant_create(
            actor=owner,
            product=product,
            sku=f"HUYE-{n}",
            name=f"{n * 100} g bag",
            price=str(3000 + n),
            unit_weight_kg="0.25",
            stock=n,
        )


def add_photos(owner: Any, product: Product, count: int) -> None:
    for n in range(count):
        out = io.BytesIO()
        Image.new("RGB", (60, 40), (200, 120, n)).save(out, format="PNG")
        photo_add(actor=owner, product=product, content=out.getvalue(), alt_text=f"bag {n}")


@pytest.fixture
def huye(reference_data, client):  # type: ignore[no-untyped-def]
    seller = make_seller("huye-coffee", name="Huye Mountain Coffee")
    owner = make_member(seller, "owner@huye.rw")
    client.cookies["ewtp_destination"] = "BE"
    client.cookies["ewtp_currency"] = "EUR"
    return seller, owner


def test_the_storefront_list_reads_as_many_queries_for_9_products_as_for_3(
    client, huye, django_assert_max_num_queries
):
    seller, _ = huye
    add_products(seller, 3, 0)
    client.get("/shop/")  # the first page of the process reads the rates and rules once
    read(client, "/shop/", django_assert_max_num_queries, 7)  # + the cheapest parcel
    add_products(seller, 3, 10)
    add_products(make_seller("gahaya-baskets", name="Gahaya Baskets"), 3, 20)
    read(client, "/shop/", django_assert_max_num_queries, 7)  # + the cheapest parcel
    read(client, "/shop/c/coffee/", django_assert_max_num_queries, 8)


def test_the_product_page_reads_as_many_queries_for_9_variants_as_for_3(
    client, huye, django_assert_max_num_queries
):
    seller, owner = huye
    (product,) = add_products(seller, 1, 0)
    add_variants(owner, product, 2, 1)
    add_photos(owner, product, 1)
    url = f"/shop/p/{product.slug}/"
    client.get(url)
    read(client, url, django_assert_max_num_queries, 6)
    add_variants(owner, product, 6, 10)
    add_photos(owner, product, 2)
    read(client, url, django_assert_max_num_queries, 6)


def test_the_seller_dashboard_reads_as_many_queries_for_9_products_as_for_3(
    client, huye, django_assert_max_num_queries
):
    seller, owner = huye
    first, *_ = add_products(seller, 3, 0)
    add_variants(owner, first, 2, 1)
    client.force_login(owner)
    url = f"/shop/sell/{seller.slug}/"
    client.get(url)
    read(client, url, django_assert_max_num_queries, 19)  # + the sales overview, open proposals
    more = add_products(seller, 6, 10)
    add_variants(owner, more[0], 3, 10)
    read(client, url, django_assert_max_num_queries, 19)  # + the sales overview, open proposals
