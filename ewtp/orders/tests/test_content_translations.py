"""The buyer's cart, checkout, order page and mail name each product in the buyer's language
where the seller translated it, and explain the import regime in that language."""

from __future__ import annotations

import pytest

from ewtp.catalog.tests.factories import make_product, make_seller
from ewtp.orders.models import Checkout
from ewtp.orders.tests.test_views import fill_cart, form

pytestmark = pytest.mark.django_db


def test_a_french_buyer_reads_the_french_name_from_cart_to_mail(
    client, reference_data, django_capture_on_commit_callbacks, mailoutbox
):
    huye = make_seller("huye-coffee", name="Huye Mountain Coffee")
    honey = make_product(
        huye, "Huye mountain honey", hs_code="0409.00", translations={"fr": "Miel de Huye"}
    )
    plain = make_product(huye, "Roasted coffee beans, 500 g")
    client.cookies["ewtp_destination"] = "BE"
    client.cookies["ewtp_currency"] = "EUR"
    client.cookies["ewtp_language"] = "fr"
    fill_cart(client, honey, plain)
    cart = client.get("/orders/cart/").text
    assert "Miel de Huye" in cart and "Huye mountain honey" not in cart
    assert "Roasted coffee beans, 500 g" in cart  # not translated: the original
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/orders/checkout/", form(idempotency_key="fr-honey"))
    assert response.status_code == 302
    checkout = Checkout.objects.get()
    order = checkout.orders.get()
    # The line keeps the title the product had when bought.
    assert sorted(order.lines.values_list("product_title", flat=True)) == [
        "Huye mountain honey",
        "Roasted coffee beans, 500 g",
    ]
    done = client.get(response["Location"]).text
    assert "Miel de Huye" in done and "Huye mountain honey" not in done
    page = client.get(f"/orders/o/{order.public_id}/?token={checkout.access_token}").text
    assert "Miel de Huye" in page and "Huye mountain honey" not in page
    assert "Roasted coffee beans, 500 g" in page
    assert "par un vendeur inscrit" in page  # the import treatment, in French
    placed = next(m for m in mailoutbox if m.to == ["anne@example.be"])
    assert "Miel de Huye" in placed.body and "Huye mountain honey" not in placed.body
    # Another language reads the original.
    client.cookies["ewtp_language"] = "en"
    english = client.get(f"/orders/o/{order.public_id}/?token={checkout.access_token}").text
    assert "Huye mountain honey" in english and "Miel de Huye" not in english
