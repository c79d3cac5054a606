"""Background work of orders: buyer mails and the expiry of unpaid holds. Idempotent."""

from __future__ import annotations

from django.tasks import task

from ewtp.orders.services.holds import holds_expire
from ewtp.orders.services.mails import seller_mail_send


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
def send_seller_mail(order_id: int) -> bool:
    """Kept for tasks queued before ``send_paid_mails`` took its place."""
    return seller_mail_send(order_id=order_id)


@task
def send_paid_mails(checkout_id: int, order_ids: list[int]) -> bool:
    """A checkout was paid: the buyer's mail (a money task, as ``send_checkout_mail``) and
    each seller's, every one tried even if another fails (the first failure is raised)."""
    failure: Exception | None = None
    sent = send_checkout_mail.call(checkout_id, "paid")
    for order_id in order_ids:
        try:
            seller_mail_send(order_id=order_id)
        except Exception as error:  # the other sellers are still told
            failure = failure or error
    if failure is not None:
        raise failure
    return sent


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
