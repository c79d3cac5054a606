"""The money of an order: payment into escrow, release to the seller, refunds.

Payment confirmed: Dr payments clearing, Cr escrow per order (goods and carriage) and Cr the
destination authority's payable (duties, taxes and fees collected at checkout). Delivery
confirmed (by the buyer, or by the timer): Dr escrow, Cr platform fee (on the goods), and the
rest, carriage included (the seller contracts the carriage under DDP and DAP and settles with
the hub), converted into the seller's currency at the rate fixed at checkout, Cr the seller's
payable. A refund
moves money back into clearing (out of escrow before release, out of the seller's payable
after it) and then the provider pays the buyer back, after commit.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from ewtp.core import clock, conf
from ewtp.core.errors import Conflict, InvalidRequest
from ewtp.core.fees import fee_terms
from ewtp.core.locks import lock_rows
from ewtp.core.money import Money, quantize
from ewtp.ledger import accounts as chart
from ewtp.ledger.models import Account, Entry, Posting
from ewtp.ledger.services import (
    AccountSpec,
    Leg,
    PostingSpec,
    account_for,
    accounts_for,
    credit,
    debit,
    posting_record,
)
from ewtp.orders.models import Checkout, Order
from ewtp.payments.models import Payment
from ewtp.payments.payouts import party_of, payable_account
from ewtp.payments.services import payment_refund, payment_start

SUBJECT_TYPE = "checkout"
S = Order.Status


def _money(minor: int, currency: str) -> Money:
    return Money.from_minor(minor, currency)


def escrow_account(order: Order) -> Account:
    return account_for(chart.escrow(f"order:{order.public_id}"), order.currency)


def _authority_spec(order: Order) -> AccountSpec:
    territory = str((order.quote or {}).get("territory") or order.destination)
    return chart.authority_payable(territory)


def authority_account(order: Order) -> Account:
    return account_for(_authority_spec(order), order.currency)


def split_of(order: Order) -> tuple[int, int]:
    """(escrow part, authority part) of what the buyer paid for this order at checkout."""
    if order.incoterm == "DDP":
        authority = order.duty_minor + order.taxes_minor + order.fees_minor
    else:  # DAP: only what the regime collects at checkout goes to the authority
        authority = max(0, order.total_minor - order.goods_minor - order.shipping_minor)
    authority = min(authority, order.total_minor)
    return order.total_minor - authority, authority


# Payment -------------------------------------------------------------------------------------


def checkout_payment_start(
    checkout: Checkout,
    *,
    provider_name: str | None = None,
    payer_msisdn: str = "",
    fresh: bool = False,
) -> Payment:
    """Ask the provider for the checkout's payment; call after the checkout has committed.

    ``fresh``: the checkout was placed by this request, so it has no payment yet, and the
    payment takes the id the checkout already names; the provider's reference is then written
    with the request's idempotent answer."""
    if not fresh:
        existing = Payment.objects.filter(
            subject_type=SUBJECT_TYPE, subject_ref=str(checkout.public_id)
        ).first()
        if existing is not None:
            return existing
    return_url = reverse("orders:checkout_done", args=[checkout.public_id]) + (
        f"?token={checkout.access_token}"
    )
    payment = payment_start(
        subject_type=SUBJECT_TYPE,
        subject_ref=str(checkout.public_id),
        amount=_money(checkout.total_minor, checkout.currency),
        email=checkout.email,
        description=f"eWTP checkout {str(checkout.public_id)[:8]}",
        return_url=return_url,
        provider_name=provider_name,
        payer_msisdn=payer_msisdn,
        public_id=uuid.UUID(checkout.payment_reference) if fresh else None,
        with_the_answer=fresh,  # the answer is built from this payment as it is in hand
    )
    if checkout.payment_reference != str(payment.public_id):
        Checkout.objects.filter(pk=checkout.pk).update(payment_reference=str(payment.public_id))
        checkout.payment_reference = str(payment.public_id)
    return payment


def checkout_payment_of(checkout: Checkout) -> Payment | None:
    return Payment.objects.filter(
        subject_type=SUBJECT_TYPE, subject_ref=str(checkout.public_id)
    ).first()


def on_payment_succeeded(payment: Payment) -> list[PostingSpec]:
    """Inside the settlement's transaction: orders paid; returns the postings that move the
    money into escrow per order (recorded with the payment's capture)."""
    from ewtp.orders.services.handover import checkout_paid_in_transaction

    # Read and locked at once (the settlement's transaction holds it to the end).
    checkout = lock_rows(Checkout.objects.filter(public_id=payment.subject_ref))[0]
    try:
        paid = checkout_paid_in_transaction(
            locked=checkout, payment_reference=str(payment.public_id)
        )
    except Conflict as error:
        if error.code != "hold_expired":
            raise
        # The hold ended before the money came (expire it now if the worker has not, so its
        # stock goes back): the whole payment goes back to the buyer.
        from ewtp.orders.services.holds import holds_expire

        holds_expire(checkout_id=checkout.pk)
        _refund_after_commit(payment, payment.amount_minor, "reservation ended before payment")
        return []
    # The orders just paid are in hand; a checkout paid before is read (its postings are
    # then found by their dedupe keys).
    orders = [
        order for order in (paid or checkout.orders.all().order_by("pk")) if order.total_minor
    ]
    return _escrows_funding(orders)


