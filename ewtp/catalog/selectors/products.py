"""Reads of one product, variant or photo, with who may see it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Prefetch,
)
from django.utils.translation import gettext as _

from ewtp.accounts.models import Organisation
from ewtp.catalog.models import (
    Photo,
    Product,
    Variant,
)
from ewtp.catalog.selectors.listing import public_products
from ewtp.catalog.selectors.sellers import can_view_private
from ewtp.core.errors import NotFound


def product_get_for(actor: object, slug: str) -> Product:
    """A product page: published ones for everybody, drafts for the seller's members."""
    product = (
        Product.objects.select_related("seller", "category")
        .prefetch_related(
            "translations",
            "photos",
            Prefetch(
                "variants",
                queryset=Variant.objects.filter(is_active=True)
                .order_by("position", "id")
                .prefetch_related("stock_levels"),
            ),
        )
        .filter(slug=slug)
        .first()
    )
    if product is None:
        raise NotFound("not_found", _("No such product."))
    visible = (
        product.is_published
        and product.seller.kind == Organisation.Kind.SELLER
        and product.seller.is_verified
    )
    if not visible and not can_view_private(actor, product.seller):
        raise NotFound("not_found", _("No such product."))
    return product


def product_get_public_by_id(public_id: Any) -> Product:
    """A published product by its public id (carts take those)."""
    try:
        product = public_products().select_related("seller").filter(public_id=public_id).first()
    except (ValueError, TypeError, ValidationError):
        product = None
    if product is None:
        raise NotFound("not_found", _("No such product."))
    return product


def photo_get(public_id: Any) -> Photo:
    try:
        photo = Photo.objects.select_related("product__seller").filter(public_id=public_id).first()
    except (ValueError, TypeError, ValidationError):
        photo = None
    if photo is None:
        raise NotFound("not_found", _("No such photo."))
    return photo
