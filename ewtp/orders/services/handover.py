"""Payment hand-over (the payments app calls these) and the buyer's identity number."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from ewtp.catalog.services.stock import stock_holds_commit_many, stock_holds_release
from ewtp.core import clock
from ewtp.core.errors import Conflict, InvalidRequest, NotFound
from ewtp.core.locks import lock_rows
from ewtp.core.services import audit_record, audit_records
from ewtp.logistics.models import Parcel
from ewtp.orders.addresses import (
    ID_NUMBER_COUNTRIES,
    id_number_clean,
    id_number_masked,
)
from ewtp.orders.models import Checkout, Order
from ewtp.orders.services.mails import _after_commit, _enqueue_paid_mails
from ewtp.orders.services.transitions import Actor, BuyerAccess, _apply, _apply_many_by_system


@transaction.atomic
def checkout_mark_paid(*, checkout: Checkout, payment_reference: str = "") -> Checkout:
    """The payment for ``checkout`` succeeded: every order becomes paid, its stock sold.

    Idempotent. Raises Conflict("hold_expired") when an order's hold has already ended
    (the payment should then be refunded).
    """
    locked = lock_rows(Checkout.objects.filter(pk=checkout.pk))[0]
    checkout_paid_in_transaction(locked=locked, payment_reference=payment_reference)
    return locked


def checkout_paid_in_transaction(*, locked: Checkout, payment_reference: str) -> list[Order]:
    """``checkout_mark_paid`` inside the caller's transaction, the checkout's row locked by
    the caller: no savepoint of its own (Conflict "hold_expired" is raised before anything is
    written, so the caller's transaction may go on). Returns the orders now paid, with their
    sellers; none when the checkout was paid before."""
    if locked.payment_status == Checkout.PaymentStatus.PAID:
        return []
    # With their sellers (the audit rows name them); only the orders' rows are locked.
    orders = lock_rows(Order.objects.select_related("seller").filter(checkout=locked))
    now = clock.now()
    # A hold past its time has ended even if the worker has not expired it yet.
    ended = [
        o for o in orders if o.status != Order.Status.PENDING_PAYMENT or o.hold_expires_at <= now
    ]
    if ended:
        raise Conflict(
            "hold_expired",
            _("The reservation of this checkout has ended; the payment must be refunded."),
            extra={"orders": {str(o.public_id): o.status for o in ended}},
        )
    audits = _apply_many_by_system(orders, Order.Status.PAID, note=payment_reference, now=now)
    stock_holds_commit_many(references=[str(order.public_id) for order in orders])
    locked.payment_status = Checkout.PaymentStatus.PAID
    locked.payment_reference = payment_reference
    locked.paid_at = now
    locked.save(update_fields=["payment_status", "payment_reference", "paid_at"])
    audits.append(
        {
            "actor": None,
            "action": "orders.checkout.paid",
            "target": locked,
            "data": {
                "reference": payment_reference,
                "total": locked.total_minor,
                "currency": locked.currency,
            },
        }
    )
    audit_records(audits)  # the orders' and the checkout's, in one statement
    # The buyer's mail and each seller's, queued as one task (one INSERT, one task to run).
    _after_commit(partial(_enqueue_paid_mails, locked.pk, [order.pk for order in orders]))
    return orders


@transaction.atomic
def checkout_release(*, checkout: Checkout, reason: str = "payment_failed") -> Checkout:
    """The payment failed or was abandoned: unpaid orders are cancelled, their stock freed."""
    locked = lock_rows(Checkout.objects.filter(pk=checkout.pk))[0]
    now = clock.now()
    for order in lock_rows(Order.objects.filter(checkout=locked)):
        if order.status == Order.Status.PENDING_PAYMENT:
            _apply(order, Order.Status.CANCELLED, actor=None, note=reason, now=now)
            stock_holds_release(reference=str(order.public_id))
    if locked.payment_status == Checkout.PaymentStatus.PENDING:
        locked.payment_status = Checkout.PaymentStatus.FAILED
        locked.save(update_fields=["payment_status"])
    return locked


# Orders that no longer travel do not hold the number back (a cancelled sibling, say).
ID_NUMBER_CLOSED = frozenset(
    {Order.Status.CANCELLED, Order.Status.EXPIRED, Order.Status.REFUNDED, Order.Status.RETURNED}
)
ID_NUMBER_OPEN = frozenset(
    {
        Order.Status.PENDING_PAYMENT,
        Order.Status.PAID,
        Order.Status.ACCEPTED,
        Order.Status.PACKED,
    }
)


def checkout_id_number_set(*, actor: Actor, checkout: Checkout, id_number: str) -> Checkout:
    """The buyer gives the identity number its destination's customs declares the buyer by
    (China's cross-border retail channel), until the parcels are handed to the hub."""
    allowed = (isinstance(actor, BuyerAccess) and actor.checkout_id == checkout.pk) or (
        checkout.user_id is not None and getattr(actor, "pk", None) == checkout.user_id
    )
    if not allowed:
        raise NotFound("not_found", _("No such order."))
    if checkout.destination not in ID_NUMBER_COUNTRIES:
        raise InvalidRequest(
            "invalid_request",
            _("Deliveries to %(country)s need no identity number.")
            % {"country": checkout.destination},
            fields={"id_number": "not asked for this destination"},
        )
    try:
        cleaned = id_number_clean(id_number or "")
    except ValueError as error:
        raise InvalidRequest(
            "invalid_request", str(error).capitalize() + ".", fields={"id_number": str(error)}
        ) from None
    with transaction.atomic():
        locked = Checkout.objects.select_for_update().get(pk=checkout.pk)
        live = locked.orders.exclude(status__in=ID_NUMBER_CLOSED)
        declared = Parcel.objects.filter(order__checkout=locked).filter(
            ~Q(export_clearance="") | ~Q(import_clearance="")
        )
        if live.exclude(status__in=ID_NUMBER_OPEN).exists() or declared.exists():
            raise Conflict(
                "declarations_made",
                _("A parcel of this order is with the hub already: its declarations are made."),
            )
        locked.shipping_address = {**(locked.shipping_address or {}), "id_number": cleaned}
        locked.save(update_fields=["shipping_address"])
        audit_record(
            actor=actor,
            action="orders.checkout.id_number_set",
            target=locked,
            data={"id_number": id_number_masked(cleaned)},
        )
    checkout.shipping_address = locked.shipping_address
    return checkout
