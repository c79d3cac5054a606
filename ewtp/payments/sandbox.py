"""The sandbox payment provider: the stand-in for a card network, with the same protocol.

It keeps its own charges, shows its own approval page, and tells the platform about a
decision only through a signed webhook, delivered with retries and back-off, as a real
provider does. The platform then fetches the charge's status; it never trusts the webhook body.
"""

from __future__ import annotations

import functools
import json
import secrets
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Field
from django.utils.translation import gettext as _

from ewtp.core import clock, conf
from ewtp.core.errors import Conflict, NotFound
from ewtp.payments import webhooks
from ewtp.payments.adapters.base import StatementLine
from ewtp.payments.models import SandboxCharge, SandboxWebhook
from ewtp.payments.transport import ProviderUnavailable, platform_request

__all__ = ["ProviderUnavailable"]

WEBHOOK_PATH = "/api/v1/payments/webhooks/sandbox"
MAX_ATTEMPTS = 8


def _outage() -> bool:
    return conf.SANDBOX_OUTAGE()


@functools.cache
def _charge_insert() -> tuple[str, tuple[Field[Any, Any], ...]]:
    """The charge's INSERT, which leaves an existing charge of the same merchant reference as
    it is (``ON CONFLICT DO NOTHING``, PostgreSQL and SQLite) and returns the new id: raw SQL,
    written once per process, because the ORM's ``ignore_conflicts`` does not say whether the
    row was written (and compiled the statement again on every payment)."""
    quote = connection.ops.quote_name
    fields = tuple(f for f in SandboxCharge._meta.concrete_fields if not f.primary_key)
    table = quote(SandboxCharge._meta.db_table)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    key = quote(str(SandboxCharge._meta.get_field("merchant_reference").column))
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) "  # noqa: S608 - names quoted
        f"ON CONFLICT ({key}) DO NOTHING RETURNING {quote(str(SandboxCharge._meta.pk.column))}"
    )
    return sql, fields


