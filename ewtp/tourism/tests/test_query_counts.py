"""The guest's booking page and the operator's pages read as many queries for many rows as for
a few (visitors, bookings): an N+1 fails here."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from ewtp.tourism.models import Booking, DailyCapacity, Experience
from ewtp.tourism.services import access, holds
from ewtp.tourism.tests.factories import (
    book_api,
    future,
    kigali_today,
    make_member,
    pay,
    transactional,
    visitor,
    visitor_json,
)

pytestmark = pytest.mark.django_db

BOOKING_PAGE = 11  # measured: the same with 2 visitors and with 6
DASHBOARD = 12  # measured: the same with 3 bookings in the month and with 9
GATE_CHECK_IN = 15  # measured: the same with 2 visitors and with 6
NAMES = ["Ann Lee", "Bo Kim", "Cy Ray", "Di Fox", "Ed Ng", "Flo Yu"]


def _read(client: Client, url: str, most: int, counter: Any) -> str:
    with counter(most):
        response = client.get(url)
    assert response.status_code == 200, url
    return str(response.content.decode())


def _held(experience: Experience, visitors: int, days: int = 40) -> Booking:
    return _held_on(experience, future(experience, days), visitors)


def _held_on(experience: Experience, visit_on: date, visitors: int) -> Booking:
    return holds.booking_hold(
        experience=experience,
        visit_on=visit_on,
        email="ann@example.org",
        visitors=[visitor(name=name) for name in NAMES[:visitors]],
        start_payment=False,
    )


def test_the_booking_page_reads_as_many_queries_for_6_visitors_as_for_2(
    experience: Experience, django_assert_max_num_queries: Any
) -> None:
    guest = Client()
    pages = []
    for count in (2, 6):
        booking = _held(experience, count, days=30 + count)
        url = f"/visit/bookings/{booking.public_id}/?t={access.booking_access_token(booking)}"
        guest.get(url)  # warm the per-process caches
        pages.append(_read(guest, url, BOOKING_PAGE, django_assert_max_num_queries))
    assert all(name in pages[1] for name in NAMES)


def test_the_operators_dashboard_reads_as_many_queries_for_9_bookings_as_for_3(
    experience: Experience, django_assert_max_num_queries: Any
) -> None:
    owner = Client()
    owner.force_login(make_member(experience.operator, "owner@parks.rw", "owner"))
    month = future(experience, 40).replace(day=1)
    days = [month + timedelta(days=offset) for offset in (10, 11, 12)]
    url = f"/visit/operator/?experience={experience.slug}&month={month:%Y-%m}"
    for _ in range(3):
        _held_on(experience, days[0], 2)
    owner.get(url)  # warm the per-process caches
    _read(owner, url, DASHBOARD, django_assert_max_num_queries)
    for index in range(6):
        _held_on(experience, days[index % 3], 1 + index % 3)
    html = _read(owner, url, DASHBOARD, django_assert_max_num_queries)
    rows = DailyCapacity.objects.order_by("visit_on")
    assert [(row.visit_on, row.taken) for row in rows] == list(zip(days, (8, 4, 6), strict=True))
    for row in rows:
        assert f'data-testid="day-{row.visit_on.isoformat()}"' in html
        assert f"{row.taken} / {row.capacity}" in html


@transactional
def test_a_check_in_at_the_gate_reads_as_many_queries_for_6_visitors_as_for_2(
    experience: Experience, django_assert_max_num_queries: Any
) -> None:
    ranger = Client()
    ranger.force_login(make_member(experience.operator, "ranger@parks.rw", "staff"))
    ranger.get("/visit/gate/")  # warm the per-process caches
    guest = Client()
    for count in (2, 6):
        body = {
            "date": kigali_today(experience).isoformat(),
            "email": "ann@example.org",
            "visitors": [visitor_json(name=name) for name in NAMES[:count]],
        }
        hold = book_api(guest, experience.slug, body).json()
        pay(guest, hold)
        token = ranger_token(hold)
        with django_assert_max_num_queries(GATE_CHECK_IN):
            page = ranger.post("/visit/gate/", {"token": token})
        assert page.status_code == 200
        html = page.content.decode()
        assert all(name in html for name in NAMES[:count])


def ranger_token(hold: dict[str, Any]) -> str:
    from ewtp.tourism.services.gate import voucher_token

    return voucher_token(Booking.objects.get(public_id=hold["id"]))
