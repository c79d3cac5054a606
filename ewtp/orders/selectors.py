"""Reads of orders with their permission checks: carts, checkouts, orders, lists."""

from __future__ import annotations

import hmac
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from ewtp.accounts.models import Organisation, User
from ewtp.accounts.selectors import is_platform_operator
from ewtp.catalog import landed_prices
from ewtp.catalog.models import ProductTranslation, Variant
from ewtp.catalog.selectors.listing import localise
from ewtp.catalog.selectors.sellers import seller_get_for
from ewtp.core import rows
from ewtp.core.errors import DomainError, NotFound
from ewtp.core.money import Money
from ewtp.logistics.selectors import LaneQuote
from ewtp.orders import pricing
from ewtp.orders.cart_reads import cart_lines_answer
from ewtp.orders.models import Cart, CartLine, Checkout, Order, OrderEvent, OrderLine
from ewtp.orders.services.transitions import BuyerAccess, roles_for


def _uuid_filter[M: Model](queryset: QuerySet[M], public_id: Any) -> M | None:
    try:
        return queryset.filter(public_id=public_id).first()
    except (ValueError, TypeError, ValidationError):  # a malformed id is "not found"
        return None


# Carts ---------------------------------------------------------------------------------------


def cart_get_for(actor: object, public_id: Any) -> Cart:
    """A guest cart for whoever holds its id; a user's cart for that user only (one SELECT
    written once per process: it starts every cart request)."""
    try:
        cart = rows.row_by(Cart, "public_id", public_id)
    except (ValueError, TypeError, ValidationError):  # a malformed id is "not found"
        cart = None
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
    total: Money | None = None  # the line's share of the goods, in the buyer's currency


@dataclass
class SellerGroup:
    seller: Organisation
    lines: list[CartLineView]
    quote: dict[str, Any] | None = None
    carriage: LaneQuote | None = None
    error: str = ""
    incoterm: str = "DDP"
    reasons: list[str] = field(default_factory=list)  # why the quote is an estimate

    @property
    def at_checkout(self) -> Money | None:
        return _quote_money(self.quote, "payable_at_checkout")

    @property
    def on_delivery(self) -> Money | None:
        return _quote_money(self.quote, "payable_on_delivery")


def _quote_money(quote: dict[str, Any] | None, key: str) -> Money | None:
    value = (quote or {}).get(key)
    return Money.of(value["amount"], value["currency"]) if value else None


@dataclass
class CartView:
    cart: Cart
    groups: list[SellerGroup] = field(default_factory=list)
    total: Money | None = None
    on_delivery: Money | None = None
    estimate: bool = False  # some duty or tax is unknown: stated as due on delivery
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
    later = Money.zero(currency)
    complete = True
    for group in result.groups:
        try:
            priced = pricing.consignment_priced(
                [(view.variant, view.quantity) for view in group.lines],
                destination=destination,
                currency=currency,
                language=language,
            )
        except DomainError as error:
            group.error = error.message
            complete = False
            continue
        group.carriage, group.quote, group.incoterm = priced.carriage, priced.quote, priced.incoterm
        group.reasons = pricing.unknown_reasons(priced.quote, language)
        _line_totals(group.lines, Money.of(priced.quote["totals"]["display"]["goods"], currency))
        total = total + (group.at_checkout or Money.zero(currency))
        later = later + (group.on_delivery or Money.zero(currency))
    result.total = total if complete and result.groups else None
    result.on_delivery = later if complete and result.groups else None
    result.estimate = any(group.reasons for group in result.groups)
    return result


def _line_totals(lines: list[CartLineView], goods: Money) -> None:
    """Each line's share of the goods in the buyer's currency, by the seller's prices; the
    shares add up to the goods total exactly (the remainder to the largest lines)."""
    weights = [view.unit_price.amount * view.quantity for view in lines]
    whole = sum(weights)
    minor = goods.rounded().minor
    if not whole:
        return
    shares = [int(minor * weight / whole) for weight in weights]
    rest = minor - sum(shares)
    for index in sorted(range(len(lines)), key=lambda i: -weights[i])[:rest]:
        shares[index] += 1
    for view, share in zip(lines, shares, strict=True):
        view.total = Money.from_minor(share, goods.currency)


