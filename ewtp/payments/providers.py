"""Payment providers behind one interface, and which of them this deployment offers.

`EWTP_PAYMENT_PROVIDERS` names the providers offered, in the order buyers see them. A
provider not named does not exist for new payments, and the simulators' pages and endpoints
answer 404. Payments already made with a provider keep being polled and refunded through it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from django.urls import reverse
from django.utils.translation import gettext as _

from ewtp.core import conf
from ewtp.core.errors import DomainError, NotFound
from ewtp.core.money import Money
from ewtp.payments import sandbox
from ewtp.payments.adapters.airtel import AirtelMoney
from ewtp.payments.adapters.base import Created, Refused, StatementLine, Status
from ewtp.payments.adapters.flutterwave import Flutterwave
from ewtp.payments.adapters.mtn import MtnMomo
from ewtp.payments.models import SandboxCharge
from ewtp.payments.transport import ProviderUnavailable, Response, platform_request, send

if TYPE_CHECKING:
    from ewtp.payments.models import Payment

__all__ = [
    "Created",
    "PaymentProvider",
    "ProviderUnavailable",
    "Refused",
    "StatementLine",
    "Status",
    "offered",
    "provider",
    "provider_offered",
]

SANDBOX, MOMO_SIM = "sandbox", "momo-sim"


class PaymentProvider(Protocol):
    name: str
    simulated: bool
    pays_out: bool
    needs_msisdn: bool

    def reference_for(self, payment: Payment) -> str: ...

    def create(self, payment: Payment) -> Created: ...

    def status(self, payment: Payment) -> Status: ...

    def refund(self, payment: Payment, amount_minor: int, key: str) -> str: ...

    def payout_send(self, *, key: str, msisdn: str, amount: Money, name: str) -> str: ...

    def payout_status(self, reference: str) -> Status: ...

    def statement(self, day: object) -> list[StatementLine] | None: ...

    def callback(self, headers: Mapping[str, str], body: bytes) -> str | None: ...


class SandboxProvider:
    """The sandbox card provider: its own charges, approval page and signed webhooks."""

    name = SANDBOX
    simulated = True
    pays_out = False
    needs_msisdn = False

    def reference_for(self, payment: Payment) -> str:
        return ""  # the sandbox names its charges itself

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

    def refund(self, payment: Payment, amount_minor: int, key: str) -> str:
        return sandbox.charge_refund(
            reference=payment.provider_reference, amount_minor=amount_minor, key=key
        )

    def payout_send(self, *, key: str, msisdn: str, amount: Money, name: str) -> str:
        raise Refused(self.name, "the sandbox card provider makes no payouts")

    def payout_status(self, reference: str) -> Status:
        return Status("missing")

    def statement(self, day: object) -> list[StatementLine] | None:
        return sandbox.statement(day)

    def callback(self, headers: Mapping[str, str], body: bytes) -> str | None:
        return None  # the sandbox has its own signed webhook endpoint


MOMO_NAMESPACE = uuid.UUID("5b0e4a52-2f3c-4e43-9c55-6b1f0c7a9e10")


def _momo_call(
    method: str, path: str, *, reference: str = "", body: dict[str, object] | None = None
) -> Response:
    """One request to the mobile-money simulator: over HTTP when EWTP_MOMO_BASE_URL is set,
    else through the platform's own WSGI handler (same paths, headers and bodies)."""
    headers = {
        "Authorization": "Bearer " + conf.MOMO_TOKEN(),
        "X-Target-Environment": conf.MOMO_ENVIRONMENT(),
    }
    if reference:
        headers["X-Reference-Id"] = reference
    data = json.dumps(body).encode() if body is not None else None
    base_url = conf.MOMO_BASE_URL()
    if base_url:
        return send(
            method,
            base_url.rstrip("/") + path,
            headers={**headers, "Content-Type": "application/json"},
            body=data,
        )
    # As a request to the platform itself, through its handler built once per process.
    answer = platform_request(
        method,
        "/sim/momo" + path,
        body=data or b"",
        headers={**headers, "Content-Type": "application/json"} if method == "POST" else headers,
        secure=conf.HTTPS(),
    )
    if answer.status >= 500:
        raise ProviderUnavailable(f"mobile money answered {answer.status}")
    return answer


def _momo_state(response: Response) -> Status:
    if response.status == 404:
        return Status("missing")
    body = response.json()
    state = str(body.get("status", "PENDING")) if response.status == 200 else "PENDING"
    if state == "SUCCESSFUL":
        return Status("succeeded")
    if state == "FAILED":
        return Status("failed", str(body.get("reason", "failed")))
    return Status("pending")


