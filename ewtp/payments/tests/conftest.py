"""The providers' simulators, served on 127.0.0.1 for the tests that need them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ewtp.payments import registry
from ewtp.payments.adapters import tokens
from ewtp.payments.models import Payment
from ewtp.payments.tests import simulators

CALLS: list[tuple[str, str]] = []


def _succeeded(payment: Payment) -> None:
    CALLS.append(("succeeded", payment.subject_ref))


def _failed(payment: Payment) -> None:
    CALLS.append(("failed", payment.subject_ref))


@pytest.fixture(scope="session")
def _simulator() -> Iterator[simulators.Simulator]:
    simulator = simulators.Simulator()
    yield simulator
    simulator.close()


@pytest.fixture
def sim(_simulator: simulators.Simulator, settings) -> Iterator[simulators.Simulator]:  # type: ignore[no-untyped-def]
    """The three real providers offered, speaking to the simulators; a fresh state."""
    _simulator.state.reset()
    tokens.forget_all()
    CALLS.clear()
    registry.register_subject("sim", on_succeeded=_succeeded, on_failed=_failed)
    url = _simulator.url
    collection, disbursement = (
        simulators.MTN_USERS["collection"],
        simulators.MTN_USERS["disbursement"],
    )
    settings.EWTP_PAYMENT_PROVIDERS = ["mtn-momo", "airtel-money", "flutterwave"]
    settings.EWTP_PROVIDER_TIMEOUT_SECONDS = 0.5
    settings.EWTP_MTN_BASE_URL = url
    settings.EWTP_MTN_ENVIRONMENT = "mtnrwanda"
    settings.EWTP_MTN_COLLECTION_USER, settings.EWTP_MTN_COLLECTION_KEY = collection[:2]
    settings.EWTP_MTN_COLLECTION_SUBSCRIPTION = collection[2]
    settings.EWTP_MTN_DISBURSEMENT_USER, settings.EWTP_MTN_DISBURSEMENT_KEY = disbursement[:2]
    settings.EWTP_MTN_DISBURSEMENT_SUBSCRIPTION = disbursement[2]
    settings.EWTP_AIRTEL_BASE_URL = url
    settings.EWTP_AIRTEL_CLIENT_ID, settings.EWTP_AIRTEL_CLIENT_SECRET = simulators.AIRTEL_CLIENT
    settings.EWTP_AIRTEL_PIN = simulators.AIRTEL_PIN
    settings.EWTP_AIRTEL_PUBLIC_KEY = _simulator.state.public_pem()
    settings.EWTP_AIRTEL_CALLBACK_KEY = "airtel-callback-key"
    settings.EWTP_FLUTTERWAVE_BASE_URL = url
    settings.EWTP_FLUTTERWAVE_SECRET_KEY = simulators.FLW_SECRET
    settings.EWTP_FLUTTERWAVE_SECRET_HASH = simulators.FLW_HASH
    yield _simulator
    tokens.forget_all()
