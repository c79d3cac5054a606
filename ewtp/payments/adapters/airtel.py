"""Airtel Money Open API: OAuth2 client credentials, collections (USSD push), refunds and
disbursements, each keyed by our own transaction id; status by enquiry.

The creation answer only accepts a request (`DP00800001006` pending). Callbacks go to the URL
registered on the application; with callback authentication they carry `hash`, Base64 of an
HMAC-SHA256 with the portal's key over the callback's `transaction` object (compact JSON, keys
sorted; confirm the hashed bytes with Airtel at onboarding). A callback only triggers an enquiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ewtp.core import conf
from ewtp.core.money import Money
from ewtp.payments.adapters import tokens
from ewtp.payments.adapters.base import (
    Created,
    Refused,
    StatementLine,
    Status,
    json_object,
    number,
)
from ewtp.payments.transport import ProviderUnavailable, Response, send_json

if TYPE_CHECKING:
    from ewtp.payments.models import Payment

FINAL = {"TS": "succeeded", "TF": "failed", "TE": "failed"}
NOT_FOUND_CODES = {"DP00800001025", "DP00900001015"}
DUPLICATE_CODES = {"DP00900001011", "DP00900001017"}


def transaction_id(key: str) -> str:
    """Airtel's transaction id for one of ours: alphanumerics, the same on every retry."""
    return hashlib.sha256(key.encode()).hexdigest()[:24].upper()


def msisdn_local(msisdn: str) -> str:
    """Airtel wants the number without the country code (Rwanda: 9 digits)."""
    digits = msisdn.lstrip("+")
    return digits[3:] if digits.startswith("250") else digits


def callback_hash(transaction: Mapping[str, Any], key: str) -> str:
    message = json.dumps(transaction, separators=(",", ":"), sort_keys=True).encode()
    return base64.b64encode(hmac.new(key.encode(), message, hashlib.sha256).digest()).decode()


def encrypt_pin(pin: str, public_key_pem: str) -> str:
    text = public_key_pem
    if "BEGIN" not in text and text.strip():
        text = Path(text.strip()).read_text()
    key = serialization.load_pem_public_key(text.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("EWTP_AIRTEL_PUBLIC_KEY is not an RSA public key")
    sealed = key.encrypt(
        pin.encode(),
        padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None),  # noqa: S303
    )
    return base64.b64encode(sealed).decode()


def _response_code(body: dict[str, Any]) -> str:
    status = body.get("status")
    return str(status.get("response_code", "")) if isinstance(status, dict) else ""


def _transaction(body: dict[str, Any]) -> dict[str, Any]:
    data = body.get("data")
    found = data.get("transaction") if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}


