"""Property: any sequence of payments, releases, refunds and payouts keeps every posting at
zero per currency and never takes an escrow, a payable or clearing below zero."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from ewtp.catalog.tests.factories import make_member, make_operator, make_product, make_seller
from ewtp.core.errors import Conflict
from ewtp.core.money import Money
from ewtp.ledger.models import Account
from ewtp.ledger.services import ledger_verify
from ewtp.logistics.demo import network_ensure
from ewtp.orders.models import Order
from ewtp.orders.services import money
from ewtp.orders.services.carts import cart_create, cart_line_add
from ewtp.orders.services.checkout import checkout_place
from ewtp.orders.services.transitions import (
    order_complete,
    order_dispute,
    order_refund_partial,
    order_transition,
)
from ewtp.payments.payouts import payout_destination_set, payouts_run
from ewtp.payments.providers import Status
from ewtp.payments.services import payment_settle
from ewtp.traderules.services.reference_data import reference_data_ensure

ADDRESS = {
    "name": "Anne Peeters",
    "line1": "Rue Neuve 12",
    "city": "Bruxelles",
    "postal_code": "1000",
}
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("refund"), st.integers(min_value=1, max_value=3000)),
        st.tuples(
            st.sampled_from(["deliver", "release", "dispute", "refund_all", "payout"]), st.just(0)
        ),
    ),
    min_size=1,
    max_size=6,
)


class OrderMoneyProperties(TestCase):
    def _paid_order(self) -> Order:
        reference_data_ensure()
        network_ensure()
        seller = make_seller("huye-coffee", name="Huye Mountain Coffee")
        owner = make_member(seller, "owner@huye.rw")
        payout_destination_set(actor=owner, organisation=seller, msisdn="0788123456")
        product = make_product(seller, stock=50)
        cart = cart_create()
        cart_line_add(cart=cart, product_id=product.public_id, quantity=2)
        placed = checkout_place(
            cart=cart,
            email="a@example.be",
            destination="BE",
            currency="EUR",
            shipping_address=ADDRESS,
        )
        payment = money.checkout_payment_start(placed)
        payment_settle(payment_id=payment.pk, status=Status("succeeded"))
        return placed.orders.get()

    @settings(max_examples=12, deadline=None)
    @given(OPERATIONS)
    def test_any_sequence_keeps_the_ledger_whole(self, operations: list[tuple[str, int]]) -> None:
        order = self._paid_order()
        operator = make_operator()
        seller = order.seller.memberships.get().user
        for name, amount in operations:
            order.refresh_from_db()
            try:
                if name == "deliver":
                    for action, actor in (
                        ("accept", seller),
                        ("pack", seller),
                        ("hand_to_hub", seller),
                        ("ship", operator),
                        ("deliver", operator),
                    ):
                        order_transition(actor=actor, order=order, action=action)
                elif name == "release":
                    order_complete(actor=operator, order=order)
                elif name == "dispute":
                    order_dispute(actor=operator, order=order)
                elif name == "refund":
                    order_refund_partial(
                        actor=operator,
                        order=order,
                        amount=Money.from_minor(amount, order.currency),
                        reason="property",
                    )
                elif name == "refund_all":
                    order_transition(actor=operator, order=order, action="refund")
                else:
                    payouts_run()
            except Conflict:
                pass  # a step the order's state refuses changes nothing
            verdict = ledger_verify()
            assert verdict["balanced"], verdict["problems"]
            bounded = Account.objects.filter(is_bounded=True)
            assert all(account.position_minor >= 0 for account in bounded)