def _escrows_funding(orders: list[Order]) -> list[PostingSpec]:
    """Dr payments clearing, Cr each order's escrow and its destination authority's payable:
    one posting per order."""
    # Every account the postings name, read (and the orders' escrows opened) at once.
    wanted: list[tuple[AccountSpec, str]] = []
    for order in orders:
        escrow_part, authority_part = split_of(order)
        wanted.append((chart.payments_clearing(), order.currency))
        if escrow_part:
            wanted.append((chart.escrow(f"order:{order.public_id}"), order.currency))
        if authority_part:
            wanted.append((_authority_spec(order), order.currency))
    accounts = iter(accounts_for(wanted))
    postings = []
    for order in orders:
        escrow_part, authority_part = split_of(order)
        legs = [debit(next(accounts), _money(order.total_minor, order.currency))]
        if escrow_part:
            legs.append(credit(next(accounts), _money(escrow_part, order.currency)))
        if authority_part:
            legs.append(credit(next(accounts), _money(authority_part, order.currency)))
        postings.append(
            PostingSpec(
                kind="escrow.funded",
                legs=legs,
                memo=f"Order {order.public_id} paid",
                reference=str(order.public_id),
                dedupe_key=f"order:{order.public_id}:funded",
            )
        )
    return postings


def on_payment_failed(payment: Payment) -> None:
    from ewtp.orders.services.handover import checkout_release

    checkout = Checkout.objects.get(public_id=payment.subject_ref)
    checkout_release(checkout=checkout, reason=f"payment {payment.status}")


# Fees and release ----------------------------------------------------------------------------


def platform_fee(order: Order, escrow_part: int) -> int:
    """The platform's fee on an order, in the order's minor units: a rate with a minimum
    (core.fees) of the seller's category when the order was placed; the minimum, in the
    seller's currency, is converted at the order's checkout rate. The fee never exceeds the
    escrow part."""
    terms = fee_terms(order.seller_category)
    fee = quantize(_money(escrow_part, order.currency).amount * terms.rate, order.currency)
    if terms.minimum.currency == order.seller_currency and order.seller_goods_minor:
        fee = max(fee, quantize(terms.minimum.amount / checkout_rate(order), order.currency))
    elif terms.minimum.currency == order.currency:
        fee = max(fee, terms.minimum.amount)
    return min(Money(fee, order.currency).rounded().minor, escrow_part)


def checkout_rate(order: Order) -> Decimal:
    """Units of the seller's currency per unit of the order's currency, fixed at checkout:
    the seller's own prices against the goods value the buyer was charged."""
    goods = _money(order.goods_minor, order.currency).amount
    seller_goods = _money(order.seller_goods_minor, order.seller_currency).amount
    if goods == 0:
        raise InvalidRequest("no_rate", _("The order has no goods value to fix a rate from."))
    return seller_goods / goods


def _to_seller_currency(order: Order, minor: int) -> Money:
    amount = _money(minor, order.currency).amount * checkout_rate(order)
    return Money(quantize(amount, order.seller_currency), order.seller_currency)


def _goods_part(order: Order, held: int) -> int:
    """What the platform's fee is worked out on: the escrow without the carriage (which the
    seller, who contracts it under DDP and DAP, passes on to the hub)."""
    return held - min(order.shipping_minor, held)


def escrow_release(order: Order) -> Posting | None:
    """Delivery confirmed: escrow to the seller's payable (in the seller's currency) and fee."""
    escrow = escrow_account(order)
    held = Account.objects.get(pk=escrow.pk).position_minor
    if held <= 0:
        return None
    fee = platform_fee(order, _goods_part(order, held))
    net = held - fee
    legs: list[Leg] = [debit(escrow, _money(held, order.currency))]
    if fee:
        legs.append(
            credit(account_for(chart.platform_fees(), order.currency), _money(fee, order.currency))
        )
    payable_legs: list[Leg] = []
    fx: list[dict[str, str]] = []
    if net:
        if order.seller_currency == order.currency:
            payable_legs.append(
                credit(payable_account(order.seller, order.currency), _money(net, order.currency))
            )
        else:
            converted = _to_seller_currency(order, net)
            conversion = chart.fx_conversion()
            payable_legs += [
                credit(account_for(conversion, order.currency), _money(net, order.currency)),
                debit(account_for(conversion, order.seller_currency), converted),
                credit(payable_account(order.seller, order.seller_currency), converted),
            ]
            fx.append(
                {
                    "from": order.currency,
                    "to": order.seller_currency,
                    "rate": f"{checkout_rate(order):.6f}",
                    "source": "fixed at checkout",
                }
            )
    return posting_record(
        kind="escrow.released",
        legs=legs + payable_legs,
        memo=f"Order {order.public_id} delivered",
        reference=str(order.public_id),
        dedupe_key=f"order:{order.public_id}:released",
        fx=fx,
    )