def cart_body(cart: Cart, language: str = "en") -> dict[str, Any]:
    """The cart as the API answers it (one query: ``cart_reads.cart_lines_answer``)."""
    lines, sellers = cart_lines_answer(cart.pk, language)
    return {
        "id": str(cart.public_id),
        "checked_out": cart.checked_out_at is not None,
        "lines": lines,
        "sellers": len(sellers),
        "quantity": sum(line["quantity"] for line in lines),
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


def order_lines_prefetch(language: str | None = None) -> Any:
    """An order's lines, each with the product's title in ``language`` (the page's by default)
    as ``local_title`` when the seller translated it: a subquery of the lines' one query, so
    pages and mails name products in the reader's language at no extra query (the
    ``line_title`` filter)."""
    code = language or translation.get_language() or "en"
    local_title = ProductTranslation.objects.filter(
        product=OuterRef("variant__product"), language=code
    ).values("title")[:1]
    return Prefetch("lines", queryset=OrderLine.objects.annotate(local_title=Subquery(local_title)))


def _orders() -> QuerySet[Order]:
    return Order.objects.select_related("seller", "checkout").prefetch_related(
        order_lines_prefetch(),
        Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id")),
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
    return seller, Order.objects.filter(seller=seller).select_related(
        "checkout", "parcel"
    ).order_by("-created_at", "-id")


def orders_of_buyer(user: User) -> QuerySet[Order]:
    """A signed-in buyer's orders (their checkouts'), newest first."""
    return (
        Order.objects.filter(checkout__user=user)
        .select_related("seller", "checkout", "parcel")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class SalesOverview:
    today: Money
    week: Money
    orders_today: int
    orders_week: int
    to_ship: int
    currency: str
    due: Money | None = None  # released to the seller, not yet paid out


def sales_overview(seller: Organisation) -> SalesOverview:
    """Paid sales today and in the last 7 days (at the seller's own prices, UTC days), the
    orders to ship and the money due: a few queries, whatever the number of orders."""
    from datetime import timedelta

    from django.db.models import Count, Q, Sum

    from ewtp.core import clock

    now = clock.now()
    start_today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week_ago = now - timedelta(days=7)
    currency = seller_currency(seller)
    status = Order.Status
    row = (
        Order.objects.filter(seller=seller, checkout__payment_status="paid")
        .exclude(status__in=[status.CANCELLED, status.REFUNDED])
        .aggregate(
            today=Sum(
                "seller_goods_minor",
                filter=Q(created_at__gte=start_today, seller_currency=currency),
            ),
            week=Sum(
                "seller_goods_minor", filter=Q(created_at__gte=week_ago, seller_currency=currency)
            ),
            orders_today=Count("id", filter=Q(created_at__gte=start_today)),
            orders_week=Count("id", filter=Q(created_at__gte=week_ago)),
            to_ship=Count("id", filter=Q(status__in=[status.PAID, status.ACCEPTED, status.PACKED])),
        )
    )
    return SalesOverview(
        today=Money.from_minor(int(row["today"] or 0), currency),
        week=Money.from_minor(int(row["week"] or 0), currency),
        orders_today=int(row["orders_today"]),
        orders_week=int(row["orders_week"]),
        to_ship=int(row["to_ship"]),
        currency=currency,
        due=_money_due(seller),
    )


def _money_due(seller: Organisation) -> Money | None:
    """What the platform owes the seller now (its payable account), None before any release."""
    from ewtp.ledger.models import Account
    from ewtp.payments.payouts import party_of

    payable = Account.objects.filter(owner_ref=party_of(seller), purpose="party_payable").first()
    return Money.from_minor(payable.position_minor, payable.currency) if payable else None


def seller_currency(seller: Organisation) -> str:
    last = Order.objects.filter(seller=seller).values_list("seller_currency", flat=True).first()
    return str(last or "RWF")


def order_list_for_operator(actor: object) -> QuerySet[Order]:
    if not is_platform_operator(actor):
        raise NotFound("not_found", gettext("No such page."))
    return Order.objects.select_related("seller", "checkout").order_by("-created_at", "-id")


def orders_of_checkout(checkout: Checkout) -> list[Order]:
    return list(_orders().filter(checkout=checkout).order_by("id"))


@dataclass(frozen=True)
class HistoryStep:
    at: Any
    label: str
    who: str  # a role in words, never a person's address
    note: str


_NOTES = {
    "placed": gettext_lazy("Order placed"),
    "hold expired": gettext_lazy("The reservation ended before the payment came"),
    "payment failed": gettext_lazy("The payment failed"),
    "payment expired": gettext_lazy("The payment was not completed in time"),
    "payment_failed": gettext_lazy("The payment failed"),
}


def _note(event: OrderEvent) -> str:
    if event.to_status == Order.Status.PAID and event.actor_id is None:
        return str(gettext_lazy("Payment received"))  # its note is the payment's reference
    return str(_NOTES.get(event.note, event.note))


def _who(order: Order, event: OrderEvent) -> str:
    checkout = order.checkout
    if event.actor_label == checkout.email or (
        event.actor_id is not None and event.actor_id == checkout.user_id
    ):
        return str(gettext_lazy("Buyer"))
    if event.actor is None:
        return str(gettext_lazy("eWTP (automatic)"))
    roles = roles_for(event.actor, order)
    for role, words in (
        ("seller", gettext_lazy("Seller")),
        ("seller_viewer", gettext_lazy("Seller")),
        ("hub", gettext_lazy("Hub")),
        ("operator", gettext_lazy("Platform operator")),
    ):
        if role in roles:
            return str(words)
    return str(gettext_lazy("eWTP"))


def order_history(order: Order) -> list[HistoryStep]:
    """The order's steps for its pages: who acted named by role (buyer, seller, hub, operator),
    the notes of the platform's own steps in words."""
    return [
        HistoryStep(
            at=event.created_at,
            label=event.to_label,
            who=_who(order, event),
            note=_note(event),
        )
        for event in order.events.all()
    ]


def parcel_of(order: Order) -> Any:
    """The order's parcel (its code for tracking), or None before packing."""
    from ewtp.logistics.models import Parcel

    return Parcel.objects.filter(order=order).first()
