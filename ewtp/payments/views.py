"""The sandbox provider's approval page (it stands where a card network's page would)."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from ewtp.core.errors import DomainError
from ewtp.payments import sandbox
from ewtp.payments.models import Payment


def sandbox_approve_page(request: HttpRequest, payment_id: UUID) -> HttpResponse:
    payment = Payment.objects.filter(public_id=payment_id, provider="sandbox").first()
    if payment is None or not payment.provider_reference:
        raise Http404
    charge = sandbox.charge_get(payment.provider_reference)
    error = ""
    if request.method == "POST":
        approve = request.POST.get("decision") == "approve"
        try:
            charge = sandbox.charge_decide(reference=charge.reference, approve=approve)
        except DomainError as problem:
            error = problem.message
        else:
            if charge.return_url:
                return HttpResponseRedirect(charge.return_url)
    return render(
        request,
        "payments/sandbox_approve.html",
        {"payment": payment, "charge": charge, "error": error},
    )
