"""A refund the provider refused is sent again by the worker's schedule until it goes through;
one whose task never ran is picked up too; one just queued is left to its task."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from ewtp.core import clock, periodic
from ewtp.payments.models import MoneyTask, Refund
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
    settings.EWTP_SANDBOX_OUTAGE = True  # the provider answers nothing
    changes.booking_cancel(booking=booking, actor=None, reason="plans changed")
    refund = BookingRefund.objects.get(booking=booking)
    # Handed to the payments' money task, which keeps it pending through the outage: the
    # booking's refund is sent once, never twice.
    assert (refund.status, refund.attempts) == ("sent", 1)
    at_provider = Refund.objects.get(public_id=refund.refund_ref)
    assert at_provider.status == "pending"
    assert changes.refunds_retry() == 0

    settings.EWTP_SANDBOX_OUTAGE = False
    MoneyTask.objects.update(next_attempt_at=clock.now())
    money = next(job for job in periodic.jobs() if job.name == "payments.money_tasks")
    money.run()
    at_provider.refresh_from_db()
    assert (at_provider.status, at_provider.amount_minor) == ("succeeded", refund.amount_minor)
    job = next(job for job in periodic.jobs() if job.name == "tourism.retry_refunds")
    assert job.run() == 0  # sent once, never twice
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == ("sent", 1)

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
