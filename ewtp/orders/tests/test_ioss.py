"""Checkout quotes a consignment as sold by the IOSS registrant when the platform has an IOSS
number (EWTP_IOSS_NUMBER), so EU low-value VAT is collected at checkout; without one the VAT
of an EU low-value consignment is due at the border."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ewtp.catalog.tests.factories import ADDRESSES, variant_of
from ewtp.orders.services.carts import cart_create, cart_line_add
from ewtp.orders.services.checkout import checkout_place
from ewtp.orders.shipping import consignment_request

pytestmark = pytest.mark.django_db


def _place(product, incoterm):  # type: ignore[no-untyped-def]
    cart = cart_create()
    cart_line_add(cart=cart, product_id=str(product.public_id), quantity=1)
    return checkout_place(
        cart=cart,
        email="anne@example.be",
        destination="BE",
        currency="EUR",
        shipping_address=ADDRESSES["BE"],
        incoterm=incoterm,
    )


@pytest.mark.parametrize(
    ("number", "registered", "collected"),
    [("", False, "border"), ("IM0560000001", True, "checkout")],
)
def test_the_platforms_ioss_number_sets_seller_ioss(  # type: ignore[no-untyped-def]
    three_sellers, settings, number, registered, collected
):
    settings.EWTP_IOSS_NUMBER = number
    coffee, *_ = three_sellers
    request, _ = consignment_request([(variant_of(coffee), 1)], destination="BE", currency="EUR")
    assert request["seller_ioss"] is registered
    order = _place(coffee, "DAP").orders.get()
    # One bag of coffee is a low-value consignment (goods <= EUR 150): with IOSS the regime
    # collects the VAT at checkout; without, it is left for the border.
    assert order.quote["regime"]["taxes_collected_at"] == collected
    shown = {key: Decimal(value) for key, value in order.quote["totals"]["display"].items()}
    assert shown["taxes"] > 0
    # DAP: duty and fees are paid on delivery; the taxes too unless collected at checkout.
    left = shown["duty"] + shown["fees"] + (0 if registered else shown["taxes"])
    assert Decimal(order.quote["payable_on_delivery"]["amount"]) == left
