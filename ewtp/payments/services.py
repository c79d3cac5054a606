"""Every write of payments: start, settle, refund, expire; webhooks only trigger a status fetch.

No provider is ever called inside a database transaction: each service writes, commits,
calls the provider, then writes again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import phonenumbers
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ewtp.core import clock, conf
from ewtp.core.errors import Conflict, DomainError, InvalidRequest
from ewtp.core.money import Money
from ewtp.core.services import audit_record
from ewtp.core.transactions import in_transaction
from ewtp.ledger import accounts as chart
from ewtp.ledger.services import account_for, credit, debit, posting_record
from ewtp.payments import registry
from ewtp.payments.models import Payment, ProviderEvent, Refund
from ewtp.payments.providers import ProviderUnavailable, Status, provider


def msisdn_normalise(number: str, region: str = "RW") -> str:
    """A mobile-money number in E.164 digits (2507...), or a clear error naming the field."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise InvalidRequest(
            "invalid_msisdn",
            _("This is not a valid mobile number."),
            fields={"payer_msisdn": "not a valid mobile number"},
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164).lstrip("+")


def _payment_ttl() -> timedelta:
    return timedelta(minutes=conf.PAYMENT_TTL_MINUTES())


def payment_start(
    *,
    subject_type: str,
    subject_ref: str,
    amount: Money,
    email: str,
    description: str,
    return_url: str = "",
    provider_name: str = "sandbox",
    payer_msisdn: str = "",
) -> Payment:
    """Open a payment and ask the provider for it; call outside any transaction.

    A provider outage leaves the payment pending without an approval link (the subject's hold
    keeps running and expires as usual); `payment_retry` asks the provider again.
    """
    if in_transaction():
        raise RuntimeError("payment_start calls the provider: call it outside a transaction")
    if amount.amount <= 0:
        raise InvalidRequest("invalid_amount", _("A payment needs a positive amount."))
    if provider_name not in {"sandbox", "momo"}:
        raise InvalidRequest(
            "unknown_provider",
            _("No payment provider %(provider)s.") % {"provider": repr(provider_name)},
        )
    if provider_name == "momo":
        payer_msisdn = msisdn_normalise(payer_msisdn)
    payment = Payment.objects.create(
        provider=provider_name,
        subject_type=subject_type,
        subject_ref=subject_ref,
        amount_minor=amount.rounded().minor,
        currency=amount.currency,
        email=email,
        description=description[:300],
        return_url=return_url,
        payer_msisdn=payer_msisdn,
        created_at=clock.now(),
        expires_at=clock.now() + _payment_ttl(),
    )
    return payment_retry(payment=payment)


def payment_retry(*, payment: Payment) -> Payment:
    """Ask the provider to create the payment (again); idempotent at the provider."""
    if payment.provider_reference or payment.status in Payment.FINAL:
        return payment
    try:
        created = provider(payment.provider).create(payment)
    except ProviderUnavailable:
        payment.failure_reason = "provider unavailable; retry later"
        payment.save(update_fields=["failure_reason"])
        return payment
    payment.provider_reference = created.reference
    payment.approve_url = created.approve_url
    payment.failure_reason = ""
    payment.save(update_fields=["provider_reference", "approve_url", "failure_reason"])
    return payment


def payment_refresh(*, payment: Payment) -> Payment:
    """Fetch the provider's word on the payment and settle it when final."""
    if payment.status in Payment.FINAL or not payment.provider_reference:
        return payment
    try:
        status = provider(payment.provider).status(payment)
    except ProviderUnavailable:
        return payment
    return payment_settle(payment_id=payment.pk, status=status)


