"""Background work of tourism: expiring holds, mailing vouchers, sending refunds (idempotent)."""

from __future__ import annotations

from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation

from ewtp.core import conf
from ewtp.tourism.models import Booking
from ewtp.tourism.services import access, changes, holds


@task()
def tourism_holds_expire() -> int:
    return holds.holds_expire()


@task()
def booking_refund_send(refund_id: int) -> str:
    return changes.booking_refund_send(refund_id=refund_id).status


@task()
def tourism_refunds_retry() -> int:
    return changes.refunds_retry()


@task()
def booking_voucher_mail(booking_id: int) -> bool:
    """Mail the guest the link to the booking and its voucher (once confirmed)."""
    booking = Booking.objects.select_related("experience").filter(pk=booking_id).first()
    if booking is None or booking.status != Booking.Status.CONFIRMED:
        return False
    base = conf.SITE_URL()
    with translation.override(booking.language or "en"):
        context = {"booking": booking, "url": base + access.booking_url(booking)}
        subject = render_to_string("tourism/mail/confirmed_subject.txt", context).strip()
        body = render_to_string("tourism/mail/confirmed.txt", context)
    send_mail(subject, body, None, [booking.email])
    return True
