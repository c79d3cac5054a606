"""Which providers exist: only those EWTP_PAYMENT_PROVIDERS names. The sandbox and the
mobile-money simulator are not there by default; a simulated provider shows a banner."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from ewtp.core import conf
from ewtp.core.money import Money
from ewtp.payments.models import Payment, SandboxCharge
from ewtp.payments.services import payment_start

BANNER = "Payments are simulated"
SIM_TOKEN = {"Authorization": "Bearer sandbox-token"}


def _start(**extra: str) -> Payment:
    return payment_start(
        subject_type="x",
        subject_ref="S1",
        amount=Money.of("10.00", "EUR"),
        email="b@example.org",
        description="Tea",
        **extra,  # type: ignore[arg-type]
    )


def test_nothing_is_offered_by_default() -> None:
    assert conf.PAYMENT_PROVIDERS.from_text(None) == []
    assert conf.PAYMENT_PROVIDERS.from_text("sandbox, momo-sim") == ["sandbox", "momo-sim"]


@pytest.mark.django_db(transaction=True)
def test_without_providers_no_payment_starts_and_the_simulators_are_gone(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_PAYMENT_PROVIDERS = ["sandbox"]
    payment = _start()
    settings.EWTP_PAYMENT_PROVIDERS = []
    with pytest.raises(Exception) as error:
        _start()
    assert (getattr(error.value, "code", ""), getattr(error.value, "http_status", 0)) == (
        "no_payment_provider",
        503,
    )
    assert "No payment provider is configured" in str(getattr(error.value, "message", ""))
    client = Client()
    assert client.post(f"/api/v1/payments/sandbox/{payment.public_id}/approve").status_code == 404
    assert client.get(f"/pay/sandbox/{payment.public_id}/").status_code == 404
    assert (
        client.post(f"/pay/sandbox/{payment.public_id}/", {"decision": "approve"}).status_code
        == 404
    )
    assert client.get("/sim/momo/statement/2026-01-01", headers=SIM_TOKEN).status_code == 404
    assert (
        client.post(
            "/sim/momo/disbursement/v1_0/transfer",
            b"{}",
            content_type="application/json",
            headers={**SIM_TOKEN, "X-Reference-Id": "0f6c9a7e-1d2b-4c3a-9e8f-123456789abc"},
        ).status_code
        == 404
    )
    assert SandboxCharge.objects.get().status == "pending"  # nobody approved it
    assert BANNER not in client.get("/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_first_offered_provider_that_fits_is_used(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_PAYMENT_PROVIDERS = ["momo-sim", "sandbox"]
    assert _start().provider == "sandbox"  # no number to pay from: the card provider
    assert _start(payer_msisdn="0788123456").provider == "momo-sim"
    settings.EWTP_PAYMENT_PROVIDERS = ["momo-sim"]
    with pytest.raises(Exception) as error:
        _start()
    assert getattr(error.value, "fields", {}) == {"payer_msisdn": "required"}
    with pytest.raises(Exception) as error:
        _start(provider_name="sandbox")
    assert getattr(error.value, "code", "") == "unknown_provider"
    assert Payment.objects.count() == 2


@pytest.mark.django_db
def test_a_simulated_provider_puts_a_banner_on_every_page(settings) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    for path in ("/", "/accounts/login/", "/shop/"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.content.decode().count(BANNER) == 1, path
    settings.EWTP_PAYMENT_PROVIDERS = ["flutterwave"]
    assert BANNER not in client.get("/").content.decode()


@pytest.mark.django_db
def test_an_unknown_provider_name_fails_the_system_check(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_PAYMENT_PROVIDERS = ["sandbox", "paypal"]
    with pytest.raises(SystemCheckError, match="unknown providers: paypal"):
        call_command("check")


def test_a_real_provider_without_its_credentials_is_warned_about(settings) -> None:  # type: ignore[no-untyped-def]
    from ewtp.payments.checks import providers_named

    settings.EWTP_PAYMENT_PROVIDERS = ["flutterwave"]
    settings.EWTP_FLUTTERWAVE_SECRET_KEY = "FLWSECK_TEST-x"
    [warning] = providers_named()
    assert (warning.id, warning.msg) == (
        "ewtp.payments.W001",
        "flutterwave is offered without EWTP_FLUTTERWAVE_SECRET_HASH",
    )
    settings.EWTP_FLUTTERWAVE_SECRET_HASH_FILE = "/run/secrets/flw-hash"
    assert providers_named() == []