def charge_create(
    *,
    merchant_reference: str,
    amount_minor: int,
    currency: str,
    description: str,
    return_url: str,
) -> SandboxCharge:
    """A new charge, or the one already made for this merchant reference: the provider is
    idempotent on it (a unique index; one statement when the charge is new)."""
    if _outage():
        raise ProviderUnavailable("sandbox provider unavailable")
    charge = SandboxCharge(
        reference="ch_" + secrets.token_hex(10),
        merchant_reference=merchant_reference,
        amount_minor=amount_minor,
        currency=currency,
        description=description,
        return_url=return_url,
        created_at=clock.now(),
    )
    sql, fields = _charge_insert()
    values = [f.get_db_prep_save(f.pre_save(charge, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:  # made before (a retry of the same payment): that charge stands
        return SandboxCharge.objects.get(merchant_reference=merchant_reference)
    charge.pk = row[0]
    charge._state.adding = False
    charge._state.db = connection.alias
    return charge


def charge_get(reference: str) -> SandboxCharge:
    if _outage():
        raise ProviderUnavailable("sandbox provider unavailable")
    charge = SandboxCharge.objects.filter(reference=reference).first()
    if charge is None:
        raise NotFound("not_found", _("No such sandbox charge."))
    return charge


def charge_for_merchant_reference(merchant_reference: str) -> SandboxCharge:
    charge = SandboxCharge.objects.filter(merchant_reference=merchant_reference).first()
    if charge is None:
        raise NotFound("not_found", _("No such sandbox payment."))
    return charge


@transaction.atomic
def charge_decide(*, reference: str, approve: bool) -> SandboxCharge:
    """The payer approves or declines on the sandbox page; a webhook is then owed."""
    charge = SandboxCharge.objects.select_for_update().get(reference=reference)
    if charge.status != SandboxCharge.Status.PENDING:
        if (charge.status == SandboxCharge.Status.SUCCEEDED) == approve:
            return charge  # the same decision again changes nothing
        raise Conflict(
            "already_decided", _("This payment was already %(status)s.") % {"status": charge.status}
        )
    charge.status = SandboxCharge.Status.SUCCEEDED if approve else SandboxCharge.Status.DECLINED
    charge.decided_at = clock.now()
    charge.save(update_fields=["status", "decided_at"])
    event_type = "charge.succeeded" if approve else "charge.declined"
    _webhook_owe(event_type, charge.reference)
    return charge


@transaction.atomic
def charge_refund(*, reference: str, amount_minor: int, key: str = "") -> str:
    """Refund part of a charge; idempotent on the merchant's refund key."""
    if _outage():
        raise ProviderUnavailable("sandbox provider unavailable")
    charge = SandboxCharge.objects.select_for_update().get(reference=reference)
    if key and key in charge.refunds:
        return str(charge.refunds[key]["reference"])
    if charge.status not in {SandboxCharge.Status.SUCCEEDED, SandboxCharge.Status.REFUNDED}:
        raise Conflict("not_refundable", _("Only a paid charge can be refunded."))
    if charge.refunded_minor + amount_minor > charge.amount_minor:
        raise Conflict("refund_exceeds_charge", _("The refund exceeds what was charged."))
    charge.refunded_minor += amount_minor
    if charge.refunded_minor == charge.amount_minor:
        charge.status = SandboxCharge.Status.REFUNDED
    refund_reference = "re_" + secrets.token_hex(8)
    if key:
        charge.refunds[key] = {
            "reference": refund_reference,
            "amount_minor": amount_minor,
            "at": clock.now().isoformat(),
        }
    charge.save(update_fields=["refunded_minor", "status", "refunds"])
    return refund_reference


def statement(day: object) -> list[StatementLine]:
    """The sandbox's statement of one day: charges decided and refunds made that day."""
    lines: list[StatementLine] = []
    for charge in SandboxCharge.objects.filter(decided_at__date=day).order_by("pk"):
        if charge.status != SandboxCharge.Status.DECLINED:
            lines.append(
                StatementLine(
                    "payment", charge.reference, charge.amount_minor, charge.currency, "succeeded"
                )
            )
    for charge in SandboxCharge.objects.exclude(refunds={}).order_by("pk"):
        for made in charge.refunds.values():
            if str(made["at"])[:10] == str(day):
                lines.append(
                    StatementLine(
                        "refund",
                        str(made["reference"]),
                        int(made["amount_minor"]),
                        charge.currency,
                        "succeeded",
                    )
                )
    return lines


def _webhook_owe(event_type: str, reference: str) -> SandboxWebhook:
    event_id = "evt_" + secrets.token_hex(10)
    delivery = SandboxWebhook.objects.create(
        event_id=event_id,
        payload={"id": event_id, "type": event_type, "data": {"reference": reference}},
        next_attempt_at=clock.now(),
        created_at=clock.now(),
    )
    transaction.on_commit(lambda: _enqueue_delivery(event_id))
    return delivery


def _enqueue_delivery(event_id: str) -> None:
    from ewtp.payments.tasks import sandbox_deliver_webhook

    sandbox_deliver_webhook.enqueue(event_id)


def webhook_post(body: bytes, signature: str) -> int:
    """Send one webhook to the platform; returns the HTTP status it answered."""
    base_url = conf.WEBHOOK_BASE_URL()
    if base_url:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(  # noqa: S310 - the operator's own configured URL
            base_url.rstrip("/") + WEBHOOK_PATH,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", webhooks.SIGNATURE_HEADER: signature},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError:
            return 0
    # No public URL configured: deliver through the platform's own handler, in process, with
    # the same headers and body an HTTP delivery would carry.
    answer = platform_request(
        "POST",
        WEBHOOK_PATH,
        body=body,
        headers={"Content-Type": "application/json", webhooks.SIGNATURE_HEADER: signature},
        secure=conf.HTTPS(),
    )
    return answer.status


def webhook_deliver(event_id: str) -> bool:
    """Try one delivery; on failure schedule the next attempt with exponential back-off."""
    delivery = SandboxWebhook.objects.filter(event_id=event_id, delivered_at__isnull=True).first()
    if delivery is None:
        return True
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    status = webhook_post(body, webhooks.sign(body))
    delivery.attempts += 1
    delivery.last_status = status or None
    if 200 <= status < 300:
        delivery.delivered_at = clock.now()
    else:
        delivery.next_attempt_at = clock.now() + timedelta(seconds=10 * 2**delivery.attempts)
    delivery.save(update_fields=["attempts", "last_status", "delivered_at", "next_attempt_at"])
    return delivery.delivered_at is not None


def webhooks_redeliver_due() -> int:
    """Retry every undelivered webhook whose time has come; returns how many were delivered."""
    due = SandboxWebhook.objects.filter(
        delivered_at__isnull=True, next_attempt_at__lte=clock.now(), attempts__lt=MAX_ATTEMPTS
    ).values_list("event_id", flat=True)
    return sum(webhook_deliver(event_id) for event_id in list(due))
