"""Writes of carts: open a cart, add and set its lines."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ewtp.accounts.models import Organisation, User
from ewtp.catalog.models import Product, Variant
from ewtp.catalog.selectors.products import product_get_public_by_id
from ewtp.core import clock
from ewtp.core.errors import Conflict, InvalidRequest, NotFound
from ewtp.orders.cart_reads import columns, instance, table
from ewtp.orders.models import Cart, CartLine
from ewtp.orders.selectors import cart_get_for

MAX_LINE_QUANTITY = 1000
MAX_CART_LINES = 100


def cart_create(*, user: User | None = None) -> Cart:
    """One INSERT, its own transaction (a BEGIN and a COMMIT around it were two round trips)."""
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


# The API's way in: a line added in one statement (PostgreSQL) -------------------------------

# The published product's variant (the one named, else the first active one), if the cart has
# room for it: a line of it already, or fewer than MAX_CART_LINES lines.
_VARIANT_IN_ROOM = """
    JOIN {organisation} o ON o.id = p.seller_id
    {first_variant} (
        SELECT w.id FROM {variant} w WHERE w.product_id = p.id AND w.is_active {named}
        ORDER BY w.{position}, w.id LIMIT 1) {variant_join}
    WHERE p.public_id = %(product)s AND p.status = %(published)s
        AND o.kind = %(seller)s AND o.verification = %(verified)s
        AND (EXISTS (SELECT 1 FROM {line} l WHERE l.cart_id = {cart_pk} AND l.variant_id = v.id)
            OR (SELECT COUNT(*) FROM {line} l WHERE l.cart_id = {cart_pk}) < %(max_lines)s)
"""

# Added to the line of that variant while it stays within MAX_LINE_QUANTITY units.
_UPSERT = """
    ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = l.quantity + excluded.quantity
        WHERE l.quantity + excluded.quantity <= %(max_quantity)s
