"""Writes of orders: carts, the checkout (quotes fixed, stock held, one order per seller),
order transitions with their history, payment hand-over and expiring holds.

The checkout prices every seller's consignment before it opens its transaction; inside it,
it only takes stock (conditional updates, variants in pk order) and writes rows, so a short
transaction either commits everything or nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.accounts.selectors import is_platform_operator, role_in
from ewtp.catalog import rules
from ewtp.catalog import services as catalog_services
from ewtp.catalog.models import DEFAULT_HUB, Product, Variant
from ewtp.catalog.selectors import product_get_public_by_id
from ewtp.core import clock, conf
from ewtp.core.currencies import is_currency
from ewtp.core.errors import Conflict, DomainError, InvalidRequest, NotFound, PermissionDenied
from ewtp.core.locks import lock_rows, retry_on_lock_timeout
from ewtp.core.money import Money
from ewtp.core.services import audit_record, idempotent_call, request_fingerprint
from ewtp.logistics.models import Hub, Parcel
from ewtp.orders import money, shipping
from ewtp.orders.addresses import (
    ID_NUMBER_COUNTRIES,
    AddressError,
    address_clean,
    id_number_clean,
    id_number_masked,
)
from ewtp.orders.models import Cart, CartLine, Checkout, Incoterm, Order, OrderEvent, OrderLine

logger = logging.getLogger(__name__)

MAX_LINE_QUANTITY = 1000
MAX_CART_LINES = 100


def hold_minutes() -> int:
    return conf.CHECKOUT_HOLD_MINUTES()


@dataclass(frozen=True)
class BuyerAccess:
    """A guest buyer proven by the checkout's access token (no account needed)."""

    checkout_id: int
    email: str

    @property
    def is_authenticated(self) -> bool:  # audit_record treats it as a label, not a user
        return False

    def __str__(self) -> str:
        return f"buyer {self.email}"


Actor = User | BuyerAccess | None


# Carts ---------------------------------------------------------------------------------------


@transaction.atomic
def cart_create(*, user: User | None = None) -> Cart:
    now = clock.now()
    return Cart.objects.create(user=user, created_at=now, updated_at=now)


def _require_open(cart: Cart) -> None:
    if (
        cart.checked_out_at is not None
        or Cart.objects.filter(pk=cart.pk, checked_out_at__isnull=False).exists()
    ):
        raise Conflict("cart_checked_out", _("This cart has been checked out; start a new one."))


def _variant_for(product: Product, variant_id: Any | None) -> Variant:
    variants = product.variants.filter(is_active=True).select_related("product")
    if variant_id:
        try:
            variant = variants.filter(public_id=variant_id).first()
        except (ValueError, ValidationError):
            variant = None
        if variant is None:
            raise InvalidRequest(
                "invalid_request",
                _("No such variant of this product."),
                fields={"variant_id": "unknown"},
            )
        return variant
    variant = variants.order_by("position", "id").first()
    if variant is None:
        raise Conflict(
            "product_unavailable",
            _("%(product)s cannot be bought now.") % {"product": product.title},
        )
    return variant


@transaction.atomic
def cart_line_add(
    *, cart: Cart, product_id: Any, quantity: int, variant_id: Any | None = None
) -> Cart:
    """Add ``quantity`` units of a published product (its first variant unless named)."""
    _require_open(cart)
    if not isinstance(quantity, int) or quantity < 1 or quantity > MAX_LINE_QUANTITY:
        raise InvalidRequest(
            "invalid_request",
            _("Quantity must be a whole number from 1 to %(max)s.") % {"max": MAX_LINE_QUANTITY},
            fields={"quantity": f"1 to {MAX_LINE_QUANTITY}"},
        )
    try:
        product = product_get_public_by_id(product_id)
    except NotFound:
        raise NotFound(
            "product_not_found", _("No such product on sale."), fields={"product_id": "unknown"}
        ) from None
    variant = _variant_for(product, variant_id)
    now = clock.now()
    line = CartLine.objects.filter(cart=cart, variant=variant).first()
    if line is None:
        if cart.lines.count() >= MAX_CART_LINES:
            raise Conflict(
                "cart_full", _("A cart holds at most %(max)s lines.") % {"max": MAX_CART_LINES}
            )
        CartLine.objects.create(cart=cart, variant=variant, quantity=quantity, created_at=now)
    else:
        if line.quantity + quantity > MAX_LINE_QUANTITY:
            raise InvalidRequest(
                "invalid_request",
                _("At most %(max)s units a line.") % {"max": MAX_LINE_QUANTITY},
                fields={"quantity": f"at most {MAX_LINE_QUANTITY - line.quantity} more"},
            )
        CartLine.objects.filter(pk=line.pk).update(quantity=F("quantity") + quantity)
    Cart.objects.filter(pk=cart.pk).update(updated_at=now)
    return cart


