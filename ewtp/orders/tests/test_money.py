"""The money of an order: paid into escrow, released to the seller in RWF, refunds, disputes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from ewtp.catalog.models import StockLevel
from ewtp.catalog.tests.factories import make_member, make_operator, make_product, make_seller
from ewtp.core import clock
from ewtp.core.errors import Conflict, InvalidRequest
from ewtp.core.money import Money
from ewtp.ledger.models import Account, Posting
from ewtp.ledger.services import ledger_verify
from ewtp.logistics.demo import network_ensure
from ewtp.orders.models import Checkout, Order, OrderEvent
from ewtp.orders.services import money
from ewtp.orders.services.transitions import (
    order_accept,
    order_complete,
    order_deliver,
    order_dispute,
    order_hand_to_hub,
    order_pack,
    order_refund,
    order_refund_partial,
    order_return_to_seller,
    order_ship,
    order_transition,
)
from ewtp.orders.tests.test_api import checkout, new_cart
from ewtp.payments.models import Payment, Refund
from ewtp.payments.payouts import payable_account, payout_destination_set, payouts_run
from ewtp.traderules.services.reference_data import reference_data_ensure

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop():  # type: ignore[no-untyped-def]
    reference_data_ensure()
    network_ensure()
    coffee = make_product(make_seller("huye-coffee", name="Huye Mountain Coffee"), stock=10)
    tea = make_product(
        make_seller("nyungwe-tea", name="Nyungwe Tea"),
        "Nyungwe black tea",
        hs_code="0902.40",
        price="5000",
        weight="0.27",
        stock=20,
    )
    return coffee, tea


def _paid_checkout(shop) -> Checkout:  # type: ignore[no-untyped-def]
    client = Client()
    coffee, tea = shop
    response = checkout(client, new_cart(client, (coffee, 2), (tea, 1)))
    assert response.status_code == 201, response.json()
    body = response.json()
    approved = client.post(f"/api/v1/payments/sandbox/{body['payment']['id']}/approve")
    assert approved.status_code == 200
    return Checkout.objects.get(public_id=body["checkout_id"])


def _position(code: str, currency: str) -> int:
    account = Account.objects.filter(code=code, currency=currency).first()
    return account.position_minor if account else 0


def _deliver(order: Order) -> Order:
    seller = make_member(order.seller, f"owner@{order.seller.slug}.rw")
    operator = make_operator()
    order_accept(actor=seller, order=order)
    order_pack(actor=seller, order=order)
    order_hand_to_hub(actor=seller, order=order)
    order_ship(actor=operator, order=order)
    return order_deliver(actor=operator, order=order)


def test_payment_puts_each_order_in_escrow_and_duties_with_the_authority(shop) -> None:  # type: ignore[no-untyped-def]
    placed = _paid_checkout(shop)
    placed.refresh_from_db()
    assert placed.payment_status == "paid"
    orders = list(placed.orders.order_by("pk"))
    assert {order.status for order in orders} == {"paid"}
    assert sum(order.total_minor for order in orders) == placed.total_minor
    for order in orders:
        escrow_part, authority_part = money.split_of(order)
        assert escrow_part + authority_part == order.total_minor
        assert authority_part == order.duty_minor + order.taxes_minor + order.fees_minor
        assert _position(f"escrow:order:{order.public_id}", "CNY") == escrow_part
    authority = sum(money.split_of(order)[1] for order in orders)
    assert _position("authority:CN:payable", "CNY") == authority
    assert _position("clearing:payments", "CNY") == 0
    assert _position("provider:sandbox:settlement", "CNY") == placed.total_minor
    assert ledger_verify()["balanced"] is True


def test_confirmed_delivery_releases_escrow_to_the_seller_in_rwf(shop) -> None:  # type: ignore[no-untyped-def]
    placed = _paid_checkout(shop)
    order = placed.orders.get(seller__slug="huye-coffee")
    held = _position(f"escrow:order:{order.public_id}", "CNY")
    _deliver(order)
    assert _position(f"escrow:order:{order.public_id}", "CNY") == held  # not before confirmation
    confirmed = order_complete(actor=None, order=order)
    assert confirmed.status == "completed"
    assert _position(f"escrow:order:{order.public_id}", "CNY") == 0
    # The fee is on the goods; the carriage goes to the seller, who settles it with the hub.
    assert order.shipping_minor > 0
    fee = money.platform_fee(order, held - order.shipping_minor)
    assert fee < money.platform_fee(order, held)
    assert _position("platform:fees", "CNY") == fee
    rate = money.checkout_rate(order)
    expected_rwf = Money.from_minor(held - fee, "CNY").amount * rate
    payable = payable_account(order.seller, "RWF")
    assert payable.position_minor == int(expected_rwf.quantize(1, rounding="ROUND_HALF_UP"))
    # The seller sees it: in escrow nothing, available the payable.
    balances = money.seller_balances(order.seller)
    assert balances["available"] == Money.from_minor(payable.position_minor, "RWF")
    assert balances["in_escrow"] == Money.of("0", "RWF")
    release = Posting.objects.get(kind="escrow.released", reference=str(order.public_id))
    assert release.fx[0]["to"] == "RWF"
    assert ledger_verify()["balanced"] is True


def test_partial_refund_after_release_takes_it_back_from_the_seller(shop) -> None:  # type: ignore[no-untyped-def]
    placed = _paid_checkout(shop)
    order = placed.orders.get(seller__slug="huye-coffee")
    _deliver(order)
    order_complete(actor=None, order=order)
    payable_before = payable_account(order.seller, "RWF").position_minor
    refund = Money.of("10.00", "CNY")
    order_refund_partial(actor=make_operator(), order=order, amount=refund, reason="one bag torn")
    expected_back = Money.of("10.00", "CNY").amount * money.checkout_rate(order)
    assert payable_before - payable_account(order.seller, "RWF").position_minor == int(
        expected_back.quantize(1, rounding="ROUND_HALF_UP")
    )
    provider_refund = Refund.objects.get()
    assert (provider_refund.amount_minor, provider_refund.status) == (1000, "succeeded")
    assert Payment.objects.get().refunded_minor == 1000
    assert _position("clearing:payments", "CNY") == 0
    assert ledger_verify()["balanced"] is True


def test_a_whole_refund_after_release_takes_the_sellers_share_then_the_authoritys_then_the_fee(
    shop,
) -> None:  # type: ignore[no-untyped-def]
    placed = _paid_checkout(shop)
    order = placed.orders.get(seller__slug="huye-coffee")
    _deliver(order)
    order_complete(actor=None, order=order)
    escrow_part, authority_part = money.split_of(order)
    fee = _position("platform:fees", "CNY")
    assert fee > 0 and escrow_part + authority_part == order.total_minor
    order_refund(actor=make_operator(), order=order, note="never arrived in one piece")
    order.refresh_from_db()
    assert order.status == "refunded"
    # The seller gives back exactly what the release gave them; the authority its part; the
    # platform its fee.
    assert payable_account(order.seller, "RWF").position_minor == 0
    tea = placed.orders.get(seller__slug="nyungwe-tea")  # paid, not refunded: its duties stay
    assert _position("authority:CN:payable", "CNY") == money.split_of(tea)[1] > 0
    assert _position("platform:fees", "CNY") == 0
    assert Refund.objects.get().amount_minor == order.total_minor
    assert money.refundable_minor(order) == 0
    assert ledger_verify()["balanced"] is True


def test_a_refund_is_refused_when_the_seller_has_been_paid_out(shop) -> None:  # type: ignore[no-untyped-def]
    placed = _paid_checkout(shop)
    order = placed.orders.get(seller__slug="huye-coffee")
    make_member(order.seller, "payouts@huye.rw", "owner")
    payout_destination_set(
        actor=order.seller.memberships.get(user__email="payouts@huye.rw").user,
        organisation=order.seller,
        msisdn="0788123456",
    )
    _deliver(order)
    order_complete(actor=None, order=order)
    payouts_run()
    assert payable_account(order.seller, "RWF").position_minor == 0
    with pytest.raises(Conflict) as caught:
        order_refund_partial(
            actor=make_operator(), order=order, amount=Money.of("10.00", "CNY"), reason="late"
        )
    assert caught.value.code == "seller_paid_out"
    assert not Refund.objects.exists() and money.refundable_minor(order) == order.total_minor
    assert ledger_verify()["balanced"] is True


def test_cancelling_a_paid_order_refunds_it_whole_before_release(shop) -> None:  # type: ignore[no-untyped-def]
    placed = _paid_checkout(shop)
    order = placed.orders.get(seller__slug="nyungwe-tea")
    from ewtp.orders.services.transitions import order_cancel

    order_cancel(actor=make_operator(), order=order, note="seller out of tea")
    assert _position(f"escrow:order:{order.public_id}", "CNY") == 0
    assert Refund.objects.get().amount_minor == order.total_minor
    assert money.refundable_minor(order) == 0
    assert ledger_verify()["balanced"] is True


def test_a_parcel_returned_to_the_seller_keeps_its_money_in_escrow_until_the_refund(shop) -> None:  # type: ignore[no-untyped-def]
    placed = _paid_checkout(shop)
    order = placed.orders.get(seller__slug="nyungwe-tea")
    seller = make_member(order.seller, "tea-owner@example.org", "owner")
    order_accept(actor=seller, order=order)
    order_pack(actor=seller, order=order)
    order_hand_to_hub(actor=seller, order=order)
    operator = make_operator()
    order_return_to_seller(actor=operator, order=order, note="refused at delivery")
    order.refresh_from_db()
    assert order.status == "returned"
    held = _position(f"escrow:order:{order.public_id}", "CNY")
    assert held > 0 and money.refundable_minor(order) == order.total_minor
    assert money.orders_auto_complete() == 0  # nothing is released for a returned parcel
    order_refund(actor=operator, order=order, note="parcel returned")
    order.refresh_from_db()
    assert order.status == "refunded"
    assert _position(f"escrow:order:{order.public_id}", "CNY") == 0
    assert Refund.objects.get().amount_minor == order.total_minor
    assert money.refundable_minor(order) == 0
    assert ledger_verify()["balanced"] is True


def test_a_dispute_freezes_release_and_the_timer_skips_it(shop, settings) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_AUTO_CONFIRM_DAYS = 7
    placed = _paid_checkout(shop)
    coffee_order = placed.orders.get(seller__slug="huye-coffee")
    tea_order = placed.orders.get(seller__slug="nyungwe-tea")
    _deliver(coffee_order)
    _deliver(tea_order)
    order_dispute(actor=make_operator(), order=coffee_order, note="wrong roast")
    OrderEvent.objects.filter(to_status="delivered").update(
        created_at=clock.now() - timedelta(days=8)
    )
    assert money.orders_auto_complete() == 1
    coffee_order.refresh_from_db()
    tea_order.refresh_from_db()
    assert (coffee_order.status, tea_order.status) == ("disputed", "completed")
    assert _position(f"escrow:order:{coffee_order.public_id}", "CNY") > 0
    assert _position(f"escrow:order:{tea_order.public_id}", "CNY") == 0
    assert ledger_verify()["balanced"] is True


def test_provider_outage_leaves_orders_pending_and_stock_held_until_expiry(shop, settings) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_SANDBOX_OUTAGE = True
    client = Client()
    coffee, _tea = shop
    response = checkout(client, new_cart(client, (coffee, 2)))
    assert response.status_code == 201
    assert response.json()["payment"]["approve_url"] is None
    assert response.json()["payment"]["status"] == "pending"
    order = Order.objects.get()
    assert order.status == "pending_payment"
    stock = StockLevel.objects.get(variant__product=coffee)
    assert stock.reserved == 2
    from ewtp.orders.services.holds import holds_expire

    assert holds_expire(now=clock.now() + timedelta(hours=2)) == 1
    stock.refresh_from_db()
    assert stock.reserved == 0
    order.refresh_from_db()
    assert order.status == "expired"
    assert Posting.objects.count() == 0


def test_the_seller_money_page_shows_balances_and_takes_a_payout_number(shop) -> None:  # type: ignore[no-untyped-def]
    placed = _paid_checkout(shop)
    order = placed.orders.get(seller__slug="huye-coffee")
    _deliver(order)
    order_complete(actor=None, order=order)
    owner = make_member(order.seller, "owner@huye-coffee.rw")
    client = Client()
    client.force_login(owner)
    page = client.get("/orders/seller/huye-coffee/money/")
    assert page.status_code == 200
    available = payable_account(order.seller, "RWF").position_minor
    assert f"{available:,}".encode() in page.content or str(available).encode() in page.content
    saved = client.post("/orders/seller/huye-coffee/money/", {"msisdn": "0788 123 456"})
    assert saved.status_code == 302
    assert order.seller.payout_destination.msisdn == "250788123456"
    stranger = make_member(make_seller("other-seller"), "owner@other.rw")
    client.force_login(stranger)
    assert client.get("/orders/seller/huye-coffee/money/").status_code == 404


def test_the_fee_terms_of_the_sellers_category_at_checkout_apply_at_release(shop, settings) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_PLATFORM_FEES = {"cooperative": {"rate": "0.01", "minimum": "0"}}
    placed = _paid_checkout(shop)
    order = placed.orders.get(seller__slug="nyungwe-tea")
    assert order.seller_category == ""
    escrow = _position(f"escrow:order:{order.public_id}", "CNY")
    standard_fee = money.platform_fee(order, escrow)
    order.seller.seller_category = "cooperative"
    order.seller.save(update_fields=["seller_category"])
    order.refresh_from_db()
    assert money.platform_fee(order, escrow) == standard_fee  # fixed when the order was placed
    later = Order.objects.get(pk=order.pk)
    later.seller_category = "cooperative"
    assert money.platform_fee(later, escrow) < standard_fee


def test_refunds_after_release_in_slices_take_back_what_one_refund_would(shop) -> None:  # type: ignore[no-untyped-def]
    placed = _paid_checkout(shop)
    order = placed.orders.get(seller__slug="huye-coffee")
    _deliver(order)
    order_complete(actor=None, order=order)
    before = payable_account(order.seller, "RWF").position_minor
    operator = make_operator()
    for _slice in range(7):
        order_refund_partial(
            actor=operator, order=order, amount=Money.of("0.01", "CNY"), reason="slice"
        )
    whole = (Money.of("0.07", "CNY").amount * money.checkout_rate(order)).quantize(
        1, rounding="ROUND_HALF_UP"
    )
    assert before - payable_account(order.seller, "RWF").position_minor == int(whole)
    assert ledger_verify()["balanced"] is True


def test_a_returned_parcel_refused_when_sound_can_be_settled_for_the_seller(shop) -> None:  # type: ignore[no-untyped-def]
    placed = _paid_checkout(shop)
    order = placed.orders.get(seller__slug="nyungwe-tea")
    seller = make_member(order.seller, "tea@nyungwe.rw", "owner")
    for step in (order_accept, order_pack, order_hand_to_hub):
        step(actor=seller, order=order)
    operator = make_operator()
    order_return_to_seller(actor=operator, order=order, note="refused at the door")
    # The buyer gets back the duties and taxes; the seller keeps the goods' money.
    order_refund_partial(
        actor=operator,
        order=order,
        amount=Money.from_minor(order.duty_minor + order.taxes_minor, "CNY"),
        reason="refused: duties back",
    )
    resolved = order_transition(actor=operator, order=order, action="resolve")
    assert resolved.status == "completed"
    assert _position(f"escrow:order:{order.public_id}", "CNY") == 0
    assert payable_account(order.seller, "RWF").position_minor > 0
    assert ledger_verify()["balanced"] is True


def test_a_refund_of_nothing_is_refused_by_name(shop) -> None:  # type: ignore[no-untyped-def]
    placed = _paid_checkout(shop)
    order = placed.orders.get(seller__slug="huye-coffee")
    for amount in ("0", "0.004"):
        with pytest.raises(InvalidRequest) as caught:
            order_refund_partial(
                actor=make_operator(), order=order, amount=Money.of(amount, "CNY"), reason="x"
            )
        assert caught.value.message == "A refund is at least 0.01 CNY."
    assert not Refund.objects.exists()
