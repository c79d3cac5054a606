"""Holding places: the quote, the short transaction that takes places and writes the booking;
expiry of unpaid holds. The checks of a request are in `checks`."""

from __future__ import annotations

import logging
import uuid
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
from ewtp.core.errors import DomainError
from ewtp.core.services import audit_entry, audit_record
from ewtp.tourism import calc
from ewtp.tourism.booking_writes import hold_write
from ewtp.tourism.models import (
    Booking,
    BookingVisitor,
    DailyCapacity,
    Experience,
    PriceTier,
)
from ewtp.tourism.services.access import booking_url
from ewtp.tourism.services.capacity import Take, capacity_release, capacity_row, capacity_take_on
from ewtp.tourism.services.checks import (
    VisitorIn as VisitorIn,  # the visitors' input, as the callers of holds know it
)
from ewtp.tourism.services.checks import (
    _check_date,
    _check_visitors,
    _Problems,
    _rule,
)
from ewtp.tourism.services.common import SUBJECT_TYPE, SoldOut, hold_minutes

logger = logging.getLogger(__name__)


# Holding places ------------------------------------------------------------------------------


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
    rules = getattr(experience, "active_bundle_discounts", None)  # read with the tiers
    if rules is None:
        rules = experience.bundle_discounts.filter(is_active=True).order_by("pk")
    for rule in rules:
        if rule.valid_from and visit_on < rule.valid_from:
            continue
        if rule.valid_until and visit_on > rule.valid_until:
            continue
        other_days = paid_days_in_other_parks(email, experience.park_id)
        if other_days >= rule.minimum_other_days and rule.rate > best[1]:
            best = (rule.pk, rule.rate, list(rule.categories))
    return best


@dataclass(frozen=True)
class BookingRequest:
    """A request whose rules were checked without the database: what it would hold."""

    experience: Experience
    visit_on: date
    email: str
    visitors: list[VisitorIn]
    tiers: list[PriceTier]
    places: int
    is_whole_group: bool


def booking_request_check(
    *,
    experience: Experience,
    visit_on: date,
    email: str,
    visitors: Sequence[VisitorIn],
    is_whole_group: bool = False,
) -> BookingRequest:
    """Check every rule of a booking request that needs no query (the experience comes with
    its tiers); writes nothing. Every problem is reported at once (one error, each field at
    fault in ``fields``), as a form shows them."""
    email = email.strip().lower()
    problems = _Problems()
    with problems.check():
        if not experience.is_published:
            raise _rule("not_bookable", _("This experience is not open for booking."))
    with problems.check():
        _check_date(experience, visit_on)
    with problems.check():
        try:
            validate_email(email)
        except ValidationError:
            raise _rule("invalid_request", _("Give a valid email address."), "email") from None
    with problems.check():
        if is_whole_group and not experience.is_whole_group_bookable:
            raise _rule("whole_group_not_offered", _("This experience is not sold by whole group."))
    checked = _check_visitors(experience, visit_on, visitors, is_whole_group, problems)
    problems.raise_any()
    tiers = [tier for tier in checked if tier is not None]
    if experience.capacity_unit == Experience.Unit.GROUPS:
        places = 1
    elif is_whole_group:
        places = experience.group_size
    else:
        places = len(visitors)
    return BookingRequest(
        experience=experience,
        visit_on=visit_on,
        email=email,
        visitors=list(visitors),
        tiers=tiers,
        places=places,
        is_whole_group=is_whole_group,
    )


