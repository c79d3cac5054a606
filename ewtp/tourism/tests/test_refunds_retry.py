"""A refund the provider refused is sent again by the worker's schedule until it goes through;
one whose task never ran is picked up too; one just queued is left to its task."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from ewtp.core import clock, periodic
from ewtp.payments.models import Refund
from ewtp.tourism.models import BookingRefund
from ewtp.tourism.services import changes
from ewtp.tourism.tests.factories import book_api, future, pay, transactional, visitor_json


@transactional
def test_failed_refunds_are_retried_on_a_schedule_until_sent(experience, settings) -> None:  # type: ignore[no-untyped-def]
    assert "tourism.retry_refunds" in {job.name for job in periodic.jobs()}
    client = Client()
    held = book_api(
        client,
        experience.slug,
        {
            "date": future(experience, 40).isoformat(),
            "email": "a@x.org",
            "visitors": [visitor_json()],
        },
    ).json()
    assert pay(client, held).status_code == 200
    from ewtp.tourism.models import Booking

    booking = Booking.objects.get(public_id=held["id"])
    settings.EWTP_SANDBOX_OUTAGE = True  # the provider refuses every call
    changes.booking_cancel(booking=booking, actor=None, reason="plans changed")
    refund = BookingRefund.objects.get(booking=booking)
    assert (refund.status, refund.attempts) == ("failed", 1)
    assert changes.refunds_retry() == 0  # still down: counted, not sent
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == ("failed", 2)

    settings.EWTP_SANDBOX_OUTAGE = False
    job = next(job for job in periodic.jobs() if job.name == "tourism.retry_refunds")
    assert job.run() == 1
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == ("sent", 3)
    assert Refund.objects.get(status="succeeded").amount_minor == refund.amount_minor
    assert job.run() == 0  # sent once, never twice

    # A refund just created is its task's to send; one pending for five minutes is retried.
    fresh = BookingRefund.objects.create(
        booking=booking,
        amount_minor=100,
        currency=refund.currency,
        reason="test",
        created_at=clock.now(),
    )
    assert changes.refunds_retry() == 0
    BookingRefund.objects.filter(pk=fresh.pk).update(created_at=clock.now() - timedelta(minutes=6))
    changes.refunds_retry()
    fresh.refresh_from_db()
    assert fresh.attempts == 1
