"""Pages of orders: the cart, the checkout form, the confirmation and payment step, the buyer's
order pages (by access-token link), the seller's and the operator's order lists."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ewtp.accounts.models import Organisation, User
from ewtp.catalog import traderules_gateway
from ewtp.catalog.selectors.sellers import seller_organisations_for
from ewtp.core.errors import DomainError, NotFound
from ewtp.core.money import Money
from ewtp.core.pagination import paginate
from ewtp.orders import pricing, selectors
from ewtp.orders.addresses import ID_NUMBER_COUNTRIES, address_lines, id_number_masked
from ewtp.orders.forms import CheckoutForm
from ewtp.orders.models import Cart, Order
from ewtp.orders.services.carts import cart_create, cart_line_add, cart_line_set
from ewtp.orders.services.checkout import checkout_submit, hold_minutes
from ewtp.orders.services.handover import ID_NUMBER_OPEN, checkout_id_number_set
from ewtp.orders.services.transitions import (
    BuyerAccess,
    allowed_actions,
    order_transition,
    roles_for,
)

SESSION_CART = "cart_id"


def _language() -> str:
    return translation.get_language() or "en"


def _user(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _session_cart(request: HttpRequest, *, create: bool = False) -> Cart | None:
    cart_id = request.session.get(SESSION_CART)
    if cart_id:
        try:
            cart = selectors.cart_get_for(request.user, cart_id)
        except NotFound:
            cart = None
        if cart is not None and cart.is_open:
            return cart
    if not create:
        return None
    cart = cart_create(user=_user(request))
    request.session[SESSION_CART] = str(cart.public_id)
    return cart


def _preferences(request: HttpRequest) -> tuple[str, str]:
    preferences = getattr(request, "preferences", None)
    return getattr(preferences, "destination", "BE"), getattr(preferences, "currency", "USD")


def cart(request: HttpRequest) -> HttpResponse:
    found = _session_cart(request)
    destination, currency = _preferences(request)
    view = (
        selectors.cart_view(found, language=_language(), destination=destination, currency=currency)
        if found is not None
        else None
    )
    return render(
        request,
        "orders/cart.html",
        {"view": view, "destination": destination, "currency": currency},
    )


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    found = _session_cart(request, create=True)
    assert found is not None
    try:
        quantity = int(request.POST.get("quantity", "1"))
    except ValueError:
        quantity = 0
    try:
        cart_line_add(
            cart=found,
            product_id=request.POST.get("product_id", ""),
            quantity=quantity,
            variant_id=request.POST.get("variant_id") or None,
        )
    except DomainError as error:
        messages.error(request, error.message)
        back = request.META.get("HTTP_REFERER", "")
        if back and url_has_allowed_host_and_scheme(back, {request.get_host()}):
            return HttpResponseRedirect(back)
    else:
        messages.success(request, _("Added to your cart."))
    return HttpResponseRedirect(reverse("orders:cart"))


@require_POST
def cart_line(request: HttpRequest, line_id: int) -> HttpResponse:
    found = _session_cart(request)
    if found is None:
        raise Http404
    try:
        quantity = int(request.POST.get("quantity", "0"))
    except ValueError:
        quantity = -1
    if "remove" in request.POST:
        quantity = 0
    try:
        cart_line_set(cart=found, line_id=line_id, quantity=quantity)
    except DomainError as error:
        messages.error(request, error.message)
    return HttpResponseRedirect(reverse("orders:cart"))


def _checkout_initial(request: HttpRequest) -> dict[str, Any]:
    destination, currency = _preferences(request)
    user = _user(request)
    return {
        "email": user.email if user else "",
        "name": user.full_name if user else "",
        "destination": destination,
        "currency": currency,
        "incoterm": "DDP",
        "idempotency_key": uuid.uuid4().hex,
    }


def _field_errors(form: CheckoutForm, body: dict[str, Any]) -> None:
    fields = body.get("fields") or {}
    for name, message in fields.items():
        field = name.removeprefix("shipping_address.")
        form.add_error(field if field in form.fields else None, message)
    if not fields:
        form.add_error(None, str(body.get("message") or body.get("code")))


def checkout(request: HttpRequest) -> HttpResponse:
    found = _session_cart(request)
    if found is None or not found.lines.exists():
        messages.error(request, _("Your cart is empty."))
        return HttpResponseRedirect(reverse("orders:cart"))
    initial = _checkout_initial(request)
    chosen = str(request.POST.get("destination") or initial["destination"]).upper()
    form = CheckoutForm(
        request.POST or None,
        initial=initial,
        gift_offered=chosen in traderules_gateway.gift_destinations(),
    )
    error_code = ""
    if request.method == "POST" and form.is_valid():
        try:
            status, body = checkout_submit(
                cart=found,
                payload=form.payload(),
                idempotency_key=form.cleaned_data["idempotency_key"],
                language=_language(),
                user=_user(request),
            )
        except DomainError as error:
            status, body = error.http_status, error.as_dict()
        if status == 201:
            request.session.pop(SESSION_CART, None)
            url = reverse("orders:checkout_done", args=[body["checkout_id"]])
            return HttpResponseRedirect(f"{url}?token={body['access_token']}")
        error_code = str(body.get("code", ""))
        _field_errors(form, body)
    destination = form["destination"].value() or _preferences(request)[0]
    currency = form["currency"].value() or _preferences(request)[1]
    view = selectors.cart_view(
        found, language=_language(), destination=destination, currency=currency
    )
    return render(
        request,
        "orders/checkout.html",
        # A new attempt (after a correction) is a new request, so it gets a new key.
        {
            "form": form,
            "view": view,
            "error_code": error_code,
            "new_key": uuid.uuid4().hex,
            "hold_minutes": hold_minutes(),
        },
        status=200
        if not error_code
        else (409 if error_code in {"out_of_stock", "cart_checked_out"} else 422),
    )


def _token(request: HttpRequest) -> str | None:
    return (
        request.GET.get("token")
        or request.POST.get("token")
        or request.headers.get("X-Order-Token")
    )


def _checkout_money(found: Any, orders: list[Order]) -> dict[str, Any]:
    """The payment box: the parts of the sum, what is paid now and what on delivery."""
    currency = found.currency

    def summed(*names: str) -> Money:
        return Money.from_minor(
            sum(getattr(order, name) for order in orders for name in names), currency
        )

    parts = {
        "goods": summed("goods_minor"),
        "shipping": summed("shipping_minor"),
        "duty": summed("duty_minor"),
        "taxes": summed("taxes_minor", "fees_minor"),
    }
    landed = parts["goods"] + parts["shipping"] + parts["duty"] + parts["taxes"]
    reasons: list[str] = []
    for order in orders:
        for reason in pricing.unknown_reasons(order.quote, _language()):
            text = f"{order.seller.name}: {reason}."
            if text not in reasons:
                reasons.append(text)
    return {
        **parts,
        "landed": landed,
        "total": Money.from_minor(found.total_minor, currency),
        "on_delivery": Money.from_minor(found.on_delivery_minor, currency),
        "estimate": bool(reasons),
        "reasons": reasons,
    }


def checkout_done(request: HttpRequest, public_id: str) -> HttpResponse:
    """The confirmation and payment step, reached by the link with the access token; while the
    payment is pending its box asks again every few seconds (htmx) and has a refresh link."""
    token = _token(request)
    try:
        found = selectors.checkout_get_for(request.user, public_id, token=token)
    except NotFound:
        raise Http404 from None
    orders = list(selectors.orders_of_checkout(found))
    token = token if token and selectors.token_matches(found, token) else ""
    url = reverse("orders:checkout_done", args=[found.public_id])
    template = "orders/checkout_done.html"
    if request.GET.get("part") == "payment":
        template += "#payment"
    return render(
        request,
        template,
        {
            "checkout": found,
            "orders": orders,
            "token": token,
            "refresh_url": f"{url}?token={token}",
            "payment": selectors.checkout_payment(found),
            "address": address_lines(found.shipping_address),
            **_checkout_money(found, orders),
        },
    )


def order_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """An order for its buyer (by token or account), seller, hub or operator; while it waits
    for its payment its payment block asks again every few seconds (htmx)."""
    token = _token(request)
    try:
        order, actor = selectors.order_get_for(request.user, public_id, token=token)
    except NotFound:
        raise Http404 from None
    is_buyer = isinstance(actor, BuyerAccess) or "buyer" in roles_for(actor, order)
    url = reverse("orders:order_detail", args=[order.public_id])
    token = token if isinstance(actor, BuyerAccess) else ""
    template = "orders/order_detail.html"
    if request.GET.get("part") == "payment":
        template += "#payment"
    return render(
        request,
        template,
        {
            "order": order,
            "actions": allowed_actions(actor, order),
            "token": token,
            "refresh_url": f"{url}?token={token}" if token else url,
            "is_buyer": is_buyer,
            "payment": selectors.checkout_payment(order.checkout) if is_buyer else None,
            "parcel": selectors.parcel_of(order),
            "history": selectors.order_history(order),
            "reasons": pricing.unknown_reasons(order.quote, _language()),
            "address": address_lines(order.checkout.shipping_address),
            "quote": order.quote,
            "id_number": _id_number_state(order),
        },
    )


def _id_number_state(order: Order) -> dict[str, Any] | None:
    """Whether the page asks for the buyer's identity number (China), or shows it masked."""
    if order.destination not in ID_NUMBER_COUNTRIES:
        return None
    given = str((order.checkout.shipping_address or {}).get("id_number") or "")
    return {
        "masked": id_number_masked(given),
        "open": order.status in ID_NUMBER_OPEN,
    }