@transaction.atomic
def cart_line_set(*, cart: Cart, line_id: int, quantity: int) -> Cart:
    """Change a line's quantity; 0 removes it."""
    _require_open(cart)
    line = CartLine.objects.filter(cart=cart, pk=line_id).first()
    if line is None:
        raise NotFound("not_found", _("No such line in this cart."))
    if quantity < 0 or quantity > MAX_LINE_QUANTITY:
        raise InvalidRequest(
            "invalid_request",
            _("Quantity out of range."),
            fields={"quantity": f"0 to {MAX_LINE_QUANTITY}"},
        )
    if quantity == 0:
        line.delete()
    else:
        CartLine.objects.filter(pk=line.pk).update(quantity=quantity)
    Cart.objects.filter(pk=cart.pk).update(updated_at=clock.now())
    return cart


# Checkout ------------------------------------------------------------------------------------


@dataclass
class _Consignment:
    seller: Organisation
    lines: list[CartLine]
    quote: dict[str, Any]
    carriage: dict[str, Any]
    public_id: Any


def _display_minor(quote: dict[str, Any], key: str, currency: str) -> int:
    value = quote["totals"]["display"].get(key) or "0"
    return Money.of(value, currency).rounded().minor


def _money_minor(money: dict[str, str] | None, currency: str) -> int:
    if not money:
        return 0
    if money.get("currency") != currency:
        raise DomainError("quote_currency_mismatch", _("The quote came back in another currency."))
    return Money.of(money["amount"], currency).rounded().minor


def _validate_checkout(
    *, email: str, destination: str, currency: str, incoterm: str, shipping_address: Any
) -> tuple[str, str, str, str, dict[str, str]]:
    errors: dict[str, str] = {}
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "a valid email address"
    destination = (destination or "").strip().upper()
    if len(destination) != 2 or not destination.isalpha():
        errors["destination"] = "a country code of two letters"
    currency = (currency or "").strip().upper()
    if not is_currency(currency):
        errors["currency"] = "an ISO 4217 currency code"
    incoterm = (incoterm or Incoterm.DDP).strip().upper()
    if incoterm not in Incoterm.values:
        errors["incoterm"] = "DDP or DAP"
    address: dict[str, str] = {}
    if "destination" not in errors:
        try:
            address = address_clean(destination, shipping_address)
        except AddressError as error:
            errors.update(error.fields)
    if errors:
        raise InvalidRequest(
            "invalid_request", _("Please correct the fields shown."), fields=errors
        )
    return email, destination, currency, incoterm, address


