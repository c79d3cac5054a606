"""Reads of orders with their permission checks: carts, checkouts, orders, lists."""

from __future__ import annotations

import hmac
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Prefetch, QuerySet
from django.utils.translation import gettext

from ewtp.accounts.models import Organisation, User
from ewtp.accounts.selectors import is_platform_operator
from ewtp.catalog import landed_prices, traderules_gateway
from ewtp.catalog.models import ProductTranslation, Variant
from ewtp.catalog.selectors.listing import localise
from ewtp.catalog.selectors.sellers import seller_get_for
from ewtp.core.errors import DomainError, NotFound
from ewtp.core.money import Money
from ewtp.logistics.selectors import LaneQuote
from ewtp.orders import shipping
from ewtp.orders.models import Cart, CartLine, Checkout, Order, OrderEvent
from ewtp.orders.services.transitions import BuyerAccess, roles_for


def _uuid_filter[M: Model](queryset: QuerySet[M], public_id: Any) -> M | None:
    try:
        return queryset.filter(public_id=public_id).first()
    except (ValueError, TypeError, ValidationError):  # a malformed id is "not found"
        return None


# Carts ---------------------------------------------------------------------------------------


def cart_get_for(actor: object, public_id: Any) -> Cart:
    """A guest cart for whoever holds its id; a user's cart for that user only."""
    cart = _uuid_filter(Cart.objects.all(), public_id)
    if cart is None:
        raise NotFound("not_found", gettext("No such cart."))
    if cart.user_id is not None:
        if not (isinstance(actor, User) and actor.is_authenticated and actor.pk == cart.user_id):
            raise NotFound("not_found", gettext("No such cart."))
    return cart


@dataclass
class CartLineView:
    line: CartLine
    title: str
    variant: Variant
    quantity: int
    unit_price: Money
    available: int


@dataclass
class SellerGroup:
    seller: Organisation
    lines: list[CartLineView]
    quote: dict[str, Any] | None = None
    carriage: LaneQuote | None = None
    error: str = ""


@dataclass
class CartView:
    cart: Cart
    groups: list[SellerGroup] = field(default_factory=list)
    total: Money | None = None
    count: int = 0


def cart_lines(cart: Cart, language: str = "en") -> list[CartLineView]:
    lines = cart.lines.select_related("variant__product__seller").prefetch_related(
        Prefetch(
            "variant__product__translations",
            queryset=ProductTranslation.objects.filter(language=language),
        ),
        "variant__stock_levels",
    )
    views = []
    for line in lines.order_by("variant__product__seller__name", "id"):
        title, _ = localise(line.variant.product, language)
        if line.variant.name:
            title = f"{title} ({line.variant.name})"
        views.append(
            CartLineView(
                line=line,
                title=title,
                variant=line.variant,
                quantity=line.quantity,
                unit_price=landed_prices.variant_price(line.variant),
                available=sum(s.on_hand - s.reserved for s in line.variant.stock_levels.all()),
            )
        )
    return views


def cart_view(
    cart: Cart, *, language: str, destination: str, currency: str, quote: bool = True
) -> CartView:
    """The cart by seller, each seller's consignment quoted as checkout would quote it."""
    groups: OrderedDict[int, SellerGroup] = OrderedDict()
    for view in cart_lines(cart, language):
        seller = view.variant.product.seller
        groups.setdefault(seller.pk, SellerGroup(seller=seller, lines=[])).lines.append(view)
    result = CartView(cart=cart, groups=list(groups.values()))
    result.count = sum(view.quantity for group in result.groups for view in group.lines)
    if not quote:
        return result
    total = Money.zero(currency)
    complete = True
    for group in result.groups:
        try:
            request, carriage = shipping.consignment_request(
                [(view.variant, view.quantity) for view in group.lines],
                destination=destination,
                currency=currency,
            )
            group.carriage = carriage
            group.quote = traderules_gateway.quote_compute(request)
            total = total + Money.of(group.quote["payable_at_checkout"]["amount"], currency)
        except DomainError as error:
            group.error = error.message
            complete = False
    result.total = total if complete and result.groups else None
    return result


def cart_body(cart: Cart, language: str = "en") -> dict[str, Any]:
    """The cart as the API answers it."""
    lines = cart_lines(cart, language)
    return {
        "id": str(cart.public_id),
        "checked_out": cart.checked_out_at is not None,
        "lines": [
            {
                "id": view.line.pk,
                "product_id": str(view.variant.product.public_id),
                "variant_id": str(view.variant.public_id),
                "sku": view.variant.sku,
                "title": view.title,
                "seller": view.variant.product.seller.slug,
                "quantity": view.quantity,
                "unit_price": view.unit_price.as_dict(),
                "available": max(view.available, 0),
            }
            for view in lines
        ],
        "sellers": len({view.variant.product.seller_id for view in lines}),
        "quantity": sum(view.quantity for view in lines),
    }


# Checkouts -----------------------------------------------------------------------------------


