"""Writes of the catalog: products and their texts, variants, photos, stock and its holds.

Stock is capacity: a hold is one conditional UPDATE (``on_hand >= reserved + n``) whose row
count says whether it was taken, so concurrent checkouts can never oversell.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify
from django.utils.translation import gettext

from ewtp.accounts.models import Membership, Organisation
from ewtp.accounts.selectors import is_platform_operator, require_role
from ewtp.catalog import rules, search
from ewtp.catalog.errors import ImportRejected, OutOfStock
from ewtp.catalog.models import (
    DEFAULT_HUB,
    HUB_COUNTRIES,
    Category,
    Photo,
    Product,
    ProductTranslation,
    StockLevel,
    StockReservation,
    Variant,
)
from ewtp.core import clock
from ewtp.core.currencies import exponent, is_currency
from ewtp.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from ewtp.core.money import Money
from ewtp.core.services import audit_record

EDIT_ROLES = {Membership.Role.OWNER, Membership.Role.STAFF}
LANGUAGE_CODES = [code for code, _ in settings.LANGUAGES]
CERTIFICATIONS = [choice.value for choice in Product.Certification]
PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_LARGE = 1200
PHOTO_THUMB = 400


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
    if not rules.hs_subheading_exists(code[:6]):
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


# Products ------------------------------------------------------------------------------------


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
    currency = (data.currency or "").strip().upper()
    if not is_currency(currency):
        errors["currency"] = "An ISO 4217 currency code, e.g. RWF."
    else:
        try:
            cleaned["price_minor"] = _price_minor(data.price, currency)
        except ValueError as error:
            errors["price"] = str(error)
    cleaned["currency"] = currency
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
    language = data.language if data.language in LANGUAGE_CODES else "en"
    cleaned["language"] = language
    translations: dict[str, dict[str, str]] = {}
    for code, texts in (data.translations or {}).items():
        if code not in LANGUAGE_CODES:
            errors[f"title_{code}"] = f"Unknown language {code}."
            continue
        title_text = (texts.get("title") or "").strip()
        description_text = (texts.get("description") or "").strip()
        if description_text and not title_text:
            errors[f"title_{code}"] = "A translated description needs a translated title."
        if title_text:
            translations[code] = {"title": title_text[:200], "description": description_text}
    cleaned["translations"] = translations
    cleaned["category"] = data.category
    cleaned["hub_code"] = (data.hub_code or DEFAULT_HUB).strip().upper()[:8]
    return cleaned, errors


def _raise_invalid(errors: Mapping[str, str]) -> None:
    if errors:
        raise InvalidRequest(
            "invalid_request", gettext("Please correct the fields shown."), fields=dict(errors)
        )


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
        origin=cleaned["origin"],
        unit_weight_kg=cleaned["unit_weight_kg"],
        certifications=cleaned["certifications"],
        status=status,
        published_at=clock.now() if status == Product.Status.PUBLISHED else None,
    )
    product.save()
    for code, texts in cleaned["translations"].items():
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
        data={"title": product.title, "hs_code": product.hs_code, "status": status},
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
    before = {"hs_code": product.hs_code, "title": product.title}
    for name in ("title", "description", "hs_code", "origin", "unit_weight_kg", "certifications"):
        setattr(product, name, cleaned[name])
    product.category = cleaned["category"]
    product.language = cleaned["language"]
    product.save()
    for code, texts in cleaned["translations"].items():
        ProductTranslation.objects.update_or_create(product=product, language=code, defaults=texts)
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
        data={"before": before, "hs_code": product.hs_code},
    )
    return product


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


# Variants ------------------------------------------------------------------------------------
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
            cleaned["price_minor"] = _price_minor(price, currency)
        except ValueError as error:
            errors["price"] = str(error)
    cleaned["unit_weight_kg"] = None
    if unit_weight_kg not in (None, ""):
        try:
            cleaned["unit_weight_kg"] = _weight(unit_weight_kg).quantize(Decimal("0.001"))
        except ValueError as error:
            errors["unit_weight_kg"] = str(error)
    return cleaned, errors


def _check_hub(hub_code: str) -> str:
    hub_code = (hub_code or "").strip().upper()
    if hub_code not in HUB_COUNTRIES:
        raise InvalidRequest(
            "invalid_request",
            gettext("Please correct the fields shown."),
            fields={"hub_code": gettext("Not a hub of the platform.")},
        )
    return hub_code


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
    *, actor: object, variant: Variant, sku: str, name: str, price: Any, unit_weight_kg: Any
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


# Photos --------------------------------------------------------------------------------------


def _resized(image: Any, longest: int) -> tuple[bytes, tuple[int, int]]:
    from PIL import Image

    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue(), copy.size


@transaction.atomic
def photo_add(*, actor: object, product: Product, content: bytes, alt_text: str = "") -> Photo:
    """Store a photo as a JPEG of at most 1200 px and a 400 px thumbnail."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    require_seller_editor(actor, product.seller)
    if len(content) > PHOTO_MAX_BYTES:
        raise InvalidRequest(
            "photo_too_large",
            gettext("A photo may be 8 MB at most."),
            fields={"photo": "too large"},
        )
    try:
        with Image.open(io.BytesIO(content)) as opened:
            if opened.width * opened.height > 40_000_000:
                raise InvalidRequest(
                    "photo_too_large",
                    gettext("The photo has too many pixels."),
                    fields={"photo": "too large"},
                )
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise InvalidRequest(
            "invalid_photo",
            gettext("Send a JPEG, PNG or WebP image."),
            fields={"photo": "not an image"},
        ) from None
    photo = Photo(product=product, alt_text=alt_text.strip()[:200] or product.title[:200])
    photo.position = product.photos.count()
    large, (photo.width, photo.height) = _resized(image, PHOTO_LARGE)
    thumb, _size = _resized(image, PHOTO_THUMB)
    photo.image.save("large.jpg", ContentFile(large), save=False)
    photo.thumbnail.save("thumb.jpg", ContentFile(thumb), save=False)
    photo.save()
    product.save(update_fields=["updated_at"])
    audit_record(
        actor=actor,
        action="catalog.photo.added",
        target=product,
        organisation_ref=str(product.seller.public_id),
        data={"photo": str(photo.public_id)},
    )
    return photo


