"""Payment outcomes, called by the payments app inside its settling transaction: confirmation and the money's split through the ledger."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from ewtp.core import clock
from ewtp.core.money import Money
from ewtp.core.services import audit_record
from ewtp.ledger import accounts as chart
from ewtp.ledger.services import account_for, credit, debit, posting_record
from ewtp.tourism import calc
from ewtp.tourism.models import (
    Booking,
    BookingRefund,
)
from ewtp.tourism.services.common import platform_fee_rate
from ewtp.tourism.services.holds import _release, paid_days_in_other_parks

# Payment outcomes (called by the payments app inside its settling transaction) ----------------


def _split_post(booking: Booking, paid: Money) -> calc.Split:
    experience = booking.experience
    operator = experience.operator
    park = experience.park
    split = calc.payment_split(
        paid, community_rate=park.community_share_rate, fee_rate=platform_fee_rate()
    )
    currency = paid.currency
    posting_record(
        kind="tourism.booking.paid",
        legs=[
            debit(account_for(chart.payments_clearing(), currency), paid),
            credit(
                account_for(
                    chart.organisation_payable(operator.public_id, operator.name), currency
                ),
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

    A payment that arrives after its hold expired (expired already, or due and not yet expired
    because the worker is down) is refunded, not accepted; so is one whose bundle discount no
    longer holds (the paid days in other parks it counted on were cancelled meanwhile).
    """
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("experience__operator", "experience__park", "bundle_discount")
        .filter(public_id=payment.subject_ref)
        .first()
    )
    if booking is None or booking.status == Booking.Status.CONFIRMED:
        return
    paid: Money = payment.amount
    refusal = _refusal(booking)
    if refusal:
        _refund_refused(booking, payment, paid, refusal)
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


def _refusal(booking: Booking) -> str:
    """Why a payment for this booking cannot be accepted ("" when it can); releases a hold
    that is due (its places go back) or whose bundle discount no longer holds."""
    if booking.status == Booking.Status.HELD and booking.expires_at <= clock.now():
        _release(booking.pk, to_status=Booking.Status.EXPIRED, reason="not paid in time")
    elif booking.status == Booking.Status.HELD and not _bundle_still_holds(booking):
        _release(
            booking.pk,
            to_status=Booking.Status.PAYMENT_FAILED,
            reason="the bundle discount no longer applies",
        )
        return "the bundle discount no longer applies: paid days in other parks were cancelled"
    else:
        return "" if booking.status == Booking.Status.HELD else "paid after the hold expired"
    return "paid after the hold expired"


def _bundle_still_holds(booking: Booking) -> bool:
    rule = booking.bundle_discount
    if booking.discount_minor == 0 or rule is None:
        return True
    days = paid_days_in_other_parks(booking.email, booking.experience.park_id)
    return days >= rule.minimum_other_days


def _refund_refused(booking: Booking, payment: Any, paid: Money, reason: str) -> None:
    """Keep the money in clearing and send it back to the payer after commit."""
    refund = BookingRefund.objects.create(
        booking=booking,
        amount_minor=paid.minor,
        currency=paid.currency,
        reason=reason,
        created_at=clock.now(),
    )
    Booking.objects.filter(pk=booking.pk).update(
        payment_ref=str(payment.public_id),
        refunded_minor=F("refunded_minor") + paid.minor,
        status_reason=f"{reason}: refunded"[:300],
    )
    transaction.on_commit(lambda: _enqueue_refund(refund.pk))


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
