"""Pages of logistics: the seller's "pack and print papers" page, the hub operator's pages
(intake scan, parcels at the hub, consolidation, shipments, last mile, exceptions), the parcel
label, and the public tracking page where the buyer confirms receipt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ewtp.accounts.models import User
from ewtp.core import wording
from ewtp.core.errors import DomainError, NotFound
from ewtp.core.http import is_htmx, page_errors
from ewtp.core.pagination import paginate
from ewtp.logistics import selectors
from ewtp.logistics.models import Lane, Parcel, Shipment
from ewtp.logistics.pdf import label_pdf, manifest_pdf
from ewtp.logistics.services import delivery, shipments
from ewtp.logistics.services import intake as intake_services
from ewtp.logistics.services.parcels import (
    parcel_create,
    parcel_hand_over,
    parcel_receive,
    parcel_update,
)
from ewtp.logistics.services.steps import PARCEL_STEPS
from ewtp.orders.models import Order
from ewtp.orders.selectors import token_matches
from ewtp.orders.services.transitions import BuyerAccess

PER_PAGE = 25


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _status_of(error: DomainError) -> int:
    return error.http_status if error.http_status in {403, 404, 409, 422} else 422


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# Seller: orders to ship, pack and print papers ---------------------------------------------


@login_required
def seller_orders(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    page = paginate(
        selectors.orders_to_ship_for(_user(request), status=status),
        request.GET.get("page"),
        per_page=PER_PAGE,
    )
    return render(
        request,
        "logistics/seller_orders.html",
        {"page": page, "status": status, "statuses": Order.Status.choices},
    )


def _weight_warning(weight_kg: Any, lines: list[Any]) -> str:
    """A sentence when the packed weight is far from the goods' own weights (customs flags the
    same gap as a risk), "" otherwise."""
    from decimal import Decimal

    from ewtp.customs.risk import PACKAGING_ALLOWANCE_KG, WEIGHT_HIGH_RATIO, WEIGHT_LOW_RATIO

    expected = sum((Decimal(line.unit_weight_kg) * line.quantity for line in lines), Decimal(0))
    if expected <= 0:
        return ""
    low = expected * WEIGHT_LOW_RATIO
    high = expected * WEIGHT_HIGH_RATIO + PACKAGING_ALLOWANCE_KG
    if low <= Decimal(weight_kg) <= high:
        return ""
    return _(
        "The parcel weighs %(weight)s kg, but its products weigh %(expected)s kg: customs expect "
        "%(low)s to %(high)s kg with packaging and will flag it. Weigh it again, or correct the "
        "products' weights."
    ) % {
        "weight": Decimal(weight_kg).normalize(),
        "expected": expected.normalize(),
        "low": low.quantize(Decimal("0.01")),
        "high": high.quantize(Decimal("0.01")),
    }


def _pack_context(request: HttpRequest, order: Order, **extra: Any) -> dict[str, Any]:
    from ewtp.customs import selectors as customs_selectors
    from ewtp.customs.dossier import papers_for

    parcel = selectors.parcel_for_order(order)
    context: dict[str, Any] = {
        "order": order,
        "parcel": parcel,
        "lines": list(order.lines.all()),
        "values": request.POST if request.method == "POST" else {},
        "errors": {},
        "error": "",
    }
    if parcel is not None:
        context["papers"] = papers_for(parcel)
        context["declarations"] = customs_selectors.declarations_of_parcel(parcel)
        context["tracking"] = selectors.tracking_for_parcel(parcel)
        context["profile"] = getattr(parcel.seller, "trader_profile", None)
        context["weight_warning"] = _weight_warning(parcel.weight_kg, context["lines"])
        try:
            context["lane_quote"] = selectors.lane_options(
                parcel.origin_hub.code,
                parcel.destination_country,
                parcel.weight_kg,
                parcel.dimensions,
            )[0]
        except DomainError:
            context["lane_quote"] = None
    context.update(extra)
    return context


@login_required
@page_errors
def pack(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Create the parcel (weight and size), then print label and papers, submit the
    declarations and hand the parcel over to the hub."""
    user = _user(request)
    order = selectors.order_get_for_seller(user, public_id)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "create")
        parcel = selectors.parcel_for_order(order)
        try:
            if action == "hand_over" and parcel is not None:
                parcel_hand_over(actor=user, parcel=parcel)
                messages.success(
                    request, _("Handed over: the hub scans the parcel in when it arrives.")
                )
            elif action == "update" and parcel is not None:
                parcel_update(
                    actor=user,
                    parcel=parcel,
                    weight_kg=request.POST.get("weight_kg", ""),
                    length_cm=request.POST.get("length_cm", ""),
                    width_cm=request.POST.get("width_cm", ""),
                    height_cm=request.POST.get("height_cm", ""),
                )
                messages.success(request, _("Parcel corrected."))
            else:
                created = parcel_create(
                    actor=user,
                    order=order,
                    weight_kg=request.POST.get("weight_kg", ""),
                    length_cm=request.POST.get("length_cm", ""),
                    width_cm=request.POST.get("width_cm", ""),
                    height_cm=request.POST.get("height_cm", ""),
                )
                messages.success(
                    request,
                    _("Parcel %(code)s packed. Print its label and papers.")
                    % {"code": created.code},
                )
        except DomainError as error:
            status = _status_of(error)
            order.refresh_from_db()
            context = _pack_context(request, order, errors=error.fields, error=error.message)
            return render(request, "logistics/pack.html", context, status=status)
        return HttpResponseRedirect(reverse("logistics:pack", args=[order.public_id]))
    return render(request, "logistics/pack.html", _pack_context(request, order), status=status)


