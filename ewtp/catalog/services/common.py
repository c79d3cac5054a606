"""What the catalog's writes share: who may edit a seller's catalog, field checks, reindexing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from django.conf import settings
from django.utils.text import slugify
from django.utils.translation import gettext

from ewtp.accounts.models import Membership, Organisation
from ewtp.accounts.selectors import is_platform_operator, require_role
from ewtp.catalog import search, traderules_gateway
from ewtp.catalog.models import (
    HUB_COUNTRIES,
    Product,
)
from ewtp.core.currencies import exponent
from ewtp.core.errors import InvalidRequest, PermissionDenied
from ewtp.core.money import Money

EDIT_ROLES = {Membership.Role.OWNER, Membership.Role.STAFF}
LANGUAGE_CODES = [code for code, _ in settings.LANGUAGES]
CERTIFICATIONS = [choice.value for choice in Product.Certification]


# Permissions ---------------------------------------------------------------------------------


def require_seller_editor(actor: object, seller: Organisation) -> None:
    """Members (owner or staff) of a seller organisation, and the platform operator."""
    if seller.kind != Organisation.Kind.SELLER:
        raise PermissionDenied("not_a_seller", gettext("Only seller organisations list products."))
    if is_platform_operator(actor):
        return
    require_role(actor, seller, EDIT_ROLES)


# Validation helpers --------------------------------------------------------------------------


def normalise_hs_code(value: str) -> str:
    return re.sub(r"[\s.]", "", value or "")


def _check_hs(code: str) -> str | None:
    """An error message for a bad HS code, else None."""
    if not re.fullmatch(r"\d{6}(\d{2}){0,2}", code):
        return "6, 8 or 10 digits, starting with an HS 2022 subheading (e.g. 0901.21)."
    if not traderules_gateway.hs_subheading_exists(code[:6]):
        return f"{code[:4]}.{code[4:6]} is not a subheading of the HS 2022 nomenclature."
    return None


def _check_country(code: str) -> str | None:
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        return "A country code of two letters (ISO 3166-1), e.g. RW."
    return None


def _weight(value: Any) -> Decimal:
    try:
        weight = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(gettext("A weight in kg, e.g. 0.5.")) from None
    if not weight.is_finite() or weight <= 0 or weight > 100_000:
        raise ValueError(gettext("A weight in kg above 0 and at most 100000, e.g. 0.5."))
    if weight != weight.quantize(Decimal("0.001")):
        raise ValueError(gettext("At most three decimals (grams)."))
    return weight


PRICE_MAX_MINOR = 10**15  # far above any unit price; keeps BigIntegerField arithmetic safe


def _price_minor(value: Any, currency: str) -> int:
    """Minor units of a price typed in ``currency``: at most its ISO 4217 decimals, 0 or more."""
    places = exponent(currency)
    text = str(value).strip()
    example = "12000" if places == 0 else "12." + "50".ljust(places, "0")[:places]
    if places and re.fullmatch(rf"-?\d+,\d{{1,{min(places, 2)}}}", text):
        # "12,50" is a decimal comma, not a thousands separator: say so rather than
        # reading it as 1250.
        raise ValueError(
            gettext("Use a point for decimals, e.g. %(example)s.") % {"example": example}
        )
    try:
        minor = Money.of(text.replace(",", ""), currency).minor
    except (ValueError, TypeError):
        if places == 0:
            message = gettext("A price in %(currency)s without decimals, e.g. %(example)s.")
        else:
            message = gettext(
                "A price in %(currency)s with at most %(places)s decimals, e.g. %(example)s."
            )
        raise ValueError(
            message % {"currency": currency, "places": places, "example": example}
        ) from None
    if minor < 0:
        raise ValueError(gettext("A price of 0 or more."))
    if minor > PRICE_MAX_MINOR:
        raise ValueError(gettext("This price is too large."))
    return minor


def _price_minor_confirmed(value: Any, currency: str, *, free: bool) -> int:
    """As :func:`_price_minor`; a price of 0 only when the seller confirms a free item."""
    minor = _price_minor(value, currency)
    if minor == 0 and not free:
        raise ValueError(
            gettext("A price of 0 gives the item away: confirm that it is free, or give a price.")
        )
    return minor


def _certifications(values: Iterable[str]) -> list[str]:
    chosen = [value.strip() for value in values if value and value.strip()]
    unknown = [value for value in chosen if value not in CERTIFICATIONS]
    if unknown:
        raise ValueError(f"Unknown: {', '.join(unknown)}. Known: {', '.join(CERTIFICATIONS)}.")
    return sorted(set(chosen))


def _unique_slug(title: str, seller: Organisation) -> str:
    base = slugify(f"{seller.slug}-{title}")[:100] or "product"
    slug = base
    while Product.objects.filter(slug=slug).exists():
        slug = f"{base}-{uuid.uuid4().hex[:6]}"
    return slug


def _search_texts(product: Product) -> tuple[str, str]:
    translations = list(product.translations.all())
    titles = [product.title, *(t.title for t in translations), product.seller.name]
    category_names: list[str] = []
    if product.category is not None:
        category_names = [product.category.name, *product.category.names.values()]
    body = [
        product.description,
        *(t.description for t in translations),
        *category_names,
        " ".join(product.certifications or []),
        product.hs_code,
        product.origin,
    ]
    return " ".join(t for t in titles if t), " ".join(b for b in body if b)


def reindex(products: Sequence[Product]) -> None:
    """Refresh the denormalised search text of ``products`` and the index."""
    for product in products:
        title, body = _search_texts(product)
        Product.objects.filter(pk=product.pk).update(search_title=title, search_body=body)
    search.index_products([product.pk for product in products])


def _raise_invalid(errors: Mapping[str, str]) -> None:
    if errors:
        raise InvalidRequest(
            "invalid_request", gettext("Please correct the fields shown."), fields=dict(errors)
        )


def _check_hub(hub_code: str) -> str:
    hub_code = (hub_code or "").strip().upper()
    if hub_code not in HUB_COUNTRIES:
        raise InvalidRequest(
            "invalid_request",
            gettext("Please correct the fields shown."),
            fields={"hub_code": gettext("Not a hub of the platform.")},
        )
    return hub_code