def booking_price(request: BookingRequest) -> BookingQuote:
    """The price of a checked request (the bundle discount is one query)."""
    rule_id: int | None = None
    rate = Decimal(0)
    categories: list[str] = []
    experience = request.experience
    if not request.is_whole_group:
        rule_id, rate, categories = _bundle_discount(experience, request.visit_on, request.email)
    lines = [
        calc.PriceLine(tier.code, tier.price, not categories or tier.code in categories)
        for tier in request.tiers
    ]
    price = calc.booking_price(
        lines,
        currency=experience.currency,
        discount_rate=rate,
        group_price=experience.group_price if request.is_whole_group else None,
    )
    return BookingQuote(
        experience=experience,
        visit_on=request.visit_on,
        email=request.email,
        visitors=request.visitors,
        tiers=request.tiers,
        places=request.places,
        is_whole_group=request.is_whole_group,
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


class _NoDay(Exception):
    """The day has no capacity row yet: create it, then take again."""


class _HoldsDue(Exception):
    """Sold out while unpaid holds past their time still count: expire them, then retry."""

    def __init__(self, refusal: SoldOut) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal


def _refusal(take: Take) -> Exception:
    if not take.exists:
        return _NoDay()
    if take.is_closed:
        return _rule("date_closed", _("This date is closed."), "date")
    refusal = SoldOut(
        "sold_out",
        _("Not enough places left on this date."),
        extra={"remaining": take.remaining},
    )
    return _HoldsDue(refusal) if take.holds_due else refusal


def booking_refusal_early(
    experience: Experience, visit_on: date, *, visitors: int, is_whole_group: bool
) -> DomainError | None:
    """The refusal of a request for a day already full or closed, from the day's state read
    with the experience (``booking_reads.experience_for_booking_with_day``); None when the day may
    have room, or when any other answer could come first (a date out of range, holds due to
    expire, a whole group not offered, no visitors): the request then takes the usual path,
    whose conditional statement decides."""
    capacity = getattr(experience, "day_capacity", None)
    if capacity is None or getattr(experience, "holds_due", True) or visitors < 1:
        return None
    if is_whole_group and not experience.is_whole_group_bookable:
        return None
    try:
        _check_date(experience, visit_on)  # a date rule broken answers first, as usual
    except DomainError:
        return None
    if experience.day_closed:  # type: ignore[attr-defined]
        return date_closed_refusal()
    if experience.capacity_unit == Experience.Unit.GROUPS:
        places = 1
    else:
        places = experience.group_size if is_whole_group else visitors
    remaining = max(capacity - experience.day_taken, 0)  # type: ignore[attr-defined]
    if places <= remaining:
        return None
    return sold_out_refusal(remaining)


def date_closed_refusal() -> DomainError:
    """The answer to a request for a closed day, decided before anything else."""
    return _rule("date_closed", _("This date is closed."), "date")


def sold_out_refusal(remaining: int) -> DomainError:
    """The answer to a request for more places than a day has left, decided before anything
    else."""
    return SoldOut(
        "sold_out", _("Not enough places left on this date."), extra={"remaining": remaining}
    )


def _given(birth_date: date | None) -> date:
    assert birth_date is not None  # booking_request_check refuses a visitor without one
    return birth_date


def _new_booking(
    quote: BookingQuote, *, actor: Any, language: str, now: datetime, name_payment: bool
) -> tuple[Booking, list[BookingVisitor]]:
    experience = quote.experience
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
        # The payment's id, chosen now: the booking names it from its first write.
        payment_ref=str(uuid.uuid4()) if name_payment else "",
        expires_at=now + timedelta(minutes=hold_minutes()),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
    )
    visitors = [
        BookingVisitor(
            booking=booking,
            position=index,
            tier=tier,
            category=tier.code,
            full_name=visitor.full_name.strip()[:200],
            nationality=visitor.nationality.strip().upper(),
            birth_date=_given(visitor.birth_date),
            document_number=visitor.document_number.strip()[:60],
            price_minor=0 if quote.is_whole_group else tier.price_minor,
        )
        for index, (visitor, tier) in enumerate(zip(quote.visitors, quote.tiers, strict=True))
    ]
    return booking, visitors


