"""API of payments: the sandbox provider's approval, incoming webhooks, payment status."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from ewtp.core.errors import DomainError, NotFound
from ewtp.payments import sandbox, webhooks
from ewtp.payments.models import Payment
from ewtp.payments.providers import SANDBOX, offered
from ewtp.payments.services import callback_receive, webhook_receive

router = Router(tags=["payments"])


def _payment(payment_id: str) -> Payment:
    try:
        return Payment.objects.get(public_id=payment_id)
    except (Payment.DoesNotExist, ValueError, DomainError):
        raise NotFound("not_found", _("No such payment.")) from None
    except Exception as error:  # a malformed UUID raises ValidationError
        raise NotFound("not_found", _("No such payment.")) from error


@router.get("/{payment_id}", summary="A payment's status (by its opaque id)")
def payment_get(request: HttpRequest, payment_id: str) -> dict[str, object]:
    return _payment(payment_id).as_dict()


@router.post(
    "/sandbox/{payment_id}/approve",
    summary="Approve a sandbox payment (what the sandbox approval page does)",
    description="The sandbox provider then delivers its signed webhook to the platform.",
)
def sandbox_approve(request: HttpRequest, payment_id: str) -> dict[str, object]:
    if SANDBOX not in offered():
        raise NotFound("not_found", _("Not found."))
    payment = _payment(payment_id)
    if payment.provider != "sandbox" or not payment.provider_reference:
        raise NotFound("not_found", _("No such sandbox payment."))
    charge = sandbox.charge_decide(reference=payment.provider_reference, approve=True)
    return {"id": str(payment.public_id), "provider_status": charge.status}


@router.post(
    "/webhooks/sandbox",
    summary="Signed webhook of the sandbox provider",
    description="HMAC-SHA256 over `<t>.<body>` in the `Sandbox-Signature: t=..,v1=..` header; "
    "events older than five minutes are refused; each event id is taken once.",
)
def sandbox_webhook(request: HttpRequest) -> HttpResponse:
    if SANDBOX not in offered():
        raise NotFound("not_found", _("Not found."))
    body = request.body
    problem = webhooks.verify(body, request.headers.get(webhooks.SIGNATURE_HEADER, ""))
    if problem is not None:
        raise DomainError("invalid_signature", f"Webhook refused: {problem}.", http_status=400)
    try:
        event = json.loads(body)
    except ValueError:
        raise DomainError("invalid_request", "The body is not JSON.", http_status=400) from None
    if not isinstance(event, dict):
        raise DomainError("invalid_request", "The body must be a JSON object.", http_status=400)
    outcome = webhook_receive(provider_name="sandbox", event=event)
    return HttpResponse(json.dumps({"status": outcome}), content_type="application/json")


@router.api_operation(
    ["POST", "PUT"],
    "/callbacks/{provider}",
    summary="A payment provider's callback or webhook (mtn-momo, airtel-money, flutterwave)",
    description="Refused (401) unless it proves itself as its provider specifies (Flutterwave: "
    "`verif-hash` or `flutterwave-signature`; Airtel: `hash` when callback authentication is "
    "on); taken once; it only makes the platform ask the provider for the status. 404 for a "
    "provider this deployment does not offer.",
)
def provider_callback(request: HttpRequest, provider: str) -> HttpResponse:
    outcome = callback_receive(provider_name=provider, headers=request.headers, body=request.body)
    return HttpResponse(json.dumps({"status": outcome}), content_type="application/json")
