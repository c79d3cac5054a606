"""Every write of tourism: holds, confirmations, expiry, cancellation, date changes, check-ins.

Places are taken with one conditional UPDATE on the day's capacity row (``capacity_take``)
inside the short transaction that writes the booking; the payment provider is asked only
after that transaction has committed. Money moves through the ledger when the payment
succeeds (``on_payment_succeeded``, called by the payments app inside its own transaction).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ewtp.accounts.models import Membership
from ewtp.accounts.selectors import require_role
from ewtp.core import clock, conf, signing
from ewtp.core.countries import is_country
from ewtp.core.errors import Conflict, DomainError, InvalidRequest, NotFound
from ewtp.core.locks import lock_rows
from ewtp.core.money import Money, quantize
from ewtp.core.services import audit_record
from ewtp.ledger import accounts as chart
from ewtp.ledger.services import account_for, credit, debit, posting_record
from ewtp.tourism import pricing, vouchers
from ewtp.tourism.models import (
    Booking,
    BookingRefund,
    BookingVisitor,
    CheckIn,
    DailyCapacity,
    Experience,
    PriceTier,
    WeekdayCapacity,
)

logger = logging.getLogger(__name__)

SUBJECT_TYPE = "tourism.booking"
GATE_ROLES = (Membership.Role.OWNER, Membership.Role.STAFF)
MANAGER_ROLES = (Membership.Role.OWNER,)


class SoldOut(DomainError):
    code = "sold_out"
    http_status = 409


class AlreadyCheckedIn(DomainError):
    code = "already_checked_in"
    http_status = 409


def hold_minutes() -> int:
    return conf.TOURISM_HOLD_MINUTES()


def platform_fee_rate() -> Decimal:
    return Decimal(conf.TOURISM_PLATFORM_FEE_RATE())


def local_today(experience: Experience) -> date:
    """Today at the experience's meeting point (its IANA zone), not in UTC."""
    return experience.local_date(clock.now())


# Access to a guest's booking -------------------------------------------------------------


def booking_access_token(booking: Booking) -> str:
    """The secret in a guest's booking link; derived, so a mail can carry it again later."""
    return salted_hmac(
        "ewtp.tourism.booking", str(booking.public_id), algorithm="sha256"
    ).hexdigest()[:32]


def booking_token_matches(booking: Booking, token: str) -> bool:
    return bool(token) and constant_time_compare(booking_access_token(booking), token)


def booking_url(booking: Booking) -> str:
    path = reverse("tourism:booking", args=[booking.public_id])
    return f"{path}?t={booking_access_token(booking)}"


# Capacity ------------------------------------------------------------------------------------


def capacity_default(experience: Experience, visit_on: date) -> int:
    """The capacity of a date before any exception: the weekday's rule, else the default."""
    for rule in experience.weekday_capacities.all():
        if rule.weekday == visit_on.weekday():
            return rule.capacity
    return experience.default_capacity


def capacity_row(experience: Experience, visit_on: date) -> DailyCapacity:
    """The day's capacity row, created on first use (race-safe: the unique pair decides)."""
    row = DailyCapacity.objects.filter(experience=experience, visit_on=visit_on).first()
    if row is not None:
        return row
    capacity = capacity_default(experience, visit_on)
    try:
        with transaction.atomic():
            return DailyCapacity.objects.create(
                experience=experience,
                visit_on=visit_on,
                capacity=capacity,
                is_closed=capacity == 0,
            )
    except IntegrityError:
        return DailyCapacity.objects.get(experience=experience, visit_on=visit_on)


def capacity_take(row_id: int, places: int) -> bool:
    """Take places with ONE conditional update; never read-then-write. True when taken."""
    updated = DailyCapacity.objects.filter(
        pk=row_id, is_closed=False, taken__lte=F("capacity") - places
    ).update(taken=F("taken") + places)
    return updated == 1


def capacity_release(row_id: int, places: int) -> None:
    updated = DailyCapacity.objects.filter(pk=row_id, taken__gte=places).update(
        taken=F("taken") - places
    )
    if updated != 1:  # a broken invariant: the places were never taken
        raise DomainError("capacity_inconsistent", _("The day's capacity does not add up."))


