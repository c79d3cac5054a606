"""Writes of variants: sizes of a product, priced in the seller's currency."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from ewtp.catalog.models import (
    DEFAULT_HUB,
    Product,
    StockLevel,
    Variant,
)
from ewtp.catalog.services.common import (
    _check_hub,
    _price_minor_confirmed,
    _raise_invalid,
    _weight,
    require_seller_editor,
)
from ewtp.core.currencies import is_currency
from ewtp.core.errors import Conflict, InvalidRequest, NotFound
from ewtp.core.services import audit_record

#
# All variants of a product are priced in one currency (the seller's, set with the product):
# orders take the seller's currency from their first line (orders.services), and a product
# whose sizes were priced in two currencies could not be compared or settled sensibly.


def product_currency(product: Product) -> str:
    """The currency the product's prices are in (its first variant's), or "" if none yet."""
    return (
        product.variants.order_by("position", "id").values_list("currency", flat=True).first() or ""
    )


def _main_variant(product: Product) -> Variant | None:
    """The variant the product form edits: the first active one, else the first."""
    return product.variants.order_by("-is_active", "position", "id").first()


def _variant_validate(
    product: Product,
    *,
    sku: str,
    name: str,
    price: Any,
    currency: str,
    unit_weight_kg: Any,
    variant: Variant | None = None,
    free: bool = False,
) -> tuple[dict[str, Any], dict[str, str]]:
    """(cleaned values, errors by field) for a new variant or a change to ``variant``."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    sku = (sku or "").strip()
    others = product.variants.all()
    if variant is not None:
        others = others.exclude(pk=variant.pk)
    if not sku:
        errors["sku"] = gettext("A SKU is required.")
    elif len(sku) > 64:
        errors["sku"] = gettext("At most 64 characters.")
    elif others.filter(sku=sku).exists():
        errors["sku"] = gettext("This product has a variant with this SKU already.")
    cleaned["sku"] = sku
    name = (name or "").strip()
    if len(name) > 100:
        errors["name"] = gettext("At most 100 characters.")
    cleaned["name"] = name
    currency = (currency or "").strip().upper()
    cleaned["currency"] = currency
    if not is_currency(currency):
        errors["currency"] = gettext("An ISO 4217 currency code, e.g. RWF.")
    else:
        try:
            cleaned["price_minor"] = _price_minor_confirmed(price, currency, free=free)
        except ValueError as error:
            errors["price"] = str(error)
    cleaned["unit_weight_kg"] = None
    if unit_weight_kg not in (None, ""):
        try:
            cleaned["unit_weight_kg"] = _weight(unit_weight_kg).quantize(Decimal("0.001"))
        except ValueError as error:
            errors["unit_weight_kg"] = str(error)
    return cleaned, errors


def _sku_taken() -> InvalidRequest:
    return InvalidRequest(
        "invalid_request",
        gettext("Please correct the fields shown."),
        fields={"sku": gettext("This product has a variant with this SKU already.")},
    )


@transaction.atomic
def variant_create(
    *,
    actor: object,
    product: Product,
    sku: str,
    name: str,
    price: Any,
    currency: str = "",
    unit_weight_kg: Any = None,
    stock: int = 0,
    hub_code: str = DEFAULT_HUB,
    free: bool = False,
) -> Variant:
    """Add a sellable size or kind to a product, with its own price, weight and stock.

    The price is in the product's currency (``currency`` may be left out; if given it must be
    that one); a blank weight means the product's unit weight.
    """
    require_seller_editor(actor, product.seller)
    current = product_currency(product)
    cleaned, errors = _variant_validate(
        product,
        sku=sku,
        name=name,
        price=price,
        currency=currency or current,
        unit_weight_kg=unit_weight_kg,
        free=free,
    )
    if current and cleaned["currency"] != current and "currency" not in errors:
        errors["currency"] = gettext(
            "This product is priced in %(currency)s; its variants are priced in it too."
        ) % {"currency": current}
    if not isinstance(stock, int) or stock < 0:
        errors["stock"] = gettext("A whole number of units, 0 or more.")
    if not errors:
        hub_code = _check_hub(hub_code)
    _raise_invalid(errors)
    try:
        with transaction.atomic():
            variant = Variant.objects.create(
                product=product,
                sku=cleaned["sku"],
                name=cleaned["name"],
                price_minor=cleaned["price_minor"],
                currency=cleaned["currency"],
                unit_weight_kg=cleaned["unit_weight_kg"],
                position=product.variants.count(),
            )
    except IntegrityError:  # the same SKU added at the same moment
        raise _sku_taken() from None
    StockLevel.objects.create(variant=variant, hub_code=hub_code, on_hand=stock)
    product.save(update_fields=["updated_at"])  # new price stamp for the price cache
    audit_record(
        actor=actor,
        action="catalog.variant.created",
        target=product,
        organisation_ref=str(product.seller.public_id),
        data={
            "variant": str(variant.public_id),
            "sku": variant.sku,
            "name": variant.name,
            "price_minor": variant.price_minor,
            "currency": variant.currency,
            "unit_weight_kg": str(variant.unit_weight_kg or ""),
            "stock": stock,
            "hub": hub_code,
        },
    )
    return variant


