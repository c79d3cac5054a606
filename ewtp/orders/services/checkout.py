"""The checkout: quotes fixed, stock held, one order per seller.

The checkout prices every seller's consignment before it opens its transaction; inside it,
it only takes stock (conditional updates, variants in pk order) and writes rows, so a short
transaction either commits everything or nothing.
"""

from __future__ import annotations

import functools
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils.translation import gettext as _

from ewtp.accounts.models import Organisation, User
from ewtp.catalog import landed_prices
from ewtp.catalog.errors import OutOfStock
from ewtp.catalog.models import DEFAULT_HUB, Product, StockLevel, Variant
from ewtp.catalog.services.stock import StockHold, stock_hold_many, stock_out_of_stock
from ewtp.core import clock, conf, rows
from ewtp.core.currencies import is_currency
from ewtp.core.errors import Conflict, DomainError, InvalidRequest
from ewtp.core.locks import retry_on_lock_timeout
from ewtp.core.money import Money
from ewtp.core.services import audit_entries, idempotent_call, request_fingerprint
from ewtp.core.task_rows import task_row
from ewtp.logistics.selectors import network_checked_once
from ewtp.orders import pricing
from ewtp.orders.addresses import (
    AddressError,
    address_clean,
)
from ewtp.orders.models import Cart, CartLine, Checkout, Incoterm, Order, OrderEvent, OrderLine
from ewtp.orders.services import money
from ewtp.orders.services.carts import _require_open
from ewtp.orders.services.holds import holds_expire
from ewtp.orders.services.mails import _after_commit, _enqueue_checkout_mail
from ewtp.orders.services.transitions import BuyerAccess
from ewtp.orders.tasks import send_checkout_mail
from ewtp.payments.services import payment_providers_require

# The relations _cart_lines fills from its one row per line (as select_related would).
_LINE_VARIANT = CartLine._meta.get_field("variant")
_VARIANT_PRODUCT = Variant._meta.get_field("product")
_PRODUCT_SELLER = Product._meta.get_field("seller")


def hold_minutes() -> int:
    return conf.CHECKOUT_HOLD_MINUTES()


@dataclass
class _Consignment:
    seller: Organisation
    lines: list[CartLine]
    quote: dict[str, Any]
    carriage: dict[str, Any]
    public_id: Any
    incoterm: str = Incoterm.DDP
    gift: bool = False


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


@functools.cache
def _cart_lines_sql(vendor: str) -> str:
    """The cart's lines with their variant, product and seller, and the most units one hub
    level of the line's variant has free (no extra statement: a line asking more cannot be
    held, and is refused before anything is written): one SELECT written once per process
    (the ORM compiled this four-table query again on every checkout)."""
    quote = connection.ops.quote_name

    def table(model: Any) -> str:
        return quote(model._meta.db_table)

    return (
        f"SELECT {rows.columns(CartLine, 'l')}, {rows.columns(Variant, 'v')}, "  # noqa: S608 (names only)
        f"{rows.columns(Product, 'p')}, {rows.columns(Organisation, 'o')}, "
        f"(SELECT MAX(s.on_hand - s.reserved) FROM {table(StockLevel)} s "
        "WHERE s.variant_id = l.variant_id) "
        f"FROM {table(CartLine)} l JOIN {table(Variant)} v ON v.id = l.variant_id "
        f"JOIN {table(Product)} p ON p.id = v.product_id "
        f"JOIN {table(Organisation)} o ON o.id = p.seller_id "
        "WHERE l.cart_id = %s ORDER BY o.name, l.id"
    )


def _cart_lines(cart: Cart) -> list[CartLine]:
    """The cart's lines by seller, each with its variant, product and seller and
    ``units_left`` (see _cart_lines_sql); InvalidRequest if empty, Conflict if one is off
    sale."""
    with connection.cursor() as cursor:
        cursor.execute(_cart_lines_sql(connection.vendor), [cart.pk])
        found = cursor.fetchall()
    load_line, load_variant = rows.loader(CartLine), rows.loader(Variant)
    load_product, load_seller = rows.loader(Product), rows.loader(Organisation)
    widths = [len(m._meta.concrete_fields) for m in (CartLine, Variant, Product)]
    at_variant, at_product = widths[0], widths[0] + widths[1]
    at_seller = at_product + widths[2]
    lines: list[CartLine] = []
    for row in found:
        line, variant = load_line(row, 0), load_variant(row, at_variant)
        product, seller = load_product(row, at_product), load_seller(row, at_seller)
        _PRODUCT_SELLER.set_cached_value(product, seller)
        _VARIANT_PRODUCT.set_cached_value(variant, product)
        _LINE_VARIANT.set_cached_value(line, variant)
        line.units_left = row[-1]  # type: ignore[attr-defined]
        lines.append(line)
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
    return lines


