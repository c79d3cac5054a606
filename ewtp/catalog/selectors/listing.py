"""The public listing with landed prices, and its filters.

The listing is shaped for speed: one query for the page's ids (and the total), one
for what the page's cards show (stock, first photo and translated title as subqueries) and
one for their variants, read as plain values; the total and the cards cached briefly, and the
landed prices read from the price cache (see landed_prices). A search ranks and counts a
bounded number of matches (see search).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.core.cache import cache
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.utils.translation import gettext as _

from ewtp.accounts.models import Organisation
from ewtp.catalog import landed_prices, search
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
from ewtp.core.pagination import clamp_page

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
    item: landed_prices.PriceItem  # the first variant, as pricing needs it
    landed: landed_prices.LandedPrice | None = None


@dataclass
class CardPage:
    items: list[ProductCard]
    page: int
    pages: int
    total: int
    # False when a search found more products than it counts (``total`` is then a lower bound).
    total_is_exact: bool = True
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
    """Public products passing the filters (not the search words), in no particular order."""
    products = public_products()
    if filters.category:
        products = products.filter(category__slug=filters.category)
    if filters.origin:
        products = products.filter(origin=filters.origin.upper())
    if filters.seller:
        products = products.filter(seller__slug=filters.seller)
    if filters.price_min is not None or filters.price_max is not None:
        products = _price_filtered(products, filters, destination=destination, currency=currency)
    return products


def _price_filtered(
    products: QuerySet[Product], filters: Filters, *, destination: str, currency: str
) -> QuerySet[Product]:
    """Keep products with a variant whose item price, in the visitor's currency, is in range."""
    conditions = Q()
    currencies = (
        Variant.objects.filter(is_active=True).values_list("currency", flat=True).distinct()
    )
    for source in currencies:
        rate = landed_prices.display_rate(
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


def _page_ids(
    filters: Filters,
    *,
    offset: int,
    limit: int,
    destination: str,
    currency: str,
    counted: tuple[int, bool] | None,
) -> tuple[list[int], tuple[int, bool]]:
    """The ids of one page, best match or newest first, and (total, total_is_exact).

    ``counted``: the total if known (the listing then skips counting).
    """
    products = _filtered(filters, destination=destination, currency=currency)
    if any(search.terms_of(filters.q)):  # words to search for (not only punctuation)
        # Ranks and counts a bounded number of matches, giving the page and the total at once.
        found = search.search_page(products, filters.q, offset=offset, limit=limit)
        return found.ids, (found.total, found.total_is_exact)
    products = products.order_by("-published_at", "-id")
    if counted is not None:
        return list(products.values_list("pk", flat=True)[offset : offset + limit]), counted
    # One pass gives the page's ids and the full count, instead of a second scan for the count.
    pairs = list(
        products.annotate(full_count=Window(Count("pk"))).values_list("pk", "full_count")[
            offset : offset + limit
        ]
    )
    total = pairs[0][1] if pairs else products.count()
    return [pk for pk, _count in pairs], (total, True)


_CARD_FIELDS = (
    "pk",
    "public_id",
    "slug",
    "title",
    "hs_code",
    "national_codes",
    "origin",
    "unit_weight_kg",
    "certifications",
    "is_export_ready",
    "updated_at",
    "seller__name",
    "seller__slug",
    "category__name",
    "category__names",
)
_VARIANT_FIELDS = (
    "pk",
    "public_id",
    "product_id",
    "name",
    "price_minor",
    "currency",
    "unit_weight_kg",
)


def _hs_dotted(hs_code: str) -> str:
    """``Product.hs_dotted`` of a code read as a value (without building a model)."""
    return str(Product.hs_dotted.fget(SimpleNamespace(hs_code=hs_code)))  # type: ignore[attr-defined]


def _cards(ids: list[int], language: str) -> list[ProductCard]:
    """The cards of one page's products, in the page's order.

    Two queries of plain values (no models): the products, with their first photo and title in
    ``language`` as subqueries that run for these rows only, and their active variants with
    their stock (a card shows the first variant and the units of all).
    """
    if not ids:
        return []
    local_title = ProductTranslation.objects.filter(product=OuterRef("pk"), language=language)
    rows = {
        row["pk"]: row
        for row in Product.objects.filter(pk__in=ids)
        .annotate(
            thumb=_thumbnail_subquery(), local_title=Subquery(local_title.values("title")[:1])
        )
        .order_by()
        .values(*_CARD_FIELDS, "thumb", "local_title")
    }
    first_variants: dict[int, dict[str, Any]] = {}
    available: dict[int, int] = {}
    for variant in (
        Variant.objects.filter(product_id__in=ids, is_active=True)
        .annotate(units=Sum(F("stock_levels__on_hand") - F("stock_levels__reserved")))
        .order_by("product_id", "position", "id")
        .values(*_VARIANT_FIELDS, "units")
    ):
        first_variants.setdefault(variant["product_id"], variant)
        available[variant["product_id"]] = available.get(variant["product_id"], 0) + (
            variant["units"] or 0
        )
    cards = []
    for pk in ids:
        row, variant = rows.get(pk), first_variants.get(pk)
        if row is None or variant is None:
            continue
        category_names = row["category__names"] or {}
        cards.append(
            ProductCard(
                id=str(row["public_id"]),
                slug=row["slug"],
                title=row["local_title"] or row["title"],
                seller_name=row["seller__name"],
                seller_slug=row["seller__slug"],
                hs_code=_hs_dotted(row["hs_code"]),
                origin=row["origin"],
                category=str(category_names.get(language) or row["category__name"] or ""),
                certifications=list(row["certifications"] or []),
                is_export_ready=row["is_export_ready"],
                price=Money.from_minor(variant["price_minor"], variant["currency"]),
                available=max(available[pk], 0),
                thumbnail=str(row["thumb"] or ""),
                item=landed_prices.PriceItem.build(
                    variant_pk=variant["pk"],
                    variant_public_id=variant["public_id"],
                    variant_name=variant["name"],
                    price_minor=variant["price_minor"],
                    currency=variant["currency"],
                    weight_kg=variant["unit_weight_kg"] or row["unit_weight_kg"],
                    product_title=row["title"],
                    hs_code=row["hs_code"],
                    origin=row["origin"],
                    updated_at=row["updated_at"],
                    national_codes=row["national_codes"],
                ),
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
    """One page of the public listing (or search), each card with its landed unit price.

    A search counts its matches up to ``search.CANDIDATES``; ``CardPage.total_is_exact`` says
    whether more products match.
    """
    page = clamp_page(page)  # past 10^6 a page would overflow the SQL OFFSET
    priced = filters.price_min is not None or filters.price_max is not None
    base = f"{filters.key()}:{destination}:{currency}" if priced else filters.key()
    count_key = f"catalog:total:{base}"
    page_key = f"catalog:page:{base}:{language}:{page}:{page_size}"
    found_in_cache = cache.get_many([count_key, page_key])
    counted: tuple[int, bool] | None = found_in_cache.get(count_key)
    cards: list[ProductCard] | None = found_in_cache.get(page_key)
    if cards is None or counted is None:
        ids, counted = _page_ids(
            filters,
            offset=(page - 1) * page_size,
            limit=page_size,
            destination=destination,
            currency=currency,
            counted=counted,
        )
        cache.set(count_key, counted, timeout=COUNT_CACHE_SECONDS)
        if cards is None:
            cards = _cards(ids, language)
            cache.set(page_key, cards, timeout=PAGE_CACHE_SECONDS)
    total, total_is_exact = counted
    pages = max(math.ceil(total / page_size), 1)
    prices = landed_prices.landed_unit_prices(
        [card.item for card in cards], destination=destination, currency=currency
    )
    for card in cards:
        card.landed = prices.get(card.item.variant_pk)
    return CardPage(
        items=cards,
        page=page,
        pages=pages,
        total=total,
        total_is_exact=total_is_exact,
        filters=filters,
    )


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
        raise NotFound("not_found", _("No such category."))
    return category