@transaction.atomic
def variant_update(
    *,
    actor: object,
    variant: Variant,
    sku: str,
    name: str,
    price: Any,
    unit_weight_kg: Any,
    free: bool = False,
) -> Variant:
    """Change a variant's SKU, name, price (in its currency) and weight (blank: the
    product's). Units already held by unpaid orders keep the price they were ordered at."""
    product = variant.product
    require_seller_editor(actor, product.seller)
    locked = Variant.objects.select_for_update().get(pk=variant.pk)
    cleaned, errors = _variant_validate(
        product,
        sku=sku,
        name=name,
        price=price,
        currency=locked.currency,
        unit_weight_kg=unit_weight_kg,
        variant=locked,
        free=free,
    )
    _raise_invalid(errors)
    changes: dict[str, list[Any]] = {}
    for field_name in ("sku", "name", "price_minor", "unit_weight_kg"):
        before, after = getattr(locked, field_name), cleaned[field_name]
        if before != after:
            changes[field_name] = [
                str(before) if isinstance(before, Decimal) else before,
                str(after) if isinstance(after, Decimal) else after,
            ]
            setattr(locked, field_name, after)
    if not changes:
        return locked
    try:
        with transaction.atomic():
            locked.save(update_fields=list(changes))
    except IntegrityError:
        raise _sku_taken() from None
    _variant_changed(actor, product, locked, "updated", changes=changes)
    return locked


def _variant_changed(
    actor: object, product: Product, variant: Variant, what: str, **data: Any
) -> None:
    """After a variant changed: a new price stamp for the price cache, and the audit."""
    product.save(update_fields=["updated_at"])
    audit_record(
        actor=actor,
        action=f"catalog.variant.{what}",
        target=product,
        organisation_ref=str(product.seller.public_id),
        data={"variant": str(variant.public_id), "sku": variant.sku, **data},
    )


@transaction.atomic
def variant_deactivate(*, actor: object, variant: Variant) -> Variant:
    """Take a variant off sale. A product keeps at least one active variant.

    Units held by unpaid orders stay held: those orders may still be paid and shipped; new
    carts and checkouts refuse the variant (orders.services looks at ``is_active``).
    """
    product = variant.product
    require_seller_editor(actor, product.seller)
    # Lock every variant of the product (one order: by pk), so that two people taking off
    # the last two variants at once cannot leave the product with none.
    variants = list(
        Variant.objects.select_for_update().filter(product_id=product.pk).order_by("pk")
    )
    locked = next((v for v in variants if v.pk == variant.pk), None)
    if locked is None:
        raise NotFound("not_found", gettext("No such variant."))
    if not locked.is_active:
        return locked
    if not any(v.is_active for v in variants if v.pk != locked.pk):
        raise Conflict(
            "last_active_variant",
            gettext(
                "A product keeps at least one variant on sale; add or reactivate another "
                "first, or unpublish the product."
            ),
        )
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    held = sum(level.reserved for level in StockLevel.objects.filter(variant=locked))
    _variant_changed(actor, product, locked, "deactivated", held=held)
    return locked


@transaction.atomic
def variant_activate(*, actor: object, variant: Variant) -> Variant:
    """Put a variant back on sale."""
    product = variant.product
    require_seller_editor(actor, product.seller)
    locked = Variant.objects.select_for_update().get(pk=variant.pk)
    if locked.is_active:
        return locked
    locked.is_active = True
    locked.save(update_fields=["is_active"])
    _variant_changed(actor, product, locked, "activated")
    return locked