def checkout_place(
    *,
    cart: Cart,
    email: str,
    destination: str,
    currency: str,
    shipping_address: Any,
    incoterm: str = Incoterm.DDP,
    language: str = "en",
    user: User | None = None,
) -> Checkout:
    """Check out a cart: one order per seller, each with its quote fixed and its stock held.

    Raises InvalidRequest (fields named), a quote's DomainError, Conflict (cart already
    checked out, product no longer on sale) or OutOfStock (409, the product and what is
    left); then nothing is written.
    """
    email, destination, currency, incoterm, address = _validate_checkout(
        email=email,
        destination=destination,
        currency=currency,
        incoterm=incoterm,
        shipping_address=shipping_address,
    )
    _require_open(cart)
    lines = list(
        cart.lines.select_related("variant__product__seller").order_by(
            "variant__product__seller__name", "id"
        )
    )
    if not lines:
        raise InvalidRequest("cart_empty", _("The cart is empty."))
    for line in lines:
        product = line.variant.product
        if not (
            product.is_published
            and line.variant.is_active
            and product.seller.is_verified
            and product.seller.kind == Organisation.Kind.SELLER
        ):
            raise Conflict(
                "product_unavailable",
                _("%(product)s is no longer on sale; remove it from the cart.")
                % {"product": product.title},
                extra={"product_id": str(product.public_id), "product": product.title},
            )

    # Slow work first, outside any transaction: one quote per seller consignment.
    grouped: OrderedDict[int, list[CartLine]] = OrderedDict()
    for line in lines:
        grouped.setdefault(line.variant.product.seller_id, []).append(line)
    consignments = []
    for group in grouped.values():
        request, carriage = shipping.consignment_request(
            [(line.variant, line.quantity) for line in group],
            destination=destination,
            currency=currency,
            incoterm=incoterm,
        )
        quote = rules.quote_compute(request)
        consignments.append(
            _Consignment(
                seller=group[0].variant.product.seller,
                lines=group,
                quote=quote,
                carriage=carriage.as_dict(),
                public_id=uuid.uuid4(),
            )
        )
    now = clock.now()
    expires_at = now + timedelta(minutes=hold_minutes())

    def write() -> Checkout:
        with transaction.atomic():
            if not Cart.objects.filter(pk=cart.pk, checked_out_at__isnull=True).update(
                checked_out_at=now, updated_at=now
            ):
                raise Conflict("cart_checked_out", _("This cart has been checked out already."))
            # Capacity first, in one global order (variant pk), so that concurrent checkouts
            # queue on the same rows instead of deadlocking.
            holds = sorted(
                ((line, c) for c in consignments for line in c.lines),
                key=lambda pair: pair[0].variant_id,
            )
            for line, consignment in holds:
                catalog_services.stock_hold(
                    variant=line.variant,
                    quantity=line.quantity,
                    reference=str(consignment.public_id),
                    expires_at=expires_at,
                )
            return _write_checkout(
                cart=cart,
                user=user,
                email=email,
                language=language,
                destination=destination,
                currency=currency,
                incoterm=incoterm,
                address=address,
                consignments=consignments,
                now=now,
                expires_at=expires_at,
            )

    checkout = retry_on_lock_timeout(write)
    return checkout


def _write_checkout(
    *,
    cart: Cart,
    user: User | None,
    email: str,
    language: str,
    destination: str,
    currency: str,
    incoterm: str,
    address: dict[str, str],
    consignments: list[_Consignment],
    now: datetime,
    expires_at: datetime,
) -> Checkout:
    totals = [_money_minor(c.quote.get("payable_at_checkout"), currency) for c in consignments]
    on_delivery = [_money_minor(c.quote.get("payable_on_delivery"), currency) for c in consignments]
    checkout = Checkout(
        cart=cart,
        user=user,
        email=email,
        language=language,
        destination=destination,
        currency=currency,
        incoterm=incoterm,
        shipping_address=address,
        total_minor=sum(totals),
        on_delivery_minor=sum(on_delivery),
        hold_expires_at=expires_at,
        created_at=now,
    )
    checkout.save()
    for consignment, total, later in zip(consignments, totals, on_delivery, strict=True):
        quote = consignment.quote
        first = consignment.lines[0].variant
        order = Order.objects.create(
            public_id=consignment.public_id,
            checkout=checkout,
            seller=consignment.seller,
            hub_code=DEFAULT_HUB,
            destination=destination,
            incoterm=incoterm,
            currency=currency,
            total_minor=total,
            on_delivery_minor=later,
            goods_minor=_display_minor(quote, "goods", currency),
            duty_minor=_display_minor(quote, "duty", currency),
            taxes_minor=_display_minor(quote, "taxes", currency),
            fees_minor=_display_minor(quote, "fees", currency),
            shipping_minor=_display_minor(quote, "shipping", currency),
            carriage=consignment.carriage,
            seller_currency=first.currency,
            seller_category=consignment.seller.seller_category,
            seller_goods_minor=sum(
                line.variant.price_minor * line.quantity
                for line in consignment.lines
                if line.variant.currency == first.currency
            ),
            quote=quote,
            quote_id=str(quote.get("quote_id", "")),
            rules_version=str(quote.get("rules_version", "")),
            fx_rates=list(quote.get("fx", [])),
            is_quote_complete=bool(quote.get("complete", False)),
            hold_expires_at=expires_at,
            created_at=now,
            updated_at=now,
        )
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    variant=line.variant,
                    product_title=line.variant.product.title,
                    sku=line.variant.sku,
                    hs_code=line.variant.product.hs_code,
                    origin=line.variant.product.origin,
                    unit_weight_kg=line.variant.weight_kg,
                    quantity=line.quantity,
                    unit_price_minor=line.variant.price_minor,
                    currency=line.variant.currency,
                    quote_line_id=str(line.variant.public_id),
                )
                for line in consignment.lines
            ]
        )
        OrderEvent.objects.create(
            order=order,
            from_status="",
            to_status=Order.Status.PENDING_PAYMENT,
            actor=user,
            actor_label=email,
            note="placed",
            created_at=now,
        )
        audit_record(
            actor=user or BuyerAccess(checkout.pk, email),
            action="orders.order.placed",
            target=order,
            organisation_ref=str(consignment.seller.public_id),
            data={
                "checkout": str(checkout.public_id),
                "total": Money.from_minor(total, currency).as_string(),
                "currency": currency,
                "rules_version": order.rules_version,
            },
        )
    _after_commit(partial(_enqueue_checkout_mail, checkout.pk, "placed"))
    return checkout


