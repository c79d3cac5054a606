"""The tourism API as interfaces.md fixes it: experiences, availability, bookings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ewtp.core.models import IdempotencyRecord
from ewtp.payments.models import Payment
from ewtp.tourism.models import Booking, BookingVisitor, DailyCapacity
from ewtp.tourism.services import capacity, holds
from ewtp.tourism.tests.factories import (
    book_api,
    future,
    kigali_today,
    make_experience,
    make_member,
    transactional,
    visitor,
    visitor_json,
)

AVAILABILITY = "/api/v1/tourism/experiences/{}/availability?from={}&to={}"


@pytest.mark.django_db
def test_experiences_are_listed_with_paging(experience) -> None:  # type: ignore[no-untyped-def]
    body = Client().get("/api/v1/tourism/experiences").json()
    assert body["page"] == 1 and body["pages"] == 1 and body["total"] == 1
    item = body["items"][0]
    assert {k: item[k] for k in ("slug", "title", "operator", "park", "default_capacity")} == {
        "slug": "gorillas",
        "title": "Experience gorillas",
        "operator": "Rwanda Parks and Experiences",
        "park": "Volcanoes National Park",
        "default_capacity": 96,
    }
    assert Client().get("/api/v1/tourism/experiences/nope").status_code == 404
    # Past the last page: no items under the page asked for, so that a client stops there.
    past = Client().get("/api/v1/tourism/experiences", {"page": 2}).json()
    assert (past["items"], past["page"], past["pages"], past["total"]) == ([], 2, 1, 1)


@pytest.mark.django_db
def test_availability_of_a_range_is_one_query_and_exact(experience) -> None:  # type: ignore[no-untyped-def]
    start = future(experience)
    owner = make_member(experience.operator, "owner@parks.rw", "owner")
    capacity.capacity_exception_set(
        experience=experience, visit_on=start + timedelta(days=1), actor=owner, is_closed=True
    )
    holds.booking_hold(
        experience=experience,
        visit_on=start,
        email="a@x.org",
        visitors=[visitor(), visitor(name="Bo")],
        start_payment=False,
    )
    end = start + timedelta(days=91)
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(AVAILABILITY.format("gorillas", start, end))
    assert response.status_code == 200
    days = response.json()
    assert len(days) == 92
    assert days[0] == {
        "date": start.isoformat(),
        "capacity": 96,
        "remaining": 94,
        "prices": [
            {"category": "foreign_non_resident", "price": {"amount": "1500.00", "currency": "USD"}},
            {"category": "foreign_resident", "price": {"amount": "500.00", "currency": "USD"}},
            {"category": "eac_citizen", "price": {"amount": "200.00", "currency": "USD"}},
        ],
    }
    assert (days[1]["capacity"], days[1]["remaining"]) == (96, 0)  # closed
    assert (days[2]["capacity"], days[2]["remaining"]) == (96, 96)  # no row yet: the default
    capacity_queries = [q for q in queries.captured_queries if "tourism_dailycapacity" in q["sql"]]
    assert len(capacity_queries) == 1
    assert len(queries.captured_queries) <= 7


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-13-01&to=2026-12-31", "from"),
        ("from=2026-01-01&to=tomorrow", "to"),
        ("to=2026-01-01", "from"),
        ("from=2026-03-10&to=2026-03-01", "to"),
        ("from=2026-01-01&to=2026-04-03", "to"),  # 93 days: 92 is the most
    ],
)
def test_bad_dates_are_422(experience, query, field) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(f"/api/v1/tourism/experiences/gorillas/availability?{query}")
    assert response.status_code == 422
    assert field in response.json()["fields"]
    assert response.json()["code"] in {"invalid_request", "invalid_range"}


@pytest.mark.django_db
def test_rule_errors_have_the_error_shape_and_write_nothing(experience) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    day = future(experience)
    young = (day - timedelta(days=14 * 365)).isoformat()
    cases = [
        (
            {"visitors": [visitor_json(birth_date=young)]},
            "under_minimum_age",
            "visitors.0.birth_date",
        ),
        ({"visitors": [visitor_json(category="vip")]}, "unknown_category", "visitors.0.category"),
        (
            {"date": (kigali_today(experience) - timedelta(days=1)).isoformat()},
            "date_in_past",
            "date",
        ),
        (
            {"visitors": [visitor_json(name=f"V{i}") for i in range(9)]},
            "too_many_visitors",
            "visitors",
        ),
        ({"date": "2026-02-30"}, "invalid_request", "date"),
    ]
    for change, code, field in cases:
        body = {"date": day.isoformat(), "email": "a@x.org", "visitors": [visitor_json()]} | change
        response = book_api(client, "gorillas", body)
        assert response.status_code == 422, (code, response.json())
        assert response.json()["code"] == code
        assert field in response.json()["fields"]
        assert response.json()["message"]
    missing_key = client.post(
        "/api/v1/tourism/experiences/gorillas/bookings", data={}, content_type="application/json"
    )
    assert missing_key.status_code == 422
    assert Booking.objects.count() == 0 and DailyCapacity.objects.filter(taken__gt=0).count() == 0


@transactional
def test_booking_is_201_held_replayed_once_and_409_when_sold_out(experience) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    day = future(experience)
    body = {
        "date": day.isoformat(),
        "email": "ann@example.org",
        "visitors": [visitor_json(), visitor_json("eac_citizen", "Bo Kim", "UG")],
    }
    first = book_api(client, "gorillas", body, key="key-1")
    assert first.status_code == 201
    held = first.json()
    assert held["status"] == "held"
    assert held["expires_at"]
    assert held["payment"]["provider"] == "sandbox"
    assert held["payment"]["status"] == "pending"
    assert held["payment"]["amount"] == {"amount": "1700.00", "currency": "USD"}
    assert held["payment"]["approve_url"].startswith("http://testserver/pay/sandbox/")
    assert held["booking_url"].startswith("http://testserver/visit/bookings/")

    replay = book_api(client, "gorillas", body, key="key-1")
    assert (replay.status_code, replay.json()) == (201, held)
    assert Booking.objects.count() == 1 and Payment.objects.count() == 1
    assert DailyCapacity.objects.get(visit_on=day).taken == 2
    reused = book_api(client, "gorillas", body | {"email": "other@example.org"}, key="key-1")
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")

    token = held["booking_url"].split("t=")[1]
    seen = client.get(f"/api/v1/tourism/bookings/{held['id']}?token={token}").json()
    assert (seen["status"], seen["places"], seen["amount"]["amount"]) == ("held", 2, "1700.00")
    assert client.get(f"/api/v1/tourism/bookings/{held['id']}?token=wrong").status_code == 404

    cancel = client.post(f"/api/v1/tourism/bookings/{held['id']}/cancel?token={token}")
    assert cancel.json()["status"] == "cancelled"
    assert DailyCapacity.objects.get(visit_on=day).taken == 0

    # Sold out: 409 with what remains, and the same answer on a replay.
    owner = make_member(experience.operator, "owner@parks.rw", "owner")
    capacity.capacity_exception_set(experience=experience, visit_on=day, actor=owner, capacity=3)
    two = {
        "date": day.isoformat(),
        "email": "a@x.org",
        "visitors": [visitor_json(name="A"), visitor_json(name="B")],
    }
    assert book_api(client, "gorillas", two).status_code == 201
    full = book_api(client, "gorillas", two | {"email": "b@x.org"}, key="late")
    assert full.status_code == 409
    assert full.json() == {
        "code": "sold_out",
        "message": "Not enough places left on this date.",
        "remaining": 1,
    }
    assert (
        book_api(client, "gorillas", two | {"email": "b@x.org"}, key="late").json() == full.json()
    )
    assert Booking.objects.filter(status="held").count() == 1
    assert BookingVisitor.objects.count() == 4  # the cancelled booking's two and these two
    # The refusal is answered before any rule or price, and kept as the key's first answer.
    assert IdempotencyRecord.objects.filter(response_status=409).count() == 1


@transactional
def test_a_replay_on_a_day_sold_out_since_returns_the_first_answer(experience) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    day = future(experience)
    owner = make_member(experience.operator, "owner@parks.rw", "owner")
    capacity.capacity_exception_set(experience=experience, visit_on=day, actor=owner, capacity=2)
    body = {
        "date": day.isoformat(),
        "email": "ann@example.org",
        "visitors": [visitor_json(name="A"), visitor_json(name="B")],
    }
    first = book_api(client, "gorillas", body, key="first")
    assert first.status_code == 201
    # The day is full now; the same key still gets its first answer, a new key the refusal.
    assert book_api(client, "gorillas", body, key="first").json() == first.json()
    refused = book_api(client, "gorillas", body | {"email": "bo@example.org"}, key="second")
    assert (refused.status_code, refused.json()["remaining"]) == (409, 0)
    # Places given back: the refused key replays its refusal (the contract: a replay returns
    # the first answer); a new key books.
    cancel = client.post(
        f"/api/v1/tourism/bookings/{first.json()['id']}/cancel?"
        f"token={first.json()['booking_url'].split('t=')[1]}"
    )
    assert cancel.json()["status"] == "cancelled"
    replay = book_api(client, "gorillas", body | {"email": "bo@example.org"}, key="second")
    assert (replay.status_code, replay.json()) == (409, refused.json())
    again = book_api(client, "gorillas", body | {"email": "bo@example.org"}, key="third")
    assert again.status_code == 201
    assert book_api(client, "gorillas", body, key="first").json() == first.json()
    assert DailyCapacity.objects.get(visit_on=day).taken == 2


SOLD_OUT = "Not enough places left on this date."
CLOSED = "This date is closed."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "days", "whole_group", "answer", "statements_on_postgresql"),
    [
        ("visitors", 40, False, (409, {"code": "sold_out", "message": SOLD_OUT, "remaining": 1}), 1),
        ("closed", 40, False, (422, {"code": "date_closed", "message": CLOSED, "fields": {"date": CLOSED}}), 1),
        ("groups", 40, False, (409, {"code": "sold_out", "message": SOLD_OUT, "remaining": 0}), 1),
        ("whole group", 40, True, (409, {"code": "sold_out", "message": SOLD_OUT, "remaining": 6}), 1),
        # Tomorrow a date rule of the park's zone might answer first: read, then keep.
        ("visitors", 1, False, (409, {"code": "sold_out", "message": SOLD_OUT, "remaining": 1}), 2),
    ],
)  # fmt: skip
def test_an_early_refusal_keeps_exactly_the_answer_it_gives(
    case: str,
    days: int,
    whole_group: bool,
    answer: tuple[int, dict[str, object]],
    statements_on_postgresql: int,
) -> None:
    """On PostgreSQL the read keeps the refusal in the same statement: what it keeps is what
    the request is answered, and what a replay gets."""
    if case == "groups":
        experience = make_experience(slug="akagera", unit="groups", capacity=1, group_size=6)
    else:
        experience = make_experience(capacity=10, group_size=8, group_price_minor=1500000)
    day = future(experience, days)
    row = capacity.capacity_row(experience, day)
    if case == "closed":
        owner = make_member(experience.operator, "owner@parks.rw", "owner")
        capacity.capacity_exception_set(
            experience=experience, visit_on=day, actor=owner, is_closed=True
        )
    else:
        taken = {"visitors": 9, "groups": 1, "whole group": 4}[case]
        DailyCapacity.objects.filter(pk=row.pk).update(taken=taken)
    body = {
        "date": day.isoformat(),
        "email": "ann@example.org",
        "visitors": [visitor_json(name="A"), visitor_json(name="B")],
        "whole_group": whole_group,
    }
    with CaptureQueriesContext(connection) as captured:
        refused = book_api(Client(), experience.slug, body, key="k")
    statements = {"postgresql": statements_on_postgresql, "sqlite": 2}[connection.vendor]
    assert len(captured.captured_queries) == statements
    assert (refused.status_code, refused.json()) == answer
    kept = IdempotencyRecord.objects.get(key="k")
    assert (kept.state, kept.response_status, kept.response_body) == ("done", *answer)
    replay = book_api(Client(), experience.slug, body, key="k")
    assert (replay.status_code, replay.json()) == answer
    assert Booking.objects.count() == 0


@transactional
def test_without_a_payment_provider_booking_says_so_and_holds_no_place(
    experience, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_PAYMENT_PROVIDERS = []
    day = future(experience)
    body = {"date": day.isoformat(), "email": "ann@example.org", "visitors": [visitor_json()]}
    answer = book_api(Client(), "gorillas", body, key="key-1")
    assert (answer.status_code, answer.json()["code"]) == (503, "no_payment_provider")
    assert "No payment provider is configured" in answer.json()["message"]
    assert Booking.objects.count() == 0
    assert Payment.objects.count() == 0
    assert not DailyCapacity.objects.filter(visit_on=day, taken__gt=0).exists()
