"""The operator's ledger pages: accounts, balances, postings, drill-down by reference."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from ewtp.core.errors import DomainError
from ewtp.core.money import Money
from ewtp.ledger import selectors
from ewtp.ledger.models import Account
from ewtp.ledger.services import ledger_verify


def _guard[T](call: Callable[[], T]) -> T:
    try:
        return call()
    except DomainError as error:
        if error.http_status in {403, 404}:
            raise Http404 from error
        raise


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    purpose = request.GET.get("purpose", "")
    query = request.GET.get("q", "").strip()
    accounts = _guard(
        lambda: selectors.account_list_for(request.user, purpose=purpose, query=query)
    )
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    rows = [
        (account, Money.from_minor(account.position_minor, account.currency)) for account in page
    ]
    purposes = sorted(set(Account.objects.values_list("purpose", flat=True)))
    return render(
        request,
        "ledger/accounts.html",
        {
            "page": page,
            "rows": rows,
            "purpose": purpose,
            "purposes": purposes,
            "q": query,
        },
    )


@login_required
def account_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    account = _guard(lambda: selectors.account_get_for(request.user, public_id))
    page = Paginator(selectors.entries_of(account), 50).get_page(request.GET.get("page"))
    rows = [(entry, Money.from_minor(entry.amount_minor, entry.currency)) for entry in page]
    return render(
        request,
        "ledger/account.html",
        {
            "account": account,
            "page": page,
            "rows": rows,
            "position": Money.from_minor(account.position_minor, account.currency),
        },
    )


@login_required
def postings_by_reference(request: HttpRequest, reference: str) -> HttpResponse:
    postings = list(_guard(lambda: selectors.postings_for_reference(request.user, reference)))
    return render(request, "ledger/postings.html", {"reference": reference, "postings": postings})


@login_required
def verify(request: HttpRequest) -> JsonResponse:
    _guard(lambda: selectors.account_list_for(request.user))
    return JsonResponse(ledger_verify())