def token_matches(checkout: Checkout, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(checkout.access_token, str(token))


def checkout_get_for(actor: object, public_id: Any, *, token: str | None = None) -> Checkout:
    """The buyer's view of a checkout: by its access token, or the signed-in buyer."""
    checkout = _uuid_filter(Checkout.objects.all(), public_id)
    if checkout is None:
        raise NotFound("not_found", gettext("No such checkout."))
    if token_matches(checkout, token):
        return checkout
    if isinstance(actor, User) and actor.is_authenticated:
        if checkout.user_id == actor.pk or is_platform_operator(actor):
            return checkout
    raise NotFound("not_found", gettext("No such checkout."))


def checkout_payment(checkout: Checkout) -> dict[str, Any]:
    """The payment step of a checkout: the provider's payment once it has been asked for."""
    from ewtp.orders.services.money import checkout_payment_of

    payment = checkout_payment_of(checkout)
    if payment is not None:
        return payment.as_dict()
    return {
        "id": str(checkout.public_id),
        "provider": "sandbox",
        "status": checkout.payment_status,
        "amount": Money.from_minor(checkout.total_minor, checkout.currency).as_dict(),
        "approve_url": None,
    }


def checkout_body(
    checkout: Checkout, *, orders: list[Order] | None = None, payment: Any = None
) -> dict[str, Any]:
    """The API's answer about a checkout; ``orders`` (with their sellers) and ``payment``
    when the caller has just written them, so that they are not read again."""
    if orders is None:
        orders = list(checkout.orders.select_related("seller").order_by("id"))
    return {
        "checkout_id": str(checkout.public_id),
        "orders": [
            {
                "id": str(order.public_id),
                "seller": order.seller.slug,
                "total": Money.from_minor(order.total_minor, order.currency).as_dict(),
            }
            for order in orders
        ],
        "payment": payment.as_dict() if payment is not None else checkout_payment(checkout),
        "access_token": checkout.access_token,
        "hold_expires_at": checkout.hold_expires_at.isoformat(),
    }


# Orders --------------------------------------------------------------------------------------


def _orders() -> QuerySet[Order]:
    return Order.objects.select_related("seller", "checkout").prefetch_related(
        "lines", Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id"))
    )


def order_get_for(actor: object, public_id: Any, *, token: str | None = None) -> tuple[Order, Any]:
    """(order, the actor to act as): the buyer by the checkout's token or account, the
    seller's members, hub operators, the platform operator; anyone else NotFound."""
    order = _uuid_filter(_orders(), public_id)
    if order is None:
        raise NotFound("not_found", gettext("No such order."))
    if token_matches(order.checkout, token):
        return order, BuyerAccess(order.checkout_id, order.checkout.email)
    if isinstance(actor, User) and actor.is_authenticated and roles_for(actor, order):
        return order, actor
    raise NotFound("not_found", gettext("No such order."))


def order_body(order: Order) -> dict[str, Any]:
    def money(minor: int) -> dict[str, str]:
        return Money.from_minor(minor, order.currency).as_dict()

    return {
        "id": str(order.public_id),
        "reference": order.reference,
        "checkout_id": str(order.checkout.public_id),
        "seller": order.seller.slug,
        "status": order.status,
        "destination": order.destination,
        "incoterm": order.incoterm,
        "total": money(order.total_minor),
        "payable_on_delivery": money(order.on_delivery_minor),
        "breakdown": {
            "goods": money(order.goods_minor),
            "shipping": money(order.shipping_minor),
            "duty": money(order.duty_minor),
            "taxes": money(order.taxes_minor),
            "fees": money(order.fees_minor),
        },
        "carriage": order.carriage or None,
        "rules_version": order.rules_version,
        "fx": order.fx_rates,
        "quote": order.quote,
        "lines": [
            {
                "title": line.product_title,
                "sku": line.sku,
                "hs_code": line.hs_code,
                "origin": line.origin,
                "quantity": line.quantity,
                "unit_price": Money.from_minor(line.unit_price_minor, line.currency).as_dict(),
            }
            for line in order.lines.all()
        ],
        "history": [
            {
                "from": event.from_status or None,
                "to": event.to_status,
                "at": event.created_at.isoformat(),
                "by": event.actor_label or "system",
                "note": event.note,
            }
            for event in order.events.all()
        ],
        "hold_expires_at": order.hold_expires_at.isoformat()
        if order.status == Order.Status.PENDING_PAYMENT
        else None,
        "created_at": order.created_at.isoformat(),
    }


def order_list_for_seller(actor: object, seller_slug: str) -> tuple[Organisation, QuerySet[Order]]:
    seller = seller_get_for(actor, seller_slug)
    return seller, Order.objects.filter(seller=seller).select_related("checkout").order_by(
        "-created_at", "-id"
    )


def order_list_for_operator(actor: object) -> QuerySet[Order]:
    if not is_platform_operator(actor):
        raise NotFound("not_found", gettext("No such page."))
    return Order.objects.select_related("seller", "checkout").order_by("-created_at", "-id")


def orders_of_checkout(checkout: Checkout) -> list[Order]:
    return list(_orders().filter(checkout=checkout).order_by("id"))