class AirtelMoney:
    name = "airtel-money"
    simulated = False
    pays_out = True
    needs_msisdn = True

    def _base(self) -> str:
        return conf.AIRTEL_BASE_URL()

    def _token_key(self) -> tuple[str, ...]:
        return (self.name, self._base(), conf.AIRTEL_CLIENT_ID())

    def _token(self) -> str:
        def fetch() -> tuple[str, float]:
            response = send_json(
                "POST",
                f"{self._base()}/auth/oauth2/token",
                headers={"Accept": "*/*"},
                payload={
                    "client_id": conf.AIRTEL_CLIENT_ID(),
                    "client_secret": conf.secret(
                        conf.AIRTEL_CLIENT_SECRET, conf.AIRTEL_CLIENT_SECRET_FILE
                    ),
                    "grant_type": "client_credentials",
                },
            )
            body = response.json()
            if response.status != 200 or not body.get("access_token"):
                raise Refused(self.name, f"token refused ({response.status})")
            return str(body["access_token"]), float(body.get("expires_in") or 180)

        return tokens.cached(self._token_key(), fetch)

    def _call(self, method: str, path: str, payload: object = None) -> Response:
        for attempt in (1, 2):
            headers = {
                "Authorization": f"Bearer {self._token()}",
                "X-Country": conf.AIRTEL_COUNTRY(),
                "X-Currency": conf.AIRTEL_CURRENCY(),
            }
            response = send_json(method, f"{self._base()}{path}", headers=headers, payload=payload)
            if response.status != 401 or attempt == 2:
                return response
            tokens.forget(self._token_key())
        raise AssertionError("unreachable")  # pragma: no cover

    def _accept(self, response: Response, *, duplicates_ok: bool = True) -> dict[str, Any]:
        body = response.json()
        code = _response_code(body)
        status = body.get("status")
        success = isinstance(status, dict) and status.get("success") in {True, "true"}
        if response.status == 200 and (success or (duplicates_ok and code in DUPLICATE_CODES)):
            return body
        message = status.get("message") if isinstance(status, dict) else ""
        raise Refused(self.name, f"{code or response.status} {message or ''}".strip())

    def reference_for(self, payment: Payment) -> str:
        return transaction_id(f"payment:{payment.public_id}")

    def create(self, payment: Payment) -> Created:
        reference = self.reference_for(payment)
        country, currency = conf.AIRTEL_COUNTRY(), payment.currency
        self._accept(
            self._call(
                "POST",
                "/merchant/v1/payments/",
                {
                    "reference": "eWTP" + reference[:20],
                    "subscriber": {
                        "country": country,
                        "currency": currency,
                        "msisdn": msisdn_local(payment.payer_msisdn),
                    },
                    "transaction": {
                        "amount": number(payment.amount),
                        "country": country,
                        "currency": currency,
                        "id": reference,
                    },
                },
            )
        )
        return Created(reference=reference, approve_url="")

    def _enquire(self, path: str) -> Status:
        response = self._call("GET", path)
        body = response.json()
        if response.status == 404 or _response_code(body) in NOT_FOUND_CODES:
            return Status("missing")
        if response.status != 200:
            raise ProviderUnavailable(f"{self.name} enquiry answered {response.status}")
        transaction = _transaction(body)
        state = FINAL.get(str(transaction.get("status", "")).upper(), "pending")
        return Status(state, str(transaction.get("message") or "") if state == "failed" else "")

    def status(self, payment: Payment) -> Status:
        return self._enquire(f"/standard/v1/payments/{payment.provider_reference}")

    def refund(self, payment: Payment, amount_minor: int, key: str) -> str:
        if amount_minor != payment.amount_minor:
            raise Refused(self.name, "Airtel Money refunds whole payments only")
        enquiry = self._call("GET", f"/standard/v1/payments/{payment.provider_reference}")
        money_id = str(_transaction(enquiry.json()).get("airtel_money_id") or "")
        if not money_id:
            raise ProviderUnavailable(f"{self.name}: no airtel_money_id for the payment yet")
        body = self._accept(
            self._call(
                "POST",
                "/standard/v1/payments/refund",
                {"transaction": {"airtel_money_id": money_id}},
            )
        )
        return str(_transaction(body).get("airtel_money_id") or money_id)

    def payout_send(self, *, key: str, msisdn: str, amount: Money, name: str) -> str:
        reference = transaction_id(key)
        pin = conf.secret(conf.AIRTEL_PIN, conf.AIRTEL_PIN_FILE)
        self._accept(
            self._call(
                "POST",
                "/standard/v1/disbursements/",
                {
                    "payee": {"msisdn": msisdn_local(msisdn)},
                    "reference": "eWTP" + reference[:20],
                    "pin": encrypt_pin(pin, conf.AIRTEL_PUBLIC_KEY()),
                    "transaction": {"amount": number(amount), "id": reference},
                },
            )
        )
        return reference

    def payout_status(self, reference: str) -> Status:
        return self._enquire(f"/standard/v1/disbursements/{reference}")

    def statement(self, day: object) -> list[StatementLine] | None:
        return None

    def callback(self, headers: Mapping[str, str], body: bytes) -> str | None:
        """The transaction id of a genuine callback; None for one that fails its hash."""
        transaction = json_object(body).get("transaction")
        if not isinstance(transaction, dict) or not transaction.get("id"):
            return None
        key = conf.secret(conf.AIRTEL_CALLBACK_KEY, conf.AIRTEL_CALLBACK_KEY_FILE)
        if key:
            given = str(json_object(body).get("hash", ""))
            expected = callback_hash(transaction, key)
            if not hmac.compare_digest(given.encode(), expected.encode()):
                return None
        return str(transaction["id"])
