"""The trade flow across catalog and orders: many buyers racing for the last units, and one
buyer's cart over several sellers followed from checkout to completion."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from ewtp.catalog.models import StockLevel, StockReservation
from ewtp.catalog.tests.factories import (
    ADDRESSES,
    make_member,
    make_operator,
    make_product,
    make_seller,
)
from ewtp.core.money import Money
from ewtp.orders.models import Checkout, Order, OrderLine
from ewtp.orders.services.carts import cart_create, cart_line_add
from ewtp.orders.services.handover import checkout_mark_paid
from ewtp.orders.services.transitions import BuyerAccess, order_complete, order_transition


def _checkout_body(destination: str = "CN", currency: str = "CNY") -> dict[str, object]:
    return {
        "email": "buyer@example.cn",
        "destination": destination,
        "currency": currency,
        "shipping_address": ADDRESSES[destination],
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_forty_buyers_race_for_ten_units_and_exactly_ten_are_sold():
    from ewtp.logistics.demo import network_ensure
    from ewtp.traderules.services.reference_data import reference_data_ensure

    reference_data_ensure()

    network_ensure()
    cache.clear()
    product = make_product(make_seller(), "Last lot of Huye coffee", stock=10)
    carts = []
    for _ in range(40):
        cart = cart_create()
        cart_line_add(cart=cart, product_id=str(product.public_id), quantity=1)
        carts.append(str(cart.public_id))
    start = threading.Barrier(40)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def buyer(cart_id: str, number: int) -> None:
        try:
            client = Client()
            start.wait(timeout=30)
            response = client.post(
                f"/api/v1/carts/{cart_id}/checkout",
                _checkout_body(),
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=f"race-{number}",
            )
            body = response.json()
            with lock:
                answers.append((response.status_code, str(body.get("code", ""))))
        finally:
            connection.close()

    threads = [threading.Thread(target=buyer, args=(cart_id, n)) for n, cart_id in enumerate(carts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert Counter(answers) == {(201, ""): 10, (409, "out_of_stock"): 30}
    level = StockLevel.objects.get(variant__product=product)
    assert (level.on_hand, level.reserved) == (10, 10)
    assert Checkout.objects.count() == 10 and Order.objects.count() == 10
    assert OrderLine.objects.count() == 10
    assert StockReservation.objects.filter(state="held").count() == 10
    assert StockReservation.objects.count() == 10


@pytest.mark.django_db
def test_one_cart_three_sellers_from_checkout_to_completion(client):
    from ewtp.logistics.demo import network_ensure
    from ewtp.traderules.services.reference_data import reference_data_ensure

    reference_data_ensure()

    network_ensure()
    cache.clear()
    coffee = make_product(make_seller("huye-coffee"), stock=5)
    tea = make_product(
        make_seller("nyungwe-tea"), "Black tea", hs_code="0902.40", price="5000", stock=5
    )
    basket = make_product(
        make_seller("gahaya-baskets"), "Basket", hs_code="4602.19", price="25000", stock=5
    )
    cart_id = client.post("/api/v1/carts", content_type="application/json").json()["id"]
    for product, quantity in ((coffee, 2), (tea, 3), (basket, 1)):
        client.post(
            f"/api/v1/carts/{cart_id}/lines",
            {"product_id": str(product.public_id), "quantity": quantity},
            content_type="application/json",
        )
    response = client.post(
        f"/api/v1/carts/{cart_id}/checkout",
        _checkout_body("BE", "EUR") | {"email": "anne@example.be"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="flow-1",
    )
    assert response.status_code == 201
    body = response.json()
    parts = [Money.of(o["total"]["amount"], "EUR") for o in body["orders"]]
    assert sum(parts, Money.zero("EUR")) == Money.of(body["payment"]["amount"]["amount"], "EUR")
    checkout = checkout_mark_paid(
        checkout=Checkout.objects.get(public_id=body["checkout_id"]), payment_reference="sandbox-1"
    )
    order = checkout.orders.get(seller__slug="huye-coffee")
    owner = make_member(order.seller, "owner@huye.rw")
    operator = make_operator()
    for actor, action in [
        (owner, "accept"),
        (owner, "pack"),
        (owner, "hand_to_hub"),
        (operator, "ship"),
        (operator, "deliver"),
    ]:
        order_transition(actor=actor, order=order, action=action)
    token = checkout.access_token
    history = client.get(f"/api/v1/orders/{order.public_id}", {"token": token}).json()["history"]
    assert [step["to"] for step in history][-2:] == ["shipped", "delivered"]
    order_complete(actor=BuyerAccess(checkout.pk, checkout.email), order=order)
    order.refresh_from_db()
    assert order.status == "completed"
    assert StockLevel.objects.get(variant__product=coffee).on_hand == 3
