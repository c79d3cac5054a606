from __future__ import annotations

import pytest

from ewtp.catalog.models import StockReservation
from ewtp.catalog.tests.factories import (
    ADDRESSES,
    make_member,
    make_operator,
    make_seller,
    make_user,
)
from ewtp.core.models import IdempotencyRecord
from ewtp.orders.models import Checkout, Order, OrderLine
from ewtp.payments.models import Payment

pytestmark = pytest.mark.django_db


def new_cart(client, *lines) -> str:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/carts", content_type="application/json")
    assert response.status_code == 201
    cart_id = response.json()["id"]
    for product, quantity in lines:
        response = client.post(
            f"/api/v1/carts/{cart_id}/lines",
            {"product_id": str(product.public_id), "quantity": quantity},
            content_type="application/json",
        )
        assert response.status_code == 200, response.json()
    return cart_id


def checkout(client, cart_id, key="key-1", **overrides):  # type: ignore[no-untyped-def]
    payload = {
        "email": "li.wei@example.cn",
        "destination": "CN",
        "currency": "CNY",
        "shipping_address": ADDRESSES["CN"],
        **overrides,
    }
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        f"/api/v1/carts/{cart_id}/checkout", payload, content_type="application/json", **headers
    )


def counts() -> tuple[int, int, int, int]:
    return (
        Checkout.objects.count(),
        Order.objects.count(),
        OrderLine.objects.count(),
        StockReservation.objects.count(),
    )


def test_cart_lines_answer_the_cart(client, three_sellers):
    coffee, tea, _ = three_sellers
    cart_id = new_cart(client, (coffee, 1), (tea, 2))
    body = client.post(
        f"/api/v1/carts/{cart_id}/lines",
        {"product_id": str(coffee.public_id), "quantity": 2},
        content_type="application/json",
    ).json()
    assert body["id"] == cart_id and body["sellers"] == 2 and body["quantity"] == 5
    assert [(line["title"], line["quantity"]) for line in body["lines"]] == [
        ("Roasted coffee beans, 500 g", 3),
        ("Nyungwe black tea, 250 g", 2),
    ]
    unknown = client.post(
        f"/api/v1/carts/{cart_id}/lines",
        {"product_id": "9c2b0a1e-0000-4000-8000-000000000000", "quantity": 1},
        content_type="application/json",
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "product_not_found"
    zero = client.post(
        f"/api/v1/carts/{cart_id}/lines",
        {"product_id": str(tea.public_id), "quantity": 0},
        content_type="application/json",
    )
    assert zero.status_code == 422 and "quantity" in zero.json()["fields"]
    assert (
        client.post(
            "/api/v1/carts/not-a-cart/lines", {"product_id": "x"}, content_type="application/json"
        ).status_code
        == 404
    )


def test_checkout_answers_201_with_orders_and_the_payment_step(client, three_sellers):
    coffee, tea, basket = three_sellers
    cart_id = new_cart(client, (coffee, 1), (tea, 1), (basket, 1))
    response = checkout(client, cart_id)
    assert response.status_code == 201
    body = response.json()
    assert set(body) >= {"checkout_id", "orders", "payment"}
    assert [o["seller"] for o in body["orders"]] == ["gahaya-baskets", "huye-coffee", "nyungwe-tea"]
    total = sum(int(o["total"]["amount"].replace(".", "")) for o in body["orders"])
    payment = Payment.objects.get()
    assert payment.subject_ref == body["checkout_id"]
    assert body["payment"] == {
        "id": str(payment.public_id),
        "provider": "sandbox",
        "status": "pending",
        "amount": {"amount": f"{total / 100:.2f}", "currency": "CNY"},
        "approve_url": f"http://testserver/pay/sandbox/{payment.public_id}/",
    }


def test_a_replay_with_the_same_key_returns_the_first_answer_and_creates_nothing(
    client, three_sellers
):
    coffee, *_ = three_sellers
    cart_id = new_cart(client, (coffee, 2))
    first = checkout(client, cart_id)
    written = counts()
    again = checkout(client, cart_id)
    assert again.status_code == 201 and again.json() == first.json()
    assert counts() == written == (1, 1, 1, 1)
    reused = checkout(client, cart_id, email="someone.else@example.cn")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert counts() == written
    other_key = checkout(client, cart_id, key="key-2")
    assert other_key.status_code == 409 and other_key.json()["code"] == "cart_checked_out"


def test_out_of_stock_is_409_naming_the_product_and_what_remains(client, three_sellers):
    _, _, basket = three_sellers
    cart_id = new_cart(client, (basket, 5))
    response = checkout(client, cart_id)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "out_of_stock" and body["remaining"] == 3
    assert body["product_id"] == str(basket.public_id) and body["product"] == "Agaseke peace basket"
    assert counts() == (0, 0, 0, 0)
    assert IdempotencyRecord.objects.get().response_status == 409  # replayed as it was


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "nope"}, "email"),
        (
            {"shipping_address": {**ADDRESSES["CN"], "postal_code": "31"}},
            "shipping_address.postal_code",
        ),
        ({"shipping_address": {**ADDRESSES["CN"], "phone": "+86 12"}}, "shipping_address.phone"),
        (
            {
                "destination": "RW",
                "currency": "RWF",
                "shipping_address": {**ADDRESSES["RW"], "phone": "0712"},
            },
            "shipping_address.phone",
        ),
        ({"incoterm": "FOB"}, "incoterm"),
    ],
)
def test_invalid_checkouts_are_422_with_the_field_named(client, three_sellers, overrides, field):
    coffee, *_ = three_sellers
    response = checkout(client, new_cart(client, (coffee, 1)), **overrides)
    assert response.status_code == 422
    assert field in response.json()["fields"]
    assert counts() == (0, 0, 0, 0)