def _priced_consignments(
    lines: list[CartLine],
    *,
    destination: str,
    currency: str,
    incoterm: str,
    language: str,
    gift: bool,
) -> list[_Consignment]:
    """Slow work, outside any transaction: one quote per seller consignment, as it may be sold
    (orders.pricing: an incomplete quote goes DAP or is refused, a stale rate is refused)."""
    grouped: OrderedDict[int, list[CartLine]] = OrderedDict()
    for line in lines:
        grouped.setdefault(line.variant.product.seller_id, []).append(line)
    with network_checked_once():  # the hub network checked once for every consignment
        return [
            _consignment_priced(
                group,
                destination=destination,
                currency=currency,
                incoterm=incoterm,
                language=language,
                gift=gift,
            )
            for group in grouped.values()
        ]


def _consignment_priced(
    group: list[CartLine],
    *,
    destination: str,
    currency: str,
    incoterm: str,
    language: str,
    gift: bool,
) -> _Consignment:
    priced = pricing.consignment_priced(
        [(line.variant, line.quantity) for line in group],
        destination=destination,
        currency=currency,
        incoterm=incoterm,
        language=language,
        gift=gift,
    )
    return _Consignment(
        seller=group[0].variant.product.seller,
        lines=group,
        quote=priced.quote,
        carriage=priced.carriage.as_dict(),
        public_id=uuid.uuid4(),
        incoterm=priced.incoterm,
        gift=gift,
    )


def _hold_stock(consignments: list[_Consignment], expires_at: datetime) -> None:
    """Taken last in the checkout's transaction: the rows of a scarce product are the ones every
    checkout queues on, so they stay locked for the take, the reservations and the COMMIT only,
    not for the checkout's inserts before them."""
    # Stock first, in one global order (variant pk, which stock_hold_many keeps), so that
    # concurrent checkouts queue on the same rows instead of deadlocking.
    stock_hold_many(
        holds=[
            StockHold(variant=line.variant, quantity=line.quantity, reference=str(c.public_id))
            for c in consignments
            for line in c.lines
        ],
        expires_at=expires_at,
    )


def checkout_place(
    *,
    cart: Cart,
    email: str,
    destination: str,
    currency: str,
    shipping_address: Any,
    incoterm: str = Incoterm.DDP,
    gift: bool = False,
    language: str = "en",
    user: User | None = None,
) -> Checkout:
    """Check out a cart: one order per seller, each with its quote fixed and its stock held.

    ``gift``: the buyer declares the parcels gifts between private persons (the quote then
    follows a gift regime where the destination has one); each order keeps the flag.

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
    _require_flag(gift, "gift")
    lines = _cart_lines(cart)
    _refuse_if_short(lines)  # before the quotes: a sold-out cart is not priced in vain
    consignments = _priced_consignments(
        lines,
        destination=destination,
        currency=currency,
        incoterm=incoterm,
        language=language,
        gift=gift,
    )
    if any(c.incoterm == Incoterm.DAP for c in consignments):
        incoterm = Incoterm.DAP  # some duty is due on delivery: the checkout says so
    now = clock.now()
    expires_at = now + timedelta(minutes=hold_minutes())

    def write() -> Checkout:
        with transaction.atomic():
            if not _cart_check_out(cart, now):
                raise Conflict("cart_checked_out", _("This cart has been checked out already."))
            placed = _write_checkout(
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
            _hold_stock(consignments, expires_at)  # last: see _hold_stock
            return placed

    try:
        return retry_on_lock_timeout(write)
    except OutOfStock:
        # Holds past their time keep their stock until expired, and the worker may be down:
        # expire those of these variants now, then try once more.
        variant_ids = {line.variant_id for c in consignments for line in c.lines}
        if not holds_expire(variant_ids=variant_ids):
            raise
        return retry_on_lock_timeout(write)


def _cart_check_out(cart: Cart, now: datetime) -> bool:
    """Mark the cart checked out unless it is already (one UPDATE written once per process);
    the instance is left as it was read (the transaction may still roll back)."""
    before = cart.checked_out_at, cart.updated_at
    cart.checked_out_at = cart.updated_at = now
    try:
        return bool(rows.row_update(cart, ("checked_out_at", "updated_at"), unset="checked_out_at"))
    finally:
        cart.checked_out_at, cart.updated_at = before


def _require_flag(value: object, name: str) -> None:
    """A JSON true or false, nothing that merely looks like one."""
    if type(value) is not bool:
        raise InvalidRequest(
            "invalid_request", _("Please correct the fields shown."), fields={name: "true or false"}
        )


def _refuse_if_short(lines: list[CartLine]) -> None:
    """A line asking more units than any hub level had free when the lines were read is
    refused here, with the answer the conditional UPDATE would give (the first short line in
    variant order, what is left), before the checkout's transaction: a refusal in the contest
    for a scarce product then writes nothing and locks nothing. Holds past their time are
    expired first, as after a refused take; stock seen free goes on to the UPDATE, which alone
    decides a sale."""
    short = [line for line in lines if line.quantity > _units_left(line)]
    if not short or holds_expire(variant_ids={line.variant_id for line in lines}):
        return
    first = min(short, key=lambda line: line.variant_id)
    raise stock_out_of_stock(first.variant, first.quantity, _units_left(first))


def _units_left(line: CartLine) -> int:
    """The annotation of _cart_lines (None: the variant has no stock level)."""
    return max(int(getattr(line, "units_left", None) or 0), 0)


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
    """The checkout row, then every seller's order, line, first event and audit row: each
    kind in one statement, and the last three in one on PostgreSQL."""
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
        # The payment's id, chosen now: the checkout names it from its first write.
        payment_reference=str(uuid.uuid4()),
        created_at=now,
    )
    # Each kind of row in one INSERT whose text is written once per process (core.rows).
    rows.rows_insert([checkout])
    orders = [
        _new_order(checkout=checkout, consignment=c, total=total, later=later, now=now)
        for c, total, later in zip(consignments, totals, on_delivery, strict=True)
    ]
    rows.rows_insert(orders)
    pairs = list(zip(orders, consignments, strict=True))
    # The buyer's mail queued by a row of this transaction (core.task_rows), where the queue
    # is in the database; else after commit.
    mail = task_row(send_checkout_mail, checkout.pk, "placed")
    if mail is None:
        _after_commit(partial(_enqueue_checkout_mail, checkout.pk, "placed"))
    # The lines, first events, audit rows and the mail's task (no ids wanted): one statement
    # on PostgreSQL.
    rows.rows_insert_together(
        [
            [_order_line(order, line) for order, c in pairs for line in c.lines],
            [
                OrderEvent(
                    order=order,
                    from_status="",
                    to_status=Order.Status.PENDING_PAYMENT,
                    actor=checkout.user,
                    actor_label=checkout.email,
                    note="placed",
                    created_at=now,
                )
                for order in orders
            ],
            audit_entries([_placed_audit(checkout, order, c) for order, c in pairs]),
            [mail] if mail is not None else [],
        ]
    )
    checkout._placed_orders = orders  # type: ignore[attr-defined]  # for the answer
    return checkout


def _new_order(
    *, checkout: Checkout, consignment: _Consignment, total: int, later: int, now: datetime
) -> Order:
    """One seller's order of a checkout (not saved)."""
    quote = consignment.quote
    currency = checkout.currency
    first = consignment.lines[0].variant
    return Order(
        public_id=consignment.public_id,
        checkout=checkout,
        seller=consignment.seller,
        hub_code=DEFAULT_HUB,
        destination=checkout.destination,
        incoterm=consignment.incoterm,
        is_gift=consignment.gift,
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
        hold_expires_at=checkout.hold_expires_at,
        created_at=now,
        updated_at=now,
    )


