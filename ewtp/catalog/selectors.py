"""Reads of the catalog: the public listing with landed prices, product pages, sellers' views.

The public listing is shaped for speed: one page query (stock and first photo as
subqueries), its variants and the visitor's translations prefetched, the total count cached
briefly, and the landed prices read from the price cache (see pricing).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce

from ewtp.accounts.models import Organisation
from ewtp.accounts.selectors import is_platform_operator, organisations_of, role_in
from ewtp.catalog import pricing, search
from ewtp.catalog.models import (
    Category,
    Photo,
    Product,
    ProductTranslation,
    StockLevel,
    Variant,
)
from ewtp.core.errors import NotFound
from ewtp.core.money import Money

PAGE_SIZE = 24
COUNT_CACHE_SECONDS = 60
PAGE_CACHE_SECONDS = 20


@dataclass(frozen=True)
class Filters:
    q: str = ""
    category: str = ""  # slug
    origin: str = ""  # ISO country
    seller: str = ""  # slug
    price_min: Decimal | None = None  # item price in the display currency
    price_max: Decimal | None = None

    def key(self) -> str:
        return hashlib.sha256(repr(self).encode()).hexdigest()[:24]

    @property
    def is_empty(self) -> bool:
        return self == Filters()


@dataclass
class ProductCard:
    id: str
    slug: str
    title: str
    seller_name: str
    seller_slug: str
    hs_code: str
    origin: str
    category: str
    certifications: list[str]
    is_export_ready: bool
    price: Money
    available: int
    thumbnail: str  # storage name of the first photo's thumbnail, or ""
    item: pricing.PriceItem  # the first variant, as pricing needs it
    landed: pricing.LandedPrice | None = None


@dataclass
class CardPage:
    items: list[ProductCard]
    page: int
    pages: int
    total: int
    filters: Filters = field(default_factory=Filters)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def public_products() -> QuerySet[Product]:
    return Product.objects.filter(
        status=Product.Status.PUBLISHED,
        seller__kind=Organisation.Kind.SELLER,
        seller__verification=Organisation.Verification.VERIFIED,
    )


def _available_subquery() -> Subquery:
    return Subquery(
        StockLevel.objects.filter(variant__product=OuterRef("pk"), variant__is_active=True)
        .values("variant__product")
        .annotate(units=Sum(F("on_hand") - F("reserved")))
        .values("units")[:1],
        output_field=IntegerField(),
    )


def _thumbnail_subquery() -> Subquery:
    return Subquery(
        Photo.objects.filter(product=OuterRef("pk"))
        .order_by("position", "id")
        .values("thumbnail")[:1]
    )


def localise(product: Product, language: str) -> tuple[str, str]:
    """(title, description) in ``language``, else in the product's own language."""
    translations = getattr(product, "localized", None)
    if translations is None:
        translations = [t for t in product.translations.all() if t.language == language]
    for translation in translations:
        if translation.language == language:
            return translation.title, translation.description or product.description
    return product.title, product.description


def _filtered(filters: Filters, *, destination: str, currency: str) -> QuerySet[Product]:
    products = public_products()
    if filters.category:
        products = products.filter(category__slug=filters.category)
    if filters.origin:
        products = products.filter(origin=filters.origin.upper())
    if filters.seller:
        products = products.filter(seller__slug=filters.seller)
    if filters.price_min is not None or filters.price_max is not None:
        products = _price_filtered(products, filters, destination=destination, currency=currency)
    if filters.q.strip():
        return search.search(products, filters.q)
    return products.order_by("-published_at", "-id")


