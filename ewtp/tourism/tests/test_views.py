"""Pages: experiences and their calendar, the booking form, the guest's booking page and
voucher PDF, the operator's dashboard, the gate."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from pypdf import PdfReader

from ewtp.tourism.models import Booking, CheckIn, DailyCapacity
from ewtp.tourism.services import access, capacity, holds
from ewtp.tourism.services.gate import voucher_token
from ewtp.tourism.tests.factories import (
    future,
    kigali_today,
    make_member,
    make_operator,
    transactional,
    visitor,
)


@pytest.mark.django_db
def test_experience_list_and_page_with_its_calendar(experience) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    listing = client.get("/visit/")
    assert listing.status_code == 200
    assert "Experience gorillas" in listing.content.decode()
    page = client.get("/visit/gorillas/").content.decode()
    today = kigali_today(experience)
    assert 'data-testid="calendar"' in page
    assert "Passport" in page and "$1,500.00" in page
    tomorrow = today + timedelta(days=1)
    if tomorrow.month == today.month:
        assert f'href="/visit/gorillas/book/?date={tomorrow.isoformat()}"' in page
    next_month = (today.replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
    partial = client.get(
        f"/visit/gorillas/calendar/?month={next_month}", headers={"HX-Request": "true"}
    )
    body = partial.content.decode()
    assert partial.status_code == 200
    assert body.lstrip().startswith('<div id="calendar"')
    assert "<html" not in body
    assert client.get("/visit/nope/").status_code == 404


@pytest.mark.django_db
def test_french_texts_and_closed_or_sold_out_days(experience) -> None:  # type: ignore[no-untyped-def]
    experience.translations.create(language="fr", title="Trek des gorilles")
    page = Client(headers={"Accept-Language": "fr"}).get("/visit/gorillas/")
    assert "Trek des gorilles" in page.content.decode()
    owner = make_member(experience.operator, "owner@parks.rw", "owner")
    day = future(experience, 3)
    capacity.capacity_exception_set(
        experience=experience, visit_on=day, actor=owner, is_closed=True
    )
    page = Client().get(f"/visit/gorillas/?month={day:%Y-%m}").content.decode()
    assert f"?date={day.isoformat()}" not in page


@pytest.mark.django_db
def test_the_booking_form_adds_and_removes_visitor_rows_and_shows_errors(experience) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    day = future(experience).isoformat()
    form = client.get(f"/visit/gorillas/book/?date={day}").content.decode()
    assert "96 places left on this date" in form
    data = {
        "date": day,
        "email": "ann@example.org",
        "rows": "1",
        "form_key": "k1",
        "v0-category": "foreign_non_resident",
        "v0-full_name": "Ann Lee",
        "v0-nationality": "FR",
        "v0-birth_date": "1990-01-01",
        "v0-document_number": "P1",
    }
    added = client.post("/visit/gorillas/book/", data | {"action": "add"}).content.decode()
    assert 'data-testid="visitor-1"' in added and 'value="Ann Lee"' in added
    two = data | {
        "rows": "2",
        "v1-full_name": "Young One",
        "v1-category": "foreign_resident",
        "v1-nationality": "DE",
        "v1-birth_date": f"{future(experience).year - 10}-01-01",
        "v1-document_number": "P2",
    }
    removed = client.post("/visit/gorillas/book/", two | {"action": "remove-0"}).content.decode()
    assert 'value="Young One"' in removed and 'value="Ann Lee"' not in removed
    refused = client.post("/visit/gorillas/book/", two | {"action": "book"})
    assert refused.status_code == 422
    assert "the minimum age is 15" in refused.content.decode()
    assert Booking.objects.count() == 0
    partial = client.post(
        "/visit/gorillas/book/", data | {"action": "add"}, headers={"HX-Request": "true"}
    )
    assert partial.content.decode().lstrip().startswith('<form id="booking-form"')


@transactional
def test_book_pay_and_download_the_voucher_through_the_pages(experience) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    day = future(experience, 40).isoformat()
    data = {
        "date": day,
        "email": "ann@example.org",
        "rows": "1",
        "form_key": "form-1",
        "action": "book",
        "v0-category": "foreign_non_resident",
        "v0-full_name": "Ann Lee",
        "v0-nationality": "FR",
        "v0-birth_date": "1990-01-01",
        "v0-document_number": "P1",
    }
    response = client.post("/visit/gorillas/book/", data)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert response["Location"] == access.booking_url(booking)
    again = client.post("/visit/gorillas/book/", data)  # a double submit: the same booking
    assert again["Location"] == response["Location"] and Booking.objects.count() == 1

    held = client.get(response["Location"]).content.decode()
    assert 'data-testid="countdown"' in held and f"/pay/sandbox/{booking.payment_ref}/" in held
    assert client.get(f"/visit/bookings/{booking.public_id}/").status_code == 404  # no token
    by_api_name = client.get(  # the API's name for the token opens the page too
        f"/visit/bookings/{booking.public_id}/",
        {"token": access.booking_access_token(booking)},
    )
    assert by_api_name.status_code == 200
    polled = client.get(
        response["Location"], headers={"X-Status-Check": "held", "HX-Request": "true"}
    )
    assert polled.status_code == 204
    client.post(f"/pay/sandbox/{booking.payment_ref}/", {"decision": "approve"})
    polled = client.get(response["Location"], headers={"X-Status-Check": "held"})
    assert polled["HX-Refresh"] == "true"
    confirmed = client.get(response["Location"]).content.decode()
    assert 'data-testid="voucher"' in confirmed and "<svg" in confirmed
    assert "refunds 100%" in confirmed

    pdf = client.get(
        f"/visit/bookings/{booking.public_id}/voucher.pdf?t={access.booking_access_token(booking)}"
    )
    assert pdf["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert booking.code in text and "Ann Lee" in text

    cancelled = client.post(
        f"/visit/bookings/{booking.public_id}/",
        {"action": "cancel", "t": access.booking_access_token(booking)},
    )
    assert cancelled.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.refunded_minor) == ("cancelled", 150000)


@transactional
def test_dashboard_and_gate_for_the_operator_only(experience) -> None:  # type: ignore[no-untyped-def]
    guest = Client()
    today = kigali_today(experience)
    data = {
        "date": today.isoformat(),
        "email": "ann@example.org",
        "rows": "1",
        "form_key": "f",
        "action": "book",
        "v0-category": "foreign_non_resident",
        "v0-full_name": "Ann Lee",
        "v0-nationality": "FR",
        "v0-birth_date": "1990-01-01",
        "v0-document_number": "P1",
    }
    guest.post("/visit/gorillas/book/", data)
    booking = Booking.objects.get()
    guest.post(f"/pay/sandbox/{booking.payment_ref}/", {"decision": "approve"})
    booking.refresh_from_db()
    holds.booking_hold(
        experience=experience,
        visit_on=today,
        email="b@x.org",
        visitors=[visitor(), visitor(name="Bo")],
        start_payment=False,
    )

    assert guest.get("/visit/operator/").status_code == 302  # to the log-in
    owner = Client()
    owner.force_login(make_member(experience.operator, "owner@parks.rw", "owner"))
    page = owner.get(f"/visit/operator/?experience=gorillas&month={today:%Y-%m}")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="bookings">1<' in html
    assert "$1,500.00" in html  # revenue
    assert 'data-testid="community-share">$150.00<' in html
    assert 'data-testid="operator-share">$1,275.00<' in html
    assert f'data-testid="day-{today.isoformat()}"' in html and "3 / 96" in html
    closed = future(experience, 10)
    saved = owner.post(
        "/visit/operator/?experience=gorillas",
        {"date": closed.isoformat(), "closed": "on", "note": "Census"},
    )
    assert saved.status_code == 302
    assert DailyCapacity.objects.get(visit_on=closed).is_closed

    outsider = Client()
    outsider.force_login(make_member(make_operator("other"), "x@other.rw"))
    assert outsider.get("/visit/operator/").status_code == 403
    refused = outsider.post("/visit/gate/", {"token": voucher_token(booking)})
    assert "another operator" in refused.content.decode()
    visitor_only = Client()
    visitor_only.force_login(make_member(make_operator("shop", kind="seller"), "s@shop.rw"))
    assert visitor_only.get("/visit/gate/").status_code == 403

    gate = Client()
    gate.force_login(make_member(experience.operator, "ranger@parks.rw", "staff"))
    token = voucher_token(booking)
    first = gate.post("/visit/gate/", {"token": token}).content.decode()
    assert 'data-testid="gate-ok"' in first and "Ann Lee" in first and "Passport" in first
    second = gate.post("/visit/gate/", {"token": token}, headers={"HX-Request": "true"})
    assert "Already checked in at" in second.content.decode()
    assert second.content.decode().lstrip().startswith('<div id="result"')
    assert CheckIn.objects.count() == 1


@pytest.mark.django_db
def test_an_overdue_hold_is_released_when_its_page_is_seen(experience) -> None:  # type: ignore[no-untyped-def]
    booking = holds.booking_hold(
        experience=experience,
        visit_on=future(experience),
        email="a@x.org",
        visitors=[visitor()],
        start_payment=False,
    )
    Booking.objects.filter(pk=booking.pk).update(expires_at=booking.created_at)
    polled = Client().get(access.booking_url(booking), headers={"X-Status-Check": "held"})
    assert polled["HX-Refresh"] == "true"
    page = Client().get(access.booking_url(booking)).content.decode()
    assert "This hold expired before it was paid" in page
    assert DailyCapacity.objects.get(visit_on=booking.visit_on).taken == 0


def _pay(guest: Client, booking: Booking) -> Booking:
    """Approve in the sandbox; its webhook (after commit) confirms the booking at once."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        guest.post(f"/pay/sandbox/{booking.payment_ref}/", {"decision": "approve"})
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    return booking


