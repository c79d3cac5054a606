"""Two `ewtp serve` instances and two `ewtp worker`s on one PostgreSQL database: buyers and
visitors race across both servers for the last units and the last places. Nothing is oversold,
the ledger balances, and every webhook is processed once (a replay to the other server too)."""

from __future__ import annotations

import io
import json
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from ewtp.catalog.models import Product, StockLevel
from ewtp.ledger.models import Posting
from ewtp.payments.models import Payment, ProviderEvent, SandboxWebhook
from ewtp.payments.webhooks import SIGNATURE_HEADER, sign
from ewtp.tourism.models import Booking
from tests.postgres.servers import (
    EWTP,
    ROOT,
    WEBHOOK_SECRET,
    call,
    environment,
    servers_and_workers,
)

UNITS = 6  # stock of the raced product
BUYERS = 18
PLACES = 16  # the golden monkey tracking's capacity on the raced day
PARTIES = 14  # of two visitors each


def _buy(bases: list[str], number: int, product_id: str) -> tuple[int, str, str | None]:
    """A guest fills a cart on one server and checks out on the other; approves if it got one."""
    here, there = bases[number % 2], bases[(number + 1) % 2]
    status, cart = call(here, "POST", "/api/v1/carts")
    assert status in {200, 201}, cart
    status, _ = call(
        here, "POST", f"/api/v1/carts/{cart['id']}/lines", {"product_id": product_id, "quantity": 1}
    )
    assert status in {200, 201}
    status, body = call(
        there,
        "POST",
        f"/api/v1/carts/{cart['id']}/checkout",
        {
            "email": f"buyer{number}@example.be",
            "destination": "BE",
            "currency": "EUR",
            "shipping_address": {
                "name": f"Buyer {number}",
                "line1": "Rue de la Loi 16",
                "city": "Bruxelles",
                "postal_code": "1000",
                "country": "BE",
                "phone": "+3225550100",
            },
        },
        {"Idempotency-Key": f"race-checkout-{number}"},
    )
    if status != 201:
        return status, str((body or {}).get("code")), None
    payment = body["payment"]["id"]
    approved, _ = call(here, "POST", f"/api/v1/payments/sandbox/{payment}/approve")
    assert approved in {200, 202}, approved
    return status, "", payment


def _book(bases: list[str], number: int, day: str, category: str) -> tuple[int, str, str | None]:
    here, there = bases[number % 2], bases[(number + 1) % 2]
    visitors = [
        {
            "category": category,
            "full_name": f"Visitor {number}-{k}",
            "nationality": "BE",
            "birth_date": "1990-05-01",
            "document_number": f"EU{number:03d}{k}",
        }
        for k in range(2)
    ]
    status, body = call(
        here,
        "POST",
        "/api/v1/tourism/experiences/golden-monkey-tracking/bookings",
        {"date": day, "email": f"party{number}@example.be", "visitors": visitors},
        {"Idempotency-Key": f"race-booking-{number}"},
    )
    if status != 201:
        return status, str((body or {}).get("code")), None
    payment = body["payment"]["id"]
    approved, _ = call(there, "POST", f"/api/v1/payments/sandbox/{payment}/approve")
    assert approved in {200, 202}, approved
    return status, "", payment


def _settled(payments: list[str], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pending = Payment.objects.filter(public_id__in=payments).exclude(status="succeeded")
        undelivered = SandboxWebhook.objects.filter(delivered_at__isnull=True)
        if not pending.exists() and not undelivered.exists():
            return
        time.sleep(0.5)
    raise AssertionError(
        f"not settled in {seconds} s: {pending.count()} payments, {undelivered.count()} webhooks"
    )


def _ledger_verify() -> dict[str, object]:
    answer = subprocess.run(
        [EWTP, "ledger", "verify"],
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    verdict: dict[str, object] = json.loads(answer.stdout)
    assert answer.returncode == (0 if verdict["balanced"] else 1)
    return verdict


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_servers_and_two_workers_race_checkouts_and_bookings(tmp_path: Path) -> None:
    call_command("loaddemo", stdout=io.StringIO())
    product = Product.objects.filter(slug__contains="coffee").order_by("pk").first()
    assert product is not None
    levels = StockLevel.objects.filter(variant__product=product)
    levels.update(on_hand=0, reserved=0)
    StockLevel.objects.filter(pk=levels.order_by("pk").first().pk).update(on_hand=UNITS)  # type: ignore[union-attr]
    day = (timezone.now() + timedelta(days=21)).date().isoformat()

    with servers_and_workers(tmp_path, servers=2, workers=2) as bases:
        status, days = call(
            bases[0],
            "GET",
            f"/api/v1/tourism/experiences/golden-monkey-tracking/availability?from={day}&to={day}",
        )
        assert status == 200 and days[0]["remaining"] == PLACES, days
        category = days[0]["prices"][0]["category"]
        with ThreadPoolExecutor(max_workers=8) as pool:
            buys = [pool.submit(_buy, bases, n, str(product.public_id)) for n in range(BUYERS)]
            books = [pool.submit(_book, bases, n, day, category) for n in range(PARTIES)]
            bought = [future.result(timeout=300) for future in buys]
            booked = [future.result(timeout=300) for future in books]
        payments = [p for _s, _c, p in bought + booked if p]
        _settled(payments)

        # Every delivered webhook, replayed to the server that did not receive it: no effect.
        postings_before = Posting.objects.count()
        events_before = ProviderEvent.objects.count()
        replays = Counter()
        for number, delivery in enumerate(SandboxWebhook.objects.order_by("pk")):
            body = json.dumps(delivery.payload, separators=(",", ":")).encode()
            signature = sign(body, secret=WEBHOOK_SECRET.encode())
            status, _ = call(
                bases[number % 2],
                "POST",
                "/api/v1/payments/webhooks/sandbox",
                raw=body,
                headers={SIGNATURE_HEADER: signature},
            )
            replays[status] += 1
        verdict = _ledger_verify()

    checkouts = Counter((status, code) for status, code, _p in bought)
    bookings = Counter((status, code) for status, code, _p in booked)
    print(
        f"\ntwo servers, two workers: checkouts {dict(checkouts)}, bookings {dict(bookings)}, "
        f"webhooks {SandboxWebhook.objects.count()} delivered once each, replays {dict(replays)}, "
        f"ledger {verdict}"
    )
    assert checkouts == {(201, ""): UNITS, (409, "out_of_stock"): BUYERS - UNITS}
    assert bookings == {(201, ""): PLACES // 2, (409, "sold_out"): PARTIES - PLACES // 2}
    level = StockLevel.objects.filter(variant__product=product).aggregate(
        on_hand=Sum("on_hand"), reserved=Sum("reserved")
    )
    assert level["on_hand"] is not None and level["on_hand"] >= 0
    assert level["reserved"] is not None and level["reserved"] <= UNITS
    taken = Booking.objects.filter(status__in=Booking.HOLDING, visit_on=day).aggregate(
        places=Sum("places")
    )
    assert taken["places"] == PLACES
    assert Booking.objects.filter(status="confirmed", visit_on=day).count() == PLACES // 2
    assert Payment.objects.filter(status="succeeded").count() == len(payments)
    # Once: one webhook per approval, one provider event per webhook, one posting per capture.
    assert SandboxWebhook.objects.count() == len(payments)
    assert SandboxWebhook.objects.filter(delivered_at__isnull=True).count() == 0
    assert ProviderEvent.objects.count() == len(payments) == events_before
    assert Posting.objects.count() == postings_before
    assert set(replays) == {200}
    assert verdict["balanced"] is True and verdict["problems"] == []