def checkout_submit(
    *,
    cart: Cart,
    payload: dict[str, Any],
    idempotency_key: str | None,
    language: str = "en",
    user: User | None = None,
) -> tuple[int, dict[str, Any]]:
    """Check out with an optional Idempotency-Key: (HTTP status, body); a replay returns the
    first answer (errors included) and writes nothing."""
    from ewtp.orders.selectors import checkout_body

    def call() -> tuple[int, dict[str, Any]]:
        checkout = checkout_place(
            cart=cart,
            email=str(payload.get("email") or ""),
            destination=str(payload.get("destination") or ""),
            currency=str(payload.get("currency") or ""),
            shipping_address=payload.get("shipping_address"),
            incoterm=str(payload.get("incoterm") or Incoterm.DDP),
            language=language,
            user=user,
        )
        # The checkout has committed: now (outside any transaction) ask the provider.
        money.checkout_payment_start(checkout)
        return 201, checkout_body(checkout)

    if not idempotency_key:
        return call()
    return idempotent_call(
        scope=f"orders.checkout:{cart.public_id}",
        key=idempotency_key,
        fingerprint=request_fingerprint(payload),
        call=call,
    )


# Payment hand-over (the payments issue calls these) -----------------------------------------


@transaction.atomic
def checkout_mark_paid(*, checkout: Checkout, payment_reference: str = "") -> Checkout:
    """The payment for ``checkout`` succeeded: every order becomes paid, its stock sold.

    Idempotent. Raises Conflict("hold_expired") when an order's hold has already ended
    (the payment should then be refunded).
    """
    locked = lock_rows(Checkout.objects.filter(pk=checkout.pk))[0]
    if locked.payment_status == Checkout.PaymentStatus.PAID:
        return locked
    orders = lock_rows(Order.objects.filter(checkout=locked))
    ended = [o for o in orders if o.status != Order.Status.PENDING_PAYMENT]
    if ended:
        raise Conflict(
            "hold_expired",
            _("The reservation of this checkout has ended; the payment must be refunded."),
            extra={"orders": {str(o.public_id): o.status for o in ended}},
        )
    now = clock.now()
    for order in orders:
        _apply(order, Order.Status.PAID, actor=None, note=payment_reference, now=now)
        catalog_services.stock_holds_commit(reference=str(order.public_id))
    locked.payment_status = Checkout.PaymentStatus.PAID
    locked.payment_reference = payment_reference
    locked.paid_at = now
    locked.save(update_fields=["payment_status", "payment_reference", "paid_at"])
    audit_record(
        actor=None,
        action="orders.checkout.paid",
        target=locked,
        data={
            "reference": payment_reference,
            "total": locked.total_minor,
            "currency": locked.currency,
        },
    )
    _after_commit(partial(_enqueue_checkout_mail, locked.pk, "paid"))
    return locked