# Stock ---------------------------------------------------------------------------------------


@transaction.atomic
def stock_set(
    *, actor: object, variant: Variant, on_hand: int, hub_code: str = DEFAULT_HUB
) -> StockLevel:
    """Set the units on hand at a hub; never below what unpaid orders hold."""
    require_seller_editor(actor, variant.product.seller)
    if on_hand < 0:
        raise InvalidRequest(
            "invalid_request", gettext("0 or more."), fields={"on_hand": "0 or more"}
        )
    hub_code = _check_hub(hub_code)
    level, _ = StockLevel.objects.get_or_create(variant=variant, hub_code=hub_code)
    changed = StockLevel.objects.filter(pk=level.pk, reserved__lte=on_hand).update(on_hand=on_hand)
    if not changed:
        level.refresh_from_db()
        raise Conflict(
            "stock_held",
            gettext("%(count)s units are held by unpaid orders; set at least that many.")
            % {"count": level.reserved},
            fields={"on_hand": f"at least {level.reserved}"},
        )
    level.refresh_from_db()
    audit_record(
        actor=actor,
        action="catalog.stock.set",
        target=variant.product,
        organisation_ref=str(variant.product.seller.public_id),
        data={"sku": variant.sku, "hub": hub_code, "on_hand": on_hand},
    )
    return level


def stock_hold(
    *, variant: Variant, quantity: int, reference: str, expires_at: datetime
) -> StockReservation:
    """Hold ``quantity`` units of ``variant`` at one hub for an order; OutOfStock if short.

    Run inside the caller's transaction (the checkout's). Each attempt is one conditional
    UPDATE, so two buyers can never take the same unit; callers take variants in pk order.
    """
    if quantity <= 0:
        raise InvalidRequest("invalid_request", gettext("Quantity must be 1 or more."))
    levels = list(StockLevel.objects.filter(variant=variant).order_by("hub_code", "pk"))
    for level in levels:
        taken = StockLevel.objects.filter(
            pk=level.pk, on_hand__gte=F("reserved") + quantity
        ).update(reserved=F("reserved") + quantity)
        if taken:
            return StockReservation.objects.create(
                stock_level=level,
                quantity=quantity,
                reference=reference,
                expires_at=expires_at,
                created_at=clock.now(),
            )
    remaining = max(
        (lvl.on_hand - lvl.reserved for lvl in StockLevel.objects.filter(variant=variant)),
        default=0,
    )
    product = variant.product
    raise OutOfStock(
        "out_of_stock",
        gettext("Only %(left)s left of %(product)s; you asked for %(asked)s.")
        % {
            "left": max(remaining, 0),
            "product": product.title + (f" ({variant.name})" if variant.name else ""),
            "asked": quantity,
        },
        extra={
            "product_id": str(product.public_id),
            "product": product.title,
            "variant_id": str(variant.public_id),
            "requested": quantity,
            "remaining": max(remaining, 0),
        },
    )


