"""Mails to the buyer, sent after commit through tasks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from ewtp.core import clock
from ewtp.orders.models import Checkout, Order

S = Order.Status


def _after_commit(callback: Callable[[], Any]) -> None:
    transaction.on_commit(callback, robust=True)


def _enqueue_checkout_mail(checkout_id: int, kind: str) -> None:
    from ewtp.orders.tasks import send_checkout_mail

    send_checkout_mail.enqueue(checkout_id, kind)


def _enqueue_paid_mails(checkout_id: int, order_ids: list[int]) -> None:
    from ewtp.orders.tasks import send_paid_mails

    send_paid_mails.enqueue(checkout_id, order_ids)


def _enqueue_order_mail(order_id: int, kind: str) -> None:
    from ewtp.orders.tasks import send_order_mail

    send_order_mail.enqueue(order_id, kind)


def checkout_mail_send(*, checkout_id: int, kind: str) -> bool:
    """Send the ``placed`` or ``paid`` mail of a checkout once (the mark and the outbox row
    are written in one transaction)."""
    from ewtp.orders import mails

    field = {"placed": "placed_mailed_at", "paid": "paid_mailed_at"}[kind]
    with transaction.atomic():
        if not Checkout.objects.filter(pk=checkout_id, **{f"{field}__isnull": True}).update(
            **{field: clock.now()}
        ):
            return False
        checkout = Checkout.objects.get(pk=checkout_id)
        mails.send_checkout_mail(checkout, kind)
    return True


# The buyer hears of these steps of an order by mail, once each (the mark says when).
ORDER_MAILS: dict[str, str] = {S.SHIPPED: "shipped_mailed_at", S.RETURNED: "returned_mailed_at"}


def order_mail_send(*, order_id: int, kind: str) -> bool:
    """Send the ``shipped`` or ``returned`` mail of an order once."""
    from ewtp.orders import mails

    field = ORDER_MAILS[kind]
    with transaction.atomic():
        if not Order.objects.filter(pk=order_id, **{f"{field}__isnull": True}).update(
            **{field: clock.now()}
        ):
            return False
        order = Order.objects.select_related("checkout", "seller").get(pk=order_id)
        mails.send_order_mail(order, kind)
    return True


def seller_mail_send(*, order_id: int) -> bool:
    """Tell the seller once that an order is paid and waits to be prepared."""
    from ewtp.orders import mails

    with transaction.atomic():
        if not Order.objects.filter(pk=order_id, seller_mailed_at__isnull=True).update(
            seller_mailed_at=clock.now()
        ):
            return False
        order = Order.objects.select_related("seller").get(pk=order_id)
        mails.send_seller_paid_mail(order)
    return True
