"""The admin shows bookings, capacity, check-ins and refunds and changes none of them: their
writes go through the tourism services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ewtp.core.tests.admin_checks import assert_admin_refuses_writes
from ewtp.tourism.models import Booking, DailyCapacity, Experience
from ewtp.tourism.tests.factories import book_api, future, visitor_json

pytestmark = pytest.mark.django_db


def test_the_admin_refuses_to_write_bookings_and_capacity(
    admin_client: Any, experience: Experience
) -> None:
    body = {
        "date": future(experience).isoformat(),
        "email": "ann@example.org",
        "visitors": [visitor_json()],
    }
    assert book_api(Client(), experience.slug, body).status_code == 201
    booking = Booking.objects.get()
    day = DailyCapacity.objects.get()
    assert (day.capacity, day.taken) == (experience.default_capacity, 1)

    assert_admin_refuses_writes(
        admin_client, "tourism/booking", booking, {"email": "eve@example.org", "status": "paid"}
    )
    assert_admin_refuses_writes(
        admin_client,
        "tourism/dailycapacity",
        day,
        {"experience": experience.pk, "visit_on": day.visit_on, "capacity": 500, "taken": 0},
    )
    # The experience itself is authored in the admin.
    assert admin_client.get(f"/admin/tourism/experience/{experience.pk}/change/").status_code == 200
