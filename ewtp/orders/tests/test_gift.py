"""The gift option at checkout (landed-cost.md, extension 1): offered where the destination's
customs territory has a regime for gifts between private persons (regimes.json: EU, GB and US
have one, China does not), sent as the request's ``gift`` flag and kept on each order."""

from __future__ import annotations

import pytest

from ewtp.catalog import traderules_gateway
from ewtp.catalog.tests.factories import ADDRESSES
from ewtp.core.errors import InvalidRequest
from ewtp.orders.models import Order
from ewtp.orders.services.carts import cart_create, cart_line_add
from ewtp.orders.services.checkout import checkout_place
from ewtp.orders.tests.test_views import fill_cart, form

pytestmark = pytest.mark.django_db

GIFT_LABEL = "This is a gift between private persons"


def _place(product, **flags):  # type: ignore[no-untyped-def]
    cart = cart_create()
    cart_line_add(cart=cart, product_id=str(product.public_id), quantity=1)
    return checkout_place(
        cart=cart,
        email="anne@example.be",
        destination="BE",
        currency="EUR",
        shipping_address=ADDRESSES["BE"],
        **flags,
    )


def test_gift_destinations_are_those_with_a_gift_regime(reference_data):  # type: ignore[no-untyped-def]
    found = traderules_gateway.gift_destinations()
    # regimes.json: eu-gift-45 (the EU's members), gb-gift-39/135, us-gift-100; none for CN,
    # MY, KE or RW.
    assert {"BE", "FR", "IE", "GB", "US"} <= found
    assert not {"CN", "MY", "KE", "RW"} & found


def test_a_gift_is_quoted_under_a_gift_regime_and_kept_on_the_order(three_sellers):  # type: ignore[no-untyped-def]
    coffee, *_ = three_sellers
    gift = _place(coffee, gift=True).orders.get()
    assert gift.is_gift is True
    # One bag of coffee from Rwanda to a consumer in Belgium: a gift regime's conditions held.
    assert gift.quote["regime"]["id"].startswith("eu-gift-")
    assert "a gift between private persons" in gift.quote["regime"]["why"]
    sale = _place(coffee).orders.exclude(pk=gift.pk).get()
    assert sale.is_gift is False
    assert not sale.quote["regime"]["id"].startswith("eu-gift-")


def test_a_gift_flag_that_is_not_a_boolean_is_refused(three_sellers):  # type: ignore[no-untyped-def]
    coffee, *_ = three_sellers
    with pytest.raises(InvalidRequest) as caught:
        _place(coffee, gift="yes")
    assert caught.value.fields == {"gift": "true or false"}
    assert not Order.objects.exists()


def test_checkout_page_offers_the_gift_option_only_where_a_regime_uses_it(client, three_sellers):  # type: ignore[no-untyped-def]
    coffee, *_ = three_sellers
    fill_cart(client, coffee)
    client.cookies["ewtp_destination"] = "BE"
    client.cookies["ewtp_currency"] = "EUR"
    page = client.get("/orders/checkout/")
    assert GIFT_LABEL in page.text and 'name="gift"' in page.text
    client.cookies["ewtp_destination"] = "CN"
    client.cookies["ewtp_currency"] = "CNY"
    assert 'name="gift"' not in client.get("/orders/checkout/").text


def test_checkout_form_sends_the_gift_flag(client, three_sellers):  # type: ignore[no-untyped-def]
    coffee, *_ = three_sellers
    client.cookies["ewtp_destination"] = "BE"
    client.cookies["ewtp_currency"] = "EUR"
    fill_cart(client, coffee)
    response = client.post("/orders/checkout/", form(gift="on"))
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.is_gift is True and order.quote["regime"]["id"].startswith("eu-gift-")
