"""Background work of payments: webhook deliveries of the sandbox, expiry of payments."""

from __future__ import annotations

from django.tasks import task

from ewtp.payments import sandbox, services

# A payer waits for this one: the worker takes it before mails and other tasks queued earlier
# (django-tasks-db runs the highest priority first; the default is 0).
DELIVERY_PRIORITY = 50


@task(priority=DELIVERY_PRIORITY)
def sandbox_deliver_webhook(event_id: str) -> bool:
    return sandbox.webhook_deliver(event_id)


@task()
def payments_expire() -> int:
    return services.payments_expire()