def _order_post(
    request: HttpRequest, public_id: str, act: Callable[[Any, Order], object], done: str
) -> HttpResponse:
    """A POST on an order's page (by its buyer's token, or a signed-in party): run ``act``,
    say how it went, and go back to the order."""
    token = _token(request)
    try:
        order, actor = selectors.order_get_for(request.user, public_id, token=token)
    except NotFound:
        raise Http404 from None
    try:
        act(actor, order)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}):
        return HttpResponseRedirect(back)
    url = reverse("orders:order_detail", args=[order.public_id])
    return HttpResponseRedirect(f"{url}?token={token}" if token else url)


@require_POST
def order_id_number(request: HttpRequest, public_id: str) -> HttpResponse:
    """The buyer gives the identity number customs asks for (China)."""
    return _order_post(
        request,
        public_id,
        lambda actor, order: checkout_id_number_set(
            actor=actor, checkout=order.checkout, id_number=request.POST.get("id_number", "")
        ),
        _("Thank you: the declarations will carry your number."),
    )


@require_POST
def order_action(request: HttpRequest, public_id: str) -> HttpResponse:
    return _order_post(
        request,
        public_id,
        lambda actor, order: order_transition(
            actor=actor,
            order=order,
            action=request.POST.get("action", ""),
            note=request.POST.get("note", "")[:500],
        ),
        _("The order is updated."),
    )


