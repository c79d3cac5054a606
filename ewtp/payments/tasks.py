"""Background work of payments: webhook deliveries of the sandbox, expiry of payments."""

from __future__ import annotations

from django.tasks import task

from ewtp.payments import sandbox, services


@task()
def sandbox_deliver_webhook(event_id: str) -> bool:
    return sandbox.webhook_deliver(event_id)


@task()
def payments_expire() -> int:
    return services.payments_expire()
