"""Expiring holds: unpaid orders past their time give their stock back."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

from django.db import transaction

from ewtp.catalog.services.stock import stock_holds_release
from ewtp.core import clock
from ewtp.core.locks import lock_rows, retry_on_lock_timeout
from ewtp.orders.models import Checkout, Order
from ewtp.orders.services.transitions import S, _apply

logger = logging.getLogger(__name__)


def holds_expire(
    *,
    now: datetime | None = None,
    limit: int = 500,
    variant_ids: Collection[int] | None = None,
    checkout_id: int | None = None,
) -> int:
    """End the holds of unpaid orders past their time: stock back, order ``expired``.

    ``variant_ids``: only the orders holding one of these variants (a checkout that found
    them short expires those first, so that stock never stays blocked while the worker is
    down); ``checkout_id``: only the orders of one checkout.
    """
    now = now or clock.now()
    due_orders = Order.objects.filter(status=S.PENDING_PAYMENT, hold_expires_at__lte=now)
    if variant_ids is not None:
        due_orders = due_orders.filter(lines__variant_id__in=list(variant_ids)).distinct()
    if checkout_id is not None:
        due_orders = due_orders.filter(checkout_id=checkout_id)
    due = list(due_orders.order_by("hold_expires_at", "pk").values_list("pk", flat=True)[:limit])
    expired = 0
    for pk in due:

        def run(pk: int = pk) -> bool:
            with transaction.atomic():
                rows = lock_rows(
                    Order.objects.filter(pk=pk, status=S.PENDING_PAYMENT).select_related("seller")
                )
                if not rows or rows[0].hold_expires_at > now:
                    return False
                order = rows[0]
                _apply(order, S.EXPIRED, actor=None, note="hold expired", now=now)
                stock_holds_release(reference=str(order.public_id))
                if not Order.objects.filter(
                    checkout_id=order.checkout_id, status=S.PENDING_PAYMENT
                ).exists():
                    Checkout.objects.filter(
                        pk=order.checkout_id, payment_status=Checkout.PaymentStatus.PENDING
                    ).update(payment_status=Checkout.PaymentStatus.EXPIRED)
                return True

        if retry_on_lock_timeout(run):
            expired += 1
    if expired:
        logger.info("expired %s order hold(s)", expired)
    return expired
