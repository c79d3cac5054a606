"""The duty a preference saved: the engine reports the MFN duty each preferential line would
have paid, and the insights sum what the preferences spared, checked here by hand."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from ewtp.catalog.tests.factories import ADDRESSES, make_operator, make_product
from ewtp.insights import selectors
from ewtp.insights.selectors import Scope
from ewtp.orders.models import Order
from ewtp.orders.services.carts import cart_create, cart_line_add
from ewtp.orders.services.checkout import checkout_place
from ewtp.orders.tests.conftest import reference_data, three_sellers  # noqa: F401

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")
EU_MFN_ROASTED_COFFEE = Decimal("0.075")  # data/rules/tariff_lines.csv, EU 090121 (S09)


def test_the_duty_a_preference_saved_recomputed_by_hand(three_sellers, client):  # noqa: F811
    cache.clear()
    small_coffee, tea, _basket = three_sellers
    # A sack of coffee: above the EU's EUR 150 low-value regime, so the standard duty applies.
    coffee = make_product(small_coffee.seller, "Roasted coffee, 10 kg", price="300000", weight="10")
    cart = cart_create()
    cart_line_add(cart=cart, product_id=str(coffee.public_id), quantity=1)
    cart_line_add(cart=cart, product_id=str(tea.public_id), quantity=1)
    checkout = checkout_place(
        cart=cart,
        email="anne@example.org",
        destination="BE",
        currency="EUR",
        shipping_address=ADDRESSES["BE"],
    )
    order = Order.objects.get(checkout=checkout, seller=coffee.seller)
    quote = order.quote
    (line,) = quote["lines"]
    # Rwandan roasted coffee enters the EU duty free under EBA (proof of origin supplied)
    # instead of the MFN 7.5% on its customs value (CIF: its price and its carriage).
    assert line["duty"]["programme"] == "eu-eba" and line["duty"]["amount"] == "0.00"
    mfn = (Decimal(line["customs_value"]) * EU_MFN_ROASTED_COFFEE).quantize(CENT, ROUND_HALF_UP)
    assert mfn > 0
    assert line["duty"]["mfn_amount"] == str(mfn)
    assert quote["duty_saved"] == {
        "amount": str(mfn),
        "currency": "EUR",
        "customs_amount": str(mfn),
        "customs_currency": "EUR",
    }
    # The tea seller's parcel: no preference used, no saving reported.
    other = Order.objects.get(checkout=checkout, seller=tea.seller)
    assert "duty_saved" not in other.quote
    assert all("mfn_amount" not in (x["duty"] or {}) for x in other.quote["lines"])

    Order.objects.filter(checkout=checkout).update(status=Order.Status.PAID)
    figure = selectors.figure_for(Scope("operator"), "preferences")
    assert figure is not None
    assert figure.columns[-1] == "Duty saved"
    assert figure.rows == [["eu-eba", "EUR", 1, "0.00", str(mfn)]]

    client.force_login(make_operator())
    page = client.get(reverse("insights:dashboard")).content.decode()
    assert "Duty saved" in page and f'<td class="num">{mfn}</td>' in page
