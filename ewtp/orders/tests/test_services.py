from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from ewtp.catalog.errors import OutOfStock
from ewtp.catalog.models import StockLevel, StockReservation
from ewtp.catalog.tests.factories import (
    ADDRESSES,
    make_member,
    make_operator,
    make_user,
    variant_of,
)
from ewtp.core import clock
from ewtp.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from ewtp.core.models import AuditLog
from ewtp.core.money import Money
from ewtp.orders.models import Cart, Checkout, Order, OrderEvent, OrderLine
from ewtp.orders.services.carts import cart_create, cart_line_add
from ewtp.orders.services.checkout import checkout_place
from ewtp.orders.services.handover import checkout_mark_paid, checkout_release
from ewtp.orders.services.holds import holds_expire
from ewtp.orders.services.mails import order_mail_send
from ewtp.orders.services.transitions import (
    BuyerAccess,
    order_accept,
    order_cancel,
    order_complete,
    order_deliver,
    order_hand_to_hub,
    order_pack,
    order_refund,
    order_return_to_seller,
    order_ship,
    order_transition,
)

pytestmark = pytest.mark.django_db


def cart_with(*lines):  # type: ignore[no-untyped-def]
    cart = cart_create()
    for product, quantity in lines:
        cart_line_add(cart=cart, product_id=str(product.public_id), quantity=quantity)
    return cart


def place(cart, destination="BE", currency="EUR", **kwargs):  # type: ignore[no-untyped-def]
    return checkout_place(
        cart=cart,
        email=kwargs.pop("email", "anne@example.be"),
        destination=destination,
        currency=currency,
        shipping_address=kwargs.pop("shipping_address", ADDRESSES[destination]),
        **kwargs,
    )


def stock(product):  # type: ignore[no-untyped-def]
    level = StockLevel.objects.get(variant=variant_of(product))
    return level.on_hand, level.reserved


def test_three_sellers_make_three_orders_that_sum_to_the_checkout(three_sellers):
    coffee, tea, basket = three_sellers
    checkout = place(
        cart_with((coffee, 2), (tea, 3), (basket, 1)), "CN", "CNY", shipping_address=ADDRESSES["CN"]
    )
    orders = list(checkout.orders.order_by("id"))
    assert [o.seller.slug for o in orders] == ["gahaya-baskets", "huye-coffee", "nyungwe-tea"]
    assert sum(o.total_minor for o in orders) == checkout.total_minor
    for order in orders:
        quote = order.quote
        assert (
            Money.from_minor(order.total_minor, "CNY").as_string()
            == quote["payable_at_checkout"]["amount"]
        )
        assert order.rules_version == quote["rules_version"] and order.fx_rates == quote["fx"]
        assert order.status == Order.Status.PENDING_PAYMENT
        assert order.events.get().to_status == "pending_payment"
    coffee_order = orders[1]
    assert coffee_order.seller_goods_minor == 24000 and coffee_order.seller_currency == "RWF"
    assert [(line.quantity, line.unit_price_minor) for line in coffee_order.lines.all()] == [
        (2, 12000)
    ]
    assert stock(coffee) == (10, 2) and stock(tea) == (20, 3) and stock(basket) == (3, 1)
    assert Cart.objects.get(pk=checkout.cart_id).checked_out_at is not None
    assert checkout.payment_status == "pending"
    assert AuditLog.objects.filter(action="orders.order.placed").count() == 3


def test_a_short_line_answers_out_of_stock_and_writes_nothing(three_sellers):
    coffee, _tea, basket = three_sellers
    cart = cart_with((coffee, 2), (basket, 4))
    with pytest.raises(OutOfStock) as caught:
        place(cart)
    body = caught.value.as_dict()
    assert caught.value.http_status == 409
    assert body["code"] == "out_of_stock" and body["remaining"] == 3
    assert body["product"] == "Agaseke peace basket" and "Only 3 left" in body["message"]
    assert (Checkout.objects.count(), Order.objects.count(), OrderLine.objects.count()) == (0, 0, 0)
    assert StockReservation.objects.count() == 0 and OrderEvent.objects.count() == 0
    assert stock(coffee) == (10, 0) and stock(basket) == (3, 0)
    assert Cart.objects.get(pk=cart.pk).checked_out_at is None


