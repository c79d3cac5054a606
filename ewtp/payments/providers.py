"""Payment providers behind one interface: create, status, refund (and payout where offered)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.urls import reverse

from ewtp.payments import sandbox
from ewtp.payments.models import Payment, SandboxCharge

ProviderUnavailable = sandbox.ProviderUnavailable


@dataclass(frozen=True)
class Created:
    reference: str
    approve_url: str


@dataclass(frozen=True)
class Status:
    """A provider's word on a payment: pending, succeeded or failed (with a reason)."""

    state: str
    reason: str = ""


class PaymentProvider(Protocol):
    name: str

    def create(self, payment: Payment) -> Created: ...

    def status(self, payment: Payment) -> Status: ...

    def refund(self, payment: Payment, amount_minor: int) -> str: ...


class SandboxProvider:
    name = "sandbox"

    def create(self, payment: Payment) -> Created:
        charge = sandbox.charge_create(
            merchant_reference=str(payment.public_id),
            amount_minor=payment.amount_minor,
            currency=payment.currency,
            description=payment.description,
            return_url=payment.return_url,
        )
        approve_url = reverse("payments:sandbox_approve", args=[payment.public_id])
        return Created(reference=charge.reference, approve_url=approve_url)

    def status(self, payment: Payment) -> Status:
        charge = sandbox.charge_get(payment.provider_reference)
        if charge.status in {SandboxCharge.Status.SUCCEEDED, SandboxCharge.Status.REFUNDED}:
            return Status("succeeded")
        if charge.status == SandboxCharge.Status.DECLINED:
            return Status("failed", "declined by the payer")
        return Status("pending")

    def refund(self, payment: Payment, amount_minor: int) -> str:
        return sandbox.charge_refund(
            reference=payment.provider_reference, amount_minor=amount_minor
        )


PROVIDERS: dict[str, PaymentProvider] = {"sandbox": SandboxProvider()}


def provider(name: str) -> PaymentProvider:
    return PROVIDERS[name]