@transaction.atomic
def capacity_exception_set(
    *,
    experience: Experience,
    visit_on: date,
    actor: Any,
    capacity: int | None = None,
    is_closed: bool = False,
    note: str = "",
) -> DailyCapacity:
    """Close a date or give it a special capacity (never below the places already taken)."""
    require_role(actor, experience.operator, MANAGER_ROLES)
    if capacity is not None and capacity < 0:
        raise InvalidRequest(
            "invalid_request", _("Capacity cannot be negative."), fields={"capacity": "≥ 0"}
        )
    row = capacity_row(experience, visit_on)
    row = DailyCapacity.objects.select_for_update().get(pk=row.pk)
    new_capacity = row.capacity if capacity is None else capacity
    if new_capacity < row.taken:
        raise Conflict(
            "capacity_below_taken",
            _("%(taken)d places are already taken on this date.") % {"taken": row.taken},
            fields={"capacity": f"≥ {row.taken}"},
        )
    row.capacity = new_capacity
    row.is_closed = is_closed
    row.is_exception = True
    row.note = note[:200]
    row.save(update_fields=["capacity", "is_closed", "is_exception", "note"])
    audit_record(
        actor=actor,
        action="tourism.capacity.exception_set",
        target=experience,
        organisation_ref=str(experience.operator.public_id),
        data={"date": visit_on.isoformat(), "capacity": new_capacity, "closed": is_closed},
    )
    return row


@transaction.atomic
def weekday_capacity_set(
    *, experience: Experience, weekday: int, capacity: int, actor: Any
) -> WeekdayCapacity:
    """Set the capacity of a weekday; future days already opened follow it (not exceptions)."""
    require_role(actor, experience.operator, MANAGER_ROLES)
    if not 0 <= weekday <= 6 or capacity < 0:
        raise InvalidRequest("invalid_request", _("Weekday 0-6 and a capacity ≥ 0."))
    rule, _created = WeekdayCapacity.objects.update_or_create(
        experience=experience, weekday=weekday, defaults={"capacity": capacity}
    )
    today = local_today(experience)
    for row in DailyCapacity.objects.select_for_update().filter(
        experience=experience, visit_on__gte=today, is_exception=False
    ):
        if row.visit_on.weekday() == weekday:
            row.capacity = max(capacity, row.taken)
            row.is_closed = capacity == 0
            row.save(update_fields=["capacity", "is_closed"])
    audit_record(
        actor=actor,
        action="tourism.capacity.weekday_set",
        target=experience,
        organisation_ref=str(experience.operator.public_id),
        data={"weekday": weekday, "capacity": capacity},
    )
    return rule


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
    price: pricing.BookingPrice
    bundle_discount_id: int | None


def _rule(code: str, message: str, field: str | None = None, **extra: Any) -> DomainError:
    return DomainError(code, message, fields={field: message} if field else None, extra=extra)


def _check_date(experience: Experience, visit_on: date) -> None:
    today = local_today(experience)
    if visit_on < today:
        raise _rule("date_in_past", _("This date has passed at the park."), "date")
    if visit_on > today + timedelta(days=experience.booking_horizon_days):
        raise _rule("date_too_far", _("Bookings for this date are not open yet."), "date")