"""

# The cart by its public id: open, a guest's or the caller's.
_OPEN_CART = (
    "{c}public_id = %(cart)s AND {c}checked_out_at IS NULL"
    " AND ({c}user_id IS NULL OR {c}user_id = %(user)s)"
)

# PostgreSQL: the cart (open, the caller's), locked so that a checkout cannot close it under
# the write; the line inserted or summed; the cart stamped, returned. All or nothing.
_ADD_POSTGRESQL = """
WITH target AS (
    SELECT c.id AS cart_id, v.id AS variant_id FROM {cart} c, {product} p
    {variant_in_room} AND {open_cart}
    FOR UPDATE OF c
), added AS (
    INSERT INTO {line} AS l (cart_id, variant_id, quantity, created_at)
    SELECT cart_id, variant_id, %(quantity)s, %(now)s FROM target
    {upsert}
    RETURNING cart_id
), stamped AS (
    UPDATE {cart} c SET updated_at = %(now)s FROM added WHERE c.id = added.cart_id
    RETURNING {cart_columns}
)
SELECT * FROM stamped
"""

# SQLite (no writes in a WITH): the cart stamped first, then the line, in one transaction.
_STAMP_SQLITE = "UPDATE {cart} SET updated_at = %(now)s WHERE {open_cart} RETURNING {cart_columns}"
_ADD_SQLITE = """
INSERT INTO {line} AS l (cart_id, variant_id, quantity, created_at)
SELECT %(cart_pk)s, v.id, %(quantity)s, %(now)s FROM {product} p {variant_in_room}
{upsert}
RETURNING id
"""


@functools.cache
def _line_add_sql(vendor: str, named: bool) -> tuple[str, ...]:
    """The statements of ``cart_line_add_for``, written once per process: raw, because the ORM
    took ten statements (and compiled each on every request) where the database needs one."""
    quote = connection.ops.quote_name
    names = {
        "cart": table(Cart),
        "line": table(CartLine),
        "product": table(Product),
        "variant": table(Variant),
        "organisation": table(Organisation),
        "position": quote("position"),
        "named": "AND w.public_id = %(variant)s" if named else "",
        "upsert": _UPSERT,
    }
    if vendor == "postgresql":  # a lateral join: an index scan of the product's variants
        names["first_variant"], names["variant_join"] = "CROSS JOIN LATERAL", "v"
        names["variant_in_room"] = _VARIANT_IN_ROOM.format(**names, cart_pk="c.id")
        names["open_cart"] = _OPEN_CART.format(c="c.")
        names["cart_columns"] = columns(Cart, "c")
        return (_ADD_POSTGRESQL.format(**names),)
    names["first_variant"], names["variant_join"] = "JOIN {variant} v ON v.id =", ""
    names["first_variant"] = names["first_variant"].format(**names)
    names["variant_in_room"] = _VARIANT_IN_ROOM.format(**names, cart_pk="%(cart_pk)s")
    names["open_cart"] = _OPEN_CART.format(c="")
    names["cart_columns"] = columns(Cart)
    return (_STAMP_SQLITE.format(**names), _ADD_SQLITE.format(**names))


class _NotAdded(Exception):
    """Rolls back the SQLite transaction of a line that could not be added."""


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        parsed = Cart._meta.get_field("public_id").to_python(value)
    except (ValueError, TypeError, AttributeError, ValidationError):
        return None
    return parsed if isinstance(parsed, uuid.UUID) else None


def _parameters(
    actor: object, cart_id: Any, product_id: Any, quantity: Any, variant_id: Any
) -> dict[str, Any] | None:
    """The statement's parameters, or None when a value is out of its shape (the ORM path then
    answers with the right error)."""
    ids = [_uuid(cart_id), _uuid(product_id), _uuid(variant_id) if variant_id else None]
    if ids[0] is None or ids[1] is None or (variant_id and ids[2] is None):
        return None
    if type(quantity) is not int or not 1 <= quantity <= MAX_LINE_QUANTITY:
        return None
    native = connection.features.has_native_uuid_field
    cart, product, variant = (value if native or value is None else value.hex for value in ids)
    user = actor.pk if isinstance(actor, User) and actor.is_authenticated else None
    return {
        "cart": cart,
        "product": product,
        "variant": variant,
        "user": user,
        "quantity": quantity,
        "now": connection.ops.adapt_datetimefield_value(clock.now()),
        "published": Product.Status.PUBLISHED.value,
        "seller": Organisation.Kind.SELLER.value,
        "verified": Organisation.Verification.VERIFIED.value,
        "max_lines": MAX_CART_LINES,
        "max_quantity": MAX_LINE_QUANTITY,
    }


def _line_added(parameters: dict[str, Any]) -> Cart | None:
    """The cart, stamped, once the line is added; None (nothing written) if it could not be."""
    statements = _line_add_sql(connection.vendor, bool(parameters["variant"]))
    if len(statements) == 1:  # PostgreSQL: one statement, its own transaction
        with connection.cursor() as cursor:
            cursor.execute(statements[0], parameters)
            row = cursor.fetchone()
        return None if row is None else instance(Cart, row)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statements[0], parameters)
            row = cursor.fetchone()
            if row is None:
                raise _NotAdded
            cursor.execute(statements[1], {**parameters, "cart_pk": row[0]})
            if cursor.fetchone() is None:
                raise _NotAdded  # the cart's stamp is rolled back
    except _NotAdded:
        return None
    return instance(Cart, row)


def cart_line_add_for(
    *, actor: object, cart_id: Any, product_id: Any, quantity: Any, variant_id: Any | None = None
) -> Cart:
    """``cart_line_add`` on the cart with that public id, which ``actor`` may see: in one
    statement when it goes through (two with SQLite's transaction); else through the ORM's
    path, which raises the error it meets first (or adds the line: a race went its way)."""
    parameters = _parameters(actor, cart_id, product_id, quantity, variant_id)
    if parameters is not None:
        cart = _line_added(parameters)
        if cart is not None:
            return cart
    cart = cart_get_for(actor, cart_id)
    return cart_line_add(cart=cart, product_id=product_id, quantity=quantity, variant_id=variant_id)
