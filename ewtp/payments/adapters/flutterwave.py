"""Flutterwave v3: hosted checkout (a payment link), verify by reference, refunds and
transfers to mobile money; every call with the secret key as bearer.

A webhook proves itself with the dashboard's secret hash, echoed in `verif-hash` (or, in newer
set-ups, `flutterwave-signature`: Base64 HMAC-SHA256 of the raw body keyed with it); even then
it only makes the platform verify the transaction. `tx_ref` and transfer `reference` derive
from our ids, so a retry never makes a second charge or transfer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ewtp.core import conf
from ewtp.core.money import Money
from ewtp.payments.adapters.base import (
    Created,
    Refused,
    StatementLine,
    Status,
    json_object,
    matches,
    number,
)
from ewtp.payments.transport import ProviderUnavailable, Response, send_json

if TYPE_CHECKING:
    from ewtp.payments.models import Payment

TRANSFER_FINAL = {"SUCCESSFUL": "succeeded", "FAILED": "failed"}


def reference_of(key: str) -> str:
    return "ewtp_" + hashlib.sha256(key.encode()).hexdigest()[:32]


def signature_of(body: bytes, secret_hash: str) -> str:
    digest = hmac.new(secret_hash.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _data(body: dict[str, Any]) -> Any:
    return body.get("data")


class Flutterwave:
    name = "flutterwave"
    simulated = False
    pays_out = True
    needs_msisdn = False

    def _call(self, method: str, path: str, payload: object = None) -> Response:
        secret = conf.secret(conf.FLUTTERWAVE_SECRET_KEY, conf.FLUTTERWAVE_SECRET_KEY_FILE)
        return send_json(
            method,
            f"{conf.FLUTTERWAVE_BASE_URL()}/v3{path}",
            headers={"Authorization": f"Bearer {secret}"},
            payload=payload,
        )

    def _ok(self, response: Response) -> dict[str, Any]:
        body = response.json()
        if response.status in {200, 201} and body.get("status") == "success":
            return body
        raise Refused(self.name, str(body.get("message") or response.status))

    def reference_for(self, payment: Payment) -> str:
        return reference_of(f"payment:{payment.public_id}")

    def create(self, payment: Payment) -> Created:
        reference = self.reference_for(payment)
        body = self._ok(
            self._call(
                "POST",
                "/payments",
                {
                    "tx_ref": reference,
                    "amount": number(payment.amount),
                    "currency": payment.currency,
                    "redirect_url": conf.SITE_URL() + (payment.return_url or "/"),
                    "customer": {"email": payment.email},
                    "customizations": {"title": "eWTP", "description": payment.description},
                    "configurations": {"session_duration": conf.PAYMENT_TTL_MINUTES()},
                },
            )
        )
        data = _data(body)
        link = str(data.get("link", "")) if isinstance(data, dict) else ""
        if not link:
            raise ProviderUnavailable(f"{self.name}: no payment link in the answer")
        return Created(reference=reference, approve_url=link)

    def _verified(self, reference: str) -> dict[str, Any] | None:
        query = urllib.parse.urlencode({"tx_ref": reference})
        response = self._call("GET", f"/transactions/verify_by_reference?{query}")
        body = response.json()
        data = _data(body)
        if response.status == 200 and body.get("status") == "success" and isinstance(data, dict):
            return data
        if response.status in {400, 404}:
            return None  # no transaction under this reference (yet)
        raise ProviderUnavailable(f"{self.name} verify answered {response.status}")

    def status(self, payment: Payment) -> Status:
        data = self._verified(payment.provider_reference)
        if data is None:
            # Nothing is paid yet: pending while the payer has a link, else never created.
            return Status("pending" if payment.approve_url else "missing")
        state = str(data.get("status", "")).lower()
        if state == "successful":
            if str(data.get("tx_ref")) != payment.provider_reference or not matches(
                payment.amount, data.get("amount"), data.get("currency")
            ):
                return Status(
                    "failed", f"amount mismatch: {data.get('amount')} {data.get('currency')}"
                )
            return Status("succeeded")
        if state == "failed":
            return Status("failed", str(data.get("processor_response") or "failed")[:300])
        return Status("pending")

    def refund(self, payment: Payment, amount_minor: int, key: str) -> str:
        data = self._verified(payment.provider_reference)
        if data is None or not data.get("id"):
            raise ProviderUnavailable(f"{self.name}: the transaction is not found for a refund")
        body = self._ok(
            self._call(
                "POST",
                f"/transactions/{data['id']}/refund",
                {
                    "amount": number(Money.from_minor(amount_minor, payment.currency)),
                    "comments": f"eWTP refund {key}"[:100],
                },
            )
        )
        refund = _data(body)
        return str(refund.get("id", "")) if isinstance(refund, dict) else ""

    def payout_send(self, *, key: str, msisdn: str, amount: Money, name: str) -> str:
        reference = reference_of(f"payout:{key}")
        response = self._call(
            "POST",
            "/transfers",
            {
                "account_bank": "MPS",
                "account_number": msisdn.lstrip("+"),
                "beneficiary_name": name[:100] or "eWTP payee",
                "amount": number(amount),
                "currency": amount.currency,
                "narration": "eWTP payout",
                "reference": reference,
            },
        )
        body = response.json()
        data = _data(body)
        if response.status in {200, 201} and isinstance(data, dict) and data.get("id"):
            return str(data["id"])
        found = self._transfer_by_reference(reference)  # a retry: the transfer may exist
        if found is not None:
            return str(found["id"])
        raise Refused(self.name, str(body.get("message") or response.status))

    def _transfer_by_reference(self, reference: str) -> dict[str, Any] | None:
        query = urllib.parse.urlencode({"reference": reference})
        response = self._call("GET", f"/transfers?{query}")
        data = _data(response.json())
        if response.status == 200 and isinstance(data, list) and data:
            first = data[0]
            return first if isinstance(first, dict) else None
        return None

    def payout_status(self, reference: str) -> Status:
        response = self._call("GET", f"/transfers/{reference}")
        if response.status == 404:
            return Status("missing")
        data = _data(self._ok(response))
        state = str(data.get("status", "")).upper() if isinstance(data, dict) else ""
        final = TRANSFER_FINAL.get(state, "pending")
        reason = str(data.get("complete_message") or "") if isinstance(data, dict) else ""
        return Status(final, reason if final == "failed" else "")

    def statement(self, day: object) -> list[StatementLine] | None:
        return None

    def callback(self, headers: Mapping[str, str], body: bytes) -> str | None:
        """The reference of a genuine webhook; None when neither secret proof holds."""
        secret = conf.secret(conf.FLUTTERWAVE_SECRET_HASH, conf.FLUTTERWAVE_SECRET_HASH_FILE)
        if not secret:
            return None
        given_hash = headers.get("verif-hash", "")
        given_signature = headers.get("flutterwave-signature", "")
        genuine = (given_hash and hmac.compare_digest(given_hash.encode(), secret.encode())) or (
            given_signature
            and hmac.compare_digest(given_signature.encode(), signature_of(body, secret).encode())
        )
        if not genuine:
            return None
        data = json_object(body).get("data")
        if not isinstance(data, dict):
            return None
        reference = data.get("tx_ref") or data.get("id")
        return str(reference) if reference else None
