from __future__ import annotations

import pytest

from ewtp.catalog.tests.factories import make_member, make_operator, make_seller
from ewtp.orders.models import Checkout, Order

pytestmark = pytest.mark.django_db


def form(**overrides):  # type: ignore[no-untyped-def]
    values = {
        "email": "anne@example.be",
        "destination": "BE",
        "currency": "EUR",
        "incoterm": "DDP",
        "name": "Anne Peeters",
        "line1": "Rue Neuve 12",
        "city": "Bruxelles",
        "postal_code": "1000",
        "idempotency_key": "form-key-1",
    }
    values.update(overrides)
    return values


def fill_cart(client, *products):  # type: ignore[no-untyped-def]
    for product in products:
        response = client.post(
            "/orders/cart/add/", {"product_id": str(product.public_id), "quantity": "1"}
        )
        assert response.status_code == 302


def test_cart_checkout_and_confirmation_pages(client, three_sellers):
    coffee, tea, _ = three_sellers
    client.cookies["ewtp_destination"] = "BE"
    client.cookies["ewtp_currency"] = "EUR"
    fill_cart(client, coffee, tea)
    cart = client.get("/orders/cart/")
    assert cart.status_code == 200 and cart.text.count('data-testid="cart-seller"') == 2
    assert client.get("/orders/checkout/").status_code == 200
    response = client.post("/orders/checkout/", form())
    assert response.status_code == 302
    checkout = Checkout.objects.get()
    assert (
        response["Location"]
        == f"/orders/checkout/{checkout.public_id}/?token={checkout.access_token}"
    )
    done = client.get(response["Location"])
    assert done.status_code == 200 and 'data-testid="checkout-duty"' in done.text
    assert client.get(f"/orders/checkout/{checkout.public_id}/").status_code == 404  # no token
    again = client.post("/orders/checkout/", form())  # the cart is gone from the session
    assert again.status_code == 302 and again["Location"] == "/orders/cart/"


def test_checkout_errors_are_shown_next_to_the_fields(client, three_sellers):
    coffee, *_ = three_sellers
    fill_cart(client, coffee)
    response = client.post("/orders/checkout/", form(postal_code="ABC", email="bad"))
    assert response.status_code == 422
    assert (
        'data-testid="error-postal_code"' in response.text
        and 'data-testid="error-email"' in response.text
    )
    response = client.post(
        "/orders/checkout/",
        form(
            destination="RW",
            currency="RWF",
            line1="",
            city="Huye",
            phone="0788 12",
            idempotency_key="k2",
        ),
    )
    assert (
        'data-testid="error-landmark"' in response.text
        and 'data-testid="error-phone"' in response.text
    )
    assert Order.objects.count() == 0


def test_out_of_stock_at_checkout_is_shown(client, three_sellers):
    _, _, basket = three_sellers
    client.post("/orders/cart/add/", {"product_id": str(basket.public_id), "quantity": "3"})
    from ewtp.catalog.models import StockLevel

    StockLevel.objects.filter(variant__product=basket).update(on_hand=2)
    response = client.post("/orders/checkout/", form())
    assert response.status_code == 409
    assert "Only 2 left of Agaseke peace basket" in response.text


def test_seller_order_pages_and_actions(client, three_sellers):
    from ewtp.orders.services.handover import checkout_mark_paid

    coffee, tea, _ = three_sellers
    fill_cart(client, coffee, tea)
    client.post("/orders/checkout/", form())
    checkout = Checkout.objects.get()
    checkout_mark_paid(checkout=checkout)
    order = checkout.orders.get(seller__slug="huye-coffee")
    owner = make_member(make_seller("huye-coffee"), "owner@huye.rw")
    client.force_login(owner)
    listing = client.get("/orders/seller/huye-coffee/")
    assert listing.status_code == 200 and listing.text.count('data-testid="order-row"') == 1
    assert client.get("/orders/seller/nyungwe-tea/").status_code == 404
    page = client.get(f"/orders/o/{order.public_id}/")
    assert 'data-testid="action-accept"' in page.text
    client.post(f"/orders/o/{order.public_id}/action/", {"action": "accept"})
    order.refresh_from_db()
    assert order.status == "accepted"
    tea_order = checkout.orders.get(seller__slug="nyungwe-tea")
    assert client.get(f"/orders/o/{tea_order.public_id}/").status_code == 404
    assert (
        client.post(f"/orders/o/{tea_order.public_id}/action/", {"action": "accept"}).status_code
        == 404
    )
    assert client.get("/orders/operator/").status_code == 404
    client.force_login(make_operator())
    assert client.get("/orders/operator/").text.count('data-testid="order-row"') == 2


def test_the_buyer_follows_an_order_by_its_link(client, three_sellers):
    coffee, *_ = three_sellers
    fill_cart(client, coffee)
    client.post("/orders/checkout/", form())
    checkout = Checkout.objects.get()
    order = checkout.orders.get()
    page = client.get(f"/orders/o/{order.public_id}/?token={checkout.access_token}")
    assert page.status_code == 200 and 'data-testid="action-cancel"' in page.text
    client.post(
        f"/orders/o/{order.public_id}/action/", {"action": "cancel", "token": checkout.access_token}
    )
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_a_buyer_in_china_gives_the_identity_number_on_the_order_page(client, three_sellers):
    coffee, *_ = three_sellers
    fill_cart(client, coffee)
    response = client.post(
        "/orders/checkout/",
        form(
            destination="CN",
            currency="CNY",
            name="王芳",
            line1="文三路 90号",
            city="杭州",
            region="浙江",
            postal_code="310000",
            phone="+86 138 0013 8000",
        ),
    )
    assert response.status_code == 302, response.content.decode()
    checkout = Checkout.objects.get()
    order = checkout.orders.get()
    page = f"/orders/o/{order.public_id}/?token={checkout.access_token}"
    assert 'data-testid="id-number-form"' in client.get(page).content.decode()
    action = f"/orders/o/{order.public_id}/id-number/"
    wrong = client.post(
        action, {"token": checkout.access_token, "id_number": "110105194912310021"}, follow=True
    )
    assert "Not a resident identity card number" in wrong.content.decode()
    assert "id_number" not in Checkout.objects.get().shipping_address
    assert client.post(action, {"id_number": "11010519491231002X"}).status_code == 404  # no token
    done = client.post(
        action, {"token": checkout.access_token, "id_number": "11010519491231002X"}, follow=True
    )
    html = done.content.decode()
    assert "••••••••••••••002X" in html and 'data-testid="id-number-form"' not in html
    assert Checkout.objects.get().shipping_address["id_number"] == "11010519491231002X"