def test_invalid_input_names_the_field_and_writes_nothing(three_sellers):
    coffee, *_ = three_sellers
    cart = cart_with((coffee, 1))
    with pytest.raises(InvalidRequest) as caught:
        place(
            cart,
            "RW",
            "RWF",
            email="not-an-email",
            shipping_address={"name": "A", "city": "Huye", "phone": "123"},
        )
    assert set(caught.value.fields) == {
        "email",
        "shipping_address.landmark",
        "shipping_address.phone",
    }
    assert Order.objects.count() == 0 and stock(coffee) == (10, 0)


def test_a_cart_is_checked_out_once(three_sellers):
    coffee, *_ = three_sellers
    cart = cart_with((coffee, 1))
    place(cart)
    with pytest.raises(Conflict) as caught:
        place(cart)
    assert caught.value.code == "cart_checked_out"
    with pytest.raises(Conflict):
        cart_line_add(cart=cart, product_id=str(coffee.public_id), quantity=1)


def test_the_stored_quote_is_charged_after_rates_and_rules_change(three_sellers, monkeypatch):
    from ewtp.catalog import landed_prices, traderules_gateway
    from ewtp.logistics.demo import network_ensure
    from ewtp.orders.services import money
    from ewtp.payments.providers import Status
    from ewtp.payments.services import payment_settle
    from ewtp.traderules.services.fx import fx_rate_enter

    coffee, tea, _ = three_sellers
    checkout = place(cart_with((coffee, 2)))
    order = checkout.orders.get()
    total_before = (order.total_minor, checkout.total_minor)
    request = landed_prices.quote_request(
        [(variant_of(coffee), 2)], destination="BE", currency="EUR"
    )
    fresh_before = traderules_gateway.quote_compute(request)["payable_at_checkout"]["amount"]
    fx_rate_enter(
        actor=make_operator(),
        date=clock.today(),
        currency="RWF",
        units_per_eur="900",  # the franc almost twice as strong
        source="test: operator rate",
    )
    fresh_after = traderules_gateway.quote_compute(request)["payable_at_checkout"]["amount"]
    assert Decimal(fresh_after) > Decimal(fresh_before)
    # And a published rule change, long after checkout: every new quote is twice as dear.
    real = traderules_gateway.quote_compute
    calls = []

    def later_rules(r, **k):  # type: ignore[no-untyped-def]
        calls.append(r)
        quote = real(r, **k)
        payable = quote["payable_at_checkout"]
        doubled = {**payable, "amount": str(Decimal(payable["amount"]) * 2)}
        return {**quote, "rules_version": "later", "payable_at_checkout": doubled}

    monkeypatch.setattr(traderules_gateway, "quote_compute", later_rules)
    # The patch is where checkouts really look: a new checkout is priced by the later rules.
    newer = place(cart_with((tea, 1)))
    assert len(calls) == 1 and newer.orders.get().rules_version == "later"
    # The first checkout is charged what it was quoted, and is paid at that.
    network_ensure()
    payment = money.checkout_payment_start(checkout)
    assert (payment.amount_minor, payment.currency) == (total_before[1], "EUR")
    payment_settle(payment_id=payment.pk, status=Status("succeeded"))
    order.refresh_from_db()
    checkout.refresh_from_db()
    assert (order.total_minor, checkout.total_minor) == total_before
    assert (order.status, checkout.payment_status) == ("paid", "paid")
    assert order.rules_version != "later"
    assert len(calls) == 1  # paying asked for no new quote


def test_a_hold_that_expires_returns_its_stock(three_sellers):
    coffee, tea, _ = three_sellers
    checkout = place(cart_with((coffee, 4), (tea, 1)))
    assert stock(coffee) == (10, 4)
    assert holds_expire(now=clock.now()) == 0  # not yet
    assert holds_expire(now=checkout.hold_expires_at + timedelta(seconds=1)) == 2
    assert stock(coffee) == (10, 0) and stock(tea) == (20, 0)
    assert set(checkout.orders.values_list("status", flat=True)) == {"expired"}
    checkout.refresh_from_db()
    assert checkout.payment_status == "expired"
    assert set(StockReservation.objects.values_list("state", flat=True)) == {"released"}
    with pytest.raises(Conflict) as caught:
        checkout_mark_paid(checkout=checkout)
    assert caught.value.code == "hold_expired"


def test_the_expire_holds_command(three_sellers, settings):
    coffee, *_ = three_sellers
    settings.EWTP_CHECKOUT_HOLD_MINUTES = -1  # already past
    place(cart_with((coffee, 3)))
    from io import StringIO

    out = StringIO()
    call_command("orders", "expire-holds", stdout=out)
    assert out.getvalue().strip() == "expired 1 order hold(s)"
    assert stock(coffee) == (10, 0)


