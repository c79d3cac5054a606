"""The sandbox provider's approval page states a decided payment in words, in the payer's
language (never the charge's status code)."""

from __future__ import annotations

import pytest
from django.test import Client

from ewtp.core.money import Money
from ewtp.payments import registry, sandbox
from ewtp.payments.models import Payment
from ewtp.payments.services import payment_start

pytestmark = pytest.mark.django_db(transaction=True)


def _start() -> Payment:
    registry.register_subject("page", on_succeeded=lambda p: None, on_failed=lambda p: None)
    return payment_start(
        subject_type="page",
        subject_ref="P1",
        amount=Money.of("20.00", "EUR"),
        email="buyer@example.org",
        description="Honey order",
        return_url="",
    )


@pytest.mark.parametrize(
    ("approve", "language", "words", "code"),
    [
        (False, "fr", "Ce paiement a été refusé.", "declined"),
        (True, "sw", "Malipo haya yameidhinishwa.", "succeeded"),
        (True, "en", "This payment is approved.", "succeeded"),
    ],
)
def test_a_decided_payment_is_stated_in_words(
    approve: bool, language: str, words: str, code: str
) -> None:
    payment = _start()
    sandbox.charge_decide(reference=payment.provider_reference, approve=approve)
    client = Client()
    client.cookies["ewtp_language"] = language
    page = client.get(f"/pay/sandbox/{payment.public_id}/").content.decode()
    status = page.split('data-testid="sandbox-status">', 1)[1].split("</p>", 1)[0]
    assert status == words
    assert code not in status
