"""Holding places: the rules, capacity taken once and never oversold, expiry, bundles,
exceptions, payment outcomes, cancellation with refunds, date changes."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client

from ewtp.core import clock
from ewtp.core.errors import DomainError
from ewtp.core.models import AuditLog
from ewtp.ledger.models import Account, Posting
from ewtp.ledger.services import ledger_verify
from ewtp.payments import sandbox
from ewtp.payments.models import Payment, Refund
from ewtp.tourism.models import (
    Booking,
    BookingRefund,
    BookingVisitor,
    BundleDiscount,
    DailyCapacity,
    WeekdayCapacity,
)
from ewtp.tourism.services import access, capacity, changes, holds
from ewtp.tourism.services.gate import voucher_token
from ewtp.tourism.tests.factories import (
    book_api,
    future,
    kigali_today,
    make_experience,
    make_member,
    make_park,
    pay,
    transactional,
    visitor,
    visitor_json,
)


def hold(experience, visit_on, visitors, email="ann@example.org", **kwargs):  # type: ignore[no-untyped-def]
    return holds.booking_hold(
        experience=experience,
        visit_on=visit_on,
        email=email,
        visitors=visitors,
        start_payment=False,
        **kwargs,
    )


def assert_nothing_written() -> None:
    assert Booking.objects.count() == 0
    assert BookingVisitor.objects.count() == 0
    assert sum(DailyCapacity.objects.values_list("taken", flat=True)) == 0


@pytest.mark.django_db
def test_a_hold_takes_places_and_prices_the_visitors(experience) -> None:  # type: ignore[no-untyped-def]
    day = future(experience)
    booking = hold(
        experience,
        day,
        [visitor(), visitor("eac_citizen", "Bo Kim", "KE")],
        email=" Ann@Example.org ",
    )
    assert booking.status == "held"
    assert booking.email == "ann@example.org"
    assert (booking.places, booking.visitor_count) == (2, 2)
    assert booking.amount_minor == 150000 + 20000
    assert booking.expires_at == booking.created_at + timedelta(minutes=20)
    row = DailyCapacity.objects.get(experience=experience, visit_on=day)
    assert (row.capacity, row.taken) == (96, 2)
    assert list(booking.visitors.values_list("category", "price_minor")) == [
        ("foreign_non_resident", 150000),
        ("eac_citizen", 20000),
    ]
    assert AuditLog.objects.filter(action="tourism.booking.held").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"birth_date": "young"}, "under_minimum_age", "visitors.0.birth_date"),
        ({"category": "vip"}, "unknown_category", "visitors.0.category"),
        ({"category": "eac_citizen"}, "category_not_eligible", "visitors.0.category"),
        ({"nationality": "XX"}, "invalid_request", "visitors.0.nationality"),
        ({"full_name": " "}, "invalid_request", "visitors.0.full_name"),
    ],
)
def test_a_broken_rule_is_a_clear_error_and_writes_nothing(experience, change, code, field) -> None:  # type: ignore[no-untyped-def]
    day = future(experience)
    values = {
        "category": "foreign_non_resident",
        "full_name": "Ann Lee",
        "nationality": "FR",
        "birth_date": date(1990, 1, 1),
        "document_number": "P1",
    }
    values.update(change)
    if values["birth_date"] == "young":  # 15 the day after the trek, in the park's zone
        values["birth_date"] = day.replace(year=day.year - 15) + timedelta(days=1)
    with pytest.raises(DomainError) as caught:
        hold(experience, day, [holds.VisitorIn(**values)])
    assert caught.value.code == code
    assert caught.value.http_status == 422
    assert field in caught.value.fields
    assert_nothing_written()


@pytest.mark.django_db
def test_fifteen_on_the_day_of_the_trek_is_old_enough(experience) -> None:  # type: ignore[no-untyped-def]
    day = future(experience)
    birthday = day.replace(year=day.year - 15)
    booking = hold(experience, day, [visitor(birth_date=birthday)])
    assert booking.status == "held"


@pytest.mark.django_db
def test_dates_past_closed_or_too_far_and_too_many_visitors(experience) -> None:  # type: ignore[no-untyped-def]
    today = kigali_today(experience)
    with pytest.raises(DomainError) as past:
        hold(experience, today - timedelta(days=1), [visitor()])
    assert past.value.code == "date_in_past"
    with pytest.raises(DomainError) as far:
        hold(experience, today + timedelta(days=800), [visitor()])
    assert far.value.code == "date_too_far"
    with pytest.raises(DomainError) as many:
        hold(experience, future(experience), [visitor(name=f"V{i}") for i in range(9)])
    assert many.value.code == "too_many_visitors"
    owner = make_member(experience.operator, "owner@parks.rw", "owner")
    closed = future(experience, 50)
    capacity.capacity_exception_set(
        experience=experience, visit_on=closed, actor=owner, is_closed=True, note="Census"
    )
    with pytest.raises(DomainError) as shut:
        hold(experience, closed, [visitor()])
    assert (shut.value.code, shut.value.http_status) == ("date_closed", 422)
    assert Booking.objects.count() == 0


@pytest.mark.django_db
def test_sold_out_is_409_with_what_remains_and_takes_nothing(experience) -> None:  # type: ignore[no-untyped-def]
    day = future(experience)
    owner = make_member(experience.operator, "owner@parks.rw", "owner")
    capacity.capacity_exception_set(experience=experience, visit_on=day, actor=owner, capacity=5)
    hold(experience, day, [visitor(name=f"A{i}") for i in range(3)])
    with pytest.raises(DomainError) as caught:
        hold(experience, day, [visitor(name=f"B{i}") for i in range(3)], email="b@example.org")
    assert caught.value.code == "sold_out"
    assert caught.value.http_status == 409
    assert caught.value.as_dict()["remaining"] == 2
    assert DailyCapacity.objects.get(visit_on=day).taken == 3
    assert Booking.objects.count() == 1
    hold(experience, day, [visitor(name="C0"), visitor(name="C1")], email="c@example.org")
    assert DailyCapacity.objects.get(visit_on=day).taken == 5


@pytest.mark.django_db
def test_capacity_per_weekday_and_exceptions(experience) -> None:  # type: ignore[no-untyped-def]
    owner = make_member(experience.operator, "owner@parks.rw", "owner")
    day = future(experience)
    capacity.weekday_capacity_set(
        experience=experience, weekday=day.weekday(), capacity=80, actor=owner
    )
    assert WeekdayCapacity.objects.get().capacity == 80
    hold(experience, day, [visitor()])
    assert DailyCapacity.objects.get(visit_on=day).capacity == 80
    with pytest.raises(DomainError) as below:
        capacity.capacity_exception_set(
            experience=experience, visit_on=day, actor=owner, capacity=0
        )
    assert below.value.code == "capacity_below_taken"
    staff = make_member(experience.operator, "gate@parks.rw", "staff")
    with pytest.raises(DomainError) as denied:
        capacity.capacity_exception_set(
            experience=experience, visit_on=day, actor=staff, capacity=90
        )
    assert denied.value.code == "permission_denied"


@pytest.mark.django_db
def test_expired_holds_return_their_places(experience) -> None:  # type: ignore[no-untyped-def]
    day = future(experience)
    owner = make_member(experience.operator, "owner@parks.rw", "owner")
    capacity.capacity_exception_set(experience=experience, visit_on=day, actor=owner, capacity=4)
    first = hold(experience, day, [visitor(name=f"A{i}") for i in range(4)])
    Booking.objects.filter(pk=first.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    # A full day whose holds are overdue: the next request expires them and gets the places.
    second = hold(experience, day, [visitor(name="B0"), visitor(name="B1")], email="b@x.org")
    first.refresh_from_db()
    assert first.status == "expired"
    assert second.status == "held"
    assert DailyCapacity.objects.get(visit_on=day).taken == 2
    Booking.objects.filter(pk=second.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    out = io.StringIO()
    call_command("tourism", "expire-holds", stdout=out)
    assert out.getvalue().strip() == "expired holds: 1"
    assert DailyCapacity.objects.get(visit_on=day).taken == 0
    assert holds.holds_expire() == 0  # nothing left, nothing given back twice


@transactional
def test_bundle_discount_counts_only_paid_days_and_is_checked_again_at_payment(experience) -> None:  # type: ignore[no-untyped-def]
    BundleDiscount.objects.create(
        experience=experience,
        name="RDB 3-day bundle",
        rate=Decimal("0.30"),
        minimum_other_days=3,
        categories=["foreign_non_resident"],
    )
    nyungwe = make_experience(
        slug="canopy",
        park=make_park("nyungwe", "Nyungwe"),
        operator=experience.operator,
        minimum_age=6,
    )
    client = Client()
    day = future(experience)
    email = "bundle@example.org"
    other_days = [
        book_api(
            client,
            nyungwe.slug,
            {
                "date": (day + timedelta(days=offset)).isoformat(),
                "email": email,
                "visitors": [visitor_json()],
            },
        ).json()
        for offset in (1, 2, 3)
    ]
    # Three unpaid holds in another park: no discount (they block places and cost nothing).
    unpaid = hold(experience, day, [visitor()], email=email)
    assert (unpaid.discount_minor, unpaid.bundle_discount) == (0, None)
    for held in other_days[:2]:
        assert pay(client, held).status_code == 200
    two_paid = hold(experience, day, [visitor()], email=email)
    assert two_paid.discount_minor == 0
    assert pay(client, other_days[2]).status_code == 200
    body = {
        "date": day.isoformat(),
        "email": email.upper(),
        "visitors": [visitor_json(), visitor_json("eac_citizen", "Bo Kim", "KE")],
    }
    three_days = book_api(client, experience.slug, body).json()
    booking = Booking.objects.get(public_id=three_days["id"])
    assert booking.subtotal_minor == 170000
    assert booking.discount_minor == 45000  # 30% of the foreign non-resident permit only
    assert booking.amount_minor == 125000
    assert booking.bundle_discount is not None

    # One of the paid days is cancelled before the discounted booking is paid: the discount
    # no longer holds, so its payment is refunded and its places given back.
    first = Booking.objects.get(public_id=other_days[0]["id"])
    changes.booking_cancel(booking=first, actor=None, reason="plans changed")
    taken = DailyCapacity.objects.get(experience=experience, visit_on=day).taken
    assert pay(client, three_days).status_code == 200
    booking.refresh_from_db()
    assert booking.status == "payment_failed"
    assert booking.status_reason.startswith("the bundle discount no longer applies")
    assert booking.refunded_minor == 125000
    assert BookingRefund.objects.get(booking=booking).status == "sent"
    assert DailyCapacity.objects.get(experience=experience, visit_on=day).taken == taken - 2
    assert ledger_verify()["balanced"] is True


@pytest.mark.django_db
def test_whole_group_and_group_units() -> None:
    gorillas = make_experience(group_price_minor=1500000)
    day = future(gorillas)
    group = hold(gorillas, day, [visitor(name="A"), visitor(name="B")], is_whole_group=True)
    assert (group.places, group.visitor_count, group.amount_minor) == (8, 2, 1500000)
    assert DailyCapacity.objects.get(experience=gorillas, visit_on=day).taken == 8
    safari = make_experience(
        slug="akagera",
        unit="groups",
        capacity=2,
        group_size=6,
        minimum_age=0,
        operator=gorillas.operator,
    )
    hold(safari, day, [visitor(name=f"S{i}") for i in range(6)])
    hold(safari, day, [visitor(name="T")])
    with pytest.raises(DomainError) as full:
        hold(safari, day, [visitor(name="U")])
    assert (full.value.code, full.value.as_dict()["remaining"]) == ("sold_out", 0)
    with pytest.raises(DomainError) as too_many:
        hold(safari, future(gorillas, 41), [visitor(name=f"S{i}") for i in range(7)])
    assert too_many.value.code == "too_many_visitors"
    with pytest.raises(DomainError) as not_offered:
        hold(safari, future(gorillas, 41), [visitor()], is_whole_group=True)
    assert not_offered.value.code == "whole_group_not_offered"


# With payments: transactional, since the provider is called outside any transaction --------


def _paid_booking(client: Client, experience, day, visitors=None):  # type: ignore[no-untyped-def]
    body = {
        "date": day.isoformat(),
        "email": "ann@example.org",
        "visitors": visitors or [visitor_json(), visitor_json("eac_citizen", "Bo Kim", "KE")],
    }
    held = book_api(client, experience.slug, body)
    assert held.status_code == 201, held.json()
    assert pay(client, held.json()).status_code == 200
    return Booking.objects.get(public_id=held.json()["id"])


def _position(code: str) -> int:
    account = Account.objects.filter(code=code, currency="USD").first()
    return account.position_minor if account else 0


@transactional
def test_payment_confirms_and_splits_exactly_what_was_paid_a_failure_releases(
    experience, mailoutbox
) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    booking = _paid_booking(client, experience, future(experience))
    assert booking.status == "confirmed"
    assert booking.confirmed_at is not None
    paid = Payment.objects.get(public_id=booking.payment_ref).amount_minor
    assert paid == booking.amount_minor == 170000
    operator_code = f"payable:org:{experience.operator.public_id}"
    assert _position(operator_code) == booking.operator_minor == 144500
    # The account payouts read and empty: tour operators get paid.
    from ewtp.payments.payouts import payable_account

    assert payable_account(experience.operator, "USD").position_minor == 144500
    assert _position("community:park:volcanoes") == booking.community_minor == 17000
    assert _position("platform:fees") == booking.fee_minor == 8500
    assert booking.operator_minor + booking.community_minor + booking.fee_minor == paid
    assert _position("clearing:payments") == 0
    assert Posting.objects.filter(kind="tourism.booking.paid").count() == 1
    assert ledger_verify()["balanced"] is True
    [mail] = mailoutbox
    assert booking.code in mail.subject
    assert mail.to == ["ann@example.org"]
    assert access.booking_url(booking) in mail.body

    # A declined payment gives the places back.
    day = future(experience, 41)
    held = book_api(
        client,
        experience.slug,
        {"date": day.isoformat(), "email": "a@x.org", "visitors": [visitor_json()]},
    )
    payment = Payment.objects.get(public_id=held.json()["payment"]["id"])
    sandbox.charge_decide(reference=payment.provider_reference, approve=False)
    declined = Booking.objects.get(public_id=held.json()["id"])
    assert declined.status == "payment_failed"
    assert DailyCapacity.objects.get(visit_on=day).taken == 0
    assert Posting.objects.filter(kind="tourism.booking.paid").count() == 1


@transactional
def test_a_payment_after_the_hold_expired_is_refunded_not_accepted(experience) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    day = future(experience)
    owner = make_member(experience.operator, "owner@parks.rw", "owner")
    capacity.capacity_exception_set(experience=experience, visit_on=day, actor=owner, capacity=1)
    late = book_api(
        client,
        experience.slug,
        {"date": day.isoformat(), "email": "a@x.org", "visitors": [visitor_json()]},
    )
    Booking.objects.update(expires_at=clock.now() - timedelta(minutes=1))
    assert holds.holds_expire() == 1
    pay(client, late.json())  # places free again, but the hold is over: the money goes back
    expired = Booking.objects.get(public_id=late.json()["id"])
    assert (expired.status, expired.refunded_minor) == ("expired", 150000)
    assert DailyCapacity.objects.get(visit_on=day).taken == 0

    # Due but not yet expired (the worker is down): expired at payment, and refunded.
    due_day = future(experience, 50)
    due = book_api(
        client,
        experience.slug,
        {"date": due_day.isoformat(), "email": "d@x.org", "visitors": [visitor_json()]},
    )
    Booking.objects.filter(public_id=due.json()["id"]).update(
        expires_at=clock.now() - timedelta(seconds=1)
    )
    pay(client, due.json())
    due_booking = Booking.objects.get(public_id=due.json()["id"])
    assert (due_booking.status, due_booking.refunded_minor) == ("expired", 150000)
    assert DailyCapacity.objects.get(visit_on=due_day).taken == 0

    other = future(experience, 60)
    capacity.capacity_exception_set(experience=experience, visit_on=other, actor=owner, capacity=1)
    slow = book_api(
        client,
        experience.slug,
        {"date": other.isoformat(), "email": "s@x.org", "visitors": [visitor_json()]},
    )
    Booking.objects.filter(public_id=slow.json()["id"]).update(
        expires_at=clock.now() - timedelta(minutes=1)
    )
    fast = book_api(
        client,
        experience.slug,
        {"date": other.isoformat(), "email": "f@x.org", "visitors": [visitor_json()]},
    )
    assert fast.status_code == 201
    pay(client, slow.json())
    slow_booking = Booking.objects.get(public_id=slow.json()["id"])
    assert slow_booking.status == "expired"
    assert slow_booking.refunded_minor == 150000
    assert BookingRefund.objects.get(booking=slow_booking).status == "sent"
    # Three late payments, three refunds at the provider, each of the whole amount.
    assert list(Refund.objects.values_list("amount_minor", flat=True)) == [150000] * 3
    assert DailyCapacity.objects.get(visit_on=other).taken == 1
    assert _position("clearing:payments") == 0
    assert ledger_verify()["balanced"] is True


@transactional
def test_cancellation_refunds_per_policy_and_date_changes(experience) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    operator_code = f"payable:org:{experience.operator.public_id}"
    for days, refunded in [(40, 170000), (20, 85000), (5, 0)]:
        booking = _paid_booking(client, experience, future(experience, days))
        cancelled = changes.booking_cancel(booking=booking, actor=None, reason="plans changed")
        assert cancelled.status == "cancelled"
        assert cancelled.refunded_minor == refunded, days
        assert DailyCapacity.objects.get(visit_on=booking.visit_on).taken == 0
        kept = 170000 - refunded
        shares = cancelled.operator_minor + cancelled.community_minor + cancelled.fee_minor
        assert shares == kept
        with pytest.raises(DomainError) as again:
            changes.booking_cancel(booking=cancelled, actor=None)
        assert again.value.code == "not_cancellable"
    assert list(Refund.objects.order_by("amount_minor").values_list("amount_minor", "status")) == [
        (85000, "succeeded"),
        (170000, "succeeded"),
    ]
    kept = Booking.objects.aggregate(
        operator=Sum("operator_minor"), community=Sum("community_minor")
    )
    # Kept: nothing of the first, half of the second, all of the third.
    assert _position(operator_code) == kept["operator"] == 72250 + 144500
    assert _position("community:park:volcanoes") == kept["community"] == 8500 + 17000
    assert _position("clearing:payments") == 0
    assert ledger_verify()["balanced"] is True

    # A date change: free until 8 days before, if the new date has room.
    booking = _paid_booking(client, experience, future(experience, 20))
    old_token = voucher_token(booking)
    new_day = future(experience, 25)
    moved = changes.booking_change_date(booking=booking, visit_on=new_day, actor=None)
    assert moved.visit_on == new_day
    assert DailyCapacity.objects.get(visit_on=future(experience, 20)).taken == 0
    assert DailyCapacity.objects.get(visit_on=new_day).taken == 2
    assert voucher_token(moved) != old_token
    soon = _paid_booking(client, experience, future(experience, 6))
    with pytest.raises(DomainError) as late:
        changes.booking_change_date(booking=soon, visit_on=future(experience, 30), actor=None)
    assert late.value.code == "date_change_not_allowed"
    soon.refresh_from_db()
    assert soon.visit_on == future(experience, 6)
