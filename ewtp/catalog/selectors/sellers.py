"""Sellers' public pages and their private side (dashboard, product lists for editing)."""

from __future__ import annotations

from django.db.models import (
    Prefetch,
    QuerySet,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from ewtp.accounts.models import Organisation
from ewtp.accounts.selectors import is_platform_operator, organisations_of, role_in
from ewtp.catalog.models import (
    Product,
    Variant,
)
from ewtp.catalog.selectors.listing import _available_subquery
from ewtp.core.errors import NotFound


def seller_get_public(slug: str) -> Organisation:
    seller = Organisation.objects.filter(
        slug=slug,
        kind=Organisation.Kind.SELLER,
        verification=Organisation.Verification.VERIFIED,
    ).first()
    if seller is None:
        raise NotFound("not_found", _("No such seller."))
    return seller


def can_edit(actor: object, seller: Organisation) -> bool:
    return is_platform_operator(actor) or role_in(actor, seller) in {"owner", "staff"}


def can_view_private(actor: object, seller: Organisation) -> bool:
    return is_platform_operator(actor) or role_in(actor, seller) is not None


def seller_organisations_for(actor: object) -> QuerySet[Organisation]:
    """The seller organisations whose dashboard ``actor`` may open."""
    if is_platform_operator(actor):
        return Organisation.objects.filter(kind=Organisation.Kind.SELLER)
    return organisations_of(actor, kind=Organisation.Kind.SELLER)


def seller_get_for(actor: object, slug: str) -> Organisation:
    """A seller's private side (dashboard): its members and the operator; others NotFound."""
    seller = Organisation.objects.filter(slug=slug, kind=Organisation.Kind.SELLER).first()
    if seller is None or not can_view_private(actor, seller):
        raise NotFound("not_found", _("No such seller."))
    return seller


def product_list_for_seller(actor: object, seller: Organisation) -> QuerySet[Product]:
    seller_get_for(actor, seller.slug)
    return (
        Product.objects.filter(seller=seller)
        .select_related("category")
        .annotate(available_units=Coalesce(_available_subquery(), 0))
        .prefetch_related(
            Prefetch(
                "variants",
                queryset=Variant.objects.order_by("position", "id").prefetch_related(
                    "stock_levels"
                ),
            )
        )
        .order_by("-updated_at", "-id")
    )


def product_get_for_editor(actor: object, seller: Organisation, slug: str) -> Product:
    seller_get_for(actor, seller.slug)
    product = (
        Product.objects.filter(seller=seller, slug=slug)
        .select_related("seller", "category")
        .prefetch_related("translations", "photos", "variants__stock_levels")
        .first()
    )
    if product is None:
        raise NotFound("not_found", _("No such product."))
    return product