def _price_filtered(
    products: QuerySet[Product], filters: Filters, *, destination: str, currency: str
) -> QuerySet[Product]:
    """Keep products with a variant whose item price, in the visitor's currency, is in range."""
    conditions = Q()
    currencies = (
        Variant.objects.filter(is_active=True).values_list("currency", flat=True).distinct()
    )
    for source in currencies:
        rate = pricing.display_rate(
            source_currency=source, destination=destination, currency=currency
        )
        if not rate:
            continue
        bounds = Q(currency=source)
        unit = Money.of("1", source).minor  # minor units per major unit of the source
        if filters.price_min is not None:
            bounds &= Q(price_minor__gte=math.floor(filters.price_min / rate * unit))
        if filters.price_max is not None:
            bounds &= Q(price_minor__lte=math.ceil(filters.price_max / rate * unit))
        conditions |= bounds
    if not conditions:
        return products.none()
    matching = Variant.objects.filter(conditions, is_active=True).values("product_id")
    return products.filter(pk__in=matching)


def _with_card_data(products: QuerySet[Product], language: str) -> QuerySet[Product]:
    """What a card shows: first photo, units available, title in ``language``, variants."""
    local_title = ProductTranslation.objects.filter(product=OuterRef("pk"), language=language)
    return (
        products.select_related("seller", "category")
        .annotate(
            available_units=Coalesce(_available_subquery(), 0),
            thumb=_thumbnail_subquery(),
            local_title=Subquery(local_title.values("title")[:1]),
        )
        .prefetch_related(
            Prefetch(
                "variants",
                queryset=Variant.objects.filter(is_active=True).order_by("position", "id"),
            )
        )
    )


def _rows(ids: list[int], language: str) -> list[Product]:
    """The products of one page, in the page's order, with what their cards show (the
    per-row subqueries run for these rows only)."""
    found = _with_card_data(Product.objects.filter(pk__in=ids), language)
    by_id = {product.pk: product for product in found}
    return [by_id[pk] for pk in ids if pk in by_id]


def _cards(products: Sequence[Product], language: str) -> list[ProductCard]:
    variants = pricing.default_variants(products)
    cards = []
    for product in products:
        variant = variants.get(product.pk)
        if variant is None:
            continue
        cards.append(
            ProductCard(
                id=str(product.public_id),
                slug=product.slug,
                title=getattr(product, "local_title", None) or product.title,
                seller_name=product.seller.name,
                seller_slug=product.seller.slug,
                hs_code=product.hs_dotted,
                origin=product.origin,
                category=product.category.name_in(language) if product.category else "",
                certifications=list(product.certifications or []),
                is_export_ready=product.is_export_ready,
                price=pricing.variant_price(variant),
                available=max(int(getattr(product, "available_units", 0) or 0), 0),
                thumbnail=str(getattr(product, "thumb", "") or ""),
                item=pricing.PriceItem.of(variant),
            )
        )
    return cards


def product_page(
    filters: Filters,
    *,
    page: int,
    language: str,
    destination: str,
    currency: str,
    page_size: int = PAGE_SIZE,
) -> CardPage:
    """One page of the public listing (or search), each card with its landed unit price."""
    page = max(page, 1)
    priced = filters.price_min is not None or filters.price_max is not None
    base = f"{filters.key()}:{destination}:{currency}" if priced else filters.key()
    count_key = f"catalog:count:{base}"
    page_key = f"catalog:page:{base}:{language}:{page}:{page_size}"
    found_in_cache = cache.get_many([count_key, page_key])
    total: int | None = found_in_cache.get(count_key)
    cards: list[ProductCard] | None = found_in_cache.get(page_key)
    if cards is None:
        products = _filtered(filters, destination=destination, currency=currency)
        start = (page - 1) * page_size
        if total is None:
            # One pass gives the page's ids and the full count (a search ranks every match
            # anyway), instead of a second scan for the count.
            pairs = list(
                products.annotate(full_count=Window(Count("pk"))).values_list("pk", "full_count")[
                    start : start + page_size
                ]
            )
            total = pairs[0][1] if pairs else products.count()
            cache.set(count_key, total, timeout=COUNT_CACHE_SECONDS)
            ids = [pk for pk, _count in pairs]
        else:
            ids = list(products.values_list("pk", flat=True)[start : start + page_size])
        cards = _cards(_rows(ids, language), language)
        cache.set(page_key, cards, timeout=PAGE_CACHE_SECONDS)
    elif total is None:
        total = _filtered(filters, destination=destination, currency=currency).count()
        cache.set(count_key, total, timeout=COUNT_CACHE_SECONDS)
    pages = max(math.ceil(total / page_size), 1)
    prices = pricing.landed_unit_prices(
        [card.item for card in cards], destination=destination, currency=currency
    )
    for card in cards:
        card.landed = prices.get(card.item.variant_pk)
    return CardPage(items=cards, page=page, pages=pages, total=total, filters=filters)


