"""Expiring holds: unpaid orders past their time give their stock back."""

from __future__ import annotations

import functools
import logging
from collections.abc import Collection
from datetime import datetime

from django.db import connection, transaction

from ewtp.catalog.services.stock import stock_holds_release
from ewtp.core import clock
from ewtp.core.locks import lock_rows, retry_on_lock_timeout
from ewtp.orders.models import Checkout, Order, OrderLine
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
    if variant_ids is not None and checkout_id is None:
        due = _due_holding(sorted(variant_ids), now=now, limit=limit)
    else:
        due_orders = Order.objects.filter(status=S.PENDING_PAYMENT, hold_expires_at__lte=now)
        if variant_ids is not None:
            due_orders = due_orders.filter(lines__variant_id__in=list(variant_ids)).distinct()
        if checkout_id is not None:
            due_orders = due_orders.filter(checkout_id=checkout_id)
        due = list(
            due_orders.order_by("hold_expires_at", "pk").values_list("pk", flat=True)[:limit]
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


@functools.lru_cache(maxsize=32)
def _due_holding_sql(variants: int) -> str:
    """The due orders holding one of ``variants`` variants, written once per process and count:
    a checkout refused for a short line asks this on every refusal, and the ORM compiled the
    join again each time (about a quarter of the refusal's CPU)."""
    quote = connection.ops.quote_name
    orders, lines = quote(Order._meta.db_table), quote(OrderLine._meta.db_table)
    marks = ", ".join(["%s"] * variants)
    return (
        f"SELECT o.{quote('id')} FROM {orders} o WHERE o.{quote('status')} = %s"  # noqa: S608 (names and placeholders only)
        f" AND o.{quote('hold_expires_at')} <= %s AND EXISTS (SELECT 1 FROM {lines} l"
        f" WHERE l.{quote('order_id')} = o.{quote('id')} AND l.{quote('variant_id')} IN ({marks}))"
        f" ORDER BY o.{quote('hold_expires_at')}, o.{quote('id')} LIMIT %s"
    )


def _due_holding(variant_ids: list[int], *, now: datetime, limit: int) -> list[int]:
    """Ids of the unpaid orders past their time that hold one of ``variant_ids``, the oldest
    first (as the general query of ``holds_expire`` gives them)."""
    if not variant_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            _due_holding_sql(len(variant_ids)),
            [
                S.PENDING_PAYMENT.value,
                connection.ops.adapt_datetimefield_value(now),
                *variant_ids,
                limit,
            ],
        )
        return [row[0] for row in cursor.fetchall()]