@transaction.atomic
def checkout_release(*, checkout: Checkout, reason: str = "payment_failed") -> Checkout:
    """The payment failed or was abandoned: unpaid orders are cancelled, their stock freed."""
    locked = lock_rows(Checkout.objects.filter(pk=checkout.pk))[0]
    now = clock.now()
    for order in lock_rows(Order.objects.filter(checkout=locked)):
        if order.status == Order.Status.PENDING_PAYMENT:
            _apply(order, Order.Status.CANCELLED, actor=None, note=reason, now=now)
            catalog_services.stock_holds_release(reference=str(order.public_id))
    if locked.payment_status == Checkout.PaymentStatus.PENDING:
        locked.payment_status = Checkout.PaymentStatus.FAILED
        locked.save(update_fields=["payment_status"])
    return locked


# Orders that no longer travel do not hold the number back (a cancelled sibling, say).
ID_NUMBER_CLOSED = frozenset(
    {Order.Status.CANCELLED, Order.Status.EXPIRED, Order.Status.REFUNDED, Order.Status.RETURNED}
)
ID_NUMBER_OPEN = frozenset(
    {
        Order.Status.PENDING_PAYMENT,
        Order.Status.PAID,
        Order.Status.ACCEPTED,
        Order.Status.PACKED,
    }
)


def checkout_id_number_set(*, actor: Actor, checkout: Checkout, id_number: str) -> Checkout:
    """The buyer gives the identity number its destination's customs declares the buyer by
    (China's cross-border retail channel), until the parcels are handed to the hub."""
    allowed = (isinstance(actor, BuyerAccess) and actor.checkout_id == checkout.pk) or (
        checkout.user_id is not None and getattr(actor, "pk", None) == checkout.user_id
    )
    if not allowed:
        raise NotFound("not_found", _("No such order."))
    if checkout.destination not in ID_NUMBER_COUNTRIES:
        raise InvalidRequest(
            "invalid_request",
            _("Deliveries to %(country)s need no identity number.")
            % {"country": checkout.destination},
            fields={"id_number": "not asked for this destination"},
        )
    try:
        cleaned = id_number_clean(id_number or "")
    except ValueError as error:
        raise InvalidRequest(
            "invalid_request", str(error).capitalize() + ".", fields={"id_number": str(error)}
        ) from None
    with transaction.atomic():
        locked = Checkout.objects.select_for_update().get(pk=checkout.pk)
        live = locked.orders.exclude(status__in=ID_NUMBER_CLOSED)
        declared = Parcel.objects.filter(order__checkout=locked).filter(
            ~Q(export_clearance="") | ~Q(import_clearance="")
        )
        if live.exclude(status__in=ID_NUMBER_OPEN).exists() or declared.exists():
            raise Conflict(
                "declarations_made",
                _("A parcel of this order is with the hub already: its declarations are made."),
            )
        locked.shipping_address = {**(locked.shipping_address or {}), "id_number": cleaned}
        locked.save(update_fields=["shipping_address"])
        audit_record(
            actor=actor,
            action="orders.checkout.id_number_set",
            target=locked,
            data={"id_number": id_number_masked(cleaned)},
        )
    checkout.shipping_address = locked.shipping_address
    return checkout


# Order transitions ---------------------------------------------------------------------------

S = Order.Status


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    who: frozenset[str]  # seller, hub, operator, buyer, system
    label: str
    offered: bool = True  # a button on the order page; False: only through its own flow


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "accept", frozenset({S.PAID}), S.ACCEPTED, frozenset({"seller", "operator"}), "Accept"
        ),
        Transition(
            "pack",
            frozenset({S.ACCEPTED}),
            S.PACKED,
            frozenset({"seller", "operator"}),
            "Mark packed",
        ),
        Transition(
            "hand_to_hub",
            frozenset({S.PACKED}),
            S.HANDED_TO_HUB,
            frozenset({"seller", "operator"}),
            "Handed to the hub",
        ),
        Transition(
            "ship",
            frozenset({S.HANDED_TO_HUB}),
            S.SHIPPED,
            frozenset({"hub", "operator"}),
            "Mark shipped",
        ),
        Transition(
            "deliver",
            frozenset({S.SHIPPED}),
            S.DELIVERED,
            frozenset({"hub", "operator"}),
            "Mark delivered",
        ),
        Transition(
            "complete",
            frozenset({S.DELIVERED}),
            S.COMPLETED,
            frozenset({"buyer", "operator", "system"}),
            "Confirm receipt",
        ),
        Transition(
            "dispute",
            frozenset({S.SHIPPED, S.DELIVERED}),
            S.DISPUTED,
            frozenset({"buyer", "operator"}),
            "Open a dispute",
        ),
        Transition(
            "resolve",  # a dispute, or a parcel returned: the rest of the escrow to the seller
            frozenset({S.DISPUTED, S.RETURNED}),
            S.COMPLETED,
            frozenset({"operator"}),
            "Resolve: release to the seller",
        ),
        Transition(
            "cancel",
            frozenset({S.PENDING_PAYMENT, S.PAID, S.ACCEPTED}),
            S.CANCELLED,
            frozenset({"seller", "operator", "buyer", "system"}),
            "Cancel",
        ),
        Transition(
            "return_to_seller",  # the parcel came back: refused, undeliverable, or by customs
            frozenset({S.PACKED, S.HANDED_TO_HUB, S.SHIPPED}),
            S.RETURNED,
            frozenset({"hub", "operator", "system"}),
            "Returned to the seller",
            offered=False,
        ),
        Transition(
            "refund",
            frozenset({S.CANCELLED, S.DELIVERED, S.COMPLETED, S.DISPUTED, S.RETURNED}),
            S.REFUNDED,
            frozenset({"operator", "system"}),
            "Refund",
        ),
    )
}


