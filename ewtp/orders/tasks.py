"""Background work of orders: buyer mails and the expiry of unpaid holds. Idempotent."""

from __future__ import annotations

from django.tasks import task

from ewtp.orders.services.holds import holds_expire
from ewtp.orders.services.mails import checkout_mail_send, order_mail_send


@task
def send_checkout_mail(checkout_id: int, kind: str) -> bool:
    return checkout_mail_send(checkout_id=checkout_id, kind=kind)


@task
def send_order_mail(order_id: int, kind: str) -> bool:
    return order_mail_send(order_id=order_id, kind=kind)


@task
def expire_holds() -> int:
    """Run every minute or so (the worker's schedule, or `ewtp orders expire-holds`)."""
    return holds_expire()


@task
def payment_refund_task(payment_id: int, amount_minor: int, reason: str) -> None:
    """Pay a refund back through the provider, after the ledger has moved it to clearing."""
    from ewtp.orders.services.money import provider_refund

    provider_refund(payment_id, amount_minor, reason)


@task
def auto_complete() -> int:
    from ewtp.orders.services.money import orders_auto_complete

    return orders_auto_complete()
