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
from ewtp.tourism.services.capacity import capacity_row, capacity_take
from ewtp.tourism.services.common import local_today, platform_fee_rate
from ewtp.tourism.services.holds import _release

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