def stock_holds_release(*, reference: str) -> int:
    """Give back the units held for ``reference`` (an unpaid order ended). Idempotent."""
    released = 0
    holds = StockReservation.objects.filter(reference=reference, state=StockReservation.State.HELD)
    for hold in holds.order_by("stock_level_id", "pk"):
        if StockReservation.objects.filter(pk=hold.pk, state=StockReservation.State.HELD).update(
            state=StockReservation.State.RELEASED, settled_at=clock.now()
        ):
            StockLevel.objects.filter(pk=hold.stock_level_id).update(
                reserved=F("reserved") - hold.quantity
            )
            released += hold.quantity
    return released


def stock_holds_commit(*, reference: str) -> int:
    """The order is paid: its held units leave the stock for good. Idempotent."""
    committed = 0
    holds = StockReservation.objects.filter(reference=reference, state=StockReservation.State.HELD)
    for hold in holds.order_by("stock_level_id", "pk"):
        if StockReservation.objects.filter(pk=hold.pk, state=StockReservation.State.HELD).update(
            state=StockReservation.State.COMMITTED, settled_at=clock.now()
        ):
            StockLevel.objects.filter(pk=hold.stock_level_id).update(
                reserved=F("reserved") - hold.quantity, on_hand=F("on_hand") - hold.quantity
            )
            committed += hold.quantity
    return committed


def stock_return(*, reference: str) -> int:
    """A paid order was cancelled before it left: its units go back on the shelf. Idempotent."""
    returned = 0
    holds = StockReservation.objects.filter(
        reference=reference, state=StockReservation.State.COMMITTED
    )
    for hold in holds.order_by("stock_level_id", "pk"):
        if StockReservation.objects.filter(
            pk=hold.pk, state=StockReservation.State.COMMITTED
        ).update(state=StockReservation.State.RELEASED, settled_at=clock.now()):
            StockLevel.objects.filter(pk=hold.stock_level_id).update(
                on_hand=F("on_hand") + hold.quantity
            )
            returned += hold.quantity
    return returned


# CSV import ----------------------------------------------------------------------------------

CSV_COLUMNS = [
    "title",
    "description",
    "category",
    "hs_code",
    "origin",
    "unit_weight_kg",
    "price",
    "currency",
    "stock",
    "sku",
    "certifications",
]
CSV_REQUIRED = ["title", "hs_code", "origin", "unit_weight_kg", "price", "currency"]
CSV_MAX_ROWS = 2000
CSV_MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class ImportProblem:
    row: int  # the line in the file (the header is line 1)
    column: str
    message: str


def _import_rejected(errors: list[ImportProblem]) -> ImportRejected:
    return ImportRejected(
        "import_rejected",
        gettext("Nothing was imported: %(count)s error(s) in the file.") % {"count": len(errors)},
        extra={"errors": [e.__dict__ for e in errors]},
    )


