"""The sandbox provider's approval page (it stands where a card network's page would), and
the operator's money desk (parked money tasks, reconciliation differences)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ewtp.accounts.selectors import is_platform_operator
from ewtp.core.errors import DomainError
from ewtp.payments import sandbox
from ewtp.payments.models import MoneyTask, Payment, Payout, ProviderDifference
from ewtp.payments.providers import SANDBOX, offered
from ewtp.payments.retry import money_task_requeue


def sandbox_approve_page(request: HttpRequest, payment_id: UUID) -> HttpResponse:
    if SANDBOX not in offered():
        raise Http404
    payment = Payment.objects.filter(public_id=payment_id, provider=SANDBOX).first()
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


@login_required
def operator_page(request: HttpRequest) -> HttpResponse:
    """The operator's money desk: parked money tasks and reconciliation differences."""
    if not is_platform_operator(request.user):
        raise Http404
    if request.method == "POST":
        task = MoneyTask.objects.filter(pk=request.POST.get("task", "0") or 0).first()
        if task is None:
            raise Http404
        money_task_requeue(actor=request.user, task=task)
        messages.success(request, _("The task is back in the queue."))
        return HttpResponseRedirect(reverse("payments:operator"))
    parked = MoneyTask.objects.filter(status=MoneyTask.Status.PARKED).order_by("-finished_at")
    waiting = MoneyTask.objects.filter(status=MoneyTask.Status.PENDING, attempts__gt=0).count()
    differences = Paginator(ProviderDifference.objects.all(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/operator.html",
        {
            "parked": parked[:200],
            "waiting": waiting,
            "page": differences,
            "providers": offered(),
        },
    )


@login_required
def payouts_page(request: HttpRequest) -> HttpResponse:
    """The operator's payouts: the schedule, what is due, a run now, the batches with each
    organisation's payout (sent, paid out, failed and given back), a retry of a failed one."""
    from ewtp.payments import selectors
    from ewtp.payments.payouts import payout_retry, payouts_run

    if not is_platform_operator(request.user):
        raise Http404
    if request.method == "POST":
        try:
            if request.POST.get("action") == "retry":
                public_id = _uuid(request.POST.get("payout"))
                payout = Payout.objects.filter(public_id=public_id).first() if public_id else None
                if payout is None:
                    raise Http404
                again = payout_retry(actor=request.user, payout=payout)
                messages.success(
                    request,
                    _("The payout to %(name)s is sent again (%(amount)s).")
                    % {"name": again.organisation.name, "amount": again.amount.format(_lang())},
                )
            else:
                made = payouts_run(actor=request.user)
                messages.success(
                    request,
                    ngettext(
                        "Payout batch made: %(count)s payout sent.",
                        "Payout batch made: %(count)s payouts sent.",
                        len(made),
                    )
                    % {"count": len(made)}
                    if made
                    else _("Nothing to pay: no organisation has reached the minimum."),
                )
        except DomainError as problem:
            messages.error(request, problem.message)
        return HttpResponseRedirect(reverse("payments:payouts"))
    return render(
        request,
        "payments/payouts.html",
        {
            "schedule": selectors.payout_schedule(),
            "due": selectors.payouts_due(),
            "batches": selectors.payout_batches(),
        },
    )


def _uuid(text: str | None) -> UUID | None:
    try:
        return UUID(text or "")
    except ValueError:
        return None


def _lang() -> str:
    from django.utils import translation

    return translation.get_language() or "en"
