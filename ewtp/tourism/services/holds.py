"""Holding places: the quote, the visitors' checks, the short transaction that takes places and writes the booking; expiry of unpaid holds."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ewtp.core import clock
from ewtp.core.countries import is_country
from ewtp.core.errors import DomainError
from ewtp.core.services import audit_record
from ewtp.tourism import calc
from ewtp.tourism.models import (
    Booking,
    BookingVisitor,
    DailyCapacity,
    Experience,
    PriceTier,
)
from ewtp.tourism.services.access import booking_url
from ewtp.tourism.services.capacity import capacity_release, capacity_row, capacity_take
from ewtp.tourism.services.common import SUBJECT_TYPE, SoldOut, hold_minutes, local_today

logger = logging.getLogger(__name__)


# Holding places ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitorIn:
    category: str
    full_name: str
    nationality: str
    birth_date: date
    document_number: str


@dataclass(frozen=True)
class BookingQuote:
    """A checked request: what would be held, and its price."""

    experience: Experience
    visit_on: date
    email: str
    visitors: list[VisitorIn]
    tiers: list[PriceTier]
    places: int
    is_whole_group: bool
    price: calc.BookingPrice
    bundle_discount_id: int | None


def _rule(code: str, message: str, field: str | None = None, **extra: Any) -> DomainError:
    return DomainError(code, message, fields={field: message} if field else None, extra=extra)


def _check_date(experience: Experience, visit_on: date) -> None:
    today = local_today(experience)
    if visit_on < today:
        raise _rule("date_in_past", _("This date has passed at the park."), "date")
    if visit_on > today + timedelta(days=experience.booking_horizon_days):
        raise _rule("date_too_far", _("Bookings for this date are not open yet."), "date")


def _visitor_limit(experience: Experience, is_whole_group: bool) -> int:
    if is_whole_group:
        return experience.group_size
    if experience.capacity_unit == Experience.Unit.GROUPS:
        return min(experience.max_visitors_per_booking, experience.group_size)
    return experience.max_visitors_per_booking


def _check_identity(visitor: VisitorIn, prefix: str) -> str:
    """The visitor's name, document and nationality; the nationality, normalised."""
    if not visitor.full_name.strip():
        raise _rule("invalid_request", _("Give the visitor's full name."), f"{prefix}.full_name")
    if not visitor.document_number.strip():
        raise _rule(
            "invalid_request",
            _("Give the number of the document."),
            f"{prefix}.document_number",
        )
    nationality = visitor.nationality.strip().upper()
    if not is_country(nationality):
        raise _rule(
            "invalid_request",
            _("Nationality must be an ISO country code."),
            f"{prefix}.nationality",
        )
    return nationality


def _check_age(experience: Experience, visit_on: date, visitor: VisitorIn, prefix: str) -> None:
    if visitor.birth_date > visit_on:
        raise _rule(
            "invalid_request", _("The birth date is after the visit."), f"{prefix}.birth_date"
        )
    age = calc.age_on(visitor.birth_date, visit_on)
    if age < experience.minimum_age:
        raise _rule(
            "under_minimum_age",
            _("%(name)s will be %(age)d on the day; the minimum age is %(minimum)d.")
            % {
                "name": visitor.full_name.strip(),
                "age": age,
                "minimum": experience.minimum_age,
            },
            f"{prefix}.birth_date",
            minimum_age=experience.minimum_age,
        )


def _check_visitor(
    experience: Experience,
    visit_on: date,
    tiers: dict[str, PriceTier],
    visitor: VisitorIn,
    prefix: str,
) -> PriceTier:
    """One visitor's row, checked in the order the form shows its fields; their tier."""
    tier = tiers.get(visitor.category)
    if tier is None:
        raise _rule(
            "unknown_category",
            _("Unknown visitor category: %(category)s.") % {"category": visitor.category},
            f"{prefix}.category",
        )
    nationality = _check_identity(visitor, prefix)
    if tier.eligible_nationalities and nationality not in tier.eligible_nationalities:
        raise _rule(
            "category_not_eligible",
            _("%(category)s is for citizens of %(countries)s.")
            % {"category": tier.label, "countries": ", ".join(tier.eligible_nationalities)},
            f"{prefix}.category",
        )
    _check_age(experience, visit_on, visitor, prefix)
    return tier


def _check_visitors(
    experience: Experience, visit_on: date, visitors: Sequence[VisitorIn], is_whole_group: bool
) -> list[PriceTier]:
    if not visitors:
        raise _rule("no_visitors", _("Add at least one visitor."), "visitors")
    limit = _visitor_limit(experience, is_whole_group)
    if len(visitors) > limit:
        raise _rule(
            "too_many_visitors",
            _("At most %(limit)d visitors in one booking.") % {"limit": limit},
            "visitors",
            limit=limit,
        )
    tiers = {tier.code: tier for tier in experience.tiers.all()}
    return [
        _check_visitor(experience, visit_on, tiers, visitor, f"visitors.{index}")
        for index, visitor in enumerate(visitors)
    ]