def _check_visitors(
    experience: Experience, visit_on: date, visitors: Sequence[VisitorIn], is_whole_group: bool
) -> list[PriceTier]:
    if not visitors:
        raise _rule("no_visitors", _("Add at least one visitor."), "visitors")
    if is_whole_group:
        limit = experience.group_size
    elif experience.capacity_unit == Experience.Unit.GROUPS:
        limit = min(experience.max_visitors_per_booking, experience.group_size)
    else:
        limit = experience.max_visitors_per_booking
    if len(visitors) > limit:
        raise _rule(
            "too_many_visitors",
            _("At most %(limit)d visitors in one booking.") % {"limit": limit},
            "visitors",
            limit=limit,
        )
    tiers = {tier.code: tier for tier in experience.tiers.all()}
    chosen: list[PriceTier] = []
    for index, visitor in enumerate(visitors):
        prefix = f"visitors.{index}"
        tier = tiers.get(visitor.category)
        if tier is None:
            raise _rule(
                "unknown_category",
                _("Unknown visitor category: %(category)s.") % {"category": visitor.category},
                f"{prefix}.category",
            )
        if not visitor.full_name.strip():
            raise _rule(
                "invalid_request", _("Give the visitor's full name."), f"{prefix}.full_name"
            )
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
        if tier.eligible_nationalities and nationality not in tier.eligible_nationalities:
            raise _rule(
                "category_not_eligible",
                _("%(category)s is for citizens of %(countries)s.")
                % {"category": tier.label, "countries": ", ".join(tier.eligible_nationalities)},
                f"{prefix}.category",
            )
        if visitor.birth_date > visit_on:
            raise _rule(
                "invalid_request", _("The birth date is after the visit."), f"{prefix}.birth_date"
            )
        age = pricing.age_on(visitor.birth_date, visit_on)
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
        chosen.append(tier)
    return chosen


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
        other_days = (
            Booking.objects.filter(email=email, status__in=Booking.HOLDING)
            .exclude(experience__park_id=experience.park_id)
            .values("visit_on")
            .distinct()
            .count()
        )
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
        pricing.PriceLine(tier.code, tier.price, not categories or tier.code in categories)
        for tier in tiers
    ]
    price = pricing.booking_price(
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


# Payment outcomes (called by the payments app inside its settling transaction) ----------------


def _split_post(booking: Booking, paid: Money) -> pricing.Split:
    experience = booking.experience
    operator = experience.operator
    park = experience.park
    split = pricing.payment_split(
        paid, community_rate=park.community_share_rate, fee_rate=platform_fee_rate()
    )
    currency = paid.currency
    posting_record(
        kind="tourism.booking.paid",
        legs=[
            debit(account_for(chart.payments_clearing(), currency), paid),
            credit(
                account_for(chart.party_payable(str(operator.public_id), operator.name), currency),
                split.operator,
            ),
            credit(
                account_for(
                    chart.community_share(f"park:{park.slug}", park.community_name or park.name),
                    currency,
                ),
                split.community,
            ),
            credit(account_for(chart.platform_fees(), currency), split.fee),
        ],
        memo=f"{experience.title} {booking.visit_on.isoformat()} ({booking.code})",
        reference=str(booking.public_id),
        dedupe_key=f"tourism:booking:{booking.public_id}:paid",
    )
    return split


def on_payment_succeeded(payment: Any) -> None:
    """Confirm the booking and split the money: operator payout, community share, fee.

    A payment that arrives after its hold expired confirms the booking when the places are
    still free; otherwise the money goes back to the payer.
    """
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("experience__operator", "experience__park")
        .filter(public_id=payment.subject_ref)
        .first()
    )
    if booking is None or booking.status == Booking.Status.CONFIRMED:
        return
    paid: Money = payment.amount
    if booking.status != Booking.Status.HELD:
        late = booking.status in {Booking.Status.EXPIRED, Booking.Status.PAYMENT_FAILED}
        row = capacity_row(booking.experience, booking.visit_on)
        is_open = booking.visit_on >= local_today(booking.experience)
        if not (late and is_open and capacity_take(row.pk, booking.places)):
            # Places gone: keep the money in clearing and send it back after commit.
            refund = BookingRefund.objects.create(
                booking=booking,
                amount_minor=paid.minor,
                currency=paid.currency,
                reason="paid after the hold expired; the places were gone",
                created_at=clock.now(),
            )
            Booking.objects.filter(pk=booking.pk).update(
                payment_ref=str(payment.public_id),
                refunded_minor=F("refunded_minor") + paid.minor,
                status_reason="paid too late: refunded",
            )
            transaction.on_commit(lambda: _enqueue_refund(refund.pk))
            return
    split = _split_post(booking, paid)
    Booking.objects.filter(pk=booking.pk).update(
        status=Booking.Status.CONFIRMED,
        confirmed_at=clock.now(),
        payment_ref=str(payment.public_id),
        operator_minor=split.operator.minor,
        community_minor=split.community.minor,
        fee_minor=split.fee.minor,
        status_reason="",
    )
    audit_record(
        actor=None,
        action="tourism.booking.confirmed",
        target=booking,
        organisation_ref=str(booking.experience.operator.public_id),
        data={"amount": str(paid)},
    )
    booking_id = booking.pk
    transaction.on_commit(lambda: _enqueue_voucher_mail(booking_id))


