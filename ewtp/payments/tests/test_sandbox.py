"""The sandbox provider creates one charge per merchant reference, in one statement."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from ewtp.core import clock
from ewtp.payments import sandbox
from ewtp.payments.models import SandboxCharge

pytestmark = pytest.mark.django_db


def _create(merchant_reference: str, amount_minor: int = 1500) -> SandboxCharge:
    return sandbox.charge_create(
        merchant_reference=merchant_reference,
        amount_minor=amount_minor,
        currency="EUR",
        description="eWTP checkout 1a2b3c4d",
        return_url="/checkout/done",
    )


def test_a_new_charge_is_one_statement_and_a_second_creation_returns_it(
    django_assert_num_queries: Any,
) -> None:
    with django_assert_num_queries(1):
        first = _create("5d1f7c2e-0000-4000-8000-000000000001")
    assert first.pk is not None and first.reference.startswith("ch_")
    stored = SandboxCharge.objects.get(pk=first.pk)
    assert (stored.reference, stored.amount_minor, stored.currency, stored.status) == (
        first.reference,
        1500,
        "EUR",
        SandboxCharge.Status.PENDING,
    )
    assert stored.refunds == {} and stored.refunded_minor == 0 and stored.decided_at is None

    again = _create("5d1f7c2e-0000-4000-8000-000000000001", amount_minor=9999)
    assert (again.pk, again.reference, again.amount_minor) == (first.pk, first.reference, 1500)
    assert SandboxCharge.objects.count() == 1


def test_two_charges_of_one_merchant_reference_cannot_be_stored() -> None:
    """The read-then-insert it replaced let two concurrent creations both insert."""
    _create("5d1f7c2e-0000-4000-8000-000000000002")
    with pytest.raises(IntegrityError), transaction.atomic():
        SandboxCharge.objects.create(
            reference="ch_twin",
            merchant_reference="5d1f7c2e-0000-4000-8000-000000000002",
            amount_minor=1500,
            currency="EUR",
            description="twin",
            created_at=clock.now(),
        )
