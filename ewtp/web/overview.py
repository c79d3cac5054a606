"""The platform operator's overview: one figure per thing to watch, each read with one
aggregate query (days are UTC days, as the platform clock counts them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ewtp.accounts.models import Organisation
from ewtp.core import clock
from ewtp.core.money import Money
from ewtp.customs.models import Declaration
from ewtp.ledger.models import Account
from ewtp.orders.models import Order
from ewtp.payments.models import Payout
from ewtp.traderules.selectors.snapshot import stale_rates

# Orders that never became a sale are not counted.
_NOT_SOLD = (Order.Status.PENDING_PAYMENT, Order.Status.EXPIRED, Order.Status.CANCELLED)
_WAITING_DECLARATIONS = (
    Declaration.Status.SUBMITTED,
    Declaration.Status.INSPECTION,
    Declaration.Status.HELD,
)


@dataclass
class Figure:
    key: str
    title: Any
    count: int | None
    amounts: list[str] = field(default_factory=list)
    url: str = ""
    detail: Any = ""
    alert: bool = False


def _amounts(rows: Iterable[tuple[str, int | None]], language: str) -> list[str]:
    return [
        Money.from_minor(int(minor), currency).format(language)
        for currency, minor in sorted(rows)
        if minor
    ]


def _orders(language: str) -> list[Figure]:
    today = clock.today()
    day_start = datetime.combine(today, time.min, tzinfo=UTC)
    month_start = day_start.replace(day=1)
    today_only = Q(created_at__gte=day_start)
    rows = list(
        Order.objects.filter(created_at__gte=month_start)
        .exclude(status__in=_NOT_SOLD)
        .values("currency")
        .annotate(
            month_count=Count("id"),
            month_value=Sum("total_minor"),
            day_count=Count("id", filter=today_only),
            day_value=Sum("total_minor", filter=today_only),
        )
        .values_list("currency", "month_count", "month_value", "day_count", "day_value")
    )
    url = reverse("orders:operator_orders")
    return [
        Figure(
            "orders_today",
            _("Orders today"),
            sum(row[3] for row in rows),
            _amounts(((row[0], row[4]) for row in rows), language),
            url,
        ),
        Figure(
            "orders_month",
            _("Orders this month"),
            sum(row[1] for row in rows),
            _amounts(((row[0], row[2]) for row in rows), language),
            url,
        ),
    ]


def _held(purpose: str, language: str, **filters: Any) -> list[str]:
    """What the platform holds on liability accounts of ``purpose`` (credit balances)."""
    rows = (
        Account.objects.filter(purpose=purpose, kind=Account.Kind.LIABILITY, **filters)
        .values("currency")
        .annotate(total=Sum("balance_minor"))
        .values_list("currency", "total")
    )
    return _amounts(((currency, -(total or 0)) for currency, total in rows), language)


def operator_figures(language: str) -> list[Figure]:
    figures = _orders(language)
    figures.append(
        Figure(
            "escrow",
            _("Escrow held"),
            None,
            _held("escrow", language),
            reverse("ledger:accounts") + "?purpose=escrow",
            _("buyers' money held until delivery"),
        )
    )
    disputes = Order.objects.filter(status=Order.Status.DISPUTED).count()
    figures.append(
        Figure(
            "disputes",
            _("Open disputes"),
            disputes,
            url=reverse("orders:operator_orders") + "?status=disputed",
            alert=disputes > 0,
        )
    )
    figures.append(
        Figure(
            "declarations",
            _("Declarations waiting"),
            Declaration.objects.filter(status__in=_WAITING_DECLARATIONS).count(),
            url=reverse("customs:queue"),
            detail=_("submitted, under inspection or held"),
        )
    )
    to_verify = Organisation.objects.filter(
        Q(verification=Organisation.Verification.SUBMITTED) | ~Q(seller_category_requested="")
    ).count()
    figures.append(
        Figure(
            "organisations",
            _("Organisations to verify"),
            to_verify,
            url=reverse("accounts:operator_organisations"),
            alert=to_verify > 0,
        )
    )
    failed = Payout.objects.filter(status=Payout.Status.FAILED).count()
    figures.append(
        Figure(
            "payouts",
            _("Payouts due"),
            None,
            _held("party_payable", language, owner_ref__startswith="org:"),
            reverse("payments:operator"),
            _("%(count)s failed payouts") % {"count": failed} if failed else "",
            alert=failed > 0,
        )
    )
    stale = stale_rates()
    figures.append(
        Figure(
            "stale_rates",
            _("Stale exchange rates"),
            len(stale),
            url=reverse("traderules:fx"),
            detail=", ".join(str(item["currency"]) for item in stale),
            alert=bool(stale),
        )
    )
    return figures