def roles_for(actor: Actor, order: Order) -> set[str]:
    """What ``actor`` is to ``order``: seller, hub, operator, buyer, system (or nothing)."""
    if actor is None:
        return {"system"}
    if isinstance(actor, BuyerAccess):
        return {"buyer"} if actor.checkout_id == order.checkout_id else set()
    roles: set[str] = set()
    if not getattr(actor, "is_authenticated", False):
        return roles
    if is_platform_operator(actor):
        roles.add("operator")
    role = role_in(actor, order.seller)
    if role in {Membership.Role.OWNER, Membership.Role.STAFF}:
        roles.add("seller")
    elif role is not None:
        roles.add("seller_viewer")
    if (
        Hub.objects.filter(Q(code=order.hub_code) | Q(coverage__country=order.destination))
        .filter(
            operator__verification=Organisation.Verification.VERIFIED,
            operator__memberships__user=actor,
            operator__memberships__role__in=[Membership.Role.OWNER, Membership.Role.STAFF],
        )
        .exists()
    ):
        roles.add("hub")  # staff of the hub it leaves from or of the one that delivers it
    if order.checkout.user_id is not None and order.checkout.user_id == actor.pk:
        roles.add("buyer")
    return roles


def allowed_actions(actor: Actor, order: Order) -> list[Transition]:
    roles = roles_for(actor, order)
    return [
        t
        for t in TRANSITIONS.values()
        if t.offered and roles & t.who and _may(t, roles, order) and _state_allows(t, order)
    ]


def _may(transition: Transition, roles: set[str], order: Order) -> bool:
    """The actor's right, beyond its role: a buyer alone may only cancel what is unpaid."""
    if transition.action == "cancel" and not roles & {"seller", "operator", "system"}:
        return order.status == S.PENDING_PAYMENT
    return True


def _state_allows(transition: Transition, order: Order) -> bool:
    if order.status not in transition.sources:
        return False
    if transition.action == "refund" and order.status == S.CANCELLED:
        return order.events.filter(to_status=S.PAID).exists()  # only money taken is refunded
    return True


def _apply(order: Order, target: str, *, actor: Actor, note: str, now: datetime) -> Order:
    source = order.status
    order.status = target
    order.updated_at = now
    order.save(update_fields=["status", "updated_at"])
    user = actor if isinstance(actor, User) else None
    OrderEvent.objects.create(
        order=order,
        from_status=source,
        to_status=target,
        actor=user,
        actor_label=str(getattr(actor, "email", "") or actor or "system"),
        note=note,
        created_at=now,
    )
    audit_record(
        actor=actor,
        action=f"orders.order.{target}",
        target=order,
        organisation_ref=str(order.seller.public_id),
        data={"from": source, "to": target, "note": note},
    )
    return order


