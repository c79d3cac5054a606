"""A mobile-money simulator speaking the request-to-pay protocol (MTN MoMo Open API shape).

Collections: `POST /sim/momo/collection/v1_0/requesttopay` with `X-Reference-Id` (a UUID the
caller chooses) answers 202; `GET .../requesttopay/{referenceId}` answers the status: PENDING
until the payer has approved on their phone (here: on the second status request), then
SUCCESSFUL, or FAILED for a payer number ending in 0. Disbursements (`/disbursement/v1_0/
transfer`) work the same way; they pay sellers out and return refunds to payers. Every call
needs the bearer token EWTP_MOMO_TOKEN; `GET /statement/YYYY-MM-DD` lists a day's requests.
It exists only when EWTP_PAYMENT_PROVIDERS names `momo-sim` (otherwise every path is a 404).
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import wraps

from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from ewtp.core import clock, conf
from ewtp.payments.models import MomoRequest

View = Callable[..., HttpResponse]

APPROVE_AFTER_POLLS = 1


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def simulator(view: View) -> View:
    """The simulator exists only when `momo-sim` is named, and answers only its token."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        from ewtp.payments.providers import MOMO_SIM, offered

        if MOMO_SIM not in offered():
            raise Http404
        given = request.headers.get("Authorization", "").encode()
        expected = ("Bearer " + conf.MOMO_TOKEN()).encode()
        if not hmac.compare_digest(given, expected):
            return _error(401, "UNAUTHORIZED", "Access denied due to invalid bearer token")
        return view(request, *args, **kwargs)

    return guarded


def _create(request: HttpRequest, kind: str) -> HttpResponse:
    if request.method != "POST":
        return _error(405, "METHOD_NOT_ALLOWED", "POST only")
    try:
        reference = uuid.UUID(request.headers.get("X-Reference-Id", ""))
    except ValueError:
        return _error(400, "INVALID_REFERENCE_ID", "X-Reference-Id must be a UUID")
    try:
        body = json.loads(request.body)
        party = body["payer" if kind == "requesttopay" else "payee"]
        amount = Decimal(str(body["amount"]))
        currency = str(body["currency"])
        party_id = str(party["partyId"])
        if party.get("partyIdType") != "MSISDN" or not party_id.isdigit() or amount <= 0:
            raise ValueError
    except (ValueError, KeyError, TypeError, InvalidOperation):
        return _error(400, "INVALID_REQUEST", "amount, currency and an MSISDN party are needed")
    try:
        with transaction.atomic():
            MomoRequest.objects.create(
                reference_id=reference,
                kind=kind,
                external_id=str(body.get("externalId", "")),
                amount=str(amount),
                currency=currency,
                party_id=party_id,
                created_at=clock.now(),
            )
    except IntegrityError:
        return _error(409, "RESOURCE_ALREADY_EXIST", "Duplicated reference id")
    return HttpResponse(status=202)


def _status(request: HttpRequest, kind: str, reference_id: str) -> HttpResponse:
    try:
        reference = uuid.UUID(reference_id)
    except ValueError:
        return _error(400, "INVALID_REFERENCE_ID", "not a UUID")
    with transaction.atomic():
        record = (
            MomoRequest.objects.select_for_update()
            .filter(reference_id=reference, kind=kind)
            .first()
        )
        if record is None:
            return _error(404, "RESOURCE_NOT_FOUND", "Requested resource was not found")
        if record.status == MomoRequest.Status.PENDING:
            if record.party_id.endswith("0"):
                record.status = MomoRequest.Status.FAILED
                record.reason = "APPROVAL_REJECTED"
            elif record.polls >= APPROVE_AFTER_POLLS:
                record.status = MomoRequest.Status.SUCCESSFUL
            record.polls += 1
            record.save(update_fields=["status", "reason", "polls"])
    party_key = "payer" if kind == "requesttopay" else "payee"
    body: dict[str, object] = {
        "amount": record.amount,
        "currency": record.currency,
        "externalId": record.external_id,
        party_key: {"partyIdType": "MSISDN", "partyId": record.party_id},
        "status": record.status,
    }
    if record.status == MomoRequest.Status.SUCCESSFUL:
        body["financialTransactionId"] = str(record.pk).zfill(10)
    if record.reason:
        body["reason"] = record.reason
    return JsonResponse(body)


@csrf_exempt
@simulator
def requesttopay(request: HttpRequest) -> HttpResponse:
    return _create(request, "requesttopay")


@simulator
def requesttopay_status(request: HttpRequest, reference_id: str) -> HttpResponse:
    return _status(request, "requesttopay", reference_id)


@csrf_exempt
@simulator
def transfer(request: HttpRequest) -> HttpResponse:
    return _create(request, "transfer")


@simulator
def transfer_status(request: HttpRequest, reference_id: str) -> HttpResponse:
    return _status(request, "transfer", reference_id)


@simulator
def statement(request: HttpRequest, day: str) -> HttpResponse:
    """The simulator's statement of one day: every request made that day, with its state."""
    try:
        on = date.fromisoformat(day)
    except ValueError:
        return _error(400, "INVALID_DATE", "YYYY-MM-DD")
    lines = [
        {
            "kind": "payment" if record.kind == "requesttopay" else "transfer",
            "referenceId": str(record.reference_id),
            "externalId": record.external_id,
            "amount": record.amount,
            "currency": record.currency,
            "status": record.status,
        }
        for record in MomoRequest.objects.filter(created_at__date=on).order_by("pk")
    ]
    return JsonResponse({"date": on.isoformat(), "lines": lines})


urlpatterns = [
    path("collection/v1_0/requesttopay", requesttopay),
    path("collection/v1_0/requesttopay/<str:reference_id>", requesttopay_status),
    path("disbursement/v1_0/transfer", transfer),
    path("disbursement/v1_0/transfer/<str:reference_id>", transfer_status),
    path("statement/<str:day>", statement),
]
