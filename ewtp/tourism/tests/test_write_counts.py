"""Exact query counts of tourism's write paths through the API: a booking, a booking refused on
a sold-out date, a check-in at the gate. A change that adds a round trip fails here.

Counted as production runs them (transactional tests: the payment starts outside any
transaction; the webhook pays at once), BEGIN and COMMIT included: Django logs them, and each
is a round trip. The counts differ by database where the code does: on PostgreSQL one
statement takes the places or says why not; SQLite reads the day again after a refusal.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client

from ewtp.tourism import vouchers
from ewtp.tourism.models import Booking, DailyCapacity, Experience
from ewtp.tourism.services.capacity import capacity_row
from ewtp.tourism.tests.factories import (
    book_api,
    future,
    kigali_today,
    make_member,
    pay,
    transactional,
    visitor_json,
)

pytestmark = transactional

# Statements of one request, by database (see the module's docstring).
# The tiers come with the bundle-discount rules in one read; on PostgreSQL the booking, its
# visitors and the audit entry are one INSERT statement (three on SQLite), and the payment's
# provider reference is written in the statement that keeps the idempotent answer.
BOOKING = {"postgresql": 10, "sqlite": 13}
# The read that refuses and the answer kept for replay: one statement on PostgreSQL, two on SQLite.
REFUSED = {"postgresql": 1, "sqlite": 2}
CHECK_IN = {"postgresql": 11, "sqlite": 11}


def exactly(counts: dict[str, int]) -> int:
    return counts[connection.vendor]


def body(day: Any, visitors: int) -> dict[str, Any]:
    names = ["Ann Lee", "Bo Kim", "Cy Ray", "Di Fox"]
    return {
        "date": day.isoformat(),
        "email": "ann@example.org",
        "visitors": [visitor_json(name=name) for name in names[:visitors]],
    }


def test_a_booking_costs_the_same_statements_for_1_visitor_as_for_4(
    experience: Experience, django_assert_num_queries: Any
) -> None:
    guest = Client()
    day = future(experience)
    book_api(guest, experience.slug, body(day, 1))  # the day's row exists from now on
    for visitors in (1, 4):
        with django_assert_num_queries(exactly(BOOKING)):
            response = book_api(guest, experience.slug, body(day, visitors))
        assert response.status_code == 201, response.json()
        assert response.json()["status"] == "held"
    assert DailyCapacity.objects.get(experience=experience, visit_on=day).taken == 6


def test_a_refused_booking_is_one_read_and_the_kept_answer_before_any_pricing(
    experience: Experience, django_assert_num_queries: Any
) -> None:
    day = future(experience)
    row = capacity_row(experience, day)
    DailyCapacity.objects.filter(pk=row.pk).update(taken=row.capacity - 1)
    with django_assert_num_queries(exactly(REFUSED)) as captured:
        response = book_api(Client(), experience.slug, body(day, 2))
    assert response.status_code == 409
    assert response.json()["code"] == "sold_out" and response.json()["remaining"] == 1
    statements = " ".join(query["sql"] for query in captured.captured_queries)
    assert "tourism_bundlediscount" not in statements  # no pricing of what cannot be held
    assert 'tourism_booking" (' not in statements  # nothing inserted
    assert "UPDATE" not in statements  # no place taken, no key claimed and finished
    # The one write: the refusal kept as the key's first answer, for a replay.
    kinds = {"postgresql": ["WITH"], "sqlite": ["SELECT", "INSERT"]}[connection.vendor]
    assert [q["sql"].split()[0] for q in captured.captured_queries] == kinds
    assert 'INSERT INTO "core_idempotencyrecord"' in captured.captured_queries[-1]["sql"]
    assert Booking.objects.count() == 0
    assert DailyCapacity.objects.get(pk=row.pk).taken == row.capacity - 1


def test_a_check_in_through_the_api_costs_the_same_for_2_visitors_as_for_4(
    experience: Experience, django_assert_num_queries: Any
) -> None:
    from ewtp.tourism.services.gate import voucher_token

    ranger = Client()
    ranger.force_login(make_member(experience.operator, "ranger@parks.rw", "staff"))
    guest = Client()
    tokens = []
    for visitors in (2, 4):
        hold = book_api(guest, experience.slug, body(kigali_today(experience), visitors)).json()
        pay(guest, hold)
        tokens.append(voucher_token(Booking.objects.get(public_id=hold["id"])))
    ranger.post("/api/v1/tourism/checkins", {"token": "warm"}, content_type="application/json")
    vouchers.token_verify(tokens[0])  # the signing key's public half is cached per process
    for token in tokens:
        with django_assert_num_queries(exactly(CHECK_IN)):
            response = ranger.post(
                "/api/v1/tourism/checkins", {"token": token}, content_type="application/json"
            )
        assert response.status_code == 201, response.json()
        assert response.json()["status"] == "checked_in"


def test_the_rows_a_booking_writes_in_its_one_statement(experience: Experience) -> None:
    from ewtp.core.models import AuditLog
    from ewtp.tourism.models import BookingVisitor

    day = future(experience)
    answer = book_api(Client(), experience.slug, body(day, 3)).json()
    booking = Booking.objects.get(public_id=answer["id"])
    assert (booking.status, booking.visit_on, booking.email) == ("held", day, "ann@example.org")
    assert (booking.places, booking.visitor_count, booking.amount_minor) == (3, 3, 3 * 150000)
    assert booking.payment_ref == answer["payment"]["id"]
    rows = BookingVisitor.objects.filter(booking=booking).order_by("position")
    assert [(v.position, v.full_name, v.category, v.tier.code, v.price_minor) for v in rows] == [
        (0, "Ann Lee", "foreign_non_resident", "foreign_non_resident", 150000),
        (1, "Bo Kim", "foreign_non_resident", "foreign_non_resident", 150000),
        (2, "Cy Ray", "foreign_non_resident", "foreign_non_resident", 150000),
    ]
    entry = AuditLog.objects.get(action="tourism.booking.held")
    assert (entry.target_type, entry.target_id) == ("tourism.Booking", str(booking.public_id))
    assert entry.organisation_ref == str(experience.operator.public_id)
    assert entry.data == {"date": day.isoformat(), "places": 3}
    assert (entry.actor_id, entry.actor_label) == (None, "system")
    assert entry.created_at == booking.created_at