def order_transition(
    *, actor: Actor, order: Order, action: str, note: str = "", by_flow: bool = False
) -> Order:
    """Move ``order`` by ``action`` if its current state and the actor's right allow it.

    An action not offered on the order's page (a return to the seller) is taken only by its
    own flow (``by_flow``: the parcel's return), never from the page or the API.
    """
    transition = TRANSITIONS.get(action)
    if transition is not None and not transition.offered and not by_flow:
        raise PermissionDenied(
            "permission_denied",
            _("This step follows the parcel: it is not taken from the order's page."),
        )
    if transition is None:
        raise InvalidRequest(
            "invalid_request",
            _("Unknown action %(action)s.") % {"action": repr(action)},
            fields={"action": "unknown"},
        )

    def run() -> Order:
        with transaction.atomic():
            current = lock_rows(
                Order.objects.filter(pk=order.pk).select_related("seller", "checkout")
            )
            if not current:
                raise NotFound("not_found", _("No such order."))
            locked = current[0]
            roles = roles_for(actor, locked)
            if not roles:
                raise NotFound("not_found", _("No such order."))
            if not (roles & transition.who) or not _may(transition, roles, locked):
                if locked.status in transition.sources:
                    raise PermissionDenied(
                        "permission_denied", _("You may not do this to this order.")
                    )
            if not _state_allows(transition, locked):
                raise Conflict(
                    "invalid_transition",
                    _("An order that is %(status)s cannot be moved by %(action)s.")
                    % {"status": locked.get_status_display().lower(), "action": action},
                    extra={"status": locked.status},
                )
            source = locked.status
            _apply(locked, transition.target, actor=actor, note=note, now=clock.now())
            reference = str(locked.public_id)
            if transition.target == S.CANCELLED:
                if source == S.PENDING_PAYMENT:
                    catalog_services.stock_holds_release(reference=reference)
                else:
                    catalog_services.stock_return(reference=reference)
            if transition.target in ORDER_MAILS:
                _after_commit(partial(_enqueue_order_mail, locked.pk, transition.target))
            _move_money(locked, source=source, target=transition.target, actor=actor, note=note)
            return locked

    result = retry_on_lock_timeout(run)
    order.status = result.status
    return result


def _move_money(order: Order, *, source: str, target: str, actor: Actor, note: str) -> None:
    """The ledger side of a transition, in the same transaction (see orders.money)."""
    if target == S.COMPLETED:
        money.escrow_release(order)
    elif target == S.CANCELLED and source != S.PENDING_PAYMENT:
        if money.refundable_minor(order) > 0:
            money.order_money_refund(order, reason=note or "order cancelled", actor=actor)
    elif target == S.REFUNDED and money.refundable_minor(order) > 0:
        money.order_money_refund(order, reason=note or "order refunded", actor=actor)


def order_refund_partial(*, actor: Actor, order: Order, amount: Money, reason: str) -> Order:
    """Give part of an order's money back (before or after release); the operator decides."""
    if not is_platform_operator(actor):
        raise PermissionDenied("permission_denied", _("Only the platform operator refunds."))
    if amount.currency != order.currency:
        raise InvalidRequest(
            "invalid_request",
            _("Refund in %(currency)s.") % {"currency": order.currency},
            fields={"amount": f"in {order.currency}"},
        )
    if amount.rounded().minor <= 0:
        raise InvalidRequest(
            "invalid_request",
            _("A refund is at least %(amount)s.") % {"amount": Money.from_minor(1, order.currency)},
            fields={"amount": "more than zero"},
        )
    with transaction.atomic():
        locked = lock_rows(Order.objects.filter(pk=order.pk).select_related("seller", "checkout"))[
            0
        ]
        money.order_money_refund(
            locked, amount_minor=amount.rounded().minor, reason=reason, actor=actor
        )
        OrderEvent.objects.create(
            order=locked,
            from_status=locked.status,
            to_status=locked.status,
            actor=actor if isinstance(actor, User) else None,
            actor_label=str(getattr(actor, "email", "")),
            note=f"partial refund {amount}: {reason}",
            created_at=clock.now(),
        )
    return locked


def order_dispute(*, actor: Actor, order: Order, note: str = "") -> Order:
    return order_transition(actor=actor, order=order, action="dispute", note=note)


def order_accept(*, actor: Actor, order: Order) -> Order:
    return order_transition(actor=actor, order=order, action="accept")


def order_pack(*, actor: Actor, order: Order) -> Order:
    return order_transition(actor=actor, order=order, action="pack")


def order_hand_to_hub(*, actor: Actor, order: Order) -> Order:
    return order_transition(actor=actor, order=order, action="hand_to_hub")


