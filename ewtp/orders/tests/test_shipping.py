"""Checkout charges carriage from the hub network: the cheapest lane's rate card for the
consignment's weight, or the origin hub's local delivery inside Rwanda."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ewtp.core.errors import DomainError
from ewtp.core.money import Money
from ewtp.core.preferences import CURRENCY_COOKIE, DESTINATION_COOKIE
from ewtp.orders.models import Order
from ewtp.orders.shipping import NoDelivery, carriage_for, consignment_weight_kg
from ewtp.orders.tests.test_api import checkout, counts, new_cart

pytestmark = pytest.mark.django_db


def test_the_consignment_weighs_what_its_lines_weigh(three_sellers):
    coffee, tea, _ = three_sellers
    lines = [(coffee.variants.get(), 2), (tea.variants.get(), 3)]
    assert consignment_weight_kg(lines) == Decimal("1.810")  # 2 x 0.5 + 3 x 0.27
    assert consignment_weight_kg([(tea.variants.get(), 0)]) == Decimal("0.1")  # the floor


def test_carriage_takes_the_cheapest_lane_for_the_chargeable_weight(three_sellers):
    coffee, *_ = three_sellers
    variant = coffee.variants.get()
    # 1 kg -> 1.0 chargeable: RwandAir 12.00 + 4.80 = 16.80 beats Ethiopian 15.00 + 4.20.
    light = carriage_for([(variant, 2)], destination="BE")
    assert (light.carrier_code, light.price, light.chargeable_kg) == (
        "WB",
        Money.of("16.80", "USD"),
        Decimal("1.0"),
    )
    # 6 kg: Ethiopian 15.00 + 25.20 = 40.20 beats RwandAir 12.00 + 28.80 = 40.80.
    heavy = carriage_for([(variant, 12)], destination="FR")
    assert (heavy.carrier_code, heavy.price, heavy.route) == (
        "ET",
        Money.of("40.20", "USD"),
        "KGL-LGG",
    )
    china = carriage_for([(variant, 1)], destination="CN")
    assert (china.carrier_code, china.price, china.transit_days) == (
        "ET",
        Money.of("17.80", "USD"),  # 15.00 + 5.60 x 0.5
        5,
    )


def test_a_country_no_hub_serves_has_no_delivery(three_sellers):
    coffee, *_ = three_sellers
    with pytest.raises(NoDelivery) as caught:
        carriage_for([(coffee.variants.get(), 1)], destination="KE")
    assert caught.value.code == "no_route"
    assert caught.value.fields == {"destination": "no delivery to this country yet"}


def test_checkout_inside_rwanda_charges_the_hubs_local_delivery(client, three_sellers):
    coffee, tea, _ = three_sellers
    response = checkout(
        client,
        new_cart(client, (coffee, 3), (tea, 1)),
        destination="RW",
        currency="RWF",
        shipping_address={
            "name": "Aline Uwase",
            "landmark": "Blue gate opposite Kimironko market",
            "city": "Gasabo",
            "phone": "0788 123 456",
        },
    )
    assert response.status_code == 201, response.json()
    orders = {order.seller.slug: order for order in Order.objects.all()}
    coffee_order, tea_order = orders["huye-coffee"], orders["nyungwe-tea"]
    # 3 x 0.5 kg = 1.5 kg chargeable: RWF 2,500 + 1.5 x 500 = RWF 3,250.
    assert coffee_order.shipping_minor == 3250
    assert coffee_order.carriage == {
        "origin": "KGL",
        "destination": "KGL",
        "carrier": "",
        "carrier_name": "Kigali Logistics Platform courier",
        "transit_days": 2,
        "chargeable_weight_kg": "1.5",
        "price": {"amount": "3250", "currency": "RWF"},
        "rate_source": "eWTP demo rate card (illustrative figures, not a carrier tariff)",
        "local": True,
    }
    # 0.27 kg -> 0.5 kg chargeable: RWF 2,500 + 250.
    assert tea_order.shipping_minor == 2750
    for order in (coffee_order, tea_order):
        assert order.total_minor == (
            order.goods_minor
            + order.shipping_minor
            + order.duty_minor
            + order.taxes_minor
            + order.fees_minor
        )
    assert coffee_order.goods_minor == 36000 and tea_order.goods_minor == 5000
    body = client.get(
        f"/api/v1/orders/{coffee_order.public_id}", {"token": coffee_order.checkout.access_token}
    ).json()
    assert body["breakdown"]["shipping"] == {"amount": "3250", "currency": "RWF"}
    assert body["carriage"]["carrier_name"] == "Kigali Logistics Platform courier"


def test_checkout_abroad_puts_the_lane_price_into_the_landed_cost(client, three_sellers):
    coffee, *_ = three_sellers
    response = checkout(
        client,
        new_cart(client, (coffee, 2)),
        destination="BE",
        currency="USD",
        shipping_address={
            "name": "Marie Peeters",
            "line1": "Rue de la Loi 16",
            "city": "Bruxelles",
            "postal_code": "1000",
        },
    )
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert order.carriage["price"] == {"amount": "16.80", "currency": "USD"}
    assert order.carriage["carrier"] == "WB"
    assert order.quote["totals"]["display"]["shipping"] == "16.80"
    assert order.shipping_minor == 1680
    # The EU values goods CIF: carriage is in the customs value, so in the VAT base.
    customs = order.quote["totals"]["customs"]
    assert Decimal(customs["shipping"]) > 0
    assert (
        Money.from_minor(order.total_minor, "USD").as_string()
        == response.json()["orders"][0]["total"]["amount"]
    )


def test_checkout_to_a_country_without_delivery_is_refused_and_writes_nothing(
    client, three_sellers
):
    coffee, *_ = three_sellers
    response = checkout(
        client,
        new_cart(client, (coffee, 1)),
        destination="KE",
        currency="KES",
        shipping_address={
            "name": "Wanjiru Kamau",
            "line1": "Moi Avenue 10",
            "city": "Nairobi",
            "postal_code": "00100",
            "phone": "+254 712 345678",
        },
    )
    assert response.status_code == 422
    assert response.json() == {
        "code": "no_route",
        "message": "The platform does not deliver to Kenya yet.",
        "fields": {"destination": "no delivery to this country yet"},
        "destination": "KE",
    }
    assert counts() == (0, 0, 0, 0)


def test_the_cart_page_shows_each_sellers_carriage(client, three_sellers):
    coffee, tea, _ = three_sellers
    cart_id = new_cart(client, (coffee, 1), (tea, 1))
    session = client.session
    session["cart_id"] = cart_id
    session.save()
    client.cookies[DESTINATION_COOKIE] = "RW"
    client.cookies[CURRENCY_COOKIE] = "RWF"
    page = client.get("/orders/cart/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="shipping"') == 2
    assert "Kigali Logistics Platform courier, about 2 days, 0.5 kg" in html


def test_a_consignment_heavier_than_a_parcel_may_be_is_refused(three_sellers):
    coffee, *_ = three_sellers
    with pytest.raises(DomainError) as caught:
        carriage_for([(coffee.variants.get(), 2001)], destination="BE")  # 1,000.5 kg
    assert caught.value.code == "too_heavy"
    assert caught.value.message == (
        "One parcel carries at most 1000 kg; this one would weigh 1000.5 kg."
    )