@transaction.atomic(durable=True)
def payment_settle(*, payment_id: int, status: Status) -> Payment:
    """Record the provider's final answer once: the ledger and the subject move with it."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status in Payment.FINAL or status.state == "pending":
        return payment
    handlers = registry.handlers_for(payment.subject_type)
    if status.state == "succeeded":
        payment.status = Payment.Status.SUCCEEDED
        payment.settled_at = clock.now()
        payment.save(update_fields=["status", "settled_at"])
        amount = payment.amount
        posting_record(
            kind="payment.captured",
            legs=[
                debit(
                    account_for(chart.provider_settlement(payment.provider), amount.currency),
                    amount,
                ),
                credit(account_for(chart.payments_clearing(), amount.currency), amount),
            ],
            memo=payment.description,
            reference=str(payment.public_id),
            dedupe_key=f"payment:{payment.public_id}:captured",
        )
        if handlers is not None:
            handlers.on_succeeded(payment)
    else:
        payment.status = Payment.Status.FAILED
        payment.failure_reason = status.reason[:300]
        payment.save(update_fields=["status", "failure_reason"])
        if handlers is not None:
            handlers.on_failed(payment)
    audit_record(
        actor=None,
        action=f"payments.payment.{payment.status}",
        target=payment,
        data={"provider": payment.provider, "amount": str(payment.amount)},
    )
    return payment


def payments_poll_pending() -> int:
    """Poll the providers that have no webhooks (mobile money) for pending payments."""
    settled = 0
    for payment in list(
        Payment.objects.filter(status=Payment.Status.PENDING, provider="momo").exclude(
            provider_reference=""
        )[:200]
    ):
        if payment_refresh(payment=payment).status in Payment.FINAL:
            settled += 1
    return settled


def payments_expire() -> int:
    """Expire pending payments past their time, after one last look at the provider."""
    expired = 0
    due = Payment.objects.filter(status=Payment.Status.PENDING, expires_at__lte=clock.now())
    for payment in list(due):
        payment = payment_refresh(payment=payment)
        if payment.status != Payment.Status.PENDING:
            continue
        with transaction.atomic(durable=True):
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if locked.status != Payment.Status.PENDING:
                continue
            locked.status = Payment.Status.EXPIRED
            locked.failure_reason = "not paid in time"
            locked.save(update_fields=["status", "failure_reason"])
            handlers = registry.handlers_for(locked.subject_type)
            if handlers is not None:
                handlers.on_failed(locked)
            audit_record(actor=None, action="payments.payment.expired", target=locked)
        expired += 1
    return expired


def webhook_receive(*, provider_name: str, event: dict[str, Any]) -> str:
    """Take a verified provider event once; it only triggers a status fetch."""
    event_id = str(event.get("id", ""))
    reference = str((event.get("data") or {}).get("reference", ""))
    if not event_id or not reference:
        raise InvalidRequest("invalid_event", "The event needs an id and data.reference.")
    try:
        with transaction.atomic():
            ProviderEvent.objects.create(
                provider=provider_name,
                event_id=event_id,
                kind=str(event.get("type", "")),
                reference=reference,
                payload=event,
                received_at=clock.now(),
            )
    except IntegrityError:
        return "duplicate"
    payment = Payment.objects.filter(provider=provider_name, provider_reference=reference).first()
    if payment is None:
        return "unknown_reference"
    payment_refresh(payment=payment)
    return "processed"


def payment_refund(*, payment: Payment, amount: Money, reason: str, actor: Any) -> Refund:
    """Give money back to the payer through the provider: Dr clearing, Cr settlement.

    The caller first moves the refunded amount back into payments clearing (out of escrow,
    a payable or a share) with its own reversing posting.
    """
    if in_transaction():
        raise RuntimeError("payment_refund calls the provider: call it outside a transaction")
    if amount.currency != payment.currency or amount.amount <= 0:
        raise InvalidRequest(
            "invalid_amount", _("The refund must be positive, in the payment's currency.")
        )
    with transaction.atomic(durable=True):
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != Payment.Status.SUCCEEDED:
            raise Conflict("not_refundable", _("Only a paid payment can be refunded."))
        if locked.refunded_minor + amount.minor > locked.amount_minor:
            raise Conflict("refund_exceeds_payment", _("The refund exceeds what was paid."))
        locked.refunded_minor += amount.minor  # reserved now, so two refunds cannot overdraw
        locked.save(update_fields=["refunded_minor"])
        refund = Refund.objects.create(
            payment=locked,
            amount_minor=amount.minor,
            currency=amount.currency,
            reason=reason[:300],
            created_at=clock.now(),
            actor_label=getattr(actor, "email", "") or "system",
        )
    try:
        reference = provider(payment.provider).refund(payment, amount.minor)
    except (ProviderUnavailable, DomainError) as error:
        with transaction.atomic(durable=True):  # release the reservation
            Payment.objects.filter(pk=payment.pk).update(
                refunded_minor=F("refunded_minor") - amount.minor
            )
            Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED)
        raise Conflict(
            "refund_failed", _("The provider did not refund: %(error)s") % {"error": error}
        ) from None
    with transaction.atomic(durable=True):
        Refund.objects.filter(pk=refund.pk).update(
            status=Refund.Status.SUCCEEDED, provider_reference=reference
        )
        posting_record(
            kind="payment.refunded",
            legs=[
                debit(account_for(chart.payments_clearing(), amount.currency), amount),
                credit(
                    account_for(chart.provider_settlement(payment.provider), amount.currency),
                    amount,
                ),
            ],
            memo=reason,
            reference=str(payment.public_id),
            dedupe_key=f"refund:{refund.public_id}",
            actor=actor,
        )
        audit_record(
            actor=actor,
            action="payments.refund.succeeded",
            target=refund,
            data={"amount": str(amount), "reason": reason},
        )
    refund.refresh_from_db()
    return refund