def order_ship(*, actor: Actor, order: Order, note: str = "") -> Order:
    return order_transition(actor=actor, order=order, action="ship", note=note)


def order_deliver(*, actor: Actor, order: Order) -> Order:
    return order_transition(actor=actor, order=order, action="deliver")


def order_return_to_seller(*, actor: Actor, order: Order, note: str = "") -> Order:
    """The parcel went back to the seller; the money stays in escrow until the operator
    refunds the buyer (whole, or in part when the buyer refused a sound parcel)."""
    return order_transition(
        actor=actor, order=order, action="return_to_seller", note=note, by_flow=True
    )


def order_complete(*, actor: Actor, order: Order) -> Order:
    return order_transition(actor=actor, order=order, action="complete")


def order_cancel(*, actor: Actor, order: Order, note: str = "") -> Order:
    return order_transition(actor=actor, order=order, action="cancel", note=note)


def order_refund(*, actor: Actor, order: Order, note: str = "") -> Order:
    return order_transition(actor=actor, order=order, action="refund", note=note)


# Holds ---------------------------------------------------------------------------------------


def holds_expire(*, now: datetime | None = None, limit: int = 500) -> int:
    """End the holds of unpaid orders past their time: stock back, order ``expired``."""
    now = now or clock.now()
    due = list(
        Order.objects.filter(status=S.PENDING_PAYMENT, hold_expires_at__lte=now)
        .order_by("hold_expires_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for pk in due:

        def run(pk: int = pk) -> bool:
            with transaction.atomic():
                rows = lock_rows(
                    Order.objects.filter(pk=pk, status=S.PENDING_PAYMENT).select_related("seller")
                )
                if not rows or rows[0].hold_expires_at > now:
                    return False
                order = rows[0]
                _apply(order, S.EXPIRED, actor=None, note="hold expired", now=now)
                catalog_services.stock_holds_release(reference=str(order.public_id))
                if not Order.objects.filter(
                    checkout_id=order.checkout_id, status=S.PENDING_PAYMENT
                ).exists():
                    Checkout.objects.filter(
                        pk=order.checkout_id, payment_status=Checkout.PaymentStatus.PENDING
                    ).update(payment_status=Checkout.PaymentStatus.EXPIRED)
                return True

        if retry_on_lock_timeout(run):
            expired += 1
    if expired:
        logger.info("expired %s order hold(s)", expired)
    return expired


# Mails (after commit, through tasks) ---------------------------------------------------------


def _after_commit(callback: Callable[[], Any]) -> None:
    transaction.on_commit(callback, robust=True)


def _enqueue_checkout_mail(checkout_id: int, kind: str) -> None:
    from ewtp.orders.tasks import send_checkout_mail

    send_checkout_mail.enqueue(checkout_id, kind)


def _enqueue_order_mail(order_id: int, kind: str) -> None:
    from ewtp.orders.tasks import send_order_mail

    send_order_mail.enqueue(order_id, kind)


def checkout_mail_send(*, checkout_id: int, kind: str) -> bool:
    """Send the ``placed`` or ``paid`` mail of a checkout once (the mark and the outbox row
    are written in one transaction)."""
    from ewtp.orders import mails

    field = {"placed": "placed_mailed_at", "paid": "paid_mailed_at"}[kind]
    with transaction.atomic():
        if not Checkout.objects.filter(pk=checkout_id, **{f"{field}__isnull": True}).update(
            **{field: clock.now()}
        ):
            return False
        checkout = Checkout.objects.get(pk=checkout_id)
        mails.send_checkout_mail(checkout, kind)
    return True


# The buyer hears of these steps of an order by mail, once each (the mark says when).
ORDER_MAILS: dict[str, str] = {S.SHIPPED: "shipped_mailed_at", S.RETURNED: "returned_mailed_at"}


def order_mail_send(*, order_id: int, kind: str) -> bool:
    """Send the ``shipped`` or ``returned`` mail of an order once."""
    from ewtp.orders import mails

    field = ORDER_MAILS[kind]
    with transaction.atomic():
        if not Order.objects.filter(pk=order_id, **{f"{field}__isnull": True}).update(
            **{field: clock.now()}
        ):
            return False
        order = Order.objects.select_related("checkout", "seller").get(pk=order_id)
        mails.send_order_mail(order, kind)
    return True
