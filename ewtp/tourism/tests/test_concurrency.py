"""Under contention, on PostgreSQL: a day never oversells, a key books once, a voucher
checks in once. Threads go through the service layer or the HTTP stack (Django's test
client); each closes its database connection at the end."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from ewtp.core import clock
from ewtp.core.errors import DomainError
from ewtp.tourism.models import Booking, BookingVisitor, CheckIn, DailyCapacity
from ewtp.tourism.services import holds
from ewtp.tourism.services.gate import voucher_token
from ewtp.tourism.tests.factories import (
    TOURISM_APPS,
    book_api,
    future,
    kigali_today,
    make_member,
    pay,
    visitor,
    visitor_json,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, available_apps=TOURISM_APPS),
]
WORKERS = 16


def _in_threads(count: int, call: Callable[[int], Any]) -> list[Any]:
    def run(index: int) -> Any:
        try:
            return call(index)
        finally:
            connections.close_all()  # each thread closes its own connection

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, range(count)))


def test_300_concurrent_bookings_fill_96_places_and_never_more(experience) -> None:  # type: ignore[no-untyped-def]
    day = future(experience)
    sizes = [random.Random(index).randint(1, 4) for index in range(300)]

    def attempt(index: int) -> tuple[int, dict[str, Any], int]:
        # Through the service layer (the HTTP path races in bench/booking.py).
        try:
            holds.booking_hold(
                experience=experience,
                visit_on=day,
                email=f"visitor{index}@example.org",
                visitors=[visitor(name=f"V{index}-{n}") for n in range(sizes[index])],
                start_payment=False,
            )
        except DomainError as error:
            return error.http_status, error.as_dict(), sizes[index]
        return 201, {}, sizes[index]

    results = _in_threads(300, attempt)
    statuses = Counter(status for status, _body, _size in results)
    assert set(statuses) <= {201, 409}, statuses
    row = DailyCapacity.objects.get(experience=experience, visit_on=day)
    held = list(Booking.objects.filter(experience=experience, visit_on=day))
    booked = sum(size for status, _body, size in results if status == 201)
    rejected = [size for status, _body, size in results if status == 409]
    assert row.capacity == 96
    assert row.taken == booked == sum(booking.places for booking in held) <= 96
    # Fewer than 96 only when no refused request would fit in what is left.
    assert row.taken == 96 or (rejected and 96 - row.taken < min(rejected))
    assert all(body["code"] == "sold_out" for status, body, _ in results if status == 409)
    assert {booking.status for booking in held} == {"held"}
    assert len(held) == statuses[201]
    # No booking half written: every held booking has all its visitors.
    assert BookingVisitor.objects.filter(booking__in=held).count() == sum(
        booking.visitor_count for booking in held
    )

    # Expired holds give every place back, once.
    Booking.objects.filter(pk__in=[b.pk for b in held]).update(
        expires_at=clock.now() - timedelta(seconds=1)
    )
    assert holds.holds_expire() == len(held)
    row.refresh_from_db()
    assert row.taken == 0
    assert holds.holds_expire() == 0


def test_concurrent_replays_of_one_key_book_once(experience) -> None:  # type: ignore[no-untyped-def]
    body = {
        "date": future(experience).isoformat(),
        "email": "twin@example.org",
        "visitors": [visitor_json(), visitor_json(name="Bo Kim")],
    }

    def replay(_index: int) -> tuple[int, dict[str, Any]]:
        response = book_api(Client(), experience.slug, body, key="same-key")
        return response.status_code, response.json()

    results = _in_threads(12, replay)
    # Afterwards a plain replay gets the first answer: the one every thread that won or
    # replayed must have had. The others were told, exactly, to retry; nothing else.
    replayed = book_api(Client(), experience.slug, body, key="same-key")
    assert replayed.status_code == 201
    answer = replayed.json()
    assert answer["id"] == str(Booking.objects.get().public_id)
    in_progress = {
        "code": "idempotency_in_progress",
        "message": "A request with this Idempotency-Key is still being processed; retry shortly.",
    }
    assert [r for r in results if r not in ((201, answer), (409, in_progress))] == []
    assert (201, answer) in results
    assert Booking.objects.count() == 1
    assert DailyCapacity.objects.get().taken == 2


def test_a_voucher_scanned_at_two_gates_at_once_checks_in_once(experience) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    held = book_api(
        client,
        experience.slug,
        {
            "date": kigali_today(experience).isoformat(),
            "email": "ann@example.org",
            "visitors": [visitor_json()],
        },
    ).json()
    pay(client, held)
    token = voucher_token(Booking.objects.get(public_id=held["id"]))
    ranger = make_member(experience.operator, "ranger@parks.rw", "staff")

    def scan(_index: int) -> tuple[int, str]:
        gate = Client()
        gate.force_login(ranger)
        response = gate.post(
            "/api/v1/tourism/checkins",
            data=json.dumps({"token": token}),
            content_type="application/json",
        )
        return response.status_code, response.json().get("code", "checked_in")

    outcomes = Counter(_in_threads(8, scan))
    assert outcomes == {(201, "checked_in"): 1, (409, "already_checked_in"): 7}
    assert CheckIn.objects.count() == 1