def _order_line(order: Order, line: CartLine) -> OrderLine:
    return OrderLine(
        order=order,
        variant=line.variant,
        product_title=line.variant.product.title,
        sku=line.variant.sku,
        hs_code=landed_prices.hs_code_for(
            line.variant.product.hs_code, line.variant.product.national_codes, order.destination
        ),
        origin=line.variant.product.origin,
        unit_weight_kg=line.variant.weight_kg,
        quantity=line.quantity,
        unit_price_minor=line.variant.price_minor,
        currency=line.variant.currency,
        quote_line_id=str(line.variant.public_id),
    )


def _placed_audit(checkout: Checkout, order: Order, consignment: _Consignment) -> dict[str, Any]:
    return {
        "actor": checkout.user or BuyerAccess(checkout.pk, checkout.email),
        "action": "orders.order.placed",
        "target": order,
        "organisation_ref": str(consignment.seller.public_id),
        "data": {
            "checkout": str(checkout.public_id),
            "total": Money.from_minor(order.total_minor, checkout.currency).as_string(),
            "currency": checkout.currency,
            "rules_version": order.rules_version,
        },
    }


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
        payment_providers_require()  # no provider: say so before holding any stock
        checkout = checkout_place(
            cart=cart,
            email=str(payload.get("email") or ""),
            destination=str(payload.get("destination") or ""),
            currency=str(payload.get("currency") or ""),
            shipping_address=payload.get("shipping_address"),
            incoterm=str(payload.get("incoterm") or Incoterm.DDP),
            gift=payload.get("gift") or False,
            language=language,
            user=user,
        )
        # The checkout has committed: now (outside any transaction) ask the provider.
        payment = money.checkout_payment_start(checkout, fresh=True)
        orders = checkout._placed_orders  # type: ignore[attr-defined]  # written by this call
        return 201, checkout_body(checkout, orders=orders, payment=payment)

    if not idempotency_key:
        return call()
    return idempotent_call(
        scope=f"orders.checkout:{cart.public_id}",
        key=idempotency_key,
        fingerprint=request_fingerprint(payload),
        call=call,
    )
