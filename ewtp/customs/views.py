"""Pages of customs: the officer's queue (filters, risk flags), a declaration with its
decision form, the desk's figures, and a parcel's papers for its seller (invoice, CN 22/23,
origin statement, declaration files, submission)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ewtp.accounts.models import Organisation, User
from ewtp.accounts.selectors import organisation_get_for
from ewtp.core import wording
from ewtp.core.errors import DomainError, NotFound
from ewtp.core.http import page_errors
from ewtp.core.pagination import paginate
from ewtp.customs import selectors, services
from ewtp.customs.items import declaration_items
from ewtp.customs.models import Decision, Declaration
from ewtp.customs.pdf import commercial_invoice_pdf, origin_statement_text, postal_form_pdf
from ewtp.customs.serialise import to_json, to_xml
from ewtp.logistics.selectors import order_get_for_seller, parcel_get_for

PER_PAGE = 25


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# Officer -----------------------------------------------------------------------------------


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    filters = {
        "authority": request.GET.get("authority", ""),
        "status": request.GET.get("status", "open"),
        "kind": request.GET.get("kind", ""),
        "flag": request.GET.get("flag", ""),
        "country": request.GET.get("country", ""),
        "query": request.GET.get("q", ""),
    }
    page = paginate(
        selectors.declaration_queue_for(user, **filters), request.GET.get("page"), per_page=PER_PAGE
    )
    return render(
        request,
        "customs/queue.html",
        {
            "page": page,
            "filters": filters,
            "authorities": selectors.authorities_of(user),
            "statuses": Declaration.Status.choices,
            "kinds": Declaration.Kind.choices,
            "flags": [(code, wording.label(code)) for code in selectors.FLAG_CODES],
        },
    )


def _declaration_context(
    request: HttpRequest, declaration: Declaration, **extra: Any
) -> dict[str, Any]:
    from ewtp.logistics.selectors import tracking_for_parcel

    context = {
        "declaration": declaration,
        "parcel": declaration.parcel,
        "decisions": list(selectors.decisions_of(declaration)),
        "can_decide": selectors.can_decide(request.user, declaration),
        "actions": Decision.Action.choices,
        "reasons": Decision.Reason.choices,
        "items": declaration_items(declaration),
        "tracking": tracking_for_parcel(declaration.parcel),
        "values": request.POST if request.method == "POST" else {},
        "error": "",
        "errors": {},
    }
    context.update(extra)
    return context


@login_required
@page_errors
def declaration(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = _user(request)
    found = selectors.declaration_get_for(user, public_id)
    if request.method == "POST":
        try:
            services.declaration_decide(
                actor=user,
                declaration=found,
                action=request.POST.get("action", ""),
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
            )
        except DomainError as error:
            if error.http_status == 404:
                raise
            found.refresh_from_db()
            context = _declaration_context(request, found, error=error.message, errors=error.fields)
            status = error.http_status if error.http_status in {403, 409, 422} else 422
            return render(request, "customs/declaration.html", context, status=status)
        found.refresh_from_db()
        messages.success(
            request,
            _("Declaration %(reference)s: %(status)s.")
            % {"reference": found.reference, "status": found.get_status_display().lower()},
        )
        if request.POST.get("then") == "next":
            return _next_in_queue(request, user, found)
        return HttpResponseRedirect(reverse("customs:declaration", args=[found.public_id]))
    return render(request, "customs/declaration.html", _declaration_context(request, found))


def _next_in_queue(request: HttpRequest, user: User, decided: Declaration) -> HttpResponse:
    """ "Release and next": the oldest declaration still waiting in the officer's queue, or the
    queue itself (empty) when none is left."""
    following = selectors.next_in_queue(user, after=decided)
    if following is None:
        messages.info(request, _("No other declaration is waiting: the queue is clear."))
        return HttpResponseRedirect(reverse("customs:queue"))
    return HttpResponseRedirect(reverse("customs:declaration", args=[following.public_id]))


def _data_response(data: dict[str, Any], fmt: str, name: str) -> HttpResponse:
    if fmt == "xml":
        response = HttpResponse(to_xml(data), content_type="application/xml; charset=utf-8")
    elif fmt == "json":
        response = HttpResponse(to_json(data), content_type="application/json; charset=utf-8")
    else:
        raise NotFound("not_found", _("JSON or XML."))
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
@page_errors
def declaration_data(request: HttpRequest, public_id: Any, fmt: str) -> HttpResponse:
    found = selectors.declaration_get_for(_user(request), public_id)
    return _data_response(found.data, fmt, f"{found.reference}-{found.dataset}")


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "customs/figures.html",
        {
            "figures": selectors.figures_for(user, request.GET.get("authority", "")),
            "authorities": selectors.authorities_of(user),
            "statuses": Declaration.Status.choices,
        },
    )


# Seller: papers and submission -------------------------------------------------------------


@login_required
@page_errors
def invoice(request: HttpRequest, code: str) -> HttpResponse:
    papers = selectors.papers_get_for(_user(request), code)
    response = HttpResponse(commercial_invoice_pdf(papers), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="invoice-{papers.order.reference}.pdf"'
    return response


@login_required
@page_errors
def postal_form(request: HttpRequest, code: str) -> HttpResponse:
    papers = selectors.papers_get_for(_user(request), code)
    if papers.postal_form is None:
        raise NotFound("not_found", _("A parcel delivered inside the country has no CN 22/CN 23."))
    response = HttpResponse(postal_form_pdf(papers), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{papers.postal_form.slug}-{papers.parcel.code}.pdf"'
    )
    return response


@login_required
@page_errors
def origin_statement(request: HttpRequest, code: str) -> HttpResponse:
    papers = selectors.papers_get_for(_user(request), code)
    text = origin_statement_text(papers)
    if not text:
        raise NotFound("not_found", _("No preference was used: there is no origin statement."))
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = (
        f'inline; filename="origin-statement-{papers.parcel.code}.txt"'
    )
    return response


@login_required
@page_errors
def draft_data(request: HttpRequest, code: str, kind: str, fmt: str) -> HttpResponse:
    """A declaration as it would be submitted now (before submission)."""
    papers = selectors.papers_get_for(_user(request), code)
    if kind not in Declaration.Kind.values:
        raise NotFound("not_found", _("Export or import."))
    draft = papers.draft(kind)
    return _data_response(draft.data, fmt, f"draft-{papers.parcel.code}-{draft.dataset}")


@login_required
@page_errors
@require_POST
def submit(request: HttpRequest, code: str) -> HttpResponse:
    from ewtp.logistics.views import _pack_context

    user = _user(request)
    parcel = parcel_get_for(user, code)
    try:
        services.declarations_submit(
            actor=user,
            parcel=parcel,
            is_origin_statement_made=request.POST.get("origin_statement") == "1",
        )
    except DomainError as error:
        if error.http_status == 404:
            raise
        order = order_get_for_seller(user, parcel.order.public_id)
        context = _pack_context(request, order, error=error.message, errors=error.fields)
        status = error.http_status if error.http_status in {403, 409, 422} else 422
        return render(request, "logistics/pack.html", context, status=status)
    messages.success(request, _("Declarations submitted."))
    return HttpResponseRedirect(reverse("logistics:pack", args=[parcel.order.public_id]))


@login_required
@page_errors
@require_POST
def trader_profile(request: HttpRequest, slug: str) -> HttpResponse:
    user = _user(request)
    organisation: Organisation = organisation_get_for(user, slug)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("logistics:seller_orders")
    try:
        services.trader_profile_set(
            actor=user,
            organisation=organisation,
            data=services.ProfileData(tin=request.POST.get("tin")),
        )
    except DomainError as error:
        messages.error(
            request,
            "; ".join(f"{field}: {message}" for field, message in error.fields.items())
            or error.message,
        )
    else:
        messages.success(request, _("Customs numbers saved."))
    return HttpResponseRedirect(target)