def test_payment_sells_the_stock_once(three_sellers):
    coffee, *_ = three_sellers
    checkout = place(cart_with((coffee, 4)))
    checkout_mark_paid(checkout=checkout, payment_reference="pay_1")
    checkout_mark_paid(checkout=checkout, payment_reference="pay_1")  # a replayed webhook
    assert stock(coffee) == (6, 0)
    order = checkout.orders.get()
    assert order.status == "paid" and checkout.orders.get().events.count() == 2


def test_a_failed_payment_releases_the_holds(three_sellers):
    coffee, *_ = three_sellers
    checkout = place(cart_with((coffee, 4)))
    checkout_release(checkout=checkout)
    assert stock(coffee) == (10, 0) and checkout.orders.get().status == "cancelled"


def test_transitions_check_state_and_rights(three_sellers):
    coffee, tea, _ = three_sellers
    checkout = place(cart_with((coffee, 1), (tea, 1)))
    order = checkout.orders.get(seller__slug="huye-coffee")
    huye_owner = make_member(order.seller, "owner@huye.rw")
    huye_viewer = make_member(order.seller, "viewer@huye.rw", "viewer")
    tea_owner = make_member(checkout.orders.get(seller__slug="nyungwe-tea").seller, "owner@tea.rw")
    with pytest.raises(Conflict) as caught:
        order_accept(actor=huye_owner, order=order)  # not paid yet
    assert caught.value.code == "invalid_transition"
    checkout_mark_paid(checkout=checkout)
    with pytest.raises(NotFound):
        order_accept(actor=tea_owner, order=order)
    with pytest.raises(NotFound):
        order_accept(actor=make_user("someone@example.com"), order=order)
    with pytest.raises(PermissionDenied):
        order_accept(actor=huye_viewer, order=order)
    order_accept(actor=huye_owner, order=order)
    order_pack(actor=huye_owner, order=order)
    order_hand_to_hub(actor=huye_owner, order=order)
    with pytest.raises(PermissionDenied):
        order_ship(actor=huye_owner, order=order)  # the hub's step
    operator = make_operator()
    order_ship(actor=operator, order=order, note="AWB 123")
    order_deliver(actor=operator, order=order)
    buyer = BuyerAccess(checkout.pk, checkout.email)
    order_complete(actor=buyer, order=order)
    history = list(order.events.values_list("from_status", "to_status"))
    assert history == [
        ("", "pending_payment"),
        ("pending_payment", "paid"),
        ("paid", "accepted"),
        ("accepted", "packed"),
        ("packed", "handed_to_hub"),
        ("handed_to_hub", "shipped"),
        ("shipped", "delivered"),
        ("delivered", "completed"),
    ]
    assert AuditLog.objects.filter(
        target_id=str(order.public_id), action="orders.order.shipped"
    ).exists()


def test_cancelling_returns_stock_and_the_buyer_may_only_cancel_unpaid(three_sellers):
    coffee, tea, _ = three_sellers
    unpaid = place(cart_with((tea, 1)))
    order_cancel(actor=BuyerAccess(unpaid.pk, unpaid.email), order=unpaid.orders.get())
    assert stock(tea) == (20, 0)
    paid = checkout_mark_paid(checkout=place(cart_with((coffee, 2))))
    order = paid.orders.get()
    assert stock(coffee) == (8, 0)
    with pytest.raises(PermissionDenied):
        order_cancel(actor=BuyerAccess(paid.pk, paid.email), order=order)
    order_cancel(actor=make_member(order.seller, "owner@huye.rw"), order=order)
    assert stock(coffee) == (10, 0)  # sold, then put back on the shelf
    with pytest.raises(Conflict):
        order_refund(actor=None, order=unpaid.orders.get())  # never paid: no refund
    order_refund(actor=None, order=order)
    order.refresh_from_db()
    assert order.status == "refunded"