def _hold(request: BookingRequest, *, actor: Any, language: str, name_payment: bool) -> Booking:
    """The short transaction: ONE conditional statement takes the places (or says why not),
    then the price and the inserts of the booking, its visitors and the audit row (one
    statement on PostgreSQL, ``booking_writes``)."""
    experience = request.experience
    now = clock.now()
    with transaction.atomic():
        take = capacity_take_on(
            experience_id=experience.pk, visit_on=request.visit_on, places=request.places, now=now
        )
        if not take.taken:
            raise _refusal(take)
        quote = booking_price(request)
        booking, visitors = _new_booking(
            quote, actor=actor, language=language, now=now, name_payment=name_payment
        )
        audit = audit_entry(
            actor=actor,
            action="tourism.booking.held",
            target=booking,
            organisation_ref=str(experience.operator.public_id),
            data={"date": request.visit_on.isoformat(), "places": request.places},
            now=now,
        )
        hold_write(booking, visitors, audit)
        transaction.on_commit(lambda: _schedule_expiry(booking.expires_at))
    return booking


def _hold_or_refuse(
    request: BookingRequest, *, actor: Any, language: str, name_payment: bool
) -> Booking:
    """Hold; create the day's row on its first booking; on a sold-out day with holds past their
    time, expire those and try once more."""
    for attempt in range(2):
        try:
            return _hold(request, actor=actor, language=language, name_payment=name_payment)
        except _NoDay:
            capacity_row(request.experience, request.visit_on)
        except _HoldsDue as due:
            expired = holds_expire(experience=request.experience, visit_on=request.visit_on)
            if not expired or attempt:
                raise due.refusal from None
    try:
        return _hold(request, actor=actor, language=language, name_payment=name_payment)
    except _HoldsDue as due:
        raise due.refusal from None


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

    Nothing is written when a rule is broken or the day is full; a full day is answered by the
    one conditional statement that would have taken the places, before any pricing. The
    payment is started after the hold has committed (never inside a transaction).
    """
    request = booking_request_check(
        experience=experience,
        visit_on=visit_on,
        email=email,
        visitors=visitors,
        is_whole_group=is_whole_group,
    )
    if start_payment:
        from ewtp.payments.services import payment_providers_require

        payment_providers_require()  # no provider: say so before holding any place
    booking = _hold_or_refuse(request, actor=actor, language=language, name_payment=start_payment)
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
            public_id=uuid.UUID(booking.payment_ref) if booking.payment_ref else None,
            # The answer is built from this payment as it is in hand; under an idempotent
            # call its provider reference is written with the answer, in one statement.
            with_the_answer=True,
        )
    except Exception:
        # The places must not stay blocked by a booking nobody can pay.
        _release(booking.pk, to_status=Booking.Status.PAYMENT_FAILED, reason="payment not started")
        raise
    if str(payment.public_id) != booking.payment_ref:
        Booking.objects.filter(pk=booking.pk).update(payment_ref=str(payment.public_id))
        booking.payment_ref = str(payment.public_id)
    booking._payment = payment  # type: ignore[attr-defined]  # for the API answer
    return payment


# The expiry task of holds: one per process and minute at most (holds of the same minute share
# it; a sold-out answer also expires due holds at once).
_expiry_scheduled: set[datetime] = set()


def _schedule_expiry(expires_at: datetime) -> None:
    """Ask the worker to expire holds just after this one's time (where tasks can wait)."""
    from django.tasks import default_task_backend

    from ewtp.tourism.tasks import tourism_holds_expire

    if not default_task_backend.supports_defer:
        return  # the periodic command (or the next sold-out answer) expires it
    minute = expires_at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    if minute in _expiry_scheduled:
        return
    try:
        tourism_holds_expire.using(run_after=minute + timedelta(seconds=5)).enqueue()
    except Exception:  # the queue is a convenience here: expiry also runs from the command
        logger.exception("could not schedule the expiry of holds")
        return
    if len(_expiry_scheduled) > 1000:
        _expiry_scheduled.clear()
    _expiry_scheduled.add(minute)


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