@login_required
@page_errors
def label(request: HttpRequest, code: str) -> HttpResponse:
    parcel = selectors.parcel_get_for(_user(request), code)
    return _pdf(label_pdf(parcel), f"label-{parcel.code}.pdf")


# Hub operator ----------------------------------------------------------------------------


@login_required
def hub_dashboard(request: HttpRequest) -> HttpResponse:
    hubs = list(selectors.hubs_operated_by(_user(request)))
    if len(hubs) == 1:
        return HttpResponseRedirect(reverse("logistics:hub", args=[hubs[0].code]))
    return render(request, "logistics/hub_list.html", {"hubs": hubs})


def _page_context(context: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """A page's context: no error unless the caller gives one, then the caller's other keys."""
    return {**context, "error": "", "errors": {}, **extra}


def _hub_context(request: HttpRequest, hub: Any, **extra: Any) -> dict[str, Any]:
    status = request.GET.get("status", "")
    query = request.GET.get("q", "")
    to_consolidate = list(selectors.parcels_to_consolidate(hub)[:200])
    waiting = {parcel.destination_hub_id for parcel in to_consolidate}
    lanes = sorted(
        selectors.lanes_from(hub),
        key=lambda lane: (
            lane.destination_id not in waiting,
            lane.destination.code,
            lane.transit_days,
        ),
    )
    context = {
        "hub": hub,
        "can_work": selectors.can_work_hub(request.user, hub),
        "page": paginate(
            selectors.parcels_at_hub(hub, status=status, query=query),
            request.GET.get("page"),
            per_page=PER_PAGE,
        ),
        "status": status,
        "query": query,
        "statuses": Parcel.Status.choices,
        "to_consolidate": to_consolidate,
        "local": list(selectors.parcels_for_local_delivery(hub)[:200]),
        "lanes": lanes,
        "shipments": paginate(
            selectors.shipments_of_hub(hub), request.GET.get("shipments_page"), per_page=10
        ),
        "consolidate_error": "",
        "consolidate_errors": {},
        "scans": {},
        "values": request.POST if request.method == "POST" else {},
    }
    return _page_context(context, extra)


SCAN_KEY = "ewtp_hub_scan"  # the session's last scan results, shown once after the redirect


def _scan_row(
    given: str, outcome: str, message: str, parcel: Parcel | None = None
) -> dict[str, Any]:
    """A scan's result as the page shows it (and as the session keeps it between the POST and
    the page after the redirect)."""
    tone = "ok" if outcome == "received" else "warn" if outcome in DUPLICATES else "bad"
    row: dict[str, Any] = {
        "given": given[:64],  # what was scanned, as typed (a long paste cut short)
        "outcome": outcome,
        "label": wording.label(outcome),
        "message": message,
        "tone": tone,
    }
    if parcel is not None:
        row.update(
            code=parcel.code,
            seller=parcel.seller.name,
            route=f"{parcel.origin_hub.code} → {parcel.destination_hub.code}",
        )
    return row


DUPLICATES = frozenset({"already_received", "duplicate_in_batch"})


def _answer_scan(
    request: HttpRequest, hub: Any, scans: dict[str, Any], status: int
) -> HttpResponse:
    """htmx: the hub's work area again (feedback and fresh lists) in place. Without JavaScript:
    redirect after the POST; the page shows the feedback once."""
    if is_htmx(request):
        context = _hub_context(request, hub, scans=scans)
        return render(request, "logistics/hub.html#work", context, status=status)
    request.session[SCAN_KEY] = {"hub": hub.code, **scans}
    return HttpResponseRedirect(reverse("logistics:hub", args=[hub.code]), status=303)


@login_required
@page_errors
def hub(request: HttpRequest, code: str) -> HttpResponse:
    hub = selectors.hub_get_for(_user(request), code)
    scans = request.session.pop(SCAN_KEY, None)
    if not scans or scans.get("hub") != hub.code:
        scans = {}
    return render(request, "logistics/hub.html", _hub_context(request, hub, scans=scans))


@login_required
@page_errors
@require_POST
def intake(request: HttpRequest, code: str) -> HttpResponse:
    """Scan or type a label's code: the result in words, and the lists again."""
    user = _user(request)
    hub = selectors.hub_get_for(user, code)
    given = request.POST.get("code", "")
    try:
        parcel = parcel_receive(actor=user, hub=hub, code=given)
    except DomainError as error:
        row = _scan_row(given.strip(), intake_services.scan_outcome(error), error.message)
        return _answer_scan(request, hub, {"scan": row}, _status_of(error))
    row = _scan_row(
        parcel.code, "received", _("Parcel %(code)s received.") % {"code": parcel.code}, parcel
    )
    return _answer_scan(request, hub, {"scan": row}, 200)


@login_required
@page_errors
@require_POST
def intake_batch(request: HttpRequest, code: str) -> HttpResponse:
    """Many codes at once: each received on its own, a result for every code."""
    user = _user(request)
    hub = selectors.hub_get_for(user, code)
    try:
        results = intake_services.parcels_receive_batch(
            actor=user, hub=hub, text=request.POST.get("codes", "")
        )
    except DomainError as error:
        row = _scan_row("", error.code, error.message)
        return _answer_scan(request, hub, {"batch_error": row}, _status_of(error))
    rows = [_scan_row(r.given, r.outcome, r.message, r.parcel) for r in results]
    taken = sum(1 for r in results if r.is_received)
    summary = _("%(taken)s of %(count)s received.") % {"taken": taken, "count": len(results)}
    return _answer_scan(request, hub, {"batch": rows, "batch_summary": summary}, 200)


@login_required
@page_errors
@require_POST
def consolidate(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    hub = selectors.hub_get_for(user, code)
    lane = (
        Lane.objects.select_related("carrier", "destination")
        .filter(pk=request.POST.get("lane") or 0, origin=hub)
        .first()
    )
    codes = request.POST.getlist("parcels")
    parcels = list(Parcel.objects.filter(code__in=codes, current_hub=hub))
    try:
        if lane is None:
            raise DomainError(
                "invalid_request", _("Choose a lane."), fields={"lane": _("required")}
            )
        if len(parcels) != len(set(codes)):
            raise NotFound("not_found", _("A chosen parcel is not at this hub."))
        shipment = shipments.shipment_create(
            actor=user, lane=lane, awb=request.POST.get("awb", ""), parcels=parcels
        )
    except DomainError as error:
        context = _hub_context(
            request, hub, consolidate_error=error.message, consolidate_errors=error.fields
        )
        return render(request, "logistics/hub.html", context, status=_status_of(error))
    messages.success(
        request,
        ngettext(
            "Shipment %(awb)s created with %(count)s parcel.",
            "Shipment %(awb)s created with %(count)s parcels.",
            len(parcels),
        )
        % {"awb": shipment.awb, "count": len(parcels)},
    )
    return HttpResponseRedirect(reverse("logistics:shipment", args=[shipment.public_id]))


def _shipment_context(request: HttpRequest, shipment: Shipment, **extra: Any) -> dict[str, Any]:
    lane = shipment.lane
    context = {
        "shipment": shipment,
        "lane": lane,
        "parcels": list(
            shipment.parcels.select_related("seller", "destination_hub").order_by("code")
        ),
        "can_dispatch": selectors.can_work_hub(request.user, lane.origin)
        and shipment.status == Shipment.Status.OPEN,
        "can_arrive": selectors.can_work_hub(request.user, lane.destination)
        and shipment.status == Shipment.Status.DISPATCHED,
    }
    return _page_context(context, extra)


@login_required
@page_errors
def shipment(request: HttpRequest, public_id: Any) -> HttpResponse:
    found = selectors.shipment_get_for(_user(request), public_id)
    return render(request, "logistics/shipment.html", _shipment_context(request, found))


@login_required
@page_errors
def shipment_manifest(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The shipment's manifest: every parcel with its code, weight, destination and declared
    value, and the totals (PDF)."""
    found = selectors.shipment_get_for(_user(request), public_id)
    return _pdf(manifest_pdf(found), f"manifest-{found.awb}.pdf")


def _page_again(
    request: HttpRequest,
    found: Parcel | Shipment,
    error: DomainError,
    template: str,
    context_of: Callable[..., dict[str, Any]],
) -> HttpResponse:
    """A refused step: the page again, as the row is now, with the error on it."""
    found.refresh_from_db()
    context = context_of(request, found, error=error.message, errors=error.fields)
    return render(request, template, context, status=_status_of(error))


def _remove_parcel(actor: User, shipment: Shipment, code: str) -> None:
    shipments.shipment_remove_parcel(
        actor=actor, shipment=shipment, parcel=selectors.parcel_by_code(code)
    )


# A shipment's steps on its page: the step (actor, shipment, the posted code), the message.
SHIPMENT_ACTIONS: dict[
    str, tuple[Callable[[User, Shipment, str], object], Callable[[Shipment], str]]
] = {
    "dispatch": (
        lambda actor, found, code: shipments.shipment_dispatch(actor=actor, shipment=found),
        lambda found: _("Shipment %(awb)s dispatched.") % {"awb": found.awb},
    ),
    "arrive": (
        lambda actor, found, code: shipments.shipment_arrive(actor=actor, shipment=found),
        lambda found: _("Shipment %(awb)s arrived.") % {"awb": found.awb},
    ),
    "add": (
        lambda actor, found, code: shipments.shipment_add_parcel(
            actor=actor, shipment=found, code=code
        ),
        lambda found: _("Parcel added."),
    ),
    "remove": (_remove_parcel, lambda found: _("Parcel taken out.")),
}


@login_required
@page_errors
@require_POST
def shipment_action(request: HttpRequest, public_id: Any, action: str) -> HttpResponse:
    user = _user(request)
    found = selectors.shipment_get_for(user, public_id)
    if action not in SHIPMENT_ACTIONS:
        raise NotFound("not_found", _("No such action."))
    step, done = SHIPMENT_ACTIONS[action]
    try:
        step(user, found, request.POST.get("code", ""))
    except DomainError as error:
        if error.http_status == 404 and action not in {"add", "remove"}:
            raise
        return _page_again(request, found, error, "logistics/shipment.html", _shipment_context)
    messages.success(request, done(found))
    return HttpResponseRedirect(reverse("logistics:shipment", args=[found.public_id]))


def _parcel_context(request: HttpRequest, parcel: Parcel, **extra: Any) -> dict[str, Any]:
    from ewtp.customs.selectors import declarations_of_parcel

    user = request.user
    here = parcel.current_hub or (
        parcel.destination_hub if parcel.status == Parcel.Status.OUT_FOR_DELIVERY else None
    )
    context = {
        "parcel": parcel,
        "tracking": selectors.tracking_for_parcel(parcel),
        "declarations": declarations_of_parcel(parcel),
        "is_destination_worker": selectors.can_work_hub(user, parcel.destination_hub),
        "is_here_worker": here is not None and selectors.can_work_hub(user, here),
    }
    return _page_context(context, extra)


@login_required
@page_errors
def parcel(request: HttpRequest, code: str) -> HttpResponse:
    found = selectors.parcel_get_for(_user(request), code)
    return render(request, "logistics/parcel.html", _parcel_context(request, found))


@login_required
@page_errors
@require_POST
def parcel_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    user = _user(request)
    found = selectors.parcel_get_for(user, code)
    step = PARCEL_STEPS.get(action)
    if step is None:
        raise NotFound("not_found", _("No such action."))
    try:
        step(user, found, request.POST.get("text", ""))
    except DomainError as error:
        return _page_again(request, found, error, "logistics/parcel.html", _parcel_context)
    messages.success(request, _("Done."))
    return HttpResponseRedirect(reverse("logistics:parcel", args=[found.code]))


# Public tracking ---------------------------------------------------------------------------


def _buyer(request: HttpRequest, order: Order) -> User | BuyerAccess | None:
    """The buyer: the checkout's account, or whoever holds the checkout's access token."""
    token = request.POST.get("token") or request.GET.get("token")
    if token and token_matches(order.checkout, token):
        return BuyerAccess(order.checkout_id, order.checkout.email)
    user = request.user
    if isinstance(user, User) and user.is_authenticated and order.checkout.user_id == user.pk:
        return user
    return None


@page_errors
def track(request: HttpRequest, code: str) -> HttpResponse:
    """A parcel's journey for anyone holding its code (no personal data shown)."""
    found = selectors.parcel_by_code(code)
    buyer = _buyer(request, found.order)
    error = ""
    status = 200
    if request.method == "POST":
        if buyer is None:
            raise NotFound("not_found", _("No parcel with this code."))
        try:
            delivery.parcel_confirm_receipt(actor=buyer, parcel=found)
        except DomainError as problem:
            error, status = problem.message, _status_of(problem)
        else:
            messages.success(request, _("Thank you: receipt confirmed."))
            return HttpResponseRedirect(reverse("logistics:track", args=[found.code]))
    found.order.refresh_from_db()
    return render(
        request,
        "logistics/track.html",
        {
            "parcel": found,
            "tracking": selectors.tracking_for_buyer(found),
            "can_confirm": buyer is not None
            and found.status == Parcel.Status.DELIVERED
            and found.order.status == Order.Status.DELIVERED,
            "token": request.GET.get("token", ""),
            "error": error,
        },
        status=status,
    )