# Refunds -------------------------------------------------------------------------------------


def refundable_minor(order: Order) -> int:
    """What can still be given back for this order (escrow, authority part, or released)."""
    paid = order.total_minor if _was_paid(order) else 0
    refunded = sum(
        -entry.amount_minor
        for posting in Posting.objects.filter(reference=str(order.public_id), kind="order.refunded")
        for entry in posting.entries.filter(account__purpose="payments_clearing")
    )
    return max(0, paid - refunded)


def _was_paid(order: Order) -> bool:
    return Posting.objects.filter(dedupe_key=f"order:{order.public_id}:funded").exists()


def _take_from_seller(
    order: Order, from_seller: int, legs: list[Leg], fx: list[dict[str, str]]
) -> None:
    # Taken back from the seller, up to what was released to them, at the checkout rate;
    # not from money already paid out to them.
    payable = payable_account(order.seller, order.seller_currency)
    taken = (
        _money(from_seller, order.currency)
        if order.seller_currency == order.currency
        else _seller_currency_slice(order, from_seller)
    )
    if Account.objects.get(pk=payable.pk).position_minor < taken.minor:
        raise Conflict(
            "seller_paid_out",
            _(
                "The seller's balance does not cover %(amount)s: it has been paid out. "
                "Recover it from the seller before refunding the buyer."
            )
            % {"amount": taken},
        )
    if order.seller_currency == order.currency:
        legs.append(debit(payable, taken))
    else:
        conversion = chart.fx_conversion()
        legs += [
            debit(account_for(conversion, order.currency), _money(from_seller, order.currency)),
            credit(account_for(conversion, order.seller_currency), taken),
            debit(payable, taken),
        ]
        fx.append(
            {
                "from": order.seller_currency,
                "to": order.currency,
                "rate": f"{checkout_rate(order):.6f}",
                "source": "fixed at checkout",
            }
        )


def _take_from_authority_and_fee(order: Order, left: int, released: bool, legs: list[Leg]) -> int:
    """The rest of a refund: this order's part at the authority, then (after release) the
    platform's fee. Returns what is still left to find."""
    if left:
        authority = authority_account(order)
        # This order's part of the authority's account (it holds other orders' duties too).
        from_authority = min(
            left,
            -_order_entries_minor(order, authority),
            Account.objects.get(pk=authority.pk).position_minor,
        )
        if from_authority > 0:
            legs.append(debit(authority, _money(from_authority, order.currency)))
            left -= from_authority
    if left and released:
        # Last, the platform gives back its fee on the order.
        fees = account_for(chart.platform_fees(), order.currency)
        from_fee = min(left, -_order_entries_minor(order, fees))
        if from_fee > 0:
            legs.append(debit(fees, _money(from_fee, order.currency)))
            left -= from_fee
    return left


def order_money_refund(
    order: Order, *, amount_minor: int | None = None, reason: str, actor: Any = None
) -> Posting | None:
    """Inside the caller's transaction: move `amount` (default: all that remains) of the
    order back into payments clearing, then refund the buyer through the provider after commit.

    Before release the money comes out of escrow (then the authority's part); after release it
    is taken back from the seller's payable, as a reversing posting in the seller's currency.
    """
    remaining = refundable_minor(order)
    amount = remaining if amount_minor is None else amount_minor
    if amount <= 0 or amount > remaining:
        raise Conflict(
            "refund_exceeds_order",
            _("At most %(amount)s can be refunded.")
            % {"amount": _money(remaining, order.currency)},
        )
    clearing = account_for(chart.payments_clearing(), order.currency)
    legs: list[Leg] = [credit(clearing, _money(amount, order.currency))]
    fx: list[dict[str, str]] = []
    left = amount
    escrow = escrow_account(order)
    from_escrow = min(left, Account.objects.get(pk=escrow.pk).position_minor)
    if from_escrow:
        legs.append(debit(escrow, _money(from_escrow, order.currency)))
        left -= from_escrow
    released = Posting.objects.filter(dedupe_key=f"order:{order.public_id}:released").exists()
    from_seller = min(left, _seller_share_left(order)) if released else 0
    if from_seller:
        _take_from_seller(order, from_seller, legs, fx)
        left -= from_seller
    left = _take_from_authority_and_fee(order, left, released, legs)
    if left:
        raise Conflict("refund_exceeds_order", _("Not enough money is held for this refund."))
    posting = posting_record(
        kind="order.refunded",
        legs=legs,
        memo=reason[:300],
        reference=str(order.public_id),
        actor=actor,
        fx=fx,
    )
    payment = checkout_payment_of(order.checkout)
    if payment is not None:
        _refund_after_commit(payment, amount, reason)
    return posting


