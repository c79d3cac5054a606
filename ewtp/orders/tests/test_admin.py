"""The admin shows carts, checkouts and orders and changes none of them."""

from __future__ import annotations

from typing import Any

import pytest

from ewtp.orders.models import Cart, Checkout, Order
from ewtp.orders.tests.test_services import cart_with, place

pytestmark = pytest.mark.django_db


def test_the_admin_shows_orders_and_refuses_to_change_add_or_delete_them(
    admin_client: Any, three_sellers: Any
) -> None:
    coffee, *_ = three_sellers
    checkout = place(cart_with((coffee, 2)))
    order = checkout.orders.get()
    rows = (("order", order), ("checkout", checkout), ("cart", checkout.cart))
    for model, row in rows:
        assert admin_client.get(f"/admin/orders/{model}/").status_code == 200
        assert admin_client.get(f"/admin/orders/{model}/{row.pk}/change/").status_code == 200
        changed = admin_client.post(
            f"/admin/orders/{model}/{row.pk}/change/", {"status": "paid", "total_minor": "1"}
        )
        assert changed.status_code == 403, model
        assert admin_client.post(f"/admin/orders/{model}/add/", {}).status_code == 403, model
        deleted = admin_client.post(f"/admin/orders/{model}/{row.pk}/delete/", {"post": "yes"})
        assert deleted.status_code == 403, model
    order.refresh_from_db()
    assert (order.status, order.total_minor) == ("pending_payment", checkout.total_minor)
    assert (Order.objects.count(), Checkout.objects.count(), Cart.objects.count()) == (1, 1, 1)
