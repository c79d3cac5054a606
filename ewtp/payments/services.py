"""Every write of payments: start, settle, refund, expire; webhooks only trigger a status fetch.

No provider is ever called inside a database transaction: each service writes, commits,
calls the provider, then writes again.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import phonenumbers
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ewtp.core import clock, conf, rows
from ewtp.core.errors import Conflict, DomainError, InvalidRequest
from ewtp.core.money import Money
from ewtp.core.services import audit_record, with_answer
from ewtp.core.transactions import in_transaction
from ewtp.ledger import accounts as chart
from ewtp.ledger.services import (
    PostingSpec,
    account_for,
    accounts_for,
    credit,
    debit,
    posting_record,
    postings_record,
)
from ewtp.payments import providers, registry
from ewtp.payments.adapters.base import event_id as event_id_of
from ewtp.payments.adapters.base import json_object
from ewtp.payments.models import Payment, ProviderEvent, Refund
from ewtp.payments.providers import SANDBOX, ProviderUnavailable, Status
from ewtp.payments.retry import money_task_attempt, money_task_enqueue


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


def no_provider_error() -> DomainError:
    return DomainError(
        "no_payment_provider",
        _(
            "No payment provider is configured, so payments cannot be taken here yet. "
            "The platform's operator must name one (EWTP_PAYMENT_PROVIDERS)."
        ),
        http_status=503,
    )


def payment_providers_require() -> None:
    """Refuse, before anything is held, when no payment provider is offered (503)."""
    if not providers.offered():
        raise no_provider_error()


def provider_choose(provider_name: str | None, payer_msisdn: str) -> str:
    """The provider for a new payment: the one asked for (it must be offered), else the first
    offered that can take this payment (a mobile-money one only with a payer's number)."""
    names = providers.offered()
    if not names:
        raise no_provider_error()
    if provider_name:
        return providers.provider_offered(provider_name).name
    for name in names:
        if payer_msisdn or not providers.provider(name).needs_msisdn:
            return name
    raise InvalidRequest(
        "payer_msisdn_required",
        _("Give the mobile-money number to pay from."),
        fields={"payer_msisdn": "required"},
    )


def payment_start(
    *,
    subject_type: str,
    subject_ref: str,
    amount: Money,
    email: str,
    description: str,
    return_url: str = "",
    provider_name: str | None = None,
    payer_msisdn: str = "",
    public_id: uuid.UUID | None = None,
    with_the_answer: bool = False,
) -> Payment:
    """Open a payment and ask the provider for it; call outside any transaction.

    ``with_the_answer``: the provider's reference is written with the answer of the
    idempotent call under way (``core.services.with_answer``: one commit for both), for a
    caller that reads the payment no more before answering.

    ``public_id`` lets the subject name its payment before it exists (written with the
    subject's own row, so that no second write links them).

    Without ``provider_name`` the first offered provider that fits is used; with none offered
    the answer says so (503 no_payment_provider). A provider outage leaves the payment pending
    without an approval link (the subject's hold keeps running and expires as usual);
    `payment_retry` asks the provider again, with the same reference.
    """
    if in_transaction():
        raise RuntimeError("payment_start calls the provider: call it outside a transaction")
    if amount.amount <= 0:
        raise InvalidRequest("invalid_amount", _("A payment needs a positive amount."))
    name = provider_choose(provider_name, payer_msisdn)
    if providers.provider(name).needs_msisdn:
        payer_msisdn = msisdn_normalise(payer_msisdn)
    now = clock.now()
    payment = Payment(
        public_id=public_id or uuid.uuid4(),
        provider=name,
        subject_type=subject_type,
        subject_ref=subject_ref,
        amount_minor=amount.rounded().minor,
        currency=amount.currency,
        email=email,
        description=description[:300],
        return_url=return_url,
        payer_msisdn=payer_msisdn,
        created_at=now,
        expires_at=now + _payment_ttl(),
    )
    rows.rows_insert([payment])  # SQL written once per process, as the update that follows
    return payment_retry(payment=payment, with_the_answer=with_the_answer)


UNCONFIRMED = "provider unavailable; retry later"


def payment_retry(*, payment: Payment, with_the_answer: bool = False) -> Payment:
    """Ask the provider to create the payment (again, under the same reference).

    The reference is stored before the request, so that after a timeout the status query
    finds what the provider made of it."""
    confirmed = payment.provider_reference and payment.failure_reason != UNCONFIRMED
    if payment.status in Payment.FINAL or confirmed:
        return payment
    adapter = providers.provider(payment.provider)
    reference = payment.provider_reference or adapter.reference_for(payment)
    if reference and not payment.provider_reference:
        payment.provider_reference = reference
        payment.failure_reason = UNCONFIRMED  # until the provider confirms it has it
        payment.save(update_fields=["provider_reference", "failure_reason"])
    try:
        created = adapter.create(payment)
    except ProviderUnavailable:
        payment.failure_reason = UNCONFIRMED
        payment.save(update_fields=["failure_reason"])
        return payment
    payment.provider_reference = created.reference
    payment.approve_url = created.approve_url
    payment.failure_reason = ""
    confirmed_columns = ("provider_reference", "approve_url", "failure_reason")
    if with_the_answer:
        with_answer(payment, confirmed_columns)
    else:
        rows.row_update(payment, confirmed_columns)
    return payment


def payment_refresh(*, payment: Payment, strict: bool = False) -> Payment:
    """Fetch the provider's word on the payment and settle it when final.

    A provider that has no such request (creation timed out before it arrived) is asked to
    create it again under the same reference. ``strict`` lets an outage raise (for retries)."""
    if payment.status in Payment.FINAL or not payment.provider_reference:
        return payment
    try:
        status = providers.provider(payment.provider).status(payment)
    except ProviderUnavailable:
        if strict:
            raise
        return payment
    if status.state == "missing":
        Payment.objects.filter(pk=payment.pk).update(failure_reason=UNCONFIRMED)
        payment.failure_reason = UNCONFIRMED
        return payment_retry(payment=payment)
    if status.state == "pending":
        if payment.failure_reason == UNCONFIRMED:  # the provider has it after all
            Payment.objects.filter(pk=payment.pk).update(failure_reason="")
            payment.failure_reason = ""
        return payment
    return payment_settle(payment_id=payment.pk, status=status)


def payment_refresh_task(*, payment_id: int) -> None:
    """A money task: settle the payment from the provider's status (retried on an outage)."""
    payment_refresh(payment=Payment.objects.get(pk=payment_id), strict=True)


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
        settlement, clearing = accounts_for(
            [
                (chart.provider_settlement(payment.provider), amount.currency),
                (chart.payments_clearing(), amount.currency),
            ]
        )
        captured = PostingSpec(
            kind="payment.captured",
            legs=[debit(settlement, amount), credit(clearing, amount)],
            memo=payment.description,
            reference=str(payment.public_id),
            dedupe_key=f"payment:{payment.public_id}:captured",
        )
        if handlers is not None and handlers.returns_postings:
            # The subject's own postings (an order's escrow) go with the capture, at once.
            postings_record([captured, *(handlers.on_succeeded(payment) or [])])
        else:  # the subject records its own, after the capture
            postings_record([captured])
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
    """Ask the providers about pending payments (callbacks are only hints, and may never come);
    payments whose creation is unconfirmed are asked for again."""
    settled = 0
    pending = Payment.objects.filter(status=Payment.Status.PENDING).exclude(provider=SANDBOX)
    for payment in list(pending.order_by("created_at")[:200]):
        if payment.provider_reference:
            payment = payment_refresh(payment=payment)
        else:
            payment = payment_retry(payment=payment)
        settled += payment.status in Payment.FINAL
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


def _event_record(
    *, provider_name: str, event_id: str, kind: str, reference: str, payload: Any
) -> bool:
    """Record an incoming event once; False when it was delivered before."""
    event = ProviderEvent(
        provider=provider_name,
        event_id=event_id,
        kind=kind,
        reference=reference,
        payload=payload,
        received_at=clock.now(),
    )
    try:
        if connection.in_atomic_block:  # a savepoint: the transaction survives a twin's row
            with transaction.atomic():
                event.save(force_insert=True)
        else:  # autocommit: one INSERT on its own, a twin's refusal undoes nothing else
            event.save(force_insert=True)
    except IntegrityError:
        return False
    return True


def _refresh_later(event_key: str, payment: Payment) -> None:
    money_task_enqueue(
        "payments.refresh", key=f"event:{event_key}", args={"payment_id": payment.pk}
    )


def webhook_receive(*, provider_name: str, event: dict[str, Any]) -> str:
    """Take a verified sandbox event once; it only triggers a status fetch (retried)."""
    event_id = str(event.get("id", ""))
    reference = str((event.get("data") or {}).get("reference", ""))
    if not event_id or not reference:
        raise InvalidRequest("invalid_event", "The event needs an id and data.reference.")
    if not _event_record(
        provider_name=provider_name,
        event_id=event_id,
        kind=str(event.get("type", "")),
        reference=reference,
        payload=event,
    ):
        return "duplicate"
    payment = Payment.objects.filter(provider=provider_name, provider_reference=reference).first()
    if payment is None:
        return "unknown_reference"
    _refresh_later(f"{provider_name}:{event_id}", payment)
    return "processed"


def _as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def callback_receive(*, provider_name: str, headers: Mapping[str, str], body: bytes) -> str:
    """A provider's callback or webhook: refused unless it proves itself, taken once, and
    never trusted: it only makes the platform ask the provider for the status."""
    adapter = providers.provider_offered(provider_name)
    reference = adapter.callback(headers, body)
    if reference is None:
        raise DomainError("invalid_signature", "Callback refused: not proven.", http_status=401)
    event_id = event_id_of(body)
    payload = json_object(body)
    if not _event_record(
        provider_name=provider_name,
        event_id=event_id,
        kind="callback",
        reference=reference[:100],
        payload=payload,
    ):
        return "duplicate"
    as_uuid = _as_uuid(reference.split(":")[-1])
    payment = Payment.objects.filter(provider=provider_name, provider_reference=reference).first()
    if payment is None and as_uuid is not None:
        payment = Payment.objects.filter(provider=provider_name, public_id=as_uuid).first()
    if payment is not None:
        _refresh_later(f"{provider_name}:{event_id}", payment)
        return "processed"
    from ewtp.payments.payouts import payout_for_reference, payout_refresh_later

    payout = payout_for_reference(provider_name, reference)
    if payout is not None:
        payout_refresh_later(payout, event_key=f"{provider_name}:{event_id}")
        return "processed"
    return "unknown_reference"


def payment_refund(*, payment: Payment, amount: Money, reason: str, actor: Any) -> Refund:
    """Give money back to the payer through the provider: Dr clearing, Cr settlement.

    The caller first moves the refunded amount back into payments clearing (out of escrow,
    a payable or a share) with its own reversing posting. The refund is a money task: a
    provider refusal fails it at once (409 refund_failed, the reservation released); an outage,
    or a crash after the provider refunded, leaves it pending and retried until it is booked,
    once (the provider's refund is keyed by ours, and its reference is kept as soon as known).
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
        task = money_task_enqueue(
            "payments.refund",
            key=f"refund:{refund.public_id}",
            args={"refund_id": refund.pk},
            run_now=False,
        )
    money_task_attempt(task_id=task.pk)
    refund.refresh_from_db()
    if refund.status == Refund.Status.FAILED:
        raise Conflict(
            "refund_failed",
            _("The provider did not refund: %(error)s") % {"error": refund.failure_reason},
        )
    return refund


def refund_complete(*, refund_id: int) -> None:
    """A money task: have the provider refund (keyed by our refund), keep its reference at
    once, then book the refund. Run again after any failure, it never refunds twice."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != Refund.Status.PENDING:
        return
    payment = refund.payment
    if not refund.provider_reference:
        try:
            reference = providers.provider(payment.provider).refund(
                payment, refund.amount_minor, str(refund.public_id)
            )
        except DomainError as refusal:  # the provider said no: nothing was refunded
            _refund_fail(refund, str(refusal.message))
            return
        Refund.objects.filter(pk=refund.pk).update(provider_reference=reference[:100])
        refund.provider_reference = reference[:100]
    refund_book(refund=refund)


def _refund_fail(refund: Refund, reason: str) -> None:
    with transaction.atomic(durable=True):  # release the reservation
        Payment.objects.filter(pk=refund.payment_id).update(
            refunded_minor=F("refunded_minor") - refund.amount_minor
        )
        Refund.objects.filter(pk=refund.pk).update(
            status=Refund.Status.FAILED, failure_reason=reason[:300]
        )


@transaction.atomic(durable=True)
def refund_book(*, refund: Refund) -> None:
    """Book a refund the provider made: once, whatever the number of attempts."""
    locked = Refund.objects.select_for_update().select_related("payment").get(pk=refund.pk)
    if locked.status != Refund.Status.PENDING:
        return
    payment, amount = locked.payment, locked.amount
    locked.status = Refund.Status.SUCCEEDED
    locked.save(update_fields=["status"])
    posting_record(
        kind="payment.refunded",
        legs=[
            debit(account_for(chart.payments_clearing(), amount.currency), amount),
            credit(
                account_for(chart.provider_settlement(payment.provider), amount.currency), amount
            ),
        ],
        memo=locked.reason,
        reference=str(payment.public_id),
        dedupe_key=f"refund:{locked.public_id}",
    )
    audit_record(
        actor=None,
        action="payments.refund.succeeded",
        target=locked,
        data={"amount": str(amount), "reason": locked.reason, "by": locked.actor_label},
    )
