"""Payments: the sandbox protocol, signed webhooks, settlement once, refunds, expiry, outages."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.test import Client

from ewtp.core import clock
from ewtp.core.money import Money
from ewtp.ledger import accounts as chart
from ewtp.ledger.models import Account, Entry, Posting
from ewtp.ledger.services import account_for, ledger_verify
from ewtp.payments import registry, sandbox, webhooks
from ewtp.payments.models import Payment, ProviderEvent, Refund, SandboxCharge, SandboxWebhook
from ewtp.payments.providers import Status
from ewtp.payments.services import (
    payment_refund,
    payment_settle,
    payment_start,
    payments_expire,
    payments_poll_pending,
    webhook_receive,
)

CALLS: list[tuple[str, str]] = []


def _succeeded(payment: Payment) -> None:
    if payment.description == "explode":
        raise RuntimeError("injected failure between steps")
    CALLS.append(("succeeded", payment.subject_ref))


def _failed(payment: Payment) -> None:
    CALLS.append(("failed", payment.subject_ref))


@pytest.fixture(autouse=True)
def _subject() -> None:
    CALLS.clear()
    registry.register_subject("test", on_succeeded=_succeeded, on_failed=_failed)


def _start(description: str = "Coffee order", amount: str = "108.12") -> Payment:
    return payment_start(
        subject_type="test",
        subject_ref="S1",
        amount=Money.of(amount, "EUR"),
        email="buyer@example.org",
        description=description,
        return_url="/done/",
    )


def _settlement() -> int:
    account = Account.objects.filter(code="provider:sandbox:settlement", currency="EUR").first()
    return account.balance_minor if account else 0


def _webhook(
    body: dict[str, object], *, timestamp: int | None = None, signature: str | None = None
):  # type: ignore[no-untyped-def]
    raw = json.dumps(body).encode()
    header = signature if signature is not None else webhooks.sign(raw, timestamp=timestamp)
    return Client().post(
        "/api/v1/payments/webhooks/sandbox",
        data=raw,
        content_type="application/json",
        headers={webhooks.SIGNATURE_HEADER: header},
    )


@pytest.mark.django_db(transaction=True)
def test_approval_delivers_a_signed_webhook_that_settles_once() -> None:
    payment = _start()
    assert payment.status == "pending"
    assert payment.approve_url == f"/pay/sandbox/{payment.public_id}/"
    response = Client().post(f"/api/v1/payments/sandbox/{payment.public_id}/approve")
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert CALLS == [("succeeded", "S1")]
    assert _settlement() == 10812
    clearing = Account.objects.get(code="clearing:payments", currency="EUR")
    assert clearing.position_minor == 10812
    delivery = SandboxWebhook.objects.get()
    assert delivery.delivered_at is not None
    assert delivery.attempts == 1
    # The provider delivers the same event again (a retry): money moves once.
    assert (
        sandbox.webhook_post(
            json.dumps(delivery.payload).encode(),
            webhooks.sign(json.dumps(delivery.payload).encode()),
        )
        == 200
    )
    assert ProviderEvent.objects.count() == 1
    assert Posting.objects.filter(kind="payment.captured").count() == 1
    assert CALLS == [("succeeded", "S1")]
    assert ledger_verify()["balanced"] is True


@pytest.mark.django_db(transaction=True)
def test_in_process_webhooks_go_through_one_handler_built_once(monkeypatch, settings) -> None:  # type: ignore[no-untyped-def]
    """A new handler per delivery loaded every middleware again (WhiteNoise walked the static
    root each time); one handler per process serves them all, and still checks signatures."""
    from django.core.handlers.base import BaseHandler

    built: list[str] = []
    real = BaseHandler.load_middleware

    def load(self, is_async=False):  # type: ignore[no-untyped-def]
        built.append(type(self).__name__)
        return real(self, is_async)

    monkeypatch.setattr(BaseHandler, "load_middleware", load)
    settings.EWTP_SANDBOX_OUTAGE = False  # a setting changed: the next delivery builds anew
    for payment in (_start(), _start("Tea order", "20.00")):
        sandbox.charge_decide(reference=payment.provider_reference, approve=True)
        payment.refresh_from_db()
        assert payment.status == "succeeded"
    assert SandboxWebhook.objects.filter(delivered_at__isnull=False).count() == 2
    body = b'{"id":"evt_forged","type":"charge.succeeded","data":{"reference":"ch_x"}}'
    assert sandbox.webhook_post(body, f"t={int(time.time())},v1={'0' * 64}") == 400
    assert built == ["ClientHandler"]
    assert ProviderEvent.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_a_webhook_before_tasks_queued_earlier(settings) -> None:  # type: ignore[no-untyped-def]
    """A payer waits on the delivery: it goes before the mails and jobs already queued."""
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from ewtp.payments.tasks import payments_expire

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    payment = _start()
    payments_expire.enqueue()
    payments_expire.enqueue()
    sandbox.charge_decide(reference=payment.provider_reference, approve=True)
    call_command("db_worker", batch=True, max_tasks=1, no_startup_delay=True, verbosity=0)
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    waiting = DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True)
    assert list(waiting) == ["ewtp.payments.tasks.payments_expire"] * 2


@pytest.mark.django_db
def test_a_replayed_event_and_task_inside_a_transaction_leave_it_usable() -> None:
    """The event's and the money task's INSERTs run bare only in autocommit: a twin refused
    inside an open transaction (here the test's) must not break it (PostgreSQL)."""
    from ewtp.payments.models import MoneyTask
    from ewtp.payments.retry import money_task_enqueue

    payment = _start()
    SandboxCharge.objects.filter(reference=payment.provider_reference).update(status="succeeded")
    reference = payment.provider_reference
    event = {"id": "evt_twice", "type": "charge.succeeded", "data": {"reference": reference}}
    assert webhook_receive(provider_name="sandbox", event=event) == "processed"
    assert webhook_receive(provider_name="sandbox", event=event) == "duplicate"
    task = MoneyTask.objects.get()
    again = money_task_enqueue("payments.refresh", key=task.key, args=task.args)
    assert (again.pk, again.status, again.attempts) == (task.pk, "done", 1)
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert Posting.objects.filter(kind="payment.captured").count() == 1


@pytest.mark.django_db(transaction=True)
def test_bad_signature_and_old_timestamp_are_refused_and_change_nothing() -> None:
    payment = _start()
    charge = SandboxCharge.objects.get()
    SandboxCharge.objects.filter(pk=charge.pk).update(status="succeeded")
    event = {
        "id": "evt_forged",
        "type": "charge.succeeded",
        "data": {"reference": payment.provider_reference},
    }
    forged = _webhook(event, signature=f"t={int(time.time())},v1={'0' * 64}")
    assert forged.status_code == 400
    assert forged.json()["code"] == "invalid_signature"
    old = _webhook(event, timestamp=int(time.time()) - 301)
    assert old.status_code == 400
    assert "tolerance" in old.json()["message"]
    assert ProviderEvent.objects.count() == 0
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert Posting.objects.count() == 0
    good = _webhook(event)
    assert good.status_code == 200
    assert good.json() == {"status": "processed"}
    assert _webhook(event).json() == {"status": "duplicate"}
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert Posting.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_webhook_body_is_not_trusted_the_status_is_fetched() -> None:
    payment = _start()  # still pending at the provider
    outcome = webhook_receive(
        provider_name="sandbox",
        event={
            "id": "evt_1",
            "type": "charge.succeeded",
            "data": {"reference": payment.provider_reference},
        },
    )
    assert outcome == "processed"
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert Posting.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_injected_failure_mid_settlement_leaves_nothing_and_a_rerun_completes_once() -> None:
    payment = _start(description="explode")
    with pytest.raises(RuntimeError):
        payment_settle(payment_id=payment.pk, status=Status("succeeded"))
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert Posting.objects.count() == 0
    assert Entry.objects.count() == 0
    Payment.objects.filter(pk=payment.pk).update(description="fixed")
    payment_settle(payment_id=payment.pk, status=Status("succeeded"))
    payment_settle(payment_id=payment.pk, status=Status("succeeded"))
    assert Posting.objects.filter(kind="payment.captured").count() == 1
    assert CALLS == [("succeeded", "S1")]
    assert ledger_verify()["balanced"] is True


@pytest.mark.django_db(transaction=True)
def test_provider_outage_leaves_the_payment_pending_without_losing_it(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_SANDBOX_OUTAGE = True
    payment = _start()
    assert payment.status == "pending"
    assert payment.approve_url == ""
    assert payment.failure_reason == "provider unavailable; retry later"
    assert Payment.objects.count() == 1
    settings.EWTP_SANDBOX_OUTAGE = False
    Payment.objects.filter(pk=payment.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    assert payments_expire() == 1
    payment.refresh_from_db()
    assert payment.status == "expired"
    assert CALLS == [("failed", "S1")]


@pytest.mark.django_db(transaction=True)
def test_decline_fails_the_payment_and_calls_the_subject() -> None:
    payment = _start()
    response = Client().post(f"/pay/sandbox/{payment.public_id}/", {"decision": "decline"})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == "failed"
    assert payment.failure_reason == "declined by the payer"
    assert CALLS == [("failed", "S1")]


@pytest.mark.django_db(transaction=True)
def test_refunds_partial_then_the_rest_never_more_than_paid() -> None:
    payment = _start(amount="100.00")
    sandbox.charge_decide(reference=payment.provider_reference, approve=True)
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    refund = payment_refund(
        payment=payment, amount=Money.of("30.00", "EUR"), reason="one bag", actor=None
    )
    assert refund.status == "succeeded"
    assert _settlement() == 7000
    with pytest.raises(Exception) as error:
        payment_refund(
            payment=payment, amount=Money.of("70.01", "EUR"), reason="too much", actor=None
        )
    assert getattr(error.value, "code", "") == "refund_exceeds_payment"
    payment_refund(payment=payment, amount=Money.of("70.00", "EUR"), reason="the rest", actor=None)
    payment.refresh_from_db()
    assert payment.refunded_minor == 10000
    assert Refund.objects.filter(status="succeeded").count() == 2
    assert _settlement() == 0
    assert account_for(chart.payments_clearing(), "EUR").balance_minor == 0
    assert ledger_verify()["balanced"] is True


@pytest.mark.django_db(transaction=True)
def test_mobile_money_request_to_pay_is_pending_then_polled_to_success() -> None:
    payment = payment_start(
        subject_type="test",
        subject_ref="S2",
        amount=Money.of("15000", "RWF"),
        email="a@example.org",
        description="Baskets",
        provider_name="momo-sim",
        payer_msisdn="+250 788 123 456",
    )
    assert payment.payer_msisdn == "250788123456"
    assert payment.status == "pending"
    assert payment.approve_url == ""
    assert len(payment.provider_reference) == 36
    assert payments_poll_pending() == 0  # the payer has not approved yet
    assert payments_poll_pending() == 1
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert CALLS == [("succeeded", "S2")]
    settlement = Account.objects.get(code="provider:momo-sim:settlement", currency="RWF")
    assert settlement.balance_minor == 15000
    refund = payment_refund(
        payment=payment, amount=Money.of("5000", "RWF"), reason="one basket", actor=None
    )
    assert refund.status == "succeeded"
    settlement.refresh_from_db()
    assert settlement.balance_minor == 10000


@pytest.mark.django_db(transaction=True)
def test_mobile_money_rejected_by_the_payer_fails_and_bad_numbers_are_refused() -> None:
    payment = payment_start(
        subject_type="test",
        subject_ref="S3",
        amount=Money.of("15000", "RWF"),
        email="a@example.org",
        description="Baskets",
        provider_name="momo-sim",
        payer_msisdn="0788123450",
    )
    payments_poll_pending()
    payment.refresh_from_db()
    assert payment.status == "failed"
    assert payment.failure_reason == "APPROVAL_REJECTED"
    with pytest.raises(Exception) as error:
        payment_start(
            subject_type="test",
            subject_ref="S4",
            amount=Money.of("1", "RWF"),
            email="a@example.org",
            description="x",
            provider_name="momo-sim",
            payer_msisdn="12345",
        )
    assert getattr(error.value, "fields", {}) == {"payer_msisdn": "not a valid mobile number"}
    assert Payment.objects.count() == 1


def test_simulator_speaks_the_request_to_pay_protocol(db) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    headers = {
        "Authorization": "Bearer t",
        "X-Reference-Id": "0f6c9a7e-1d2b-4c3a-9e8f-123456789abc",
    }
    body = {
        "amount": "100",
        "currency": "RWF",
        "externalId": "x",
        "payer": {"partyIdType": "MSISDN", "partyId": "250788000001"},
    }
    refused = client.post(
        "/sim/momo/collection/v1_0/requesttopay",
        body,
        content_type="application/json",
        headers=headers,
    )
    assert (refused.status_code, refused.json()["code"]) == (401, "UNAUTHORIZED")
    headers = {"Authorization": "Bearer sandbox-token", "X-Reference-Id": "not-a-uuid"}
    assert (
        client.post(
            "/sim/momo/collection/v1_0/requesttopay",
            body,
            content_type="application/json",
            headers=headers,
        ).status_code
        == 400
    )
    headers["X-Reference-Id"] = "0f6c9a7e-1d2b-4c3a-9e8f-123456789abc"
    assert (
        client.post(
            "/sim/momo/collection/v1_0/requesttopay",
            body,
            content_type="application/json",
            headers=headers,
        ).status_code
        == 202
    )
    assert (
        client.post(
            "/sim/momo/collection/v1_0/requesttopay",
            body,
            content_type="application/json",
            headers=headers,
        ).status_code
        == 409
    )
    status = client.get(
        "/sim/momo/collection/v1_0/requesttopay/0f6c9a7e-1d2b-4c3a-9e8f-123456789abc",
        headers={"Authorization": "Bearer sandbox-token"},
    ).json()
    assert status == {
        "amount": "100",
        "currency": "RWF",
        "externalId": "x",
        "payer": {"partyIdType": "MSISDN", "partyId": "250788000001"},
        "status": "PENDING",
    }