def test_mails_are_sent_after_commit_in_the_buyers_language(
    three_sellers, immediate_tasks, django_capture_on_commit_callbacks, mailoutbox
):
    coffee, *_ = three_sellers
    with django_capture_on_commit_callbacks(execute=True):
        checkout = place(cart_with((coffee, 1)), language="fr")
    assert len(mailoutbox) == 1
    placed = mailoutbox[0]
    assert placed.to == ["anne@example.be"] and f"?token={checkout.access_token}" in placed.body
    with django_capture_on_commit_callbacks(execute=True):
        checkout_mark_paid(checkout=checkout)
    order = checkout.orders.get()
    operator = make_operator()
    owner = make_member(order.seller, "owner@huye.rw")
    for action in ("accept", "pack", "hand_to_hub"):
        order_transition(actor=owner, order=order, action=action)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order_ship(actor=operator, order=order)
    assert len(callbacks) == 1
    assert len(mailoutbox) == 3
    with django_capture_on_commit_callbacks(execute=True):
        order_mail_send(order_id=order.pk, kind="shipped")  # a task run twice sends once
    assert len(mailoutbox) == 3


def test_the_buyer_hears_once_when_the_parcel_goes_back_to_the_seller(
    three_sellers, immediate_tasks, django_capture_on_commit_callbacks, mailoutbox
):
    coffee, *_ = three_sellers
    checkout = place(cart_with((coffee, 1)))
    checkout_mark_paid(checkout=checkout)
    order = checkout.orders.get()
    owner = make_member(order.seller, "owner@huye.rw")
    for action in ("accept", "pack", "hand_to_hub"):
        order_transition(actor=owner, order=order, action=action)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order_return_to_seller(actor=make_operator(), order=order, note="refused at the door")
    assert len(mailoutbox) == 1
    returned = mailoutbox[0]
    assert returned.to == ["anne@example.be"]
    assert returned.subject == f"Order {order.reference} is going back to the seller · eWTP"
    assert "could not be delivered and is going back to the seller" in returned.body
    assert "Reason: refused at the door" in returned.body
    assert f"?token={checkout.access_token}" in returned.body
    with django_capture_on_commit_callbacks(execute=True):
        assert order_mail_send(order_id=order.pk, kind="returned") is False
    assert len(mailoutbox) == 1


def test_a_mail_that_fails_is_retried_until_sent(
    three_sellers, immediate_tasks, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    from ewtp.core import clock
    from ewtp.orders import mails
    from ewtp.payments.models import MoneyTask
    from ewtp.payments.retry import money_tasks_run_due

    real = mails.send_checkout_mail

    def down(checkout, kind):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("mail relay refused")

    monkeypatch.setattr(mails, "send_checkout_mail", down)
    coffee, *_ = three_sellers
    with django_capture_on_commit_callbacks(execute=True):
        checkout = place(cart_with((coffee, 1)))
    assert mailoutbox == []
    task = MoneyTask.objects.get(key=f"mail:checkout:{checkout.pk}:placed")
    assert (task.status, task.last_error) == (
        "pending",
        "ConnectionRefusedError: mail relay refused",
    )
    checkout.refresh_from_db()
    assert checkout.placed_mailed_at is None  # the mark rolled back with the failed send
    monkeypatch.setattr(mails, "send_checkout_mail", real)
    MoneyTask.objects.filter(pk=task.pk).update(next_attempt_at=clock.now())
    assert money_tasks_run_due() == 1
    assert len(mailoutbox) == 1


def test_the_seller_hears_of_a_paid_order_once_each_member_in_their_language(
    three_sellers, immediate_tasks, django_capture_on_commit_callbacks, mailoutbox
):
    from ewtp.orders.services.mails import seller_mail_send

    coffee, *_ = three_sellers
    owner = make_member(coffee.seller, "owner@huye.rw", "owner")
    owner.language = "fr"
    owner.save(update_fields=["language"])
    make_member(coffee.seller, "staff@huye.rw", "staff")  # English, the default
    make_member(coffee.seller, "viewer@huye.rw", "viewer")  # viewers are not told
    with django_capture_on_commit_callbacks(execute=True):
        checkout = place(cart_with((coffee, 1)), language="sw")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        checkout_mark_paid(checkout=checkout)
    order = checkout.orders.get()
    to_seller = {mail.to[0]: mail for mail in mailoutbox if mail.to[0].endswith("@huye.rw")}
    assert sorted(to_seller) == ["owner@huye.rw", "staff@huye.rw"]
    french, english = to_seller["owner@huye.rw"], to_seller["staff@huye.rw"]
    assert french.subject == f"Commande payée {order.reference} à préparer · eWTP"
    assert french.body.startswith(f"La commande {order.reference} est payée")
    assert english.subject == f"Paid order {order.reference} to prepare · eWTP"
    assert english.body.startswith(f"Order {order.reference} is paid")
    assert seller_mail_send(order_id=order.pk) is False  # once
