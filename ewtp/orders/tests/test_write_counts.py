"""Exact query counts of the market's write paths through the API: a cart line, a checkout (a
fixed cost and a cost per seller), and the payment provider's webhook that pays a checkout of
two sellers. A change that adds a round trip fails here.

Counted as production runs them: transactional tests (the payment starts outside any
transaction), background tasks queued in the database (the worker sends the mails and delivers
the provider's webhooks), BEGIN and COMMIT included (Django logs them; each is a round trip).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from ewtp.catalog.models import StockLevel, StockReservation
from ewtp.catalog.tests.factories import ADDRESSES, make_product, make_seller
from ewtp.core.models import RateCounter
from ewtp.logistics.demo import network_ensure
from ewtp.orders.models import Cart, Checkout, Order
from ewtp.payments import sandbox, webhooks
from ewtp.payments.models import Payment
from ewtp.traderules.services.reference_data import reference_data_ensure

pytestmark = pytest.mark.django_db(transaction=True)

# Statements of one request, by database.
CART = {"postgresql": 2, "sqlite": 2}
CART_LINE = {"postgresql": 2, "sqlite": 5}
# PostgreSQL writes a checkout's lines, first events, audit rows and the buyer's mail task in
# one statement, and the payment's provider reference with the idempotent answer in one.
CHECKOUT_BASE = {"postgresql": 13, "sqlite": 18}
CHECKOUT_PER_SELLER = {"postgresql": 1, "sqlite": 1}
WEBHOOK_TWO_SELLERS = {"postgresql": 30, "sqlite": 30}
# A checkout refused because a line asks more than is left: decided by the units read with the
# cart's lines, before the quotes and the checkout's transaction (nothing priced, written or
# locked).
CHECKOUT_SOLD_OUT = {"postgresql": 5, "sqlite": 5}


def exactly(counts: dict[str, int]) -> int:
    return counts[connection.vendor]


@pytest.fixture(autouse=True)
def tasks_in_the_database(settings: Any) -> None:
    """Background tasks queued in the database, as under `ewtp serve`: a mail or a webhook
    delivery costs the request one INSERT, and the worker does the rest."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def sellers() -> list[Any]:
    reference_data_ensure()
    network_ensure()
    return [
        make_product(make_seller("huye-coffee", name="Huye Mountain Coffee"), stock=50),
        make_product(
            make_seller("nyungwe-tea", name="Nyungwe Tea"),
            "Nyungwe black tea",
            hs_code="0902.40",
            price="5000",
            weight="0.27",
            stock=50,
        ),
    ]


def cart_of(client: Client, products: list[Any]) -> str:
    cart = client.post("/api/v1/carts").json()["id"]
    for product in products:
        response = client.post(
            f"/api/v1/carts/{cart}/lines",
            {"product_id": str(product.public_id), "quantity": 1},
            content_type="application/json",
        )
        assert response.status_code == 200
    return str(cart)


def check_out(client: Client, cart: str) -> Any:
    return client.post(
        f"/api/v1/carts/{cart}/checkout",
        {
            "email": "li.wei@example.cn",
            "destination": "CN",
            "currency": "CNY",
            "shipping_address": ADDRESSES["CN"],
        },
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )


def test_a_cart_line_and_a_checkout_cost_a_fixed_count_plus_one_per_seller(
    sellers: list[Any], django_assert_num_queries: Any
) -> None:
    client = Client()
    check_out(client, cart_of(client, sellers))  # per-process caches warm
    cart = client.post("/api/v1/carts").json()["id"]
    with django_assert_num_queries(exactly(CART_LINE)):
        response = client.post(
            f"/api/v1/carts/{cart}/lines",
            {"product_id": str(sellers[0].public_id), "quantity": 2},
            content_type="application/json",
        )
    assert response.status_code == 200 and response.json()["quantity"] == 2
    for count in (1, 2):
        cart = cart_of(client, sellers[:count])
        expected = exactly(CHECKOUT_BASE) + count * exactly(CHECKOUT_PER_SELLER)
        with django_assert_num_queries(expected):
            response = check_out(client, cart)
        assert response.status_code == 201, response.json()
        assert len(response.json()["orders"]) == count


