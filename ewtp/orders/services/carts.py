"""Writes of carts: open a cart, add and set its lines."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ewtp.accounts.models import User
from ewtp.catalog.models import Product, Variant
from ewtp.catalog.selectors.products import product_get_public_by_id
from ewtp.core import clock
from ewtp.core.errors import Conflict, InvalidRequest, NotFound
from ewtp.orders.models import Cart, CartLine

MAX_LINE_QUANTITY = 1000
MAX_CART_LINES = 100


@transaction.atomic
def cart_create(*, user: User | None = None) -> Cart:
    now = clock.now()
    return Cart.objects.create(user=user, created_at=now, updated_at=now)


def _checked_out() -> Conflict:
    return Conflict("cart_checked_out", _("This cart has been checked out; start a new one."))


def _require_open(cart: Cart) -> None:
    """The cart as read by this request is open (a write then checks it again, in its own
    conditional UPDATE of the cart)."""
    if cart.checked_out_at is not None:
        raise _checked_out()


def _touch_open(cart: Cart, now: Any) -> None:
    """Stamp the cart, which must still be open: else the caller's transaction rolls back."""
    if not Cart.objects.filter(pk=cart.pk, checked_out_at__isnull=True).update(updated_at=now):
        raise _checked_out()


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
    _touch_open(cart, now)
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
    _touch_open(cart, clock.now())
    return cart