def categories() -> list[Category]:
    return list(Category.objects.all())


def origins() -> list[str]:
    key = "catalog:origins"
    found = cache.get(key)
    if found is None:
        found = sorted(set(public_products().values_list("origin", flat=True).distinct()))
        cache.set(key, found, timeout=300)
    return list(found)


def sellers() -> list[Organisation]:
    """Verified sellers with something on sale (for the filter; cached a few minutes)."""
    key = "catalog:sellers"
    found = cache.get(key)
    if found is None:
        on_sale = Product.objects.filter(status=Product.Status.PUBLISHED, seller_id=OuterRef("pk"))
        found = list(
            Organisation.objects.filter(
                kind=Organisation.Kind.SELLER, verification=Organisation.Verification.VERIFIED
            )
            .filter(Exists(on_sale))
            .order_by("name")
            .only("pk", "slug", "name")
        )
        cache.set(key, found, timeout=300)
    return list(found)


def category_get(slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise NotFound("not_found", "No such category.")
    return category


def seller_get_public(slug: str) -> Organisation:
    seller = Organisation.objects.filter(
        slug=slug,
        kind=Organisation.Kind.SELLER,
        verification=Organisation.Verification.VERIFIED,
    ).first()
    if seller is None:
        raise NotFound("not_found", "No such seller.")
    return seller


def can_edit(actor: object, seller: Organisation) -> bool:
    return is_platform_operator(actor) or role_in(actor, seller) in {"owner", "staff"}


def can_view_private(actor: object, seller: Organisation) -> bool:
    return is_platform_operator(actor) or role_in(actor, seller) is not None


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
        raise NotFound("not_found", "No such product.")
    visible = (
        product.is_published
        and product.seller.kind == Organisation.Kind.SELLER
        and product.seller.is_verified
    )
    if not visible and not can_view_private(actor, product.seller):
        raise NotFound("not_found", "No such product.")
    return product


def product_get_public_by_id(public_id: Any) -> Product:
    """A published product by its public id (carts take those)."""
    try:
        product = public_products().select_related("seller").filter(public_id=public_id).first()
    except (ValueError, TypeError, ValidationError):
        product = None
    if product is None:
        raise NotFound("not_found", "No such product.")
    return product


def variant_available(variant: Variant) -> int:
    total = variant.stock_levels.aggregate(units=Sum(F("on_hand") - F("reserved")))["units"]
    return max(int(total or 0), 0)


def seller_organisations_for(actor: object) -> QuerySet[Organisation]:
    """The seller organisations whose dashboard ``actor`` may open."""
    if is_platform_operator(actor):
        return Organisation.objects.filter(kind=Organisation.Kind.SELLER)
    return organisations_of(actor, kind=Organisation.Kind.SELLER)


def seller_get_for(actor: object, slug: str) -> Organisation:
    """A seller's private side (dashboard): its members and the operator; others NotFound."""
    seller = Organisation.objects.filter(slug=slug, kind=Organisation.Kind.SELLER).first()
    if seller is None or not can_view_private(actor, seller):
        raise NotFound("not_found", "No such seller.")
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
        raise NotFound("not_found", "No such product.")
    return product


def photo_get(public_id: Any) -> Photo:
    try:
        photo = Photo.objects.select_related("product__seller").filter(public_id=public_id).first()
    except (ValueError, TypeError, ValidationError):
        photo = None
    if photo is None:
        raise NotFound("not_found", "No such photo.")
    return photo
