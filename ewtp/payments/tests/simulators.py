"""In-suite simulators of the three providers' published HTTP protocols, served for real on
127.0.0.1 in a thread: MTN MoMo Open API, Airtel Money Open API, Flutterwave v3.

Outcomes are driven by magic numbers, as provider sandboxes do: a payer or payee number
ending in 0 fails (insufficient funds), ending in 9 stays pending for ever; anything else
succeeds after `approve_after` status queries. Faults are switched on per test: `slow_next`
records the next creation and then answers too late (a client timeout), `fail_next` records
it and answers 500. Tokens expire after `token_lifetime` seconds. State lives in memory only.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

MTN_USERS = {
    "collection": ("3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f", "mtn-collection-key", "sub-collection"),
    "disbursement": ("7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d", "mtn-disbursement-key", "sub-disb"),
}
AIRTEL_CLIENT = ("airtel-client", "airtel-secret")
AIRTEL_PIN = "4321"
FLW_SECRET = "FLWSECK_TEST-0123456789abcdef-X"
FLW_HASH = "a-secret-hash"
ENV_CURRENCY = {"sandbox": "EUR", "mtnrwanda": "RWF"}


@dataclass
class Record:
    kind: str
    reference: str
    amount: str
    currency: str
    party: str
    external: str
    status: str = "PENDING"
    reason: str = ""
    polls: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.reset()

    def reset(self) -> None:
        self.tokens: dict[str, tuple[str, float]] = {}
        self.records: dict[str, Record] = {}
        self.approve_after = 1
        self.token_lifetime = 3600.0
        self.slow_next = 0
        self.fail_next = 0
        self.delay = 1.5
        self.tokens_issued = 0
        self.requests: list[tuple[str, str]] = []
        self.flw_transactions: dict[int, dict[str, Any]] = {}
        self.flw_links: dict[str, dict[str, Any]] = {}
        self.flw_transfers: dict[int, dict[str, Any]] = {}
        self.refunds: list[dict[str, Any]] = []

    def issue(self, scope: str) -> tuple[str, float]:
        token = "tok-" + uuid.uuid4().hex
        self.tokens[token] = (scope, time.monotonic() + self.token_lifetime)
        self.tokens_issued += 1
        return token, self.token_lifetime

    def bearer_ok(self, header: str, scope: str) -> bool:
        if not header.startswith("Bearer "):
            return False
        held = self.tokens.get(header[7:])
        return held is not None and held[0] == scope and held[1] > time.monotonic()

    def advance(self, record: Record) -> None:
        """A status query: the payer decides after a while, by the number's last digit."""
        if record.status != "PENDING":
            return
        record.polls += 1
        if record.party.endswith("9"):
            return
        if record.party.endswith("0"):
            record.status, record.reason = "FAILED", "NOT_ENOUGH_FUNDS"
        elif record.polls > self.approve_after:
            record.status = "SUCCESSFUL"

    def public_pem(self) -> str:
        from cryptography.hazmat.primitives import serialization

        return (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def pin_of(self, sealed: str) -> str:
        plain = self.private_key.decrypt(
            base64.b64decode(sealed),
            padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None),
        )
        return plain.decode()


class Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, format: str, *args: Any) -> None:
        return

    # -- plumbing ----------------------------------------------------------------------------
    def _send(self, status: int, body: object = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (a timeout test)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    def _fault_after_recording(self) -> bool:
        """After recording a creation: answer too late, or 500; True when it did."""
        state = self.state
        if state.slow_next:
            state.slow_next -= 1
            time.sleep(state.delay)
            self._send(202)
            return True
        if state.fail_next:
            state.fail_next -= 1
            self._send(500, {"code": "INTERNAL_PROCESSING_ERROR"})
            return True
        return False

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def _route(self, method: str) -> None:
        path = urlparse(self.path).path
        with self.state.lock:
            self.state.requests.append((method, path))
        for prefix, handler in (
            ("/collection/", self._mtn),
            ("/disbursement/", self._mtn),
            ("/auth/", self._airtel),
            ("/merchant/", self._airtel),
            ("/standard/", self._airtel),
            ("/v3/", self._flw),
        ):
            if path.startswith(prefix):
                handler(method, path)
                return
        self._send(404, {"message": "no such path"})

    # -- MTN MoMo ----------------------------------------------------------------------------
    def _mtn(self, method: str, path: str) -> None:
        product = path.split("/")[1]
        user, key, subscription = MTN_USERS[product]
        if self.headers.get("Ocp-Apim-Subscription-Key") != subscription:
            self._send(
                401,
                {"statusCode": 401, "message": "Access denied due to invalid subscription key."},
            )
            return
        if path == f"/{product}/token/" and method == "POST":
            expected = "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                self._send(401, {"error": "login_failed"})
                return
            token, lifetime = self.state.issue(f"mtn:{product}")
            self._send(
                200,
                {"access_token": token, "token_type": "access_token", "expires_in": int(lifetime)},
            )
            return
        if not self.state.bearer_ok(self.headers.get("Authorization", ""), f"mtn:{product}"):
            self._send(401, {"code": "UNAUTHORIZED", "message": "invalid or expired token"})
            return
        environment = self.headers.get("X-Target-Environment", "")
        if environment not in ENV_CURRENCY:
            self._send(400, {"code": "INVALID_TARGET_ENVIRONMENT"})
            return
        if "/accountholder/msisdn/" in path and method == "GET":
            number = path.split("/accountholder/msisdn/")[1].split("/")[0]
            self._send(200, {"result": not number.endswith("8")})  # ending in 8: no wallet
            return
        kind = "requesttopay" if product == "collection" else "transfer"
        base = f"/{product}/v1_0/{kind}"
        if path == base and method == "POST":
            self._mtn_create(kind, ENV_CURRENCY[environment])
        elif path.startswith(base + "/") and method == "GET":
            record = self.state.records.get(path.rsplit("/", 1)[1])
            if record is None or record.kind != kind:
                self._send(
                    404,
                    {"code": "RESOURCE_NOT_FOUND", "message": "Requested resource was not found."},
                )
                return
            with self.state.lock:
                self.state.advance(record)
            party = "payer" if kind == "requesttopay" else "payee"
            body = {
                "amount": record.amount,
                "currency": record.currency,
                "externalId": record.external,
                party: {"partyIdType": "MSISDN", "partyId": record.party},
                "status": record.status,
            }
            if record.status == "SUCCESSFUL":
                body["financialTransactionId"] = str(abs(hash(record.reference)) % 10**9)
            if record.reason:
                body["reason"] = record.reason
            self._send(200, body)
        else:
            self._send(404, {"code": "RESOURCE_NOT_FOUND"})

    def _mtn_create(self, kind: str, currency: str) -> None:
        reference = self.headers.get("X-Reference-Id", "")
        try:
            if uuid.UUID(reference).version != 4:
                raise ValueError
        except ValueError:
            self._send(400, {"code": "INVALID_REFERENCE_ID"})
            return
        body = self._body()
        party = body.get("payer" if kind == "requesttopay" else "payee") or {}
        if body.get("currency") != currency or not isinstance(body.get("amount"), str):
            self._send(400, {"code": "INVALID_CURRENCY", "message": "Currency not supported."})
            return
        with self.state.lock:
            if reference in self.state.records:
                self._send(
                    409, {"code": "RESOURCE_ALREADY_EXIST", "message": "Duplicated reference id."}
                )
                return
            self.state.records[reference] = Record(
                kind,
                reference,
                body["amount"],
                currency,
                str(party.get("partyId", "")),
                str(body.get("externalId", "")),
            )
        if not self._fault_after_recording():
            self._send(202)

    # -- Airtel Money ------------------------------------------------------------------------
    def _airtel(self, method: str, path: str) -> None:
        if path == "/auth/oauth2/token" and method == "POST":
            body = self._body()
            if (body.get("client_id"), body.get("client_secret")) != AIRTEL_CLIENT or body.get(
                "grant_type"
            ) != "client_credentials":
                self._send(401, {"error": "invalid_client", "error_description": "bad credentials"})
                return
            token, lifetime = self.state.issue("airtel")
            self._send(
                200,
                {"access_token": token, "expires_in": str(int(lifetime)), "token_type": "bearer"},
            )
            return
        if not self.state.bearer_ok(self.headers.get("Authorization", ""), "airtel"):
            self._send(
                401, {"status": {"code": "401", "success": False, "message": "Unauthorized"}}
            )
            return
        if self.headers.get("X-Country") != "RW" or self.headers.get("X-Currency") != "RWF":
            self._send(
                400, {"status": {"code": "400", "success": False, "message": "country/currency"}}
            )
            return
        if path == "/merchant/v1/payments/" and method == "POST":
            self._airtel_create("collection")
        elif path == "/standard/v1/disbursements/" and method == "POST":
            self._airtel_create("disbursement")
        elif path == "/standard/v1/payments/refund" and method == "POST":
            self._airtel_refund()
        elif (
            path.startswith(("/standard/v1/payments/", "/standard/v1/disbursements/"))
            and method == "GET"
        ):
            kind = "collection" if "/payments/" in path else "disbursement"
            record = self.state.records.get(path.rsplit("/", 1)[1])
            if record is None or record.kind != kind:
                self._send(404, _airtel_status("DP00800001025", False, "not found"))
                return
            with self.state.lock:
                self.state.advance(record)
            code = {"PENDING": "TIP", "SUCCESSFUL": "TS", "FAILED": "TF"}[record.status]
            transaction = {"id": record.reference, "status": code, "message": record.reason or code}
            if code == "TS":
                transaction["airtel_money_id"] = "AM" + record.reference[:10]
            self._send(
                200,
                {
                    "data": {"transaction": transaction},
                    **_airtel_status("DP00800001001", True, "ok"),
                },
            )
        else:
            self._send(404, _airtel_status("DP00800001025", False, "no such path"))

    def _airtel_create(self, kind: str) -> None:
        body = self._body()
        transaction = body.get("transaction") or {}
        reference = str(transaction.get("id", ""))
        if kind == "collection":
            msisdn = str((body.get("subscriber") or {}).get("msisdn", ""))
        else:
            msisdn = str((body.get("payee") or {}).get("msisdn", ""))
            try:
                if self.state.pin_of(str(body.get("pin", ""))) != AIRTEL_PIN:
                    raise ValueError
            except ValueError:
                self._send(200, _airtel_status("DP00900001013", False, "Invalid PIN"))
                return
        if not reference or len(msisdn) != 9 or msisdn.startswith("250"):
            self._send(400, _airtel_status("DP00800001009", False, "bad request"))
            return
        with self.state.lock:
            if reference in self.state.records:
                self._send(200, _airtel_status("DP00900001017", False, "duplicate transaction id"))
                return
            self.state.records[reference] = Record(
                kind,
                reference,
                str(transaction.get("amount")),
                "RWF",
                msisdn,
                str(body.get("reference", "")),
            )
        if self._fault_after_recording():
            return
        pending = "DP00800001006" if kind == "collection" else "DP00900001006"
        self._send(
            200,
            {
                "data": {"transaction": {"id": reference, "status": "SUCCESS"}},
                **_airtel_status(pending, True, "in process"),
            },
        )

    def _airtel_refund(self) -> None:
        money_id = str(((self._body().get("transaction") or {}).get("airtel_money_id")) or "")
        for record in self.state.records.values():
            if record.status == "SUCCESSFUL" and "AM" + record.reference[:10] == money_id:
                if record.extra.get("refunded"):
                    self._send(200, _airtel_status("DP00800001008", False, "already refunded"))
                    return
                record.extra["refunded"] = True
                self.state.refunds.append({"provider": "airtel", "money_id": money_id})
                self._send(
                    200,
                    {
                        "data": {
                            "transaction": {"airtel_money_id": "RF" + money_id, "status": "SUCCESS"}
                        },
                        **_airtel_status("DP00800001001", True, "refunded"),
                    },
                )
                return
        self._send(200, _airtel_status("DP00800001025", False, "transaction not found"))

    # -- Flutterwave v3 ----------------------------------------------------------------------
    def _flw(self, method: str, path: str) -> None:
        if self.headers.get("Authorization") != f"Bearer {FLW_SECRET}":
            self._send(
                401, {"status": "error", "message": "Invalid authorization key", "data": None}
            )
            return
        query = parse_qs(urlparse(self.path).query)
        if path == "/v3/payments" and method == "POST":
            body = self._body()
            tx_ref = str(body.get("tx_ref", ""))
            if not tx_ref or not (body.get("customer") or {}).get("email"):
                self._send(
                    400,
                    {
                        "status": "error",
                        "message": "tx_ref and customer.email are required",
                        "data": None,
                    },
                )
                return
            with self.state.lock:
                self.state.flw_links[tx_ref] = body
            if self._fault_after_recording():
                return
            link = f"https://checkout.flutterwave.test/v3/hosted/pay/{uuid.uuid4().hex[:16]}"
            self._send(200, {"status": "success", "message": "Hosted Link", "data": {"link": link}})
        elif path == "/v3/transactions/verify_by_reference" and method == "GET":
            tx_ref = (query.get("tx_ref") or [""])[0]
            found = [t for t in self.state.flw_transactions.values() if t["tx_ref"] == tx_ref]
            if not found:
                self._send(
                    400,
                    {
                        "status": "error",
                        "message": "No transaction was found for this id",
                        "data": None,
                    },
                )
                return
            self._send(
                200,
                {
                    "status": "success",
                    "message": "Transaction fetched successfully",
                    "data": found[-1],
                },
            )
        elif path.startswith("/v3/transactions/") and path.endswith("/refund") and method == "POST":
            transaction = self.state.flw_transactions.get(int(path.split("/")[3]))
            if transaction is None or transaction["status"] != "successful":
                self._send(
                    400, {"status": "error", "message": "Transaction not refundable", "data": None}
                )
                return
            amount = self._body().get("amount", transaction["amount"])
            refund = {
                "id": 9000 + len(self.state.refunds),
                "tx_id": transaction["id"],
                "amount_refunded": amount,
                "status": "completed",
            }
            self.state.refunds.append({"provider": "flutterwave", **refund})
            self._send(
                200,
                {"status": "success", "message": "Transaction refund initiated", "data": refund},
            )
        elif path == "/v3/transfers" and method == "POST":
            self._flw_transfer()
        elif path == "/v3/transfers" and method == "GET":
            reference = (query.get("reference") or [""])[0]
            found = [t for t in self.state.flw_transfers.values() if t["reference"] == reference]
            self._send(200, {"status": "success", "message": "Transfers fetched", "data": found})
        elif path.startswith("/v3/transfers/") and method == "GET":
            transfer = self.state.flw_transfers.get(int(path.rsplit("/", 1)[1]))
            if transfer is None:
                self._send(404, {"status": "error", "message": "Transfer not found", "data": None})
                return
            with self.state.lock:
                self._flw_advance(transfer)
            self._send(200, {"status": "success", "message": "Transfer fetched", "data": transfer})
        else:
            self._send(404, {"status": "error", "message": "no such path", "data": None})

    def _flw_transfer(self) -> None:
        body = self._body()
        reference = str(body.get("reference", ""))
        with self.state.lock:
            if any(t["reference"] == reference for t in self.state.flw_transfers.values()):
                self._send(400, {"status": "error", "message": "Duplicate reference", "data": None})
                return
            transfer_id = 5000 + len(self.state.flw_transfers)
            self.state.flw_transfers[transfer_id] = {
                "id": transfer_id,
                "reference": reference,
                "account_number": str(body.get("account_number")),
                "amount": body.get("amount"),
                "currency": body.get("currency"),
                "status": "NEW",
                "complete_message": "",
                "polls": 0,
            }
        if self._fault_after_recording():
            return
        self._send(
            200,
            {
                "status": "success",
                "message": "Transfer Queued Successfully",
                "data": self.state.flw_transfers[transfer_id],
            },
        )

    def _flw_advance(self, transfer: dict[str, Any]) -> None:
        if transfer["status"] in {"SUCCESSFUL", "FAILED"}:
            return
        transfer["polls"] += 1
        number = transfer["account_number"]
        if number.endswith("9"):
            transfer["status"] = "PENDING"
        elif number.endswith("0"):
            transfer["status"], transfer["complete_message"] = (
                "FAILED",
                "Insufficient funds in customer wallet",
            )
        elif transfer["polls"] > self.state.approve_after:
            transfer["status"] = "SUCCESSFUL"
        else:
            transfer["status"] = "PENDING"


def _airtel_status(code: str, success: bool, message: str) -> dict[str, Any]:
    return {
        "status": {
            "code": "200",
            "message": message,
            "result_code": "ESB000010",
            "response_code": code,
            "success": success,
        }
    }


class Simulator:
    """The server and its state; `flutterwave_pay` plays the customer on the hosted page."""

    def __init__(self) -> None:
        self.state = State()
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def flutterwave_pay(
        self, tx_ref: str, *, status: str = "successful", amount: object = None
    ) -> dict[str, Any]:
        link = self.state.flw_links[tx_ref]
        with self.state.lock:
            transaction_id = 100000 + len(self.state.flw_transactions)
            transaction = {
                "id": transaction_id,
                "tx_ref": tx_ref,
                "flw_ref": f"FLW-MOCK-{transaction_id}",
                "amount": link["amount"] if amount is None else amount,
                "charged_amount": link["amount"] if amount is None else amount,
                "currency": link["currency"],
                "status": status,
                "payment_type": "card",
                "processor_response": "Approved" if status == "successful" else "Declined",
                "customer": link["customer"],
            }
            self.state.flw_transactions[transaction_id] = transaction
        return transaction