@login_required
def seller_index(request: HttpRequest) -> HttpResponse:
    organisations = list(seller_organisations_for(request.user))
    if len(organisations) == 1:
        return HttpResponseRedirect(reverse("orders:seller_orders", args=[organisations[0].slug]))
    return render(request, "orders/seller_index.html", {"organisations": organisations})


def _status_filter(request: HttpRequest) -> str:
    status = request.GET.get("status", "")
    return status if status in Order.Status.values else ""


def _order_list(
    request: HttpRequest, orders: QuerySet[Order], seller: Organisation | None
) -> HttpResponse:
    status = _status_filter(request)
    if status:
        orders = orders.filter(status=status)
    context: dict[str, Any] = {
        "seller": seller,
        "page": paginate(orders, request.GET.get("page"), per_page=50),
        "status": status,
        "statuses": Order.Status.choices,
        "here": request.get_full_path(),
    }
    if seller is not None:
        context["overview"] = selectors.sales_overview(seller)
    return render(request, "orders/order_list.html", context)


@login_required
def seller_orders(request: HttpRequest, org: str) -> HttpResponse:
    """The seller's one list of orders: each paid order accepted here, then packed and shipped
    from its packing page; the sales overview on top."""
    try:
        seller, orders = selectors.order_list_for_seller(request.user, org)
    except NotFound:
        raise Http404 from None
    return _order_list(request, orders, seller)


@login_required
def my_orders(request: HttpRequest) -> HttpResponse:
    """A signed-in buyer's orders, newest first, a page at a time."""
    user = _user(request)
    assert user is not None
    page = paginate(selectors.orders_of_buyer(user), request.GET.get("page"), per_page=20)
    return render(request, "orders/my_orders.html", {"page": page})


@login_required
def operator_orders(request: HttpRequest) -> HttpResponse:
    try:
        orders = selectors.order_list_for_operator(request.user)
    except NotFound:
        raise Http404 from None
    return _order_list(request, orders, None)


@login_required
def seller_money(request: HttpRequest, org: str) -> HttpResponse:
    """The seller's money: in escrow, available, paid out, where and when it is paid, each
    payout with what it covers, every movement in words."""
    from django.core.paginator import Paginator

    from ewtp.accounts.selectors import role_in
    from ewtp.ledger.selectors import statement_of
    from ewtp.orders.services.money import seller_balances
    from ewtp.payments import selectors as payout_selectors
    from ewtp.payments.models import PayoutDestination
    from ewtp.payments.payouts import party_of, payout_destination_set

    try:
        seller, _orders = selectors.order_list_for_seller(request.user, org)
    except NotFound:
        raise Http404 from None
    error = ""
    if request.method == "POST":
        try:
            payout_destination_set(
                actor=request.user, organisation=seller, msisdn=request.POST.get("msisdn", "")
            )
        except DomainError as problem:
            error = problem.message
        else:
            messages.success(request, _("Payouts will go to this number."))
            return HttpResponseRedirect(reverse("orders:seller_money", args=[seller.slug]))
    entries = Paginator(statement_of([party_of(seller)], {"party_payable"}), 50).get_page(
        request.GET.get("page")
    )
    by_reference = payout_selectors.payouts_by_reference(seller)
    payouts = sorted(by_reference.values(), key=lambda p: (p.created_at, p.pk), reverse=True)[:12]
    return render(
        request,
        "orders/seller_money.html",
        {
            "seller": seller,
            "balances": seller_balances(seller),
            "destination": PayoutDestination.objects.filter(organisation=seller).first(),
            "is_owner": role_in(request.user, seller) == "owner",
            "schedule": payout_selectors.payout_schedule(),
            "payouts": [
                (
                    payout,
                    payout_selectors.failure_in_words(payout.failure_reason),
                    payout_selectors.payout_statement(payout, by_reference),
                )
                for payout in payouts
            ],
            "page": entries,
            "rows": payout_selectors.statement_lines(list(entries), by_reference),
            "error": error,
            "msisdn_tried": request.POST.get("msisdn", "") if error else "",
        },
    )