def on_payment_failed(payment: Any) -> None:
    booking = Booking.objects.filter(public_id=payment.subject_ref).only("pk").first()
    if booking is not None:
        _release(booking.pk, to_status=Booking.Status.PAYMENT_FAILED, reason="payment failed")


def _enqueue_voucher_mail(booking_id: int) -> None:
    from ewtp.tourism.tasks import booking_voucher_mail

    booking_voucher_mail.enqueue(booking_id)


def _enqueue_refund(refund_id: int) -> None:
    from ewtp.tourism.tasks import booking_refund_send

    booking_refund_send.enqueue(refund_id)


# Cancellation and date change ----------------------------------------------------------------


def days_before(booking: Booking) -> int:
    return (booking.visit_on - local_today(booking.experience)).days


def cancellation_refund(booking: Booking) -> tuple[Decimal, Money]:
    """The refund rate and amount if the booking were cancelled now."""
    rules = [
        (rule.min_days_before, rule.refund_rate)
        for rule in booking.experience.cancellation_rules.all()
    ]
    rate = pricing.refund_rate(rules, days_before(booking))
    paid = booking.amount - booking.refunded
    return rate, Money(quantize(paid.amount * rate, paid.currency), paid.currency)


def booking_cancel(*, booking: Booking, actor: Any, reason: str = "") -> Booking:
    """Cancel: a hold gives its places back; a paid booking is refunded per the policy."""
    if booking.status == Booking.Status.HELD:
        _release(booking.pk, to_status=Booking.Status.CANCELLED, reason=reason or "cancelled")
        booking.refresh_from_db()
        return booking
    if booking.status != Booking.Status.CONFIRMED:
        raise Conflict("not_cancellable", _("This booking is not active."))
    if CheckIn.objects.filter(booking=booking).exists():
        raise Conflict("already_checked_in", _("This voucher was used at the gate."))
    if days_before(booking) < 0:
        raise Conflict("not_cancellable", _("The visit date has passed."))
    with transaction.atomic():
        locked = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("experience__operator", "experience__park")
            .get(pk=booking.pk)
        )
        if locked.status != Booking.Status.CONFIRMED:
            raise Conflict("not_cancellable", _("This booking is not active."))
        if CheckIn.objects.filter(booking=locked).exists():
            raise Conflict("already_checked_in", _("This voucher was used at the gate."))
        rate, refund = cancellation_refund(locked)
        row = DailyCapacity.objects.get(
            experience_id=locked.experience_id, visit_on=locked.visit_on
        )
        capacity_release(row.pk, locked.places)
        back = pricing.Split(
            Money.zero(locked.currency), Money.zero(locked.currency), Money.zero(locked.currency)
        )
        refund_row = None
        if not refund.is_zero():
            back = _split_reverse(locked, refund)
            refund_row = BookingRefund.objects.create(
                booking=locked,
                amount_minor=refund.minor,
                currency=refund.currency,
                reason=f"cancellation, {rate:.0%} refund",
                created_at=clock.now(),
            )
        Booking.objects.filter(pk=locked.pk).update(
            status=Booking.Status.CANCELLED,
            cancelled_at=clock.now(),
            status_reason=(reason or "cancelled")[:300],
            refunded_minor=F("refunded_minor") + refund.minor,
            operator_minor=F("operator_minor") - back.operator.minor,
            community_minor=F("community_minor") - back.community.minor,
            fee_minor=F("fee_minor") - back.fee.minor,
        )
        audit_record(
            actor=actor,
            action="tourism.booking.cancelled",
            target=locked,
            organisation_ref=str(locked.experience.operator.public_id),
            data={"refund": str(refund), "rate": str(rate), "reason": reason},
        )
        if refund_row is not None:
            refund_id = refund_row.pk
            transaction.on_commit(lambda: _enqueue_refund(refund_id))
    booking.refresh_from_db()
    return booking


