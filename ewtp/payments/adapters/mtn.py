"""MTN MoMo Open API: Collection (request to pay) and Disbursement (transfer).

Each product has its own subscription key, API user and API key; a token from
`POST /{product}/token/` (Basic auth) is kept until shortly before it expires. `X-Reference-Id`
is the idempotency key: derived from our own id, so that a retry after a timeout asks for the
same request (409 when it exists) and a status query finds it (404 when it was never created).
Callbacks carry no signature: they only make the platform ask for the status.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ewtp.core import conf
from ewtp.core.money import Money
from ewtp.payments.adapters import tokens
from ewtp.payments.adapters.base import Created, Refused, StatementLine, Status, json_object
from ewtp.payments.transport import ProviderUnavailable, Response, send, send_json

if TYPE_CHECKING:
    from ewtp.payments.models import Payment

NAMESPACE = uuid.UUID("0b5f6d7e-8a8f-4d6c-9a51-2f4f0f3c6a11")
COLLECTION, DISBURSEMENT = "collection", "disbursement"


def reference_of(key: str) -> str:
    """The X-Reference-Id (a UUID v4 in form) of one of our requests, the same on every retry."""
    raw = uuid.uuid5(NAMESPACE, key).bytes
    return str(uuid.UUID(bytes=raw, version=4))


def _credentials(product: str) -> tuple[str, str, str]:
    if product == COLLECTION:
        return (
            conf.MTN_COLLECTION_USER(),
            conf.secret(conf.MTN_COLLECTION_KEY, conf.MTN_COLLECTION_KEY_FILE),
            conf.secret(conf.MTN_COLLECTION_SUBSCRIPTION, conf.MTN_COLLECTION_SUBSCRIPTION_FILE),
        )
    return (
        conf.MTN_DISBURSEMENT_USER(),
        conf.secret(conf.MTN_DISBURSEMENT_KEY, conf.MTN_DISBURSEMENT_KEY_FILE),
        conf.secret(conf.MTN_DISBURSEMENT_SUBSCRIPTION, conf.MTN_DISBURSEMENT_SUBSCRIPTION_FILE),
    )


def _state(body: dict[str, Any], expected: Money | None) -> Status:
    state = str(body.get("status", "PENDING")).upper()
    if state == "SUCCESSFUL":
        if expected is not None and (
            str(body.get("currency")) != expected.currency
            or str(body.get("amount")) != expected.as_string()
        ):
            return Status("failed", f"amount mismatch: {body.get('amount')} {body.get('currency')}")
        return Status("succeeded")
    if state == "FAILED":
        return Status("failed", str(body.get("reason") or "FAILED")[:300])
    return Status("pending")


class MtnMomo:
    name = "mtn-momo"
    simulated = False
    pays_out = True
    needs_msisdn = True

    def _base(self) -> str:
        return conf.MTN_BASE_URL()

    def _token_key(self, product: str) -> tuple[str, ...]:
        return (self.name, self._base(), product, _credentials(product)[0])

    def _token(self, product: str) -> str:
        def fetch() -> tuple[str, float]:
            user, key, subscription = _credentials(product)
            basic = base64.b64encode(f"{user}:{key}".encode()).decode()
            response = send(
                "POST",
                f"{self._base()}/{product}/token/",
                headers={
                    "Authorization": f"Basic {basic}",
                    "Ocp-Apim-Subscription-Key": subscription,
                },
                body=b"",
            )
            body = response.json()
            if response.status != 200 or not body.get("access_token"):
                raise Refused(self.name, f"token refused ({response.status})")
            return str(body["access_token"]), float(body.get("expires_in") or 3600)

        return tokens.cached(self._token_key(product), fetch)

    def _call(
        self, method: str, product: str, path: str, *, reference: str = "", payload: object = None
    ) -> Response:
        """One call with the product's token; a refused token is renewed once."""
        for attempt in (1, 2):
            headers = {
                "Authorization": f"Bearer {self._token(product)}",
                "X-Target-Environment": conf.MTN_ENVIRONMENT(),
                "Ocp-Apim-Subscription-Key": _credentials(product)[2],
            }
            if reference:
                headers["X-Reference-Id"] = reference
                callback = conf.MTN_CALLBACK_URL()
                if callback:
                    headers["X-Callback-Url"] = callback
            response = send_json(method, f"{self._base()}{path}", headers=headers, payload=payload)
            if response.status != 401 or attempt == 2:
                return response
            tokens.forget(self._token_key(product))
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(self, product: str, path: str, reference: str, payload: dict[str, Any]) -> None:
        response = self._call("POST", product, path, reference=reference, payload=payload)
        if response.status in {202, 409}:  # 409: this reference exists already (a retry)
            return
        body = response.json()
        raise Refused(self.name, str(body.get("message") or body.get("code") or response.status))

    def reference_for(self, payment: Payment) -> str:
        return reference_of(f"payment:{payment.public_id}")

    def create(self, payment: Payment) -> Created:
        reference = self.reference_for(payment)
        note = payment.description.replace("'", " ")[:160]
        self._request(
            COLLECTION,
            "/collection/v1_0/requesttopay",
            reference,
            {
                "amount": payment.amount.as_string(),
                "currency": payment.currency,
                "externalId": str(payment.public_id),
                "payer": {"partyIdType": "MSISDN", "partyId": payment.payer_msisdn.lstrip("+")},
                "payerMessage": note,
                "payeeNote": note,
            },
        )
        return Created(reference=reference, approve_url="")

    def _status(self, product: str, path: str, expected: Money | None) -> Status:
        response = self._call("GET", product, path)
        if response.status == 404:
            return Status("missing")
        if response.status != 200:
            raise ProviderUnavailable(f"{self.name} status answered {response.status}")
        return _state(response.json(), expected)

    def status(self, payment: Payment) -> Status:
        return self._status(
            COLLECTION,
            f"/collection/v1_0/requesttopay/{payment.provider_reference}",
            payment.amount,
        )

    def refund(self, payment: Payment, amount_minor: int, key: str) -> str:
        return self.payout_send(
            key=f"refund:{key}",
            msisdn=payment.payer_msisdn,
            amount=Money.from_minor(amount_minor, payment.currency),
            name=payment.email,
        )

    def payout_send(self, *, key: str, msisdn: str, amount: Money, name: str) -> str:
        reference = reference_of(key)
        party = msisdn.lstrip("+")
        active = self._call(
            "GET", DISBURSEMENT, f"/disbursement/v1_0/accountholder/msisdn/{party}/active"
        )
        if active.status == 200 and active.json().get("result") is False:
            raise Refused(self.name, "the payee has no active MoMo account")
        self._request(
            DISBURSEMENT,
            "/disbursement/v1_0/transfer",
            reference,
            {
                "amount": amount.as_string(),
                "currency": amount.currency,
                "externalId": key[:64],
                "payee": {"partyIdType": "MSISDN", "partyId": msisdn.lstrip("+")},
                "payerMessage": "eWTP payout",
                "payeeNote": "eWTP payout",
            },
        )
        return reference

    def payout_status(self, reference: str) -> Status:
        return self._status(DISBURSEMENT, f"/disbursement/v1_0/transfer/{reference}", None)

    def statement(self, day: object) -> list[StatementLine] | None:
        return None  # MTN publishes no statement API: reconciliation asks per request

    def callback(self, headers: Mapping[str, str], body: bytes) -> str | None:
        """The reference a callback is about (MTN signs nothing: it only triggers a query)."""
        data = json_object(body)
        reference = data.get("referenceId") or data.get("externalId")
        return str(reference) if reference else None
