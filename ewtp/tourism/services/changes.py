"""Cancellation, refunds and date changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from ewtp.core import clock
from ewtp.core.errors import Conflict, DomainError
from ewtp.core.locks import lock_rows
from ewtp.core.money import Money, quantize
from ewtp.core.services import audit_record
from ewtp.ledger import accounts as chart
from ewtp.ledger.services import account_for, credit, debit, posting_record
from ewtp.tourism import calc
from ewtp.tourism.models import (
    Booking,
    BookingRefund,
    CheckIn,
    DailyCapacity,
)
from ewtp.tourism.services.capacity import capacity_release, capacity_row, capacity_take
from ewtp.tourism.services.checks import (
    VisitorIn,
    _check_date,
    _check_visitors,
    _Problems,
    _rule,
)
from ewtp.tourism.services.common import local_today
from ewtp.tourism.services.holds import _release, _sold_out
from ewtp.tourism.services.payments import _enqueue_refund

# Cancellation and date change ----------------------------------------------------------------


def days_before(booking: Booking) -> int:
    return (booking.visit_on - local_today(booking.experience)).days


def cancellation_refund(booking: Booking) -> tuple[Decimal, Money]:
    """The refund rate and amount if the booking were cancelled now."""
    rules = [
        (rule.min_days_before, rule.refund_rate)
        for rule in booking.experience.cancellation_rules.all()
    ]
    rate = calc.refund_rate(rules, days_before(booking))
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
        back = calc.Split(
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


def _split_reverse(booking: Booking, refund: Money) -> calc.Split:
    """Post the refunded part of each share back into payments clearing."""
    experience = booking.experience
    operator, park = experience.operator, experience.park
    currency = refund.currency
    split = calc.Split(
        operator=Money.from_minor(booking.operator_minor, currency),
        community=Money.from_minor(booking.community_minor, currency),
        fee=Money.from_minor(booking.fee_minor, currency),
    )
    back = calc.split_back(refund, split)
    posting_record(
        kind="tourism.booking.refunded",
        legs=[
            debit(
                account_for(
                    chart.organisation_payable(operator.public_id, operator.name), currency
                ),
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


REFUND_ATTEMPTS = 10  # then the refund waits for the operator, with its last error


def refunds_retry(*, now: datetime | None = None) -> int:
    """Send again every refund that failed, and every one whose task never ran (pending for
    five minutes); the worker runs this every five minutes. Returns how many went through."""
    sent = 0
    stale = (now or clock.now()) - timedelta(minutes=5)
    pending = BookingRefund.objects.filter(attempts__lt=REFUND_ATTEMPTS).filter(
        Q(status=BookingRefund.Status.FAILED)
        | Q(status=BookingRefund.Status.PENDING, created_at__lte=stale)
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
    problems = _Problems()
    _check_visitors(experience, visit_on, visitors, booking.is_whole_group, problems)
    problems.raise_any()  # ages on the new day
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
