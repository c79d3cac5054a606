"""Expiring holds: unpaid orders past their time give their stock back."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from ewtp.catalog.services.stock import stock_holds_release
from ewtp.core import clock
from ewtp.core.locks import lock_rows, retry_on_lock_timeout
from ewtp.orders.models import Checkout, Order
from ewtp.orders.services.transitions import S, _apply

logger = logging.getLogger(__name__)


def holds_expire(*, now: datetime | None = None, limit: int = 500) -> int:
    """End the holds of unpaid orders past their time: stock back, order ``expired``."""
    now = now or clock.now()
    due = list(
        Order.objects.filter(status=S.PENDING_PAYMENT, hold_expires_at__lte=now)
        .order_by("hold_expires_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
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
