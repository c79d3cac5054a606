"""Writes of products: validation, create, update, translations, publish."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from ewtp.accounts.models import Organisation
from ewtp.catalog import traderules_gateway
from ewtp.catalog.models import (
    DEFAULT_HUB,
    Category,
    Product,
    ProductTranslation,
    StockLevel,
    Variant,
)
from ewtp.catalog.services.common import (
    LANGUAGE_CODES,
    _certifications,
    _check_country,
    _check_hs,
    _price_minor_confirmed,
    _raise_invalid,
    _unique_slug,
    _weight,
    normalise_hs_code,
    reindex,
    require_seller_editor,
)
from ewtp.catalog.services.variants import _main_variant
from ewtp.core import clock
from ewtp.core.currencies import is_currency
from ewtp.core.errors import Conflict, InvalidRequest
from ewtp.core.services import audit_record
from ewtp.core.translations import DESCRIPTION, TITLE, translations_clean, translations_write


@dataclass
class ProductData:
    """What a seller gives for a product; checked by ``product_validate``."""

    title: str
    hs_code: str
    origin: str
    unit_weight_kg: Any
    price: Any
    currency: str
    description: str = ""
    category: Category | None = None
    certifications: list[str] = field(default_factory=list)
    sku: str = ""
    stock: int | None = None
    hub_code: str = DEFAULT_HUB
    language: str = "en"
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    # A price of 0 is refused unless the seller confirms the item is given away free.
    free: bool = False
    # The national codes picked, by customs territory or destination country (see
    # Product.national_codes); None keeps the product's own while its HS code is unchanged.
    national_codes: dict[str, str] | None = None


def _clean_price(data: ProductData, cleaned: dict[str, Any], errors: dict[str, str]) -> None:
    currency = (data.currency or "").strip().upper()
    if not is_currency(currency):
        errors["currency"] = "An ISO 4217 currency code, e.g. RWF."
    else:
        try:
            cleaned["price_minor"] = _price_minor_confirmed(data.price, currency, free=data.free)
        except ValueError as error:
            errors["price"] = str(error)
    cleaned["currency"] = currency


def _clean_translations(
    given: dict[str, dict[str, str]], errors: dict[str, str]
) -> dict[str, dict[str, str] | None]:
    """Texts by language (``None``: clear that language's translation); see translations_clean."""
    translations, problems = translations_clean(given, (TITLE, DESCRIPTION))
    errors.update(problems)
    return translations


def product_validate(data: ProductData) -> tuple[dict[str, Any], dict[str, str]]:
    """(cleaned values, errors by field). Does not touch the database except the HS look-up."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = "A title is required."
    elif len(title) > 200:
        errors["title"] = "At most 200 characters."
    cleaned["title"] = title
    cleaned["description"] = (data.description or "").strip()
    hs_code = normalise_hs_code(data.hs_code)
    if message := _check_hs(hs_code):
        errors["hs_code"] = message
    cleaned["hs_code"] = hs_code
    origin = (data.origin or "").strip().upper()
    if message := _check_country(origin):
        errors["origin"] = message
    cleaned["origin"] = origin
    try:
        cleaned["unit_weight_kg"] = _weight(data.unit_weight_kg)
    except ValueError as error:
        errors["unit_weight_kg"] = str(error)
    _clean_price(data, cleaned, errors)
    try:
        cleaned["certifications"] = _certifications(data.certifications)
    except ValueError as error:
        errors["certifications"] = str(error)
    if data.stock is not None and (not isinstance(data.stock, int) or data.stock < 0):
        errors["stock"] = "A whole number of units, 0 or more."
    cleaned["stock"] = data.stock
    sku = (data.sku or "").strip()
    if len(sku) > 64:
        errors["sku"] = "At most 64 characters."
    cleaned["sku"] = sku
    cleaned["language"] = data.language if data.language in LANGUAGE_CODES else "en"
    cleaned["translations"] = _clean_translations(data.translations or {}, errors)
    cleaned["category"] = data.category
    cleaned["hub_code"] = (data.hub_code or DEFAULT_HUB).strip().upper()[:8]
    cleaned["national_codes"] = None
    if data.national_codes is not None and "hs_code" not in errors:
        cleaned["national_codes"] = _clean_national_codes(hs_code, data.national_codes, errors)
    return cleaned, errors


def _clean_national_codes(
    hs_code: str, given: dict[str, str], errors: dict[str, str]
) -> dict[str, str]:
    """The national codes picked, each checked against the candidates of its destination's
    tariff for ``hs_code`` (keys: a customs territory, e.g. "EU", or a country, e.g. "BE")."""
    picked = {
        (key or "").strip().upper(): normalise_hs_code(code)
        for key, code in given.items()
        if (code or "").strip()
    }
    if not picked:
        return {}
    options = {item.territory: item for item in traderules_gateway.national_code_options(hs_code)}
    problems = []
    for key, code in sorted(picked.items()):
        territory = key if key in options else traderules_gateway.territory_of(key)
        choice = options.get(territory)
        if choice is None:
            problems.append(
                gettext("%(where)s needs no national code for HS %(hs)s.")
                % {"where": key, "hs": hs_dotted(hs_code)}
            )
        elif code not in choice.codes():
            problems.append(
                gettext(
                    "%(code)s is not a national code of HS %(hs)s in %(where)s; pick one of %(codes)s."
                )
                % {
                    "code": code,
                    "hs": hs_dotted(hs_code),
                    "where": choice.name,
                    "codes": ", ".join(sorted(choice.codes())),
                }
            )
    if problems:
        errors["national_codes"] = " ".join(problems)
    return picked


def hs_dotted(code: str) -> str:
    return f"{code[:4]}.{code[4:]}" if len(code) > 4 else code


def product_insert(
    *, seller: Organisation, cleaned: dict[str, Any], status: str, reindex_now: bool = True
) -> Product:
    """Write a product from ``product_validate``'s cleaned values: no permission check, for
    the services above and trusted loaders (demo data)."""
    product = Product(
        seller=seller,
        slug=_unique_slug(cleaned["title"], seller),
        category=cleaned["category"],
        language=cleaned["language"],
        title=cleaned["title"],
        description=cleaned["description"],
        hs_code=cleaned["hs_code"],
        national_codes=cleaned.get("national_codes") or {},
        origin=cleaned["origin"],
        unit_weight_kg=cleaned["unit_weight_kg"],
        certifications=cleaned["certifications"],
        status=status,
        published_at=clock.now() if status == Product.Status.PUBLISHED else None,
    )
    product.save()
    for code, texts in cleaned["translations"].items():
        if texts is not None:
            ProductTranslation.objects.create(product=product, language=code, **texts)
    variant = Variant.objects.create(
        product=product,
        sku=cleaned["sku"] or f"SKU-{product.public_id.hex[:8].upper()}",
        price_minor=cleaned["price_minor"],
        currency=cleaned["currency"],
    )
    StockLevel.objects.create(
        variant=variant, hub_code=cleaned["hub_code"], on_hand=cleaned["stock"] or 0
    )
    if reindex_now:
        reindex([product])
    return product


def seller_currency_error(
    seller: Organisation, currency: str, *, besides: Product | None = None
) -> str | None:
    """A seller prices everything in one currency (their payouts are worked out from it at
    the rate each checkout fixes): the message when ``currency`` is another."""
    others = Variant.objects.filter(product__seller=seller)
    if besides is not None:
        others = others.exclude(product=besides)
    used = others.exclude(currency=currency).values_list("currency", flat=True).first()
    if used is None:
        return None
    return gettext(
        "Your products are priced in %(currency)s: price this one in %(currency)s too."
    ) % {"currency": used}


@transaction.atomic
def product_create(
    *, actor: object, seller: Organisation, data: ProductData, publish: bool = False
) -> Product:
    """A product with its first variant and its stock at the hub (a draft unless ``publish``)."""
    require_seller_editor(actor, seller)
    cleaned, errors = product_validate(data)
    if "currency" not in errors:
        problem = seller_currency_error(seller, cleaned["currency"])
        if problem:
            errors["currency"] = problem
    _raise_invalid(errors)
    status = Product.Status.PUBLISHED if publish else Product.Status.DRAFT
    product = product_insert(seller=seller, cleaned=cleaned, status=status)
    audit_record(
        actor=actor,
        action="catalog.product.created",
        target=product,
        organisation_ref=str(seller.public_id),
        data={
            "title": product.title,
            "hs_code": product.hs_code,
            "national_codes": product.national_codes,
            "status": status,
            "translations": sorted(
                code for code, texts in cleaned["translations"].items() if texts
            ),
        },
    )
    return product


@transaction.atomic
def product_update(*, actor: object, product: Product, data: ProductData) -> Product:
    """Change a product's texts, classification and its main variant's price (the first
    active one; the others are edited one by one, see variant_update)."""
    require_seller_editor(actor, product.seller)
    cleaned, errors = product_validate(data)
    variant = _main_variant(product)
    if (
        variant is not None
        and "currency" not in errors
        and cleaned["currency"] != variant.currency
        and product.variants.exclude(pk=variant.pk).exists()
    ):
        errors["currency"] = gettext(
            "This product has several variants priced in %(currency)s; they keep that currency."
        ) % {"currency": variant.currency}
    if "currency" not in errors:
        problem = seller_currency_error(product.seller, cleaned["currency"], besides=product)
        if problem:
            errors["currency"] = problem
    if variant is not None and cleaned["sku"] and "sku" not in errors:
        if product.variants.exclude(pk=variant.pk).filter(sku=cleaned["sku"]).exists():
            errors["sku"] = gettext("This product has a variant with this SKU already.")
    _raise_invalid(errors)
    before = {
        "hs_code": product.hs_code,
        "title": product.title,
        "national_codes": product.national_codes,
    }
    if cleaned["national_codes"] is not None:
        product.national_codes = cleaned["national_codes"]
    elif cleaned["hs_code"] != product.hs_code:
        product.national_codes = {}
    for name in ("title", "description", "hs_code", "origin", "unit_weight_kg", "certifications"):
        setattr(product, name, cleaned[name])
    product.category = cleaned["category"]
    product.language = cleaned["language"]
    product.save()
    changed = translations_write(ProductTranslation, "product", product, cleaned["translations"])
    if variant is not None:
        variant.price_minor = cleaned["price_minor"]
        variant.currency = cleaned["currency"]
        if cleaned["sku"]:
            variant.sku = cleaned["sku"]
        variant.save()
    reindex([product])
    audit_record(
        actor=actor,
        action="catalog.product.updated",
        target=product,
        organisation_ref=str(product.seller.public_id),
        data={
            "before": before,
            "hs_code": product.hs_code,
            "national_codes": product.national_codes,
        },
    )
    _audit_translations(actor, product, changed)
    return product


def _audit_translations(actor: object, product: Product, changed: dict[str, list[str]]) -> None:
    if changed["set"] or changed["cleared"]:
        audit_record(
            actor=actor,
            action="catalog.product.translations_changed",
            target=product,
            organisation_ref=str(product.seller.public_id),
            data=changed,
        )


@transaction.atomic
def product_translation_set(
    *, actor: object, product: Product, language: str, title: str, description: str = ""
) -> ProductTranslation:
    require_seller_editor(actor, product.seller)
    if language not in LANGUAGE_CODES:
        raise InvalidRequest(
            "invalid_request", gettext("Unknown language."), fields={"language": language}
        )
    if not title.strip():
        raise InvalidRequest(
            "invalid_request", gettext("A title is required."), fields={"title": "required"}
        )
    translation, _ = ProductTranslation.objects.update_or_create(
        product=product,
        language=language,
        defaults={"title": title.strip()[:200], "description": description.strip()},
    )
    product.save(update_fields=["updated_at"])
    reindex([product])
    _audit_translations(actor, product, {"set": [language], "cleared": []})
    return translation


def _set_status(actor: object, product: Product, status: str) -> Product:
    require_seller_editor(actor, product.seller)
    if status == Product.Status.PUBLISHED:
        variant = product.variants.filter(is_active=True).first()
        if variant is None:
            raise Conflict(
                "no_variant", gettext("A product needs a variant with a price to be published.")
            )
    product.status = status
    if status == Product.Status.PUBLISHED and product.published_at is None:
        product.published_at = clock.now()
    product.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(
        actor=actor,
        action=f"catalog.product.{'published' if status == 'published' else 'unpublished'}",
        target=product,
        organisation_ref=str(product.seller.public_id),
    )
    return product


@transaction.atomic
def product_publish(*, actor: object, product: Product) -> Product:
    return _set_status(actor, product, Product.Status.PUBLISHED)


@transaction.atomic
def product_unpublish(*, actor: object, product: Product) -> Product:
    return _set_status(actor, product, Product.Status.DRAFT)
