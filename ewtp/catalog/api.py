"""API of the catalog: the public product list with landed prices (interfaces.md)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from ninja import Field, Query, Router, Schema

from ewtp.catalog.search import CANDIDATES
from ewtp.catalog.selectors.listing import Filters, product_page
from ewtp.core.currencies import is_currency
from ewtp.core.errors import InvalidRequest

router = Router(tags=["catalog"])


class MoneyOut(Schema):
    amount: str
    currency: str


class ProductOut(Schema):
    id: str
    slug: str
    title: str
    seller: str
    hs_code: str
    origin: str
    price: MoneyOut
    landed_price: MoneyOut | None
    available: int


class ProductPageOut(Schema):
    items: list[ProductOut]
    page: int
    pages: int
    total: int
    total_is_exact: bool = Field(
        description="False when a search matches more products than it counts: `total` "
        f"(then {CANDIDATES:,}) is a lower bound and the pages end there. True for the list "
        "without `q`."
    )


class ProductListQuery(Schema):
    destination: str | None = None
    currency: str | None = None
    q: str = ""
    page: int = 1
    category: str = ""
    origin: str = ""
    seller: str = ""
    price_min: str = ""
    price_max: str = ""


def _decimal(value: str, name: str) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal(-1)
    if not number.is_finite() or number < 0:
        raise InvalidRequest(
            "invalid_request", f"{name} must be a number, 0 or more.", fields={name: "a number"}
        )
    return number


@router.get(
    "/products",
    response=ProductPageOut,
    summary="Published products with the landed (DDP) price of one unit, 24 a page",
)
def product_list(request: HttpRequest, query: Query[ProductListQuery]) -> HttpResponse:
    preferences = getattr(request, "preferences", None)
    destination = str(query.destination or getattr(preferences, "destination", "BE")).upper()
    currency = str(query.currency or getattr(preferences, "currency", "USD")).upper()
    fields: dict[str, str] = {}
    if len(destination) != 2 or not destination.isalpha():
        fields["destination"] = "a country code of two letters"
    if not is_currency(currency):
        fields["currency"] = "an ISO 4217 currency code"
    if query.page < 1:
        fields["page"] = "1 or more"
    if fields:
        raise InvalidRequest("invalid_request", "The request is not valid.", fields=fields)
    filters = Filters(
        q=query.q.strip()[:200],
        category=query.category,
        origin=query.origin.upper()[:2],
        seller=query.seller,
        price_min=_decimal(query.price_min, "price_min"),
        price_max=_decimal(query.price_max, "price_max"),
    )
    page = product_page(
        filters,
        page=query.page,
        language=translation.get_language() or "en",
        destination=destination,
        currency=currency,
    )
    body = {
        "items": [
            {
                "id": card.id,
                "slug": card.slug,
                "title": card.title,
                "seller": card.seller_slug,
                "hs_code": card.hs_code,
                "origin": card.origin,
                "price": card.price.as_dict(),
                "landed_price": card.landed.amount.as_dict()
                if card.landed is not None and card.landed.amount is not None
                else None,
                "available": card.available,
            }
            for card in page.items
        ],
        "page": page.page,
        "pages": page.pages,
        "total": page.total,
        "total_is_exact": page.total_is_exact,
    }
    # Built to the ProductPageOut shape above (the OpenAPI schema); answered as is, without a
    # second validation pass, as this is the busiest endpoint of the platform.
    return JsonResponse(body)