def _form(day: str, **rows: str) -> dict[str, str]:
    data = {
        "date": day,
        "email": "ann@example.org",
        "rows": "1",
        "action": "book",
        "v0-category": "foreign_non_resident",
        "v0-full_name": "Ann Lee",
        "v0-nationality": "FR",
        "v0-birth_date": "1990-01-01",
        "v0-document_number": "P1",
    }
    return data | rows


@pytest.mark.django_db
def test_a_corrected_booking_form_is_accepted_on_the_next_submit(experience) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    day = future(experience).isoformat()
    first_key = client.get(f"/visit/gorillas/book/?date={day}").context["form_key"]
    wrong = _form(day, form_key=first_key, **{"v0-nationality": "XX", "v0-document_number": ""})
    refused = client.post("/visit/gorillas/book/", wrong)
    assert refused.status_code == 422
    html = refused.content.decode()
    # Every problem at once, not one per round.
    assert "Nationality must be an ISO country code." in html
    assert "Give the number of the document." in html
    assert "Please correct the 2 problems marked below." in html
    # The form shown again is a new attempt with a new key; a double click of the wrong
    # state replays the same refusal and books nothing.
    next_key = refused.context["form_key"]
    assert next_key != first_key
    assert client.post("/visit/gorillas/book/", wrong).status_code == 422
    assert Booking.objects.count() == 0

    corrected = _form(day, form_key=next_key)
    accepted = client.post("/visit/gorillas/book/", corrected)
    assert accepted.status_code == 302
    booking = Booking.objects.get()
    assert accepted["Location"] == access.booking_url(booking)
    # The same corrected state sent twice (a double click) holds the places once.
    twice = client.post("/visit/gorillas/book/", corrected)
    assert (twice.status_code, twice["Location"]) == (302, accepted["Location"])
    assert Booking.objects.count() == 1
    assert DailyCapacity.objects.get(visit_on=day).taken == 1


