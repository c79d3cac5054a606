"""Holds end on time even while the worker is down: a checkout that finds the stock held by
an order past its time expires that order first and takes the stock; a payment that comes
after the hold's time is refunded, not accepted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, TestCase

from ewtp.catalog.models import StockLevel
from ewtp.catalog.tests.factories import ADDRESSES, make_product, make_seller
from ewtp.core import clock
from ewtp.orders.models import Checkout, Order
from ewtp.payments.models import Payment, Refund


def _checkout(client: Client, product_id: str, key: str) -> object:
    cart = client.post("/api/v1/carts").json()["id"]
    client.post(
        f"/api/v1/carts/{cart}/lines",
        {"product_id": product_id, "quantity": 1},
        content_type="application/json",
    )
    return client.post(
        f"/api/v1/carts/{cart}/checkout",
        {
            "email": "buyer@example.be",
            "destination": "BE",
            "currency": "EUR",
            "shipping_address": ADDRESSES["BE"],
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def _past_due(checkout_id: str) -> None:
    """The hold's time is over; the worker, down, has not expired it."""
    Order.objects.filter(checkout__public_id=checkout_id).update(
        hold_expires_at=clock.now() - timedelta(seconds=1)
    )


@pytest.mark.django_db
def test_a_checkout_expires_a_due_hold_on_the_last_unit_and_takes_it(reference_data) -> None:  # type: ignore[no-untyped-def]
    product = make_product(make_seller(), "The last bag of Huye coffee", stock=1)
    client = Client()
    first = _checkout(client, str(product.public_id), "first")
    assert first.status_code == 201  # type: ignore[attr-defined]
    second = _checkout(client, str(product.public_id), "second")
    assert (second.status_code, second.json()["code"]) == (409, "out_of_stock")  # type: ignore[attr-defined]
    _past_due(first.json()["checkout_id"])  # type: ignore[attr-defined]
    third = _checkout(client, str(product.public_id), "third")
    assert third.status_code == 201, third.json()  # type: ignore[attr-defined]
    first_order = Order.objects.get(checkout__public_id=first.json()["checkout_id"])  # type: ignore[attr-defined]
    assert first_order.status == "expired"
    level = StockLevel.objects.get(variant__product=product)
    assert (level.on_hand, level.reserved) == (1, 1)


@pytest.mark.django_db
def test_a_payment_after_the_hold_time_is_refunded_and_the_stock_goes_back(reference_data) -> None:  # type: ignore[no-untyped-def]
    product = make_product(make_seller(), "Huye coffee", stock=3)
    client = Client()
    placed = _checkout(client, str(product.public_id), "late").json()  # type: ignore[attr-defined]
    _past_due(placed["checkout_id"])
    with TestCase.captureOnCommitCallbacks(execute=True):  # the webhook, then the refund
        approved = client.post(f"/api/v1/payments/sandbox/{placed['payment']['id']}/approve")
    assert approved.status_code == 200
    checkout = Checkout.objects.get(public_id=placed["checkout_id"])
    assert checkout.payment_status != "paid"
    assert Order.objects.get(checkout=checkout).status == "expired"
    payment = Payment.objects.get(public_id=placed["payment"]["id"])
    assert payment.status == "succeeded"
    [refund] = Refund.objects.filter(payment=payment)
    assert refund.amount_minor == payment.amount_minor
    level = StockLevel.objects.get(variant__product=product)
    assert (level.on_hand, level.reserved) == (3, 0)


@pytest.mark.django_db
def test_the_due_holds_of_some_variants_are_those_the_general_query_finds(reference_data) -> None:  # type: ignore[no-untyped-def]
    from ewtp.orders.services.holds import _due_holding

    seller = make_seller()
    coffee = make_product(seller, "Huye coffee", stock=5)
    tea = make_product(seller, "Rubaya tea", stock=5)
    client = Client()
    placed = {
        name: _checkout(client, str(product.public_id), name).json()  # type: ignore[attr-defined]
        for name, product in (("old", coffee), ("newer", coffee), ("tea", tea), ("fresh", coffee))
    }
    for name, seconds in (("old", 20), ("newer", 10), ("tea", 30)):
        Order.objects.filter(checkout__public_id=placed[name]["checkout_id"]).update(
            hold_expires_at=clock.now() - timedelta(seconds=seconds)
        )
    now = clock.now()
    variant = coffee.variants.get().pk

    def general(variant_ids: list[int]) -> list[int]:
        due = Order.objects.filter(
            status="pending_payment", hold_expires_at__lte=now, lines__variant_id__in=variant_ids
        )
        return list(due.distinct().order_by("hold_expires_at", "pk").values_list("pk", flat=True))

    def order_of(name: str) -> int:
        return Order.objects.get(checkout__public_id=placed[name]["checkout_id"]).pk

    assert _due_holding([variant], now=now, limit=500) == [order_of("old"), order_of("newer")]
    assert _due_holding([variant], now=now, limit=500) == general([variant])
    both = sorted([variant, tea.variants.get().pk])
    assert _due_holding(both, now=now, limit=500) == general(both)
    assert _due_holding(both, now=now, limit=500)[0] == order_of("tea")
    assert _due_holding(both, now=now, limit=1) == [order_of("tea")]
    assert _due_holding([], now=now, limit=500) == []