class MomoSimProvider:
    """The mobile-money simulator (request to pay, polled; transfers for payouts and refunds)."""

    name = MOMO_SIM
    simulated = True
    pays_out = True
    needs_msisdn = True

    def reference_for(self, payment: Payment) -> str:
        return str(uuid.uuid5(MOMO_NAMESPACE, f"payment:{payment.public_id}"))

    def _request(self, path: str, reference: str, body: dict[str, object]) -> None:
        response = _momo_call("POST", path, reference=reference, body=body)
        if response.status not in {202, 409}:  # 409: this reference exists (a retry)
            message = str(response.json().get("message", "refused"))
            raise DomainError(
                "payment_refused", message, fields={"payer_msisdn": message}, http_status=409
            )

    def create(self, payment: Payment) -> Created:
        reference = self.reference_for(payment)
        self._request(
            "/collection/v1_0/requesttopay",
            reference,
            {
                "amount": payment.amount.as_string(),
                "currency": payment.currency,
                "externalId": str(payment.public_id),
                "payer": {"partyIdType": "MSISDN", "partyId": payment.payer_msisdn.lstrip("+")},
                "payerMessage": payment.description[:160],
                "payeeNote": payment.description[:160],
            },
        )
        return Created(reference=reference, approve_url="")

    def status(self, payment: Payment) -> Status:
        return _momo_state(
            _momo_call("GET", f"/collection/v1_0/requesttopay/{payment.provider_reference}")
        )

    def refund(self, payment: Payment, amount_minor: int, key: str) -> str:
        return self.payout_send(
            key=f"refund:{key}",
            msisdn=payment.payer_msisdn,
            amount=Money.from_minor(amount_minor, payment.currency),
            name=payment.email,
        )

    def payout_send(self, *, key: str, msisdn: str, amount: Money, name: str) -> str:
        reference = str(uuid.uuid5(MOMO_NAMESPACE, f"transfer:{key}"))
        self._request(
            "/disbursement/v1_0/transfer",
            reference,
            {
                "amount": amount.as_string(),
                "currency": amount.currency,
                "externalId": key[:100],
                "payee": {"partyIdType": "MSISDN", "partyId": msisdn.lstrip("+")},
                "payerMessage": key[:160],
                "payeeNote": key[:160],
            },
        )
        return reference

    def payout_status(self, reference: str) -> Status:
        return _momo_state(_momo_call("GET", f"/disbursement/v1_0/transfer/{reference}"))

    def statement(self, day: object) -> list[StatementLine] | None:
        response = _momo_call("GET", f"/statement/{day}")
        if response.status != 200:
            raise ProviderUnavailable(f"momo statement answered {response.status}")
        lines = response.json().get("lines")
        return [
            StatementLine(
                kind=str(line["kind"]),
                reference=str(line["referenceId"]),
                amount_minor=Money.of(str(line["amount"]), str(line["currency"])).minor,
                currency=str(line["currency"]),
                state=str(line["status"]).lower(),
            )
            for line in (lines if isinstance(lines, list) else [])
        ]

    def callback(self, headers: Mapping[str, str], body: bytes) -> str | None:
        return None  # polled


ALL: dict[str, PaymentProvider] = {
    SANDBOX: SandboxProvider(),
    MOMO_SIM: MomoSimProvider(),
    MtnMomo.name: MtnMomo(),
    AirtelMoney.name: AirtelMoney(),
    Flutterwave.name: Flutterwave(),
}
SIMULATED = frozenset(name for name, adapter in ALL.items() if adapter.simulated)


def offered() -> list[str]:
    """The providers this deployment offers, in the order buyers see them."""
    return [name for name in conf.PAYMENT_PROVIDERS() if name in ALL]


def simulated_offered() -> bool:
    return any(name in SIMULATED for name in offered())


def provider(name: str) -> PaymentProvider:
    """The adapter of a provider a payment was made with (offered now or not)."""
    try:
        return ALL[name]
    except KeyError:
        raise NotFound(
            "unknown_provider", _("No payment provider %(provider)s.") % {"provider": repr(name)}
        ) from None


def provider_offered(name: str) -> PaymentProvider:
    """The adapter of a provider offered for new payments; 404 for any other."""
    if name not in offered():
        raise NotFound(
            "unknown_provider", _("No payment provider %(provider)s.") % {"provider": repr(name)}
        )
    return ALL[name]


def payout_provider() -> PaymentProvider | None:
    """Who sends payouts: EWTP_PAYOUT_PROVIDER, else the first named provider that pays out."""
    chosen = conf.PAYOUT_PROVIDER()
    if chosen:
        adapter = ALL.get(chosen)
        if adapter is None or (adapter.simulated and chosen not in offered()):
            return None  # a simulator pays out only where it is named
        return adapter
    for name in offered():
        if ALL[name].pays_out:
            return ALL[name]
    return None