@pytest.mark.django_db
def test_a_form_without_a_date_still_shows_every_other_problem(experience) -> None:  # type: ignore[no-untyped-def]
    data = _form("", form_key="k", email="not-an-email", **{"v0-full_name": ""})
    refused = Client().post("/visit/gorillas/book/", data)
    html = refused.content.decode()
    assert refused.status_code == 422
    assert "Pick a date on the calendar." in html
    assert "Give a valid email address." in html
    assert "Give the visitor&#x27;s full name." in html
    assert Booking.objects.count() == 0


@pytest.mark.django_db
def test_todays_date_is_refused_once_the_experience_has_started_in_its_time_zone(  # type: ignore[no-untyped-def]
    experience, monkeypatch
) -> None:
    from datetime import UTC, datetime, time

    from ewtp.core import clock

    experience.starts_at_local = time(7, 0)
    experience.time_zone = "Africa/Kigali"  # UTC+2
    experience.save()
    # 06:30 in Kigali (04:30 UTC): today may still be booked.
    monkeypatch.setattr(clock, "now", lambda: datetime(2027, 3, 10, 4, 30, tzinfo=UTC))
    early = Client().post("/visit/gorillas/book/", _form("2027-03-10", form_key="a"))
    assert early.status_code == 302
    # 07:00 in Kigali (05:00 UTC): today's visit has started; the next day is open.
    monkeypatch.setattr(clock, "now", lambda: datetime(2027, 3, 10, 5, 0, tzinfo=UTC))
    late = Client().post("/visit/gorillas/book/", _form("2027-03-10", form_key="b"))
    assert late.status_code == 422
    assert (
        "Today&#x27;s visit started at 07:00 (Africa/Kigali time): bookings for today are "
        "closed. Choose another date." in late.content.decode()
    )
    assert Booking.objects.count() == 1
    calendar = Client().get("/visit/gorillas/?month=2027-03").content.decode()
    assert "?date=2027-03-10" not in calendar and "?date=2027-03-11" in calendar
    tomorrow = Client().post("/visit/gorillas/book/", _form("2027-03-11", form_key="c"))
    assert tomorrow.status_code == 302
    # Another experience in another zone keeps its own clock: 07:00 in Kigali is 08:00 in
    # Nairobi, and an experience starting at 09:00 there still sells today.
    experience.time_zone = "Africa/Nairobi"
    experience.starts_at_local = time(9, 0)
    experience.save()
    still_open = Client().post("/visit/gorillas/book/", _form("2027-03-10", form_key="d"))
    assert still_open.status_code == 302