def paid_days_in_other_parks(email: str, park_id: int) -> int:
    """Days this email has paid for in other parks: only paid bookings earn a bundle discount
    (unpaid holds would let anyone take the discount while blocking the places)."""
    return (
        Booking.objects.filter(email=email.strip().lower(), status=Booking.Status.CONFIRMED)
        .exclude(experience__park_id=park_id)
        .values("visit_on")
        .distinct()
        .count()
    )


def _bundle_discount(
    experience: Experience, visit_on: date, email: str
) -> tuple[int | None, Decimal, list[str]]:
    """The best active bundle rule the email qualifies for: (rule id, rate, categories)."""
    best: tuple[int | None, Decimal, list[str]] = (None, Decimal(0), [])
    for rule in experience.bundle_discounts.filter(is_active=True):
        if rule.valid_from and visit_on < rule.valid_from:
            continue
        if rule.valid_until and visit_on > rule.valid_until:
            continue
        other_days = paid_days_in_other_parks(email, experience.park_id)
        if other_days >= rule.minimum_other_days and rule.rate > best[1]:
            best = (rule.pk, rule.rate, list(rule.categories))
    return best


def booking_quote(
    *,
    experience: Experience,
    visit_on: date,
    email: str,
    visitors: Sequence[VisitorIn],
    is_whole_group: bool = False,
) -> BookingQuote:
    """Check every rule of a booking request and price it; writes nothing."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise _rule("invalid_request", _("Give a valid email address."), "email") from None
    if not experience.is_published:
        raise _rule("not_bookable", _("This experience is not open for booking."))
    if is_whole_group and not experience.is_whole_group_bookable:
        raise _rule("whole_group_not_offered", _("This experience is not sold by whole group."))
    _check_date(experience, visit_on)
    tiers = _check_visitors(experience, visit_on, visitors, is_whole_group)
    if experience.capacity_unit == Experience.Unit.GROUPS:
        places = 1
    elif is_whole_group:
        places = experience.group_size
    else:
        places = len(visitors)
    rule_id: int | None = None
    rate = Decimal(0)
    categories: list[str] = []
    if not is_whole_group:
        rule_id, rate, categories = _bundle_discount(experience, visit_on, email)
    lines = [
        calc.PriceLine(tier.code, tier.price, not categories or tier.code in categories)
        for tier in tiers
    ]
    price = calc.booking_price(
        lines,
        currency=experience.currency,
        discount_rate=rate,
        group_price=experience.group_price if is_whole_group else None,
    )
    return BookingQuote(
        experience=experience,
        visit_on=visit_on,
        email=email,
        visitors=list(visitors),
        tiers=tiers,
        places=places,
        is_whole_group=is_whole_group,
        price=price,
        bundle_discount_id=rule_id if rate else None,
    )


def _sold_out(row: DailyCapacity) -> SoldOut:
    row.refresh_from_db()
    if row.is_closed:
        return SoldOut("date_closed", _("This date is closed."), http_status=422, extra={})
    return SoldOut(
        "sold_out",
        _("Not enough places left on this date."),
        extra={"remaining": row.remaining},
    )


def _hold(quote: BookingQuote, row: DailyCapacity, *, actor: Any, language: str) -> Booking:
    experience = quote.experience
    now = clock.now()
    booking = Booking(
        experience=experience,
        visit_on=quote.visit_on,
        email=quote.email,
        language=language[:10],
        status=Booking.Status.HELD,
        places=quote.places,
        visitor_count=len(quote.visitors),
        is_whole_group=quote.is_whole_group,
        subtotal_minor=quote.price.subtotal.minor,
        discount_minor=quote.price.discount.minor,
        amount_minor=quote.price.total.minor,
        currency=experience.currency,
        bundle_discount_id=quote.bundle_discount_id,
        expires_at=now + timedelta(minutes=hold_minutes()),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
    )
    visitors = [
        BookingVisitor(
            position=index,
            tier=tier,
            category=tier.code,
            full_name=visitor.full_name.strip()[:200],
            nationality=visitor.nationality.strip().upper(),
            birth_date=visitor.birth_date,
            document_number=visitor.document_number.strip()[:60],
            price_minor=0 if quote.is_whole_group else tier.price_minor,
        )
        for index, (visitor, tier) in enumerate(zip(quote.visitors, quote.tiers, strict=True))
    ]
    # Validated before the places are taken, so the locked part stays short.
    booking.full_clean(
        exclude=["experience", "bundle_discount", "created_by"],  # known to exist
        validate_unique=False,
        validate_constraints=False,
    )
    with transaction.atomic():
        if not capacity_take(row.pk, quote.places):
            raise _sold_out(row)
        booking.save(force_insert=True)
        for visitor in visitors:
            visitor.booking = booking
        BookingVisitor.objects.bulk_create(visitors)
        audit_record(
            actor=actor,
            action="tourism.booking.held",
            target=booking,
            organisation_ref=str(experience.operator.public_id),
            data={"date": quote.visit_on.isoformat(), "places": quote.places},
        )
        transaction.on_commit(lambda: _schedule_expiry(booking.expires_at))
    return booking


def booking_hold(
    *,
    experience: Experience,
    visit_on: date,
    email: str,
    visitors: Sequence[VisitorIn],
    is_whole_group: bool = False,
    actor: Any = None,
    language: str = "en",
    start_payment: bool = True,
) -> Booking:
    """Hold places for a while and open the payment; 409 sold_out when they do not fit.

    Nothing is written when a rule is broken or the day is full. The payment is started
    after the hold has committed (never inside a transaction).
    """
    quote = booking_quote(
        experience=experience,
        visit_on=visit_on,
        email=email,
        visitors=visitors,
        is_whole_group=is_whole_group,
    )
    row = capacity_row(experience, visit_on)
    if row.is_closed:
        raise _rule("date_closed", _("This date is closed."), "date")
    try:
        booking = _hold(quote, row, actor=actor, language=language)
    except SoldOut as error:
        # Holds past their time still count until expired: expire this day's, then try again.
        if error.code != "sold_out" or not holds_expire(experience=experience, visit_on=visit_on):
            raise
        booking = _hold(quote, row, actor=actor, language=language)
    if start_payment:
        booking_payment_start(booking=booking)
    return booking


def booking_payment_start(*, booking: Booking) -> Any:
    """Open the payment of a held booking (after the hold committed); returns the Payment."""
    from ewtp.payments.services import payment_start

    try:
        payment = payment_start(
            subject_type=SUBJECT_TYPE,
            subject_ref=str(booking.public_id),
            amount=booking.amount,
            email=booking.email,
            description=ngettext(
                "%(title)s on %(date)s, %(count)d visitor",
                "%(title)s on %(date)s, %(count)d visitors",
                booking.visitor_count,
            )
            % {
                "title": booking.experience.title,
                "date": booking.visit_on.isoformat(),
                "count": booking.visitor_count,
            },
            return_url=booking_url(booking),
        )
    except Exception:
        # The places must not stay blocked by a booking nobody can pay.
        _release(booking.pk, to_status=Booking.Status.PAYMENT_FAILED, reason="payment not started")
        raise
    Booking.objects.filter(pk=booking.pk).update(payment_ref=str(payment.public_id))
    booking.payment_ref = str(payment.public_id)
    booking._payment = payment  # type: ignore[attr-defined]  # for the API answer
    return payment


def _schedule_expiry(expires_at: datetime) -> None:
    """Ask the worker to expire holds just after this one's time (where tasks can wait)."""
    from django.tasks import default_task_backend

    from ewtp.tourism.tasks import tourism_holds_expire

    if not default_task_backend.supports_defer:
        return  # the periodic command (or the next sold-out answer) expires it
    try:
        tourism_holds_expire.using(run_after=expires_at + timedelta(seconds=5)).enqueue()
    except Exception:  # the queue is a convenience here: expiry also runs from the command
        logger.exception("could not schedule the expiry of holds")


