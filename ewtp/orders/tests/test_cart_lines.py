"""Adding a line to a cart through the API (``cart_line_add_for``: one statement with
PostgreSQL, the ORM's path for the errors) and the cart it answers (``cart_reads``): the
values, the order of the lines, the limits, who may add, and that a refused line writes
nothing."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from ewtp.catalog.models import DEFAULT_HUB, Product, StockLevel, Variant
from ewtp.catalog.tests.factories import make_product, make_seller, make_user, variant_of
from ewtp.core import clock
from ewtp.orders import selectors
from ewtp.orders.models import Cart, CartLine
from ewtp.orders.services import carts

pytestmark = pytest.mark.django_db


def new_cart(client: Client) -> str:
    response = client.post("/api/v1/carts")
    assert response.status_code == 201
    return str(response.json()["id"])


def add(client: Client, cart_id: str, product: Any, quantity: Any = 1, **extra: Any) -> Any:
    return client.post(
        f"/api/v1/carts/{cart_id}/lines",
        {"product_id": str(product.public_id), "quantity": quantity, **extra},
        content_type="application/json",
    )


def lines_of(cart_id: str) -> list[tuple[str, int]]:
    return sorted(
        (line.variant.sku, line.quantity)
        for line in CartLine.objects.filter(cart__public_id=cart_id).select_related("variant")
    )


def stamp_of(cart_id: str) -> Any:
    return Cart.objects.get(public_id=cart_id).updated_at


def test_a_line_added_twice_sums_and_the_answer_is_the_whole_cart_by_seller(
    client: Client, three_sellers: Any
) -> None:
    coffee, tea, _ = three_sellers
    cart_id = new_cart(client)
    assert add(client, cart_id, tea, 2).status_code == 200
    assert add(client, cart_id, coffee, 1).status_code == 200
    response = add(client, cart_id, coffee, 3)
    assert response.status_code == 200
    coffee_line = CartLine.objects.get(cart__public_id=cart_id, variant__product=coffee)
    tea_line = CartLine.objects.get(cart__public_id=cart_id, variant__product=tea)
    coffee_variant, tea_variant = variant_of(coffee), variant_of(tea)
    expected = {
        "id": cart_id,
        "checked_out": False,
        "lines": [  # by seller name (Huye before Nyungwe), though tea was added first
            {
                "id": coffee_line.pk,
                "product_id": str(coffee.public_id),
                "variant_id": str(coffee_variant.public_id),
                "sku": coffee_variant.sku,
                "title": "Roasted coffee beans, 500 g",
                "seller": "huye-coffee",
                "quantity": 4,
                "unit_price": {"amount": "12000", "currency": "RWF"},
                "available": 10,
            },
            {
                "id": tea_line.pk,
                "product_id": str(tea.public_id),
                "variant_id": str(tea_variant.public_id),
                "sku": tea_variant.sku,
                "title": "Nyungwe black tea, 250 g",
                "seller": "nyungwe-tea",
                "quantity": 2,
                "unit_price": {"amount": "5000", "currency": "RWF"},
                "available": 20,
            },
        ],
        "sellers": 2,
        "quantity": 6,
    }
    assert response.json() == expected
    assert client.get(f"/api/v1/carts/{cart_id}").json() == expected
    assert coffee_line.quantity == 4 and CartLine.objects.count() == 2


def test_the_title_is_in_the_request_language_with_the_variant_named(
    client: Client, reference_data: Any
) -> None:
    seller = make_seller("huye-coffee", name="Huye Mountain Coffee")
    coffee = make_product(seller, translations={"fr": "Café torréfié, 500 g"})
    large = Variant.objects.create(
        product=coffee, sku="HUYE-1KG", name="1 kg", price_minor=22000, currency="RWF", position=1
    )
    honey = make_product(seller, "Huye mountain honey", hs_code="0409.00")
    cart_id = new_cart(client)
    client.cookies["ewtp_language"] = "fr"
    assert add(client, cart_id, coffee, 1, variant_id=str(large.public_id)).status_code == 200
    body = add(client, cart_id, honey, 1).json()
    assert [(line["title"], line["sku"], line["available"]) for line in body["lines"]] == [
        ("Café torréfié, 500 g (1 kg)", "HUYE-1KG", 0),  # no stock of that variant
        ("Huye mountain honey", variant_of(honey).sku, 10),  # not translated: the original
    ]
    assert body["lines"][0]["unit_price"] == {"amount": "22000", "currency": "RWF"}
    client.cookies["ewtp_language"] = "en"
    english = client.get(f"/api/v1/carts/{cart_id}").json()
    assert english["lines"][0]["title"] == "Roasted coffee beans, 500 g (1 kg)"


def test_available_is_on_hand_less_reserved_over_the_hubs(
    client: Client, three_sellers: Any
) -> None:
    coffee, tea, _ = three_sellers
    StockLevel.objects.filter(variant=variant_of(coffee)).update(on_hand=10, reserved=4)
    StockLevel.objects.create(variant=variant_of(coffee), hub_code="NBO", on_hand=7, reserved=1)
    StockLevel.objects.filter(variant=variant_of(tea), hub_code=DEFAULT_HUB).update(
        on_hand=5, reserved=5
    )
    cart_id = new_cart(client)
    add(client, cart_id, coffee)
    body = add(client, cart_id, tea).json()
    assert [line["available"] for line in body["lines"]] == [12, 0]


def test_the_quantity_limits_of_a_line_and_of_a_cart(
    client: Client, three_sellers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    coffee, tea, basket = three_sellers
    cart_id = new_cart(client)
    for quantity in (0, -1, 1001):
        refused = add(client, cart_id, coffee, quantity)
        assert refused.status_code == 422
        assert refused.json()["code"] == "invalid_request"
        assert refused.json()["fields"] == {"quantity": "1 to 1000"}
    assert add(client, cart_id, coffee, 999).status_code == 200
    stamp = stamp_of(cart_id)
    over = add(client, cart_id, coffee, 2)
    assert over.status_code == 422
    assert over.json()["code"] == "invalid_request"
    assert over.json()["fields"] == {"quantity": "at most 1 more"}
    assert lines_of(cart_id) == [(variant_of(coffee).sku, 999)] and stamp_of(cart_id) == stamp
    assert add(client, cart_id, coffee, 1).json()["quantity"] == 1000
    monkeypatch.setattr(carts, "MAX_CART_LINES", 2)
    assert add(client, cart_id, tea).status_code == 200
    stamp = stamp_of(cart_id)
    full = add(client, cart_id, basket)
    assert full.status_code == 409 and full.json()["code"] == "cart_full"
    assert len(lines_of(cart_id)) == 2 and stamp_of(cart_id) == stamp
    assert add(client, cart_id, tea, 3).json()["quantity"] == 1004  # a line it has: room


def test_another_users_cart_is_not_found_and_a_guests_cart_is_for_whoever_holds_its_id(
    client: Client, three_sellers: Any
) -> None:
    coffee, *_ = three_sellers
    owner, other = make_user("amina@example.rw"), make_user("li.wei@example.cn")
    client.force_login(owner)
    mine = new_cart(client)
    assert Cart.objects.get(public_id=mine).user == owner
    stranger = Client()
    stranger.force_login(other)
    for who in (stranger, Client()):
        refused = add(who, mine, coffee)
        assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert lines_of(mine) == []
    assert add(client, mine, coffee).status_code == 200
    guest_cart = new_cart(Client())
    assert add(stranger, guest_cart, coffee, 2).json()["quantity"] == 2
    assert add(Client(), guest_cart, coffee, 1).json()["quantity"] == 3
    for cart_id in ("not-a-cart", str(uuid.uuid4())):
        unknown = add(client, cart_id, coffee)
        assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"


def test_a_checked_out_cart_takes_no_more_lines(client: Client, three_sellers: Any) -> None:
    coffee, tea, _ = three_sellers
    cart_id = new_cart(client)
    add(client, cart_id, coffee)
    Cart.objects.filter(public_id=cart_id).update(checked_out_at=clock.now())
    stamp = stamp_of(cart_id)
    for product in (coffee, tea):
        refused = add(client, cart_id, product)
        assert refused.status_code == 409 and refused.json()["code"] == "cart_checked_out"
    assert lines_of(cart_id) == [(variant_of(coffee).sku, 1)] and stamp_of(cart_id) == stamp
    assert client.get(f"/api/v1/carts/{cart_id}").json()["checked_out"] is True


def test_products_and_variants_that_cannot_be_bought_are_refused_and_nothing_is_written(
    client: Client, three_sellers: Any
) -> None:
    coffee, tea, basket = three_sellers
    draft = make_product(make_seller("huye-coffee"), "Coffee draft", publish=False)
    unverified = make_product(make_seller("new-seller", verified=False), "Unverified tea")
    Variant.objects.filter(product=basket).update(is_active=False)
    cart_id = new_cart(client)
    stamp = stamp_of(cart_id)
    for product_id in (draft.public_id, unverified.public_id, uuid.uuid4(), "not-an-id"):
        refused = client.post(
            f"/api/v1/carts/{cart_id}/lines",
            {"product_id": str(product_id), "quantity": 1},
            content_type="application/json",
        )
        assert refused.status_code == 404
        assert refused.json()["code"] == "product_not_found"
        assert refused.json()["fields"] == {"product_id": "unknown"}
    for variant_id in (variant_of(tea).public_id, uuid.uuid4(), "not-an-id"):
        refused = add(client, cart_id, coffee, variant_id=str(variant_id))
        assert refused.status_code == 422
        assert refused.json()["fields"] == {"variant_id": "unknown"}
    unavailable = add(client, cart_id, basket)
    assert unavailable.status_code == 409
    assert unavailable.json() == {
        "code": "product_unavailable",
        "message": "Agaseke peace basket cannot be bought now.",
    }
    assert lines_of(cart_id) == [] and stamp_of(cart_id) == stamp
    Product.objects.filter(pk=draft.pk).update(status=Product.Status.PUBLISHED)
    assert add(client, cart_id, draft).status_code == 200
    assert stamp_of(cart_id) > stamp


def test_the_answer_agrees_with_the_cart_pages_read(client: Client, three_sellers: Any) -> None:
    """``cart_body`` (one raw query) says what ``cart_lines`` (the ORM's read of the cart and
    checkout pages) says, line for line."""
    coffee, tea, basket = three_sellers
    Variant.objects.create(
        product=tea, sku="TEA-1KG", name="1 kg", price_minor=18000, currency="RWF", position=1
    )
    cart_id = new_cart(client)
    for product, quantity in ((basket, 1), (tea, 2), (coffee, 3)):
        add(client, cart_id, product, quantity)
    add(client, cart_id, tea, 1, variant_id=str(Variant.objects.get(sku="TEA-1KG").public_id))
    cart = Cart.objects.get(public_id=cart_id)
    for language in ("en", "fr"):
        views = selectors.cart_lines(cart, language)
        body = selectors.cart_body(cart, language)
        assert [
            (
                line["id"],
                line["title"],
                line["sku"],
                line["quantity"],
                line["unit_price"],
                line["available"],
            )
            for line in body["lines"]
        ] == [
            (
                view.line.pk,
                view.title,
                view.variant.sku,
                view.quantity,
                view.unit_price.as_dict(),
                max(view.available, 0),
            )
            for view in views
        ]
        assert body["sellers"] == 3 and body["quantity"] == 7


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_lines_added_at_the_same_moment_all_count(three_sellers: Any) -> None:
    """Eight requests add the same product to one cart at once: one line of eight units (the
    upsert takes the line's conflict; the cart row is locked while the line is written)."""
    coffee, *_ = three_sellers
    cart_id = new_cart(Client())
    barrier = threading.Barrier(8)
    statuses: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            status = add(Client(), cart_id, coffee).status_code
            with lock:
                statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * 8
    assert lines_of(cart_id) == [(variant_of(coffee).sku, 8)]
    assert stamp_of(cart_id) > clock.now() - timedelta(minutes=1)