def test_a_rwandan_landmark_address_checks_out(client, three_sellers):
    coffee, *_ = three_sellers
    response = checkout(
        client,
        new_cart(client, (coffee, 1)),
        destination="RW",
        currency="RWF",
        shipping_address=ADDRESSES["RW"],
    )
    assert response.status_code == 201
    assert Checkout.objects.get().shipping_address["phone"] == "+250788123456"


def test_an_order_is_seen_by_its_buyer_seller_and_operator_only(client, three_sellers):
    coffee, tea, _ = three_sellers
    body = checkout(client, new_cart(client, (coffee, 1), (tea, 1))).json()
    token = Checkout.objects.get().access_token
    order_id = next(o["id"] for o in body["orders"] if o["seller"] == "huye-coffee")
    url = f"/api/v1/orders/{order_id}"
    assert client.get(url).status_code == 404
    assert client.get(url, {"token": "wrong"}).status_code == 404
    by_token = client.get(url, {"token": token})
    assert by_token.status_code == 200
    order = by_token.json()
    assert order["status"] == "pending_payment" and order["seller"] == "huye-coffee"
    assert [step["to"] for step in order["history"]] == ["pending_payment"]
    assert order["quote"]["rules_version"] == order["rules_version"]
    assert client.get(url, HTTP_X_ORDER_TOKEN=token).status_code == 200
    client.force_login(make_member(make_seller("nyungwe-tea"), "owner@tea.rw"))
    assert client.get(url).status_code == 404  # another seller
    client.force_login(make_member(make_seller("huye-coffee"), "owner@huye.rw"))
    assert client.get(url).status_code == 200
    client.force_login(make_operator())
    assert client.get(url).status_code == 200
    client.force_login(make_user("stranger@example.com"))
    assert client.get(url).status_code == 404


def test_the_buyer_gives_the_identity_number_through_the_api(client, three_sellers):
    coffee, *_ = three_sellers
    body = checkout(client, new_cart(client, (coffee, 1))).json()
    order_id = body["orders"][0]["id"]
    token = Checkout.objects.get().access_token
    url = f"/api/v1/orders/{order_id}/id-number"
    anonymous = client.post(
        url, {"id_number": "11010519491231002X"}, content_type="application/json"
    )
    assert anonymous.status_code == 404
    wrong = client.post(
        f"{url}?token={token}", {"id_number": "1101051949"}, content_type="application/json"
    )
    assert wrong.status_code == 422 and list(wrong.json()["fields"]) == ["id_number"]
    done = client.post(
        url,
        {"id_number": "11010519491231002x"},
        content_type="application/json",
        HTTP_X_ORDER_TOKEN=token,
    )
    assert done.status_code == 200 and done.json()["id"] == order_id
    assert Checkout.objects.get().shipping_address["id_number"] == "11010519491231002X"


def test_without_a_payment_provider_checkout_says_so_and_holds_nothing(
    client, three_sellers, settings
):
    settings.EWTP_PAYMENT_PROVIDERS = []
    coffee, _tea, _basket = three_sellers
    response = checkout(client, new_cart(client, (coffee, 1)))
    assert response.status_code == 503
    assert response.json()["code"] == "no_payment_provider"
    assert "No payment provider is configured" in response.json()["message"]
    assert Checkout.objects.count() == 0
    assert StockReservation.objects.count() == 0
    assert Payment.objects.count() == 0
