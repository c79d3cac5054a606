"""The demo history: loading it twice changes nothing, the ledger stays balanced, and each
order's stored quote is what the engine gives again for the order's own date."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command

from ewtp.catalog import landed_prices, traderules_gateway
from ewtp.customs.models import Declaration
from ewtp.ledger.services import ledger_verify
from ewtp.logistics.models import Parcel
from ewtp.orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def short_history(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("ewtp.insights.demo.HISTORY_ORDERS", 120)
    monkeypatch.setattr("ewtp.insights.demo.HISTORY_BOOKINGS", 15)


def _history() -> list[Order]:
    return list(
        Order.objects.filter(checkout__email__endswith="@history.demo.ewtp.rw")
        .prefetch_related("lines__variant__product")
        .order_by("created_at", "id")
    )


def test_loaddemo_twice_with_history_changes_nothing(short_history):  # type: ignore[no-untyped-def]
    from ewtp.tourism.models import Booking

    call_command("loaddemo", stdout=io.StringIO())
    counts = (
        Order.objects.count(),
        Parcel.objects.count(),
        Declaration.objects.count(),
        Booking.objects.count(),
    )
    call_command("loaddemo", stdout=io.StringIO())
    assert (
        Order.objects.count(),
        Parcel.objects.count(),
        Declaration.objects.count(),
        Booking.objects.count(),
    ) == counts
    orders = _history()
    assert len(orders) == 120
    assert {o.incoterm for o in orders} == {"DDP", "DAP"}
    assert len({o.destination for o in orders}) >= 6
    assert {o.status for o in orders} >= {"completed"}
    verdict = ledger_verify()
    assert verdict["balanced"], verdict["problems"]
    released = Declaration.objects.filter(status="released", released_at__isnull=False)
    assert released.exists()
    assert all(d.released_at > d.submitted_at for d in released)
    assert Booking.objects.filter(community_minor__gt=0).count() == 15


def test_each_stored_quote_is_reproduced_at_the_orders_date(short_history):  # type: ignore[no-untyped-def]
    call_command("loaddemo", stdout=io.StringIO())
    orders = _history()[:40]
    for order in orders:
        day = date.fromisoformat(order.quote["date"])
        assert day == order.created_at.date()
        request = landed_prices.quote_request(
            [(line.variant, line.quantity) for line in order.lines.all()],
            destination=order.destination,
            currency=order.currency,
            incoterm=order.incoterm,
        )
        request["shipping"] = order.carriage["price"]
        request["date"] = day.isoformat()
        again = traderules_gateway.quote_compute(request, today=day)
        assert again["totals"] == order.quote["totals"], order.public_id
        assert again["regime"]["id"] == order.quote["regime"]["id"]


def test_demo_orders_adds_n_more(short_history):  # type: ignore[no-untyped-def]
    call_command("loaddemo", stdout=io.StringIO())
    before = Order.objects.count()
    out = io.StringIO()
    call_command("demo", "orders", "50", "--seed", "3", stdout=out)
    assert Order.objects.count() == before + 50
    assert "50 orders of demo history written" in out.getvalue()
    assert ledger_verify()["balanced"]