@pytest.mark.django_db
def test_the_all_parks_dashboard_shows_today_per_experience(experience) -> None:  # type: ignore[no-untyped-def]
    from ewtp.tourism.tests.factories import make_experience, make_park

    nyungwe = make_experience(
        slug="canopy", park=make_park("nyungwe", "Nyungwe National Park"), capacity=40
    )
    today = kigali_today(experience)
    guest = Client()
    for slug, names in (("gorillas", ["Ann Lee"]), ("canopy", ["Bo Kim"]), ("canopy", ["Cy"])):
        rows = {"v0-full_name": names[0]}
        guest.post(f"/visit/{slug}/book/", _form(today.isoformat(), form_key=names[0], **rows))
    bookings = list(Booking.objects.order_by("pk"))
    for booking in bookings[:2]:
        _pay(guest, booking)
    ranger = Client()
    ranger.force_login(make_member(experience.operator, "ranger@parks.rw", "staff"))
    ranger.post("/visit/gate/", {"token": voucher_token(Booking.objects.get(pk=bookings[1].pk))})

    owner = Client()
    owner.force_login(make_member(experience.operator, "owner@parks.rw", "owner"))
    page = owner.get("/visit/operator/today/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="sold-gorillas">1 / 96<' in html
    assert 'data-testid="checked-in-gorillas">0 / 1<' in html
    assert 'data-testid="revenue-gorillas">$1,500.00<' in html
    assert 'data-testid="community-gorillas">$150.00<' in html
    assert 'data-testid="sold-canopy">1 / 40 <span class="muted">(1 held)</span><' in html
    assert 'data-testid="checked-in-canopy">1 / 1<' in html
    assert 'data-testid="revenue-canopy">$1,500.00<' in html
    assert 'data-testid="total-revenue-USD">$3,000.00<' in html
    assert nyungwe.park.name in html
    outsider = Client()
    outsider.force_login(make_member(make_operator("other"), "x@other.rw"))
    assert outsider.get("/visit/operator/today/").status_code == 403


@pytest.mark.django_db
def test_a_gate_only_member_sees_the_check_in_page_and_nothing_else(experience) -> None:  # type: ignore[no-untyped-def]
    guest = Client()
    guest.post("/visit/gorillas/book/", _form(kigali_today(experience).isoformat(), form_key="g"))
    booking = _pay(guest, Booking.objects.get())
    gate = Client()
    gate.force_login(make_member(experience.operator, "gate@parks.rw", "gate"))
    assert gate.get("/visit/gate/").status_code == 200
    checked = gate.post("/visit/gate/", {"token": voucher_token(booking)}).content.decode()
    assert 'data-testid="gate-ok"' in checked
    assert CheckIn.objects.count() == 1
    for address in (
        "/visit/operator/",
        "/visit/operator/today/",
        f"/visit/operator/?experience=gorillas&month={booking.visit_on:%Y-%m}",
    ):
        assert gate.get(address).status_code == 403, address
    assert gate.post("/visit/operator/", {"date": "2030-01-01", "closed": "on"}).status_code == 403
    assert gate.get(f"/visit/bookings/{booking.public_id}/").status_code == 404
    assert gate.get(f"/visit/bookings/{booking.public_id}/voucher.pdf").status_code == 404
    assert gate.get(f"/api/v1/tourism/bookings/{booking.public_id}").status_code == 404
    assert not DailyCapacity.objects.filter(is_exception=True).exists()