def _order_entries_minor(order: Order, account: Account) -> int:
    """The net of this order's postings on ``account`` (debits positive, credits negative)."""
    return sum(
        Entry.objects.filter(posting__reference=str(order.public_id), account=account).values_list(
            "amount_minor", flat=True
        )
    )


def _seller_currency_slice(order: Order, minor: int) -> Money:
    """``minor`` more of the order's money taken back from the seller, in the seller's
    currency: everything taken back so far converted at once, less what earlier refunds
    already took (so that slices do not drift by a rounding each)."""
    refunds = Entry.objects.filter(
        posting__reference=str(order.public_id), posting__kind="order.refunded"
    )
    conversion = account_for(chart.fx_conversion(), order.currency)
    before = sum(refunds.filter(account=conversion).values_list("amount_minor", flat=True))
    payable = payable_account(order.seller, order.seller_currency)
    already = sum(refunds.filter(account=payable).values_list("amount_minor", flat=True))
    whole = _to_seller_currency(order, before + minor)
    return Money.from_minor(whole.minor - already, order.seller_currency)


def _seller_share_left(order: Order) -> int:
    """What the release gave the seller, in the order's currency, less what refunds took back."""
    if order.seller_currency == order.currency:
        account = payable_account(order.seller, order.currency)
    else:  # the order's side of the conversion into the seller's currency
        account = account_for(chart.fx_conversion(), order.currency)
    return max(0, -_order_entries_minor(order, account))


def _refund_after_commit(payment: Payment, amount_minor: int, reason: str) -> None:
    def run() -> None:
        from ewtp.orders.tasks import payment_refund_task

        payment_refund_task.enqueue(payment.pk, amount_minor, reason[:300])

    transaction.on_commit(run)


def provider_refund(payment_id: int, amount_minor: int, reason: str) -> None:
    payment = Payment.objects.get(pk=payment_id)
    payment_refund(
        payment=payment, amount=_money(amount_minor, payment.currency), reason=reason, actor=None
    )


# Timer ---------------------------------------------------------------------------------------


def orders_auto_complete(*, now: Any = None) -> int:
    """Delivered orders the buyer did not confirm within EWTP_AUTO_CONFIRM_DAYS complete."""
    from datetime import timedelta

    from ewtp.orders.models import OrderEvent
    from ewtp.orders.services.transitions import order_complete

    days = conf.AUTO_CONFIRM_DAYS()
    cutoff = (now or clock.now()) - timedelta(days=days)
    due = Order.objects.filter(status=S.DELIVERED).filter(
        pk__in=OrderEvent.objects.filter(to_status=S.DELIVERED, created_at__lte=cutoff).values(
            "order_id"
        )
    )
    completed = 0
    for order in list(due[:200]):
        try:
            order_complete(actor=None, order=order)
        except Conflict:
            continue
        completed += 1
    return completed


def seller_balances(organisation: Any) -> dict[str, Money]:
    """In escrow (paid, not yet delivered), available (owed), paid out: per the ledger."""
    from ewtp.payments.models import Payout

    currency = "RWF"
    orders = Order.objects.filter(seller=organisation)
    in_escrow = Decimal(0)
    for order in orders.filter(
        status__in=[
            S.PAID,
            S.ACCEPTED,
            S.PACKED,
            S.HANDED_TO_HUB,
            S.SHIPPED,
            S.DELIVERED,
            S.DISPUTED,
            S.RETURNED,
        ]
    ):
        account = Account.objects.filter(code=f"escrow:order:{order.public_id}").first()
        if account and account.position_minor > 0:
            held = account.position_minor
            fee = platform_fee(order, _goods_part(order, held))
            in_escrow += _to_seller_currency(order, held - fee).amount
            currency = order.seller_currency
    payable = Account.objects.filter(
        owner_ref=party_of(organisation), purpose="party_payable"
    ).first()
    available = (
        Money.from_minor(payable.position_minor, payable.currency)
        if payable
        else Money.zero(currency)
    )
    paid_out = sum(
        (
            p.amount_minor
            for p in Payout.objects.filter(organisation=organisation, status="succeeded")
        ),
        0,
    )
    return {
        "in_escrow": Money(quantize(in_escrow, available.currency), available.currency),
        "available": available,
        "paid_out": Money.from_minor(paid_out, available.currency),
    }