def test_a_cart_costs_its_rate_limit_counter_and_its_row(
    django_assert_num_queries: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """One upsert counts the request against the client's limit (on, as in production), one
    INSERT opens the cart (no transaction around it: one statement is one already)."""
    settings.EWTP_RATE_LIMITS = True
    monkeypatch.setattr("ewtp.core.ratelimit.random.random", lambda: 0.5)  # no sweep of old windows
    client = Client()
    with django_assert_num_queries(exactly(CART)):
        response = client.post("/api/v1/carts")
    assert response.status_code == 201
    cart = Cart.objects.get(public_id=response.json()["id"])
    assert cart.user_id is None and cart.checked_out_at is None
    assert RateCounter.objects.filter(key__startswith="ratelimit:orders.cart:").count() == 1


def test_a_sold_out_checkout_is_refused_before_anything_is_written(
    sellers: list[Any], django_assert_num_queries: Any
) -> None:
    client = Client()
    check_out(client, cart_of(client, sellers))  # per-process caches warm
    cart = cart_of(client, sellers)
    level = StockLevel.objects.get(variant__product=sellers[0])
    StockLevel.objects.filter(pk=level.pk).update(on_hand=level.reserved)  # none left
    checkouts, orders = Checkout.objects.count(), Order.objects.count()
    with django_assert_num_queries(exactly(CHECKOUT_SOLD_OUT)):
        response = check_out(client, cart)
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["remaining"], body["requested"]) == ("out_of_stock", 0, 1)
    assert body["product_id"] == str(sellers[0].public_id)
    assert (Checkout.objects.count(), Order.objects.count()) == (checkouts, orders)
    assert StockReservation.objects.filter(stock_level=level).count() == 1  # the warm-up's
    assert not Cart.objects.get(public_id=cart).checked_out_at


def test_a_sold_out_checkout_prices_nothing(
    sellers: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Work that cannot happen is not done: a cart with a sold-out line is refused before its
    consignments are quoted (a quote, its lanes and its rates cost a refusal a third of its
    time), so the refusal is the same whatever the quote would have said."""
    client = Client()
    cart = cart_of(client, sellers)
    level = StockLevel.objects.get(variant__product=sellers[1])
    StockLevel.objects.filter(pk=level.pk).update(on_hand=0, reserved=0)

    def priced(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a sold-out cart was priced")

    monkeypatch.setattr("ewtp.orders.pricing.consignment_priced", priced)
    response = check_out(client, cart)
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["remaining"], body["requested"]) == ("out_of_stock", 0, 1)
    assert body["product_id"] == str(sellers[1].public_id)


def approve_and_post_webhook(client: Client, placed: dict[str, Any]) -> Any:
    """Approve the sandbox payment (its webhook is queued), then post that webhook, signed."""
    assert (
        client.post(f"/api/v1/payments/sandbox/{placed['payment']['id']}/approve").status_code
        == 200
    )
    payment = Payment.objects.get(public_id=placed["payment"]["id"])
    event = {
        "id": "evt_" + uuid.uuid4().hex[:20],
        "type": "charge.succeeded",
        "data": {"reference": payment.provider_reference},
    }
    body = json.dumps(event, separators=(",", ":")).encode()
    return lambda: client.post(
        sandbox.WEBHOOK_PATH,
        data=body,
        content_type="application/json",
        headers={webhooks.SIGNATURE_HEADER: webhooks.sign(body)},
    )


def test_the_webhook_that_pays_a_checkout_of_two_sellers(
    sellers: list[Any], django_assert_num_queries: Any
) -> None:
    client = Client()
    first = check_out(client, cart_of(client, sellers)).json()
    assert approve_and_post_webhook(client, first)().status_code == 200  # opens the accounts
    placed = check_out(client, cart_of(client, sellers)).json()
    post = approve_and_post_webhook(client, placed)
    with django_assert_num_queries(exactly(WEBHOOK_TWO_SELLERS)):
        response = post()
    assert response.status_code == 200 and response.json() == {"status": "processed"}
    payment = Payment.objects.get(public_id=placed["payment"]["id"])
    assert payment.status == Payment.Status.SUCCEEDED
    checkout = Checkout.objects.get(public_id=placed["checkout_id"])
    assert {order.status for order in checkout.orders.all()} == {Order.Status.PAID}


def test_the_buyer_s_mail_is_queued_by_a_row_of_the_checkout_s_transaction(
    sellers: list[Any], mailoutbox: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The task that mails the buyer is written with the checkout (core.task_rows), not
    enqueued after its commit: it commits with it, it is undone with it, and the worker runs
    it as any task it queued itself."""
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    client = Client()
    placed = check_out(client, cart_of(client, sellers)).json()
    checkout = Checkout.objects.get(public_id=placed["checkout_id"])
    queued = DBTaskResult.objects.get()
    assert (queued.task_path, queued.args_kwargs, queued.status) == (
        "ewtp.orders.tasks.send_checkout_mail",
        {"args": [checkout.pk, "placed"], "kwargs": {}},
        "READY",
    )
    assert queued in DBTaskResult.objects.ready()  # due now, as an enqueued task is

    # A checkout that fails after its rows were written leaves no task behind.
    def refused(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the stock's UPDATE failed")

    monkeypatch.setattr("ewtp.orders.services.checkout.stock_hold_many", refused)
    with pytest.raises(RuntimeError):
        check_out(client, cart_of(client, sellers))
    assert DBTaskResult.objects.count() == 1
    monkeypatch.undo()

    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    assert [mail.to for mail in mailoutbox] == [["li.wei@example.cn"]]
    assert Checkout.objects.get(pk=checkout.pk).placed_mailed_at is not None
