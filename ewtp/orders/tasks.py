"""Background work of orders: buyer mails and the expiry of unpaid holds. Idempotent."""

from __future__ import annotations

from django.tasks import task

from ewtp.orders.services.holds import holds_expire


@task
def send_checkout_mail(checkout_id: int, kind: str) -> bool:
    """A mail that matters: a money task, retried with back-off until sent, or parked."""
    from ewtp.payments.retry import money_task_enqueue

    key = f"mail:checkout:{checkout_id}:{kind}"
    args = {"checkout_id": checkout_id, "kind": kind}
    return money_task_enqueue("orders.checkout_mail", key=key, args=args).status == "done"


@task
def send_order_mail(order_id: int, kind: str) -> bool:
    from ewtp.payments.retry import money_task_enqueue

    key = f"mail:order:{order_id}:{kind}"
    args = {"order_id": order_id, "kind": kind}
    return money_task_enqueue("orders.order_mail", key=key, args=args).status == "done"


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