def _split_reverse(booking: Booking, refund: Money) -> pricing.Split:
    """Post the refunded part of each share back into payments clearing."""
    experience = booking.experience
    operator, park = experience.operator, experience.park
    currency = refund.currency
    split = pricing.Split(
        operator=Money.from_minor(booking.operator_minor, currency),
        community=Money.from_minor(booking.community_minor, currency),
        fee=Money.from_minor(booking.fee_minor, currency),
    )
    back = pricing.split_back(refund, split)
    posting_record(
        kind="tourism.booking.refunded",
        legs=[
            debit(
                account_for(chart.party_payable(str(operator.public_id), operator.name), currency),
                back.operator,
            ),
            debit(
                account_for(
                    chart.community_share(f"park:{park.slug}", park.community_name or park.name),
                    currency,
                ),
                back.community,
            ),
            debit(account_for(chart.platform_fees(), currency), back.fee),
            credit(account_for(chart.payments_clearing(), currency), refund),
        ],
        memo=f"Refund of {booking.code}",
        reference=str(booking.public_id),
        dedupe_key=f"tourism:booking:{booking.public_id}:refund:{booking.refunded_minor}",
    )
    return back


def booking_refund_send(*, refund_id: int) -> BookingRefund:
    """Send a refund to the payment provider (outside any transaction); retried when it fails."""
    from ewtp.payments.models import Payment
    from ewtp.payments.services import payment_refund

    refund = BookingRefund.objects.select_related("booking").get(pk=refund_id)
    if refund.status == BookingRefund.Status.SENT:
        return refund
    payment = Payment.objects.get(public_id=refund.booking.payment_ref)
    try:
        sent = payment_refund(
            payment=payment, amount=refund.amount, reason=refund.reason, actor=None
        )
    except DomainError as error:
        BookingRefund.objects.filter(pk=refund.pk).update(
            status=BookingRefund.Status.FAILED,
            attempts=F("attempts") + 1,
            last_error=error.message[:300],
        )
        refund.refresh_from_db()
        return refund
    BookingRefund.objects.filter(pk=refund.pk).update(
        status=BookingRefund.Status.SENT,
        refund_ref=str(sent.public_id),
        attempts=F("attempts") + 1,
        sent_at=clock.now(),
        last_error="",
    )
    refund.refresh_from_db()
    return refund


def refunds_retry() -> int:
    """Send every refund not yet sent; returns how many went through."""
    sent = 0
    pending = BookingRefund.objects.exclude(status=BookingRefund.Status.SENT).filter(
        attempts__lt=10
    )
    for refund_id in list(pending.values_list("pk", flat=True)):
        sent += booking_refund_send(refund_id=refund_id).status == BookingRefund.Status.SENT
    return sent


def booking_change_date(*, booking: Booking, visit_on: date, actor: Any) -> Booking:
    """Move a booking to another date, per the operator's policy; the voucher changes with it."""
    experience = booking.experience
    if booking.status not in Booking.HOLDING:
        raise Conflict("not_changeable", _("This booking is not active."))
    if CheckIn.objects.filter(booking=booking).exists():
        raise Conflict("already_checked_in", _("This voucher was used at the gate."))
    if visit_on == booking.visit_on:
        return booking
    if booking.status == Booking.Status.CONFIRMED and days_before(booking) < (
        experience.date_change_min_days
    ):
        raise _rule(
            "date_change_not_allowed",
            _("Dates can be changed until %(days)d days before the visit.")
            % {"days": experience.date_change_min_days},
            "date",
        )
    visitors = [
        VisitorIn(v.category, v.full_name, v.nationality, v.birth_date, v.document_number)
        for v in booking.visitors.all()
    ]
    _check_date(experience, visit_on)
    _check_visitors(experience, visit_on, visitors, booking.is_whole_group)  # ages on the new day
    new_row = capacity_row(experience, visit_on)
    if new_row.is_closed:
        raise _rule("date_closed", _("This date is closed."), "date")
    old_date = booking.visit_on
    with transaction.atomic():
        locked = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        if locked.status not in Booking.HOLDING or locked.visit_on != old_date:
            raise Conflict("not_changeable", _("This booking changed meanwhile; reload it."))
        old_row = DailyCapacity.objects.get(experience=experience, visit_on=old_date)
        # Both days locked in one order, so that two swaps of dates cannot deadlock.
        lock_rows(DailyCapacity.objects.filter(pk__in=[old_row.pk, new_row.pk]))
        if not capacity_take(new_row.pk, locked.places):
            raise _sold_out(new_row)
        capacity_release(old_row.pk, locked.places)
        Booking.objects.filter(pk=locked.pk).update(visit_on=visit_on)
        audit_record(
            actor=actor,
            action="tourism.booking.date_changed",
            target=locked,
            organisation_ref=str(experience.operator.public_id),
            data={"from": old_date.isoformat(), "to": visit_on.isoformat()},
        )
    booking.refresh_from_db()
    return booking