def products_import_csv(
    *, actor: object, seller: Organisation, content: bytes, publish: bool = False
) -> list[Product]:
    """Import products from a CSV file, every row checked first; any error imports nothing.

    Columns: title, hs_code, origin, unit_weight_kg, price, currency (required), and
    description, category (slug), stock, sku, certifications (space or ; separated),
    language, title_<lang>, description_<lang> for translations.
    """
    require_seller_editor(actor, seller)
    if len(content) > CSV_MAX_BYTES:
        raise _import_rejected([ImportProblem(0, "file", "The file is larger than 2 MB.")])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _import_rejected([ImportProblem(0, "file", "The file is not UTF-8 text.")]) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in (reader.fieldnames or [])]
    errors: list[ImportProblem] = []
    missing = [name for name in CSV_REQUIRED if name not in header]
    if missing:
        errors.append(ImportProblem(1, ",".join(missing), "Missing column(s)."))
        raise _import_rejected(errors)
    categories = {category.slug: category for category in Category.objects.all()}
    existing_skus = set(
        Variant.objects.filter(product__seller=seller).values_list("sku", flat=True)
    )
    seen_skus: dict[str, int] = {}
    first_currency = ""  # the first row priced in the seller's currency sets it for the rest
    rows: list[dict[str, Any]] = []
    for number, raw in enumerate(reader, start=2):
        if number - 1 > CSV_MAX_ROWS:
            errors.append(ImportProblem(number, "file", f"At most {CSV_MAX_ROWS} rows."))
            break
        cells = {(key or "").strip(): (value or "").strip() for key, value in raw.items() if key}
        if not any(cells.values()):
            continue
        stock: Any = None
        if cells.get("stock"):
            try:
                stock = int(cells["stock"])
            except ValueError:
                stock = -1
        category = None
        if cells.get("category"):
            category = categories.get(cells["category"])
            if category is None:
                errors.append(
                    ImportProblem(number, "category", f"Unknown category {cells['category']!r}.")
                )
        translations = {
            code: {
                "title": cells.get(f"title_{code}", ""),
                "description": cells.get(f"description_{code}", ""),
            }
            for code in LANGUAGE_CODES
            if cells.get(f"title_{code}") or cells.get(f"description_{code}")
        }
        data = ProductData(
            title=cells.get("title", ""),
            description=cells.get("description", ""),
            category=category,
            hs_code=cells.get("hs_code", ""),
            origin=cells.get("origin", ""),
            unit_weight_kg=cells.get("unit_weight_kg", ""),
            price=cells.get("price", ""),
            currency=cells.get("currency", ""),
            stock=stock,
            sku=cells.get("sku", ""),
            certifications=re.split(r"[;\s]+", cells.get("certifications", "")),
            language=cells.get("language") or "en",
            translations=translations,
        )
        cleaned, row_errors = product_validate(data)
        if "currency" not in row_errors:
            problem = seller_currency_error(seller, cleaned["currency"])
            if problem is None and first_currency and cleaned["currency"] != first_currency:
                problem = gettext("Price every row in %(currency)s, as the first one.") % {
                    "currency": first_currency
                }
            if problem:
                row_errors["currency"] = problem
            elif not first_currency:
                first_currency = cleaned["currency"]
        for column, message in row_errors.items():
            errors.append(ImportProblem(number, column, message))
        sku = cleaned["sku"]
        if sku:
            if sku in existing_skus:
                errors.append(
                    ImportProblem(number, "sku", f"You have a product with SKU {sku} already.")
                )
            elif sku in seen_skus:
                errors.append(
                    ImportProblem(number, "sku", f"SKU {sku} is on row {seen_skus[sku]} too.")
                )
            seen_skus.setdefault(sku, number)
        rows.append(cleaned)
    if not rows and not errors:
        errors.append(ImportProblem(2, "file", "The file has no product rows."))
    if errors:
        raise _import_rejected(errors)
    status = Product.Status.PUBLISHED if publish else Product.Status.DRAFT
    with transaction.atomic():
        try:
            products = [
                product_insert(seller=seller, cleaned=cleaned, status=status, reindex_now=False)
                for cleaned in rows
            ]
        except (IntegrityError, ValidationError) as error:
            raise _import_rejected([ImportProblem(0, "file", f"Not imported: {error}")]) from None
        reindex(products)
        audit_record(
            actor=actor,
            action="catalog.products.imported",
            organisation_ref=str(seller.public_id),
            data={"count": len(products), "status": status},
        )
    return products


# Categories ----------------------------------------------------------------------------------


def category_ensure(
    *, slug: str, name: str, names: Mapping[str, str] | None = None, position: int = 0
) -> Category:
    """Create or refresh a category (demo data and operators' set-up)."""
    category, _ = Category.objects.update_or_create(
        slug=slug, defaults={"name": name, "names": dict(names or {}), "position": position}
    )
    return category
