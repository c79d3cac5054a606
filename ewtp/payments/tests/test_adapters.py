"""The real providers' adapters against in-suite simulators of their HTTP protocols: success,
a timeout and a 5xx on creation (unknown, then resolved by a status query), a payment pending
for ever (expires, never paid), duplicate callbacks (processed once), forged ones (refused)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
from django.test import Client

from ewtp.core import clock
from ewtp.core.money import Money
from ewtp.ledger.models import Account, Posting
from ewtp.ledger.services import ledger_verify
from ewtp.payments.adapters.airtel import callback_hash
from ewtp.payments.adapters.flutterwave import signature_of
from ewtp.payments.models import Payment, ProviderEvent
from ewtp.payments.services import (
    UNCONFIRMED,
    payment_start,
    payments_expire,
    payments_poll_pending,
)
from ewtp.payments.tests import simulators
from ewtp.payments.tests.conftest import CALLS

pytestmark = pytest.mark.django_db(transaction=True)


def _start(provider: str, msisdn: str = "", amount: str = "15000", ref: str = "S1") -> Payment:
    return payment_start(
        subject_type="sim",
        subject_ref=ref,
        amount=Money.of(amount, "RWF"),
        email="buyer@example.org",
        description="Agaseke baskets",
        return_url="/done/",
        provider_name=provider,
        payer_msisdn=msisdn,
    )


def _settled(provider: str) -> int:
    account = Account.objects.filter(code=f"provider:{provider}:settlement", currency="RWF").first()
    return account.balance_minor if account else 0


def _post(provider: str, body: bytes, **headers: str) -> tuple[int, dict[str, object]]:
    response = Client().post(
        f"/api/v1/payments/callbacks/{provider}",
        body,
        content_type="application/json",
        headers=headers,
    )
    return response.status_code, response.json()


# -- MTN MoMo ---------------------------------------------------------------------------------


def test_mtn_request_to_pay_is_pending_then_paid_with_one_token(sim: simulators.Simulator) -> None:
    payment = _start("mtn-momo", "+250 788 123 456")
    assert (payment.status, payment.failure_reason, payment.approve_url) == ("pending", "", "")
    assert uuid.UUID(payment.provider_reference).version == 4
    record = sim.state.records[payment.provider_reference]
    assert (record.amount, record.currency, record.party, record.external) == (
        "15000",
        "RWF",
        "250788123456",
        str(payment.public_id),
    )
    assert payments_poll_pending() == 0  # the payer has not approved yet
    assert payments_poll_pending() == 1
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert CALLS == [("succeeded", "S1")]
    assert _settled("mtn-momo") == 15000
    assert sim.state.tokens_issued == 1  # one token for every call of the product


def test_mtn_timeout_on_creation_is_unknown_then_the_status_query_resolves_it(
    sim: simulators.Simulator,
) -> None:
    sim.state.slow_next = 1
    payment = _start("mtn-momo", "0788123456")
    assert (payment.status, payment.failure_reason) == ("pending", UNCONFIRMED)
    assert payment.provider_reference in sim.state.records  # the provider has it all the same
    assert payments_poll_pending() == 0
    payment.refresh_from_db()
    assert payment.failure_reason == ""  # confirmed by the status query, not created twice
    assert payments_poll_pending() == 1
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    creations = [r for r in sim.state.requests if r == ("POST", "/collection/v1_0/requesttopay")]
    assert len(creations) == 1


def test_mtn_5xx_then_a_lost_request_is_sent_again_under_the_same_reference(
    sim: simulators.Simulator,
) -> None:
    sim.state.fail_next = 1
    payment = _start("mtn-momo", "0788123456")
    assert (payment.status, payment.failure_reason) == ("pending", UNCONFIRMED)
    reference = payment.provider_reference
    sim.state.records.clear()  # as if the request never reached MTN: the status query says 404
    payments_poll_pending()
    payment.refresh_from_db()
    assert payment.provider_reference == reference
    assert list(sim.state.records) == [reference]
    assert payment.failure_reason == ""
    payments_poll_pending()
    payments_poll_pending()
    payment.refresh_from_db()
    assert payment.status == "succeeded"


def test_mtn_payment_pending_for_ever_expires_and_is_never_paid(sim: simulators.Simulator) -> None:
    payment = _start("mtn-momo", "0788123459")  # ends in 9: the payer never answers
    for _ in range(3):
        assert payments_poll_pending() == 0
    Payment.objects.filter(pk=payment.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    assert payments_expire() == 1
    payment.refresh_from_db()
    assert (payment.status, payment.failure_reason) == ("expired", "not paid in time")
    assert CALLS == [("failed", "S1")]
    assert Posting.objects.count() == 0


def test_mtn_refused_payer_fails_with_the_reason(sim: simulators.Simulator) -> None:
    payment = _start("mtn-momo", "0788123450")
    payments_poll_pending()
    payment.refresh_from_db()
    assert (payment.status, payment.failure_reason) == ("failed", "NOT_ENOUGH_FUNDS")


def test_mtn_callback_twice_is_processed_once_and_a_forged_one_changes_nothing(
    sim: simulators.Simulator,
) -> None:
    sim.state.approve_after = 0
    payment = _start("mtn-momo", "0788123456")
    body = json.dumps(
        {
            "externalId": str(payment.public_id),
            "amount": "15000",
            "currency": "RWF",
            "status": "SUCCESSFUL",
        }
    ).encode()
    assert _post("mtn-momo", body) == (200, {"status": "processed"})
    assert _post("mtn-momo", body) == (200, {"status": "duplicate"})
    again = Client().put(
        "/api/v1/payments/callbacks/mtn-momo", body, content_type="application/json"
    )  # MTN calls back with PUT or POST
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert Posting.objects.filter(kind="payment.captured").count() == 1
    forged_for = _start("mtn-momo", "0788123459", ref="S2")  # pending at MTN
    forged = json.dumps({"externalId": str(forged_for.public_id), "status": "SUCCESSFUL"}).encode()
    assert _post("mtn-momo", forged) == (200, {"status": "processed"})
    forged_for.refresh_from_db()
    assert forged_for.status == "pending"  # the body is only a hint: MTN says pending
    assert CALLS == [("succeeded", "S1")]


def test_mtn_refused_and_expired_tokens_are_renewed(sim: simulators.Simulator, settings) -> None:  # type: ignore[no-untyped-def]
    payment = _start("mtn-momo", "0788123456")
    sim.state.tokens.clear()  # MTN forgets the token (a new API key invalidates old tokens)
    payments_poll_pending()
    assert sim.state.tokens_issued == 2
    sim.state.token_lifetime = 0.6
    sim.state.tokens.clear()
    payments_poll_pending()  # refused, renewed: a short-lived token
    time.sleep(0.7)
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert sim.state.tokens_issued == 3
    settings.EWTP_MTN_COLLECTION_KEY = "wrong"
    with pytest.raises(Exception) as error:
        _start("mtn-momo", "0788123456", ref="S2")
    assert getattr(error.value, "code", "") == "provider_refused"


# -- Airtel Money -----------------------------------------------------------------------------


def test_airtel_collection_by_enquiry_with_the_local_number(sim: simulators.Simulator) -> None:
    payment = _start("airtel-money", "0731234567")
    record = sim.state.records[payment.provider_reference]
    assert (record.party, record.amount, payment.failure_reason) == ("731234567", "15000", "")
    assert payments_poll_pending() == 0
    assert payments_poll_pending() == 1
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert _settled("airtel-money") == 15000


def test_airtel_timeout_and_5xx_on_creation_resolved_by_enquiry(sim: simulators.Simulator) -> None:
    sim.state.slow_next = 1
    slow = _start("airtel-money", "0731234567")
    sim.state.fail_next = 1
    failing = _start("airtel-money", "0731234566", ref="S2")
    assert [slow.failure_reason, failing.failure_reason] == [UNCONFIRMED, UNCONFIRMED]
    payments_poll_pending()
    payments_poll_pending()
    slow.refresh_from_db()
    failing.refresh_from_db()
    assert (slow.status, failing.status) == ("succeeded", "succeeded")
    assert len(sim.state.records) == 2


def test_airtel_pending_for_ever_expires(sim: simulators.Simulator) -> None:
    payment = _start("airtel-money", "0731234569")
    payments_poll_pending()
    Payment.objects.filter(pk=payment.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    assert payments_expire() == 1
    payment.refresh_from_db()
    assert payment.status == "expired"
    assert _settled("airtel-money") == 0


def test_airtel_callbacks_need_their_hash_and_count_once(sim: simulators.Simulator) -> None:
    sim.state.approve_after = 0
    payment = _start("airtel-money", "0731234567")
    transaction = {
        "id": payment.provider_reference,
        "message": "paid",
        "status_code": "TS",
        "airtel_money_id": "X",
    }
    forged = json.dumps({"transaction": transaction, "hash": "bm90IGEgaGFzaA=="}).encode()
    assert _post("airtel-money", forged)[0] == 401
    assert ProviderEvent.objects.count() == 0
    payment.refresh_from_db()
    assert payment.status == "pending"
    genuine = json.dumps(
        {"transaction": transaction, "hash": callback_hash(transaction, "airtel-callback-key")}
    ).encode()
    assert _post("airtel-money", genuine) == (200, {"status": "processed"})
    assert _post("airtel-money", genuine) == (200, {"status": "duplicate"})
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert Posting.objects.filter(kind="payment.captured").count() == 1


# -- Flutterwave ------------------------------------------------------------------------------


def _flw_webhook(data: dict[str, object], **headers: str) -> tuple[int, dict[str, object]]:
    body = json.dumps({"event": "charge.completed", "data": data}).encode()
    return _post("flutterwave", body, **headers)


def test_flutterwave_hosted_checkout_paid_verified_once(sim: simulators.Simulator) -> None:
    payment = _start("flutterwave")
    assert payment.approve_url.startswith("https://checkout.flutterwave.test/v3/hosted/pay/")
    link = sim.state.flw_links[payment.provider_reference]
    assert (link["amount"], link["currency"], link["customer"]) == (
        15000,
        "RWF",
        {"email": "buyer@example.org"},
    )
    assert link["redirect_url"] == "http://127.0.0.1:8000/done/"
    paid = sim.flutterwave_pay(payment.provider_reference)
    data = {"id": paid["id"], "tx_ref": payment.provider_reference, "status": "successful"}
    assert _flw_webhook(data, **{"verif-hash": simulators.FLW_HASH}) == (
        200,
        {"status": "processed"},
    )
    assert _flw_webhook(data, **{"verif-hash": simulators.FLW_HASH}) == (
        200,
        {"status": "duplicate"},
    )
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert _settled("flutterwave") == 15000
    assert Posting.objects.filter(kind="payment.captured").count() == 1


def test_flutterwave_forged_webhooks_are_refused_or_change_nothing(
    sim: simulators.Simulator,
) -> None:
    payment = _start("flutterwave")
    data = {"id": 1, "tx_ref": payment.provider_reference, "status": "successful"}
    assert _flw_webhook(data)[0] == 401
    assert _flw_webhook(data, **{"verif-hash": "guess"})[0] == 401
    assert _flw_webhook(data, **{"flutterwave-signature": "Z3Vlc3M="})[0] == 401
    assert ProviderEvent.objects.count() == 0
    # Proven, but claiming a payment Flutterwave never saw: verification finds nothing.
    assert _flw_webhook(data, **{"verif-hash": simulators.FLW_HASH}) == (
        200,
        {"status": "processed"},
    )
    payment.refresh_from_db()
    assert payment.status == "pending"
    # The signature form, over the raw body, is accepted too.
    sim.flutterwave_pay(payment.provider_reference, amount=14000)  # paid less than asked
    body = json.dumps({"event": "charge.completed", "data": {**data, "id": 2}}).encode()
    signed = signature_of(body, simulators.FLW_HASH)
    assert _post("flutterwave", body, **{"flutterwave-signature": signed}) == (
        200,
        {"status": "processed"},
    )
    payment.refresh_from_db()
    assert (payment.status, payment.failure_reason) == ("failed", "amount mismatch: 14000 RWF")
    assert _settled("flutterwave") == 0


def test_flutterwave_creation_timeout_gets_its_link_on_the_next_poll(
    sim: simulators.Simulator,
) -> None:
    sim.state.slow_next = 1
    payment = _start("flutterwave")
    assert (payment.approve_url, payment.failure_reason) == ("", UNCONFIRMED)
    payments_poll_pending()
    payment.refresh_from_db()
    assert payment.approve_url.startswith("https://checkout.flutterwave.test/")
    assert payment.failure_reason == ""
    assert list(sim.state.flw_links) == [payment.provider_reference]  # the same tx_ref


def test_flutterwave_pending_for_ever_expires(sim: simulators.Simulator) -> None:
    payment = _start("flutterwave")
    sim.flutterwave_pay(payment.provider_reference, status="pending")
    payments_poll_pending()
    Payment.objects.filter(pk=payment.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    assert payments_expire() == 1
    payment.refresh_from_db()
    assert payment.status == "expired"


def test_a_provider_not_offered_takes_no_payment_and_no_callback(
    sim: simulators.Simulator, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_PAYMENT_PROVIDERS = ["flutterwave"]
    with pytest.raises(Exception) as error:
        _start("mtn-momo", "0788123456")
    assert getattr(error.value, "code", "") == "unknown_provider"
    assert _post("mtn-momo", b"{}")[0] == 404
    assert Payment.objects.count() == 0
    assert ledger_verify()["balanced"] is True