# Vouchers and the gate -----------------------------------------------------------------------


def voucher_token(booking: Booking) -> str:
    """The signed voucher of a confirmed booking (a new one when its date changes)."""
    if booking.status != Booking.Status.CONFIRMED:
        raise Conflict("not_confirmed", _("A voucher is issued once the booking is paid."))
    return vouchers.token_issue(
        vouchers.VoucherPayload(
            booking=str(booking.public_id),
            experience=booking.experience.slug,
            visit_on=booking.visit_on,
            visitors=booking.visitor_count,
            names=[visitor.full_name for visitor in booking.visitors.all()],
            kid=signing.key_id(),
        )
    )


@dataclass(frozen=True)
class CheckInResult:
    booking: Booking
    check_in: CheckIn


def _refused(code: str, message: str, status: int = 422, **extra: Any) -> DomainError:
    return DomainError(code, message, http_status=status, extra=extra)


def checkin_record(*, token: str, actor: Any) -> CheckInResult:
    """Let a voucher through the gate once; refuse it when forged, used, cancelled or
    for another date (in the experience's zone)."""
    try:
        payload = vouchers.token_verify(token)
    except vouchers.VoucherInvalid:
        raise _refused("voucher_forged", _("This voucher is not genuine.")) from None
    booking = (
        Booking.objects.select_related("experience__operator", "experience__park")
        .filter(public_id=payload.booking)
        .first()
    )
    if booking is None:
        raise _refused("voucher_forged", _("This voucher is not genuine."))
    try:
        require_role(actor, booking.experience.operator, GATE_ROLES)
    except NotFound:
        raise NotFound("not_found", _("This voucher is for another operator's gate.")) from None
    existing = CheckIn.objects.filter(booking=booking).first()
    if existing is not None:
        raise _already(booking, existing)
    if booking.status != Booking.Status.CONFIRMED:
        if booking.status == Booking.Status.CANCELLED:
            raise _refused("voucher_cancelled", _("This booking was cancelled."), 409)
        raise _refused("voucher_not_confirmed", _("This booking is not paid."), 409)
    if payload.visit_on != booking.visit_on:
        raise _refused(
            "voucher_superseded",
            _("The date of this booking was changed; ask for the new voucher."),
        )
    today = local_today(booking.experience)
    if payload.visit_on != today:
        raise _refused(
            "wrong_date",
            _("This voucher is for %(date)s; today is %(today)s at the park.")
            % {"date": payload.visit_on.isoformat(), "today": today.isoformat()},
            voucher_date=payload.visit_on.isoformat(),
        )
    try:
        with transaction.atomic():
            # Under the booking's lock, so that a cancellation cannot slip in between.
            status = (
                Booking.objects.select_for_update(of=("self",))
                .values_list("status", flat=True)
                .get(pk=booking.pk)
            )
            if status != Booking.Status.CONFIRMED:
                raise _refused("voucher_cancelled", _("This booking was cancelled."), 409)
            check_in = CheckIn.objects.create(
                booking=booking,
                checked_in_at=clock.now(),
                checked_in_by=actor if getattr(actor, "is_authenticated", False) else None,
                voucher_kid=payload.kid[:32],
            )
            audit_record(
                actor=actor,
                action="tourism.booking.checked_in",
                target=booking,
                organisation_ref=str(booking.experience.operator.public_id),
            )
    except IntegrityError:  # a twin scan at the same moment won
        raise _already(booking, CheckIn.objects.get(booking=booking)) from None
    return CheckInResult(booking=booking, check_in=check_in)


def _already(booking: Booking, check_in: CheckIn) -> AlreadyCheckedIn:
    local = check_in.checked_in_at.astimezone(booking.experience.zone)
    return AlreadyCheckedIn(
        "already_checked_in",
        _("Already checked in at %(time)s.") % {"time": local.strftime("%H:%M")},
        extra={
            "checked_in_at": check_in.checked_in_at.isoformat(),
            "booking": str(booking.public_id),
        },
    )
