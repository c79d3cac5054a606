"""Payment providers behind one interface: create, status, refund (and payout where offered)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Protocol

from django.urls import reverse

from ewtp.core import conf
from ewtp.core.errors import DomainError
from ewtp.core.money import Money
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


MOMO_NAMESPACE = uuid.UUID("5b0e4a52-2f3c-4e43-9c55-6b1f0c7a9e10")


def _momo_call(
    method: str, path: str, *, reference: str = "", body: dict[str, object] | None = None
) -> tuple[int, dict[str, object]]:
    """One request to the mobile-money API: over HTTP when EWTP_MOMO_BASE_URL is set, else to
    the simulator through the platform's own WSGI handler (same paths, headers and bodies)."""
    headers = {
        "Authorization": "Bearer " + conf.MOMO_TOKEN(),
        "X-Target-Environment": conf.MOMO_ENVIRONMENT(),
    }
    if reference:
        headers["X-Reference-Id"] = reference
    data = json.dumps(body).encode() if body is not None else None
    base_url = conf.MOMO_BASE_URL()
    if base_url:
        request = urllib.request.Request(  # noqa: S310 - the operator's configured provider
            base_url.rstrip("/") + path,
            data=data,
            method=method,
            headers={**headers, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
                status, text = int(response.status), response.read()
        except urllib.error.HTTPError as error:
            status, text = int(error.code), error.read()
        except OSError as error:
            raise ProviderUnavailable(str(error)) from error
    else:
        from django.test import Client

        client = Client(raise_request_exception=False)
        if method == "POST":
            response = client.post(
                "/sim/momo" + path,
                data=data or b"",
                content_type="application/json",
                headers=headers,
            )
        else:
            response = client.get("/sim/momo" + path, headers=headers)
        status, text = int(response.status_code), response.content
    if status >= 500:
        raise ProviderUnavailable(f"mobile money answered {status}")
    try:
        parsed = json.loads(text) if text else {}
    except ValueError:
        parsed = {}
    return status, parsed if isinstance(parsed, dict) else {}


class MomoProvider:
    """Request-to-pay: a reference id per request, a pending status, polling until final."""

    name = "momo"

    def create(self, payment: Payment) -> Created:
        reference = str(uuid.uuid5(MOMO_NAMESPACE, f"payment:{payment.public_id}"))
        status, body = _momo_call(
            "POST",
            "/collection/v1_0/requesttopay",
            reference=reference,
            body={
                "amount": payment.amount.as_string(),
                "currency": payment.currency,
                "externalId": str(payment.public_id),
                "payer": {"partyIdType": "MSISDN", "partyId": payment.payer_msisdn.lstrip("+")},
                "payerMessage": payment.description[:160],
                "payeeNote": payment.description[:160],
            },
        )
        if status not in {202, 409}:  # 409: this reference was already taken (a retry)
            raise DomainError(
                "payment_refused",
                str(body.get("message", "refused")),
                fields={"payer_msisdn": str(body.get("message", ""))},
            )
        return Created(reference=reference, approve_url="")

    def status(self, payment: Payment) -> Status:
        code, body = _momo_call(
            "GET", f"/collection/v1_0/requesttopay/{payment.provider_reference}"
        )
        if code != 200:
            return Status("pending")
        state = str(body.get("status", "PENDING"))
        if state == "SUCCESSFUL":
            return Status("succeeded")
        if state == "FAILED":
            return Status("failed", str(body.get("reason", "failed")))
        return Status("pending")

    def refund(self, payment: Payment, amount_minor: int) -> str:
        return momo_transfer(
            msisdn=payment.payer_msisdn,
            amount=Money.from_minor(amount_minor, payment.currency),
            external_id=f"refund:{payment.public_id}",
        )


def momo_transfer(*, msisdn: str, amount: Money, external_id: str) -> str:
    """Send money to a mobile-money number (a payout or a refund); returns the reference id."""
    reference = str(uuid.uuid4())
    status, body = _momo_call(
        "POST",
        "/disbursement/v1_0/transfer",
        reference=reference,
        body={
            "amount": amount.as_string(),
            "currency": amount.currency,
            "externalId": external_id,
            "payee": {"partyIdType": "MSISDN", "partyId": msisdn.lstrip("+")},
            "payerMessage": external_id,
            "payeeNote": external_id,
        },
    )
    if status != 202:
        raise DomainError("transfer_refused", str(body.get("message", "refused")))
    return reference


def momo_transfer_status(reference: str) -> Status:
    code, body = _momo_call("GET", f"/disbursement/v1_0/transfer/{reference}")
    state = str(body.get("status", "PENDING")) if code == 200 else "PENDING"
    if state == "SUCCESSFUL":
        return Status("succeeded")
    if state == "FAILED":
        return Status("failed", str(body.get("reason", "failed")))
    return Status("pending")


PROVIDERS: dict[str, PaymentProvider] = {"sandbox": SandboxProvider(), "momo": MomoProvider()}


def provider(name: str) -> PaymentProvider:
    return PROVIDERS[name]