# Releasing places ----------------------------------------------------------------------------


def _release(
    booking_id: int,
    *,
    to_status: str,
    reason: str,
    from_statuses: Sequence[str] = (Booking.Status.HELD,),
) -> bool:
    """Move a booking out of a holding status and give its places back, at most once."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking_id)
        if booking.status not in from_statuses:
            return False
        Booking.objects.filter(pk=booking.pk).update(
            status=to_status, status_reason=reason[:300], cancelled_at=clock.now()
        )
        row = DailyCapacity.objects.get(
            experience_id=booking.experience_id, visit_on=booking.visit_on
        )
        capacity_release(row.pk, booking.places)
        audit_record(
            actor=None,
            action=f"tourism.booking.{to_status}",
            target=booking,
            data={"reason": reason, "places": booking.places},
        )
    return True


def holds_expire(
    *,
    now: datetime | None = None,
    experience: Experience | None = None,
    visit_on: date | None = None,
) -> int:
    """Expire holds past their time and give their places back; returns how many."""
    due = Booking.objects.filter(status=Booking.Status.HELD, expires_at__lte=now or clock.now())
    if experience is not None:
        due = due.filter(experience=experience)
    if visit_on is not None:
        due = due.filter(visit_on=visit_on)
    expired = 0
    for booking_id in list(due.values_list("pk", flat=True)[:1000]):
        expired += _release(booking_id, to_status=Booking.Status.EXPIRED, reason="not paid in time")
    return expired
