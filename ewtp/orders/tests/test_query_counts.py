"""Query counts of the buyer's and the seller's order pages.

Each page is read with a few rows and again with three times as many; the maximum is the
count measured, so a query per row (an N+1) fails here instead of in a benchmark. The cache
is cleared before each reading.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from ewtp.catalog.tests.factories import make_member, make_product, make_seller
from ewtp.orders.models import Checkout
from ewtp.orders.services.handover import checkout_mark_paid
from ewtp.orders.tests.test_views import form

pytestmark = pytest.mark.django_db


def read(client: Any, url: str, django_assert_max_num_queries: Any, most: int) -> Any:
    cache.clear()
    with django_assert_max_num_queries(most):
        response = client.get(url)
    assert response.status_code == 200, url
    return response


@pytest.fixture
def huye(reference_data):  # type: ignore[no-untyped-def]
    return make_seller("huye-coffee", name="Huye Mountain Coffee")


def add_to_cart(client: Any, seller: Any, count: int, start: int) -> None:
    for n in range(start, start + count):
        product = make_product(seller, f"Roasted coffee {n}, 500 g", price=str(12000 + n))
        response = client.post(
            "/orders/cart/add/", {"product_id": str(product.public_id), "quantity": "2"}
        )
        assert response.status_code == 302


def buy(client: Any, seller: Any, count: int, key: str) -> Checkout:
    add_to_cart(client, seller, count, 100 * len(key))
    assert client.post("/orders/checkout/", form(idempotency_key=key)).status_code == 302
    checkout = Checkout.objects.latest("pk")
    checkout_mark_paid(checkout=checkout)
    return checkout


@pytest.fixture
def in_belgium(client):  # type: ignore[no-untyped-def]
    client.cookies["ewtp_destination"] = "BE"
    client.cookies["ewtp_currency"] = "EUR"
    return client


def test_the_cart_and_checkout_pages_read_as_many_queries_for_9_lines_as_for_3(
    in_belgium, huye, django_assert_max_num_queries
):
    # Two sellers throughout: each seller's consignment is priced by the hub network (a lane
    # and its rate cards, five queries), so the count follows the sellers, not the lines.
    client = in_belgium
    gahaya = make_seller("gahaya-baskets", name="Gahaya Baskets")
    add_to_cart(client, huye, 2, 0)
    add_to_cart(client, gahaya, 1, 10)
    client.get("/orders/cart/")
    read(client, "/orders/cart/", django_assert_max_num_queries, 16)
    read(client, "/orders/checkout/", django_assert_max_num_queries, 17)
    add_to_cart(client, huye, 3, 20)
    add_to_cart(client, gahaya, 3, 30)
    read(client, "/orders/cart/", django_assert_max_num_queries, 16)
    read(client, "/orders/checkout/", django_assert_max_num_queries, 17)


def test_the_order_page_reads_as_many_queries_for_9_lines_as_for_3(
    in_belgium, huye, django_assert_max_num_queries
):
    client = in_belgium
    small = buy(client, huye, 3, "a")
    big = buy(client, huye, 9, "bb")
    owner = make_member(huye, "owner@huye.rw")
    for checkout in (small, big):
        order = checkout.orders.get()
        assert order.lines.count() == (3 if checkout == small else 9)
        url = f"/orders/o/{order.public_id}/?token={checkout.access_token}"
        client.get(url)
        read(client, url, django_assert_max_num_queries, 4)
        done = f"/orders/checkout/{checkout.public_id}/?token={checkout.access_token}"
        read(client, done, django_assert_max_num_queries, 6)
        client.force_login(owner)
        read(client, f"/orders/o/{order.public_id}/", django_assert_max_num_queries, 16)
        client.logout()


def test_the_sellers_orders_page_reads_as_many_queries_for_9_orders_as_for_3(
    in_belgium, huye, django_assert_max_num_queries
):
    client = in_belgium
    for n in range(3):
        buy(client, huye, 1 + n, "k" * (n + 1))
    owner = make_member(huye, "owner@huye.rw")
    client.force_login(owner)
    url = "/orders/seller/huye-coffee/"
    client.get(url)
    read(client, url, django_assert_max_num_queries, 8)
    client.logout()
    for n in range(3, 9):
        buy(client, huye, 1 + n % 3, "k" * (n + 1))
    client.force_login(owner)
    assert Checkout.objects.count() == 9
    read(client, url, django_assert_max_num_queries, 8)
