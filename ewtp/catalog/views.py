"""Pages of the catalog: the storefront, categories, search, product and seller pages, photos,
and the sellers' dashboard (products, variants, stock, photos, CSV import)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ewtp.catalog import landed_prices, traderules_gateway
from ewtp.catalog.forms import (
    NATIONAL_PREFIX,
    PRODUCT_TEXTS,
    ImportForm,
    PhotoForm,
    ProductForm,
    StockForm,
    VariantForm,
    variant_label,
)
from ewtp.catalog.models import DEFAULT_HUB, Product, Variant
from ewtp.catalog.selectors import sellers as sellers_selectors
from ewtp.catalog.selectors.listing import (
    Filters,
    categories,
    category_get,
    localise,
    origins,
    product_page,
    sellers,
)
from ewtp.catalog.selectors.products import photo_get, product_get_for
from ewtp.catalog.selectors.sellers import (
    product_get_for_editor,
    product_list_for_seller,
    seller_get_for,
    seller_get_public,
    seller_organisations_for,
)
from ewtp.catalog.services import photos as photos_services
from ewtp.catalog.services import stock as stock_services
from ewtp.catalog.services.imports import CSV_COLUMNS, products_import_csv
from ewtp.catalog.services.products import (
    ProductData,
    product_create,
    product_publish,
    product_unpublish,
    product_update,
)
from ewtp.catalog.services.variants import (
    variant_activate,
    variant_create,
    variant_deactivate,
    variant_update,
)
from ewtp.core import conf
from ewtp.core.errors import DomainError, NotFound
from ewtp.core.money import Money
from ewtp.core.translations import translations_from_form

PHOTO_CACHE = "public, max-age=31536000, immutable"


def _language() -> str:
    return translation.get_language() or "en"


def _preferences(request: HttpRequest) -> tuple[str, str]:
    preferences = getattr(request, "preferences", None)
    return (
        getattr(preferences, "destination", "BE"),
        getattr(preferences, "currency", "USD"),
    )


def _decimal(value: str | None) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


MAX_QUERY = 200  # characters of a search; a longer one is shortened, and the page says so


def _filters(request: HttpRequest, **fixed: str) -> Filters:
    get = request.GET
    values: dict[str, Any] = {
        "q": get.get("q", "").strip()[:MAX_QUERY],
        "category": get.get("category", ""),
        "origin": get.get("origin", "").upper()[:2],
        "seller": get.get("seller", ""),
        "price_min": _decimal(get.get("price_min")),
        "price_max": _decimal(get.get("price_max")),
    }
    values.update(fixed)
    return Filters(**values)


def _page_number(request: HttpRequest) -> int:
    try:
        return max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        return 1


def _listing(
    request: HttpRequest, template: str, context: dict[str, Any], **fixed: str
) -> HttpResponse:
    destination, currency = _preferences(request)
    filters = _filters(request, **fixed)
    page = product_page(
        filters,
        page=_page_number(request),
        language=_language(),
        destination=destination,
        currency=currency,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        {
            "page": page,
            "filters": filters,
            "query_string": query.urlencode(),
            "categories": categories(),
            "origins": origins(),
            "sellers": sellers(),
            "destination": destination,
            "currency": currency,
            "delivery_from": _delivery_from(destination, currency),
            "query_cut": len(request.GET.get("q", "").strip()) > MAX_QUERY,
            "incomplete_policy": conf.INCOMPLETE_QUOTE(),
        }
    )
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "results":
        return render(request, f"{template}#results", context)
    return render(request, template, context)


def home(request: HttpRequest) -> HttpResponse:
    return _listing(request, "catalog/listing.html", {})


def search(request: HttpRequest) -> HttpResponse:
    return _listing(request, "catalog/listing.html", {})


def category(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        found = category_get(slug)
    except NotFound:
        raise Http404 from None
    return _listing(
        request,
        "catalog/listing.html",
        {"category": found, "name": found.name_in(_language())},
        category=slug,
    )


def seller(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        found = seller_get_public(slug)
    except NotFound:
        raise Http404 from None
    return _listing(request, "catalog/listing.html", {"seller": found}, seller=slug)


def product(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        found = product_get_for(request.user, slug)
    except NotFound:
        raise Http404 from None
    language = _language()
    title, description = localise(found, language)
    variants = list(found.variants.all())
    chosen = variants[0] if variants else None
    wanted = request.GET.get("variant")
    for variant in variants:
        variant.product = found
        if wanted and str(variant.public_id) == wanted:
            chosen = variant
    destination, currency = _preferences(request)
    quote = breakdown = None
    quote_error = ""
    if chosen is not None:
        try:
            quote = landed_prices.unit_quote(chosen, destination=destination, currency=currency)
            breakdown = landed_prices.breakdown(quote)
        except DomainError as error:
            quote_error = error.message
    delivered = _delivered_unit(chosen, destination, currency) if breakdown else None
    if delivered is not None:  # the price shown is one unit delivered: carriage included
        quote = delivered["quote"]
        breakdown = landed_prices.breakdown(quote)
    available = (
        sum(level.on_hand - level.reserved for level in chosen.stock_levels.all()) if chosen else 0
    )
    return render(
        request,
        "catalog/product.html",
        {
            "product": found,
            "title": title,
            "description": description,
            "variants": variants,
            "variant": chosen,
            "price": landed_prices.variant_price(chosen) if chosen else None,
            "quote": quote,
            "breakdown": breakdown,
            "quote_error": quote_error,
            "delivered": delivered,
            "reasons": _unknown_reasons(quote, language),
            "incomplete_policy": conf.INCOMPLETE_QUOTE(),
            "available": max(available, 0),
            "destination": destination,
            "currency": currency,
            "can_edit": sellers_selectors.can_edit(request.user, found.seller),
            "photos": list(found.photos.all()),
        },
    )


def _delivered_unit(variant: Any, destination: str, currency: str) -> dict[str, Any] | None:
    """One unit bought alone, carriage included, as the cart would price it (None when the
    platform does not deliver there, or a rate is missing)."""
    from ewtp.orders.shipping import consignment_request

    try:
        request, carriage = consignment_request(
            [(variant, 1)], destination=destination, currency=currency
        )
        quote = traderules_gateway.quote_compute(request)
    except DomainError:
        return None
    display = quote["totals"]["display"]
    return {
        "quote": quote,
        "shipping": Money.of(display["shipping"], currency),
        "total": Money.of(display["landed"], currency),
        "carrier": carriage.carrier_name,
        "days": carriage.transit_days,
    }


def _unknown_reasons(quote: dict[str, Any] | None, language: str) -> list[str]:
    from ewtp.orders.pricing import unknown_reasons

    return unknown_reasons(quote, language) if quote else []


def _delivery_from(destination: str, currency: str) -> Money | None:
    """The cheapest parcel to the destination (the lightest weight), in the buyer's currency:
    listing prices say "+ delivery from" it; None when the platform does not deliver there."""
    from django.core.cache import cache

    from ewtp.catalog.models import DEFAULT_HUB
    from ewtp.core import clock
    from ewtp.logistics import selectors as logistics
    from ewtp.orders.shipping import MIN_WEIGHT_KG

    key = f"delivery-from:{clock.today()}:{destination}:{currency}"
    cached = cache.get(key)
    if cached is not None:
        return Money.of(cached, currency) if cached else None
    try:
        price = logistics.lane_options(DEFAULT_HUB, destination, MIN_WEIGHT_KG)[0].price
        rate = landed_prices.display_rate(
            source_currency=price.currency, destination=destination, currency=currency
        )
    except (DomainError, IndexError):
        rate = None
    amount = Money(price.amount * rate, currency).rounded() if rate is not None else None
    cache.set(key, amount.as_string() if amount else "", timeout=3600)
    return amount


def photo(request: HttpRequest, public_id: str, size: str) -> HttpResponse:
    """A product photo, cached by browsers and proxies for a year (a new photo, a new URL)."""
    if size not in {"thumb", "large"}:
        raise Http404
    try:
        found = photo_get(public_id)
    except NotFound:
        raise Http404 from None
    etag = f'"{found.public_id}-{size}"'
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        field = found.thumbnail if size == "thumb" else found.image
        try:
            handle = default_storage.open(str(field.name), "rb")
        except (FileNotFoundError, OSError):
            raise Http404 from None
        response = FileResponse(handle, content_type="image/jpeg")  # type: ignore[assignment]
    response["Cache-Control"] = PHOTO_CACHE
    response["ETag"] = etag
    return response


# The seller's dashboard ----------------------------------------------------------------------


@login_required
def dashboard_index(request: HttpRequest) -> HttpResponse:
    organisations = list(seller_organisations_for(request.user))
    if len(organisations) == 1:
        return HttpResponseRedirect(reverse("catalog:dashboard", args=[organisations[0].slug]))
    return render(request, "catalog/dashboard_index.html", {"organisations": organisations})


def _seller_or_404(request: HttpRequest, org: str) -> Any:
    try:
        return seller_get_for(request.user, org)
    except NotFound:
        raise Http404 from None


@login_required
def dashboard(request: HttpRequest, org: str) -> HttpResponse:
    found = _seller_or_404(request, org)
    products = product_list_for_seller(request.user, found)
    return render(
        request,
        "catalog/dashboard.html",
        {
            "seller": found,
            "products": products,
            "can_edit": sellers_selectors.can_edit(request.user, found),
            "stock_form": StockForm(),
            "overview": _sales_overview(found),
        },
    )


def _sales_overview(seller: Any) -> Any:
    from ewtp.orders.selectors import sales_overview

    return sales_overview(seller)


def _product_saved(request: HttpRequest, product: Product) -> HttpResponse:
    messages.success(request, _("The product is saved."))
    return HttpResponseRedirect(
        reverse("catalog:product_edit", args=[product.seller.slug, product.slug])
    )


def _product_data(cleaned: dict[str, Any], national: dict[str, str]) -> ProductData:
    # Every language, the empty ones too: emptying a language's fields clears its translation.
    translations = translations_from_form(cleaned, PRODUCT_TEXTS)
    return ProductData(
        title=cleaned["title"],
        description=cleaned.get("description", ""),
        category=cleaned.get("category"),
        hs_code=cleaned["hs_code"],
        origin=cleaned["origin"],
        unit_weight_kg=cleaned["unit_weight_kg"],
        price=cleaned["price"],
        free=bool(cleaned.get("free")),
        currency=cleaned["currency"],
        sku=cleaned.get("sku", ""),
        stock=cleaned.get("stock"),
        certifications=list(cleaned.get("certifications") or []),
        language=cleaned.get("language", "en"),
        translations=translations,
        national_codes=national,
    )


def _apply_errors(form: Any, error: DomainError) -> None:
    for field, message in error.fields.items():
        form.add_error(field if field in form.fields else None, message)
    if not error.fields:
        form.add_error(None, error.message)


def _every_error(form: ProductForm) -> None:
    """A form with field errors also gets the product rules' errors on its other fields, so
    that the seller sees every problem at once, not one round at a time."""
    from ewtp.catalog.services.products import ProductData, product_validate

    raw = form.data
    _cleaned, errors = product_validate(
        ProductData(
            title=str(raw.get("title", "")),
            hs_code=str(raw.get("hs_code", "")),
            origin=str(raw.get("origin", "")),
            unit_weight_kg=str(raw.get("unit_weight_kg", "")),
            price=str(raw.get("price", "")),
            currency=str(raw.get("currency", "")),
        )
    )
    for name, message in errors.items():
        if name in form.fields and name not in form.errors:
            form.add_error(name, message)


def _national_options(
    request: HttpRequest, initial_code: str = ""
) -> list[traderules_gateway.NationalCodeChoice]:
    """Where the HS code on the form (posted, else the product's) needs a national code."""
    raw = request.POST.get("hs_code") if request.method == "POST" else None
    code = re.sub(r"[\s.]", "", raw if raw is not None else initial_code)
    return traderules_gateway.national_code_options(code)


def national_codes(request: HttpRequest) -> HttpResponse:
    """htmx: the national-code choices for the HS code typed (product form)."""
    code = re.sub(r"[\s.]", "", request.GET.get("hs_code", ""))[:14]
    picked = {  # the choices already made stay chosen where they are still offered
        name.removeprefix(NATIONAL_PREFIX): value
        for name, value in request.GET.items()
        if name.startswith(NATIONAL_PREFIX)
    }
    form = ProductForm(
        initial={"national_codes": picked},
        national_options=traderules_gateway.national_code_options(code),
    )
    return render(request, "catalog/_national_codes.html", {"form": form})


def _suggestions(form: ProductForm) -> list[traderules_gateway.HsSuggestion]:
    text = " ".join(str(form.data.get(name, "")) for name in ("title", "description"))
    return traderules_gateway.hs_suggest(text) if text.strip() else []


@login_required
def product_new(request: HttpRequest, org: str) -> HttpResponse:
    found = _seller_or_404(request, org)
    if not sellers_selectors.can_edit(request.user, found):
        raise Http404
    options = _national_options(request)
    form = ProductForm(
        request.POST or None,
        initial={"currency": "RWF", "origin": found.country, "language": _language()},
        national_options=options,
    )
    suggestions: list[traderules_gateway.HsSuggestion] = []
    if request.method == "POST" and "suggest" in request.POST:
        suggestions = _suggestions(form)
        form = ProductForm(request.POST, national_options=options)
    elif request.method == "POST" and not form.is_valid():
        _every_error(form)
    elif request.method == "POST":
        try:
            created = product_create(
                actor=request.user,
                seller=found,
                data=_product_data(form.cleaned_data, form.national_codes()),
                publish="publish" in request.POST,
            )
        except DomainError as error:
            _apply_errors(form, error)
        else:
            return _product_saved(request, created)
    return render(
        request,
        "catalog/product_form.html",
        {"seller": found, "form": form, "suggestions": suggestions, "product": None},
    )


def _main_variant(product: Product) -> Variant | None:
    """The variant the product form edits (as services.product_update): first active one."""
    variants = sorted(product.variants.all(), key=lambda v: (not v.is_active, v.position, v.pk))
    return variants[0] if variants else None


def _initial(product: Product) -> dict[str, Any]:
    variant = _main_variant(product)
    initial: dict[str, Any] = {
        "title": product.title,
        "description": product.description,
        "category": product.category,
        "hs_code": product.hs_dotted,
        "origin": product.origin,
        "unit_weight_kg": product.unit_weight_kg,
        "certifications": product.certifications,
        "language": product.language,
        "national_codes": product.national_codes,
    }
    if variant is not None:
        initial.update(
            {
                "price": landed_prices.variant_price(variant).as_string(),
                "free": variant.price_minor == 0,
                "currency": variant.currency,
                "sku": variant.sku,
            }
        )
    for item in product.translations.all():
        initial[f"title_{item.language}"] = item.title
        initial[f"description_{item.language}"] = item.description
    return initial


def _editable_product(request: HttpRequest, org: str, slug: str) -> tuple[Any, Product]:
    found = _seller_or_404(request, org)
    try:
        item = product_get_for_editor(request.user, found, slug)
    except NotFound:
        raise Http404 from None
    return found, item


def _editor_product(request: HttpRequest, org: str, slug: str) -> tuple[Any, Product]:
    """As _editable_product, for writes: viewers and strangers get a 404."""
    found, item = _editable_product(request, org, slug)
    if not sellers_selectors.can_edit(request.user, found):
        raise Http404
    return found, item


def _with_stock(product: Product) -> list[Variant]:
    """The product's variants (prefetched with their stock), each with its units held and
    available over all hubs, for the variants table."""
    variants = list(product.variants.all())
    for variant in variants:
        variant.product = product
        levels = list(variant.stock_levels.all())
        variant.held_units = sum(level.reserved for level in levels)  # type: ignore[attr-defined]
        variant.available_units = max(sum(level.available for level in levels), 0)  # type: ignore[attr-defined]
    return variants


def _currency(variants: list[Variant]) -> str:
    """The product's currency (its first variant's, as services.product_currency)."""
    return variants[0].currency if variants else ""


def _variant_or_404(product: Product, variant_id: Any) -> Variant:
    for variant in _with_stock(product):
        if str(variant.public_id) == str(variant_id):
            return variant
    raise Http404


@login_required
def product_edit(request: HttpRequest, org: str, slug: str) -> HttpResponse:
    found, item = _editable_product(request, org, slug)
    can_edit = sellers_selectors.can_edit(request.user, found)
    options = _national_options(request, item.hs_code)
    form = ProductForm(
        request.POST or None,
        initial=_initial(item),
        with_stock=False,
        national_options=options,
    )
    suggestions: list[traderules_gateway.HsSuggestion] = []
    if request.method == "POST" and not can_edit:
        raise Http404
    if request.method == "POST" and "suggest" in request.POST:
        suggestions = _suggestions(form)
        form = ProductForm(request.POST, with_stock=False, national_options=options)
    elif request.method == "POST" and not form.is_valid():
        _every_error(form)
    elif request.method == "POST":
        try:
            product_update(
                actor=request.user,
                product=item,
                data=_product_data(form.cleaned_data, form.national_codes()),
            )
        except DomainError as error:
            _apply_errors(form, error)
        else:
            return _product_saved(request, item)
    variants = _with_stock(item)
    main = _main_variant(item)
    if main is not None and len(variants) > 1:
        form.fields["price"].help_text = _(
            "The price of %(variant)s; each other variant has its own price below."
        ) % {"variant": main.name or main.sku}
    currency = _currency(variants)
    return render(
        request,
        "catalog/product_form.html",
        {
            "seller": found,
            "form": form,
            "product": item,
            "suggestions": suggestions,
            "photo_form": PhotoForm(),
            "can_edit": can_edit,
            "variants": variants,
            "currency": currency,
            "variant_form": VariantForm(currency=currency, auto_id="id_variant_%s"),
            "stock_form": StockForm(variants=variants, auto_id="id_stock_%s"),
        },
    )


def hs_suggest(request: HttpRequest) -> HttpResponse:
    """htmx: HS subheadings for the title and description typed so far."""
    text = " ".join(request.GET.get(name, "") for name in ("title", "description"))
    return render(
        request,
        "catalog/_hs_suggestions.html",
        {"suggestions": traderules_gateway.hs_suggest(text)},
    )


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Back to the page named in ``next`` if it is on this site, else to ``default``."""
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(wanted)
    return HttpResponseRedirect(default)


@login_required
@require_POST
def product_status(request: HttpRequest, org: str, slug: str) -> HttpResponse:
    found, item = _editable_product(request, org, slug)
    try:
        if request.POST.get("action") == "unpublish":
            product_unpublish(actor=request.user, product=item)
            messages.success(request, _("The product is withdrawn from the shop."))
        else:
            product_publish(actor=request.user, product=item)
            messages.success(request, _("The product is on sale."))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(request, reverse("catalog:dashboard", args=[found.slug]))


@login_required
@require_POST
def stock_set(request: HttpRequest, org: str, slug: str) -> HttpResponse:
    """Units on hand of one variant at one hub (the variant named, or the only one)."""
    found, item = _editor_product(request, org, slug)
    variants = list(item.variants.all())
    form = StockForm(request.POST, variants=variants)
    if not form.is_valid():
        message = (
            _("Choose a variant.")
            if "variant" in form.errors
            else _("Give a whole number of units, 0 or more.")
        )
        messages.error(request, message)
        return _back(request, reverse("catalog:dashboard", args=[found.slug]))
    wanted = form.cleaned_data.get("variant") or ""
    variant = next((v for v in variants if str(v.public_id) == wanted), None)
    if variant is None and len(variants) == 1 and not wanted:
        variant = variants[0]
    if variant is None:
        messages.error(request, _("Choose a variant."))
    else:
        variant.product = item
        try:
            stock_services.stock_set(
                actor=request.user,
                variant=variant,
                on_hand=form.cleaned_data["on_hand"],
                hub_code=form.cleaned_data.get("hub_code") or DEFAULT_HUB,
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Stock of %(variant)s updated.") % {"variant": variant_label(variant)},
            )
    return _back(request, reverse("catalog:dashboard", args=[found.slug]))


def _variants_url(seller: Any, product: Product) -> str:
    return reverse("catalog:product_edit", args=[seller.slug, product.slug]) + "#variants"


def _variant_fields(data: dict[str, Any]) -> dict[str, Any]:
    """What the variant form gives the variant services."""
    fields = {name: data[name] for name in ("sku", "name", "price", "unit_weight_kg")}
    return fields | {"free": bool(data.get("free"))}


@login_required
def variant_new(request: HttpRequest, org: str, slug: str) -> HttpResponse:
    found, item = _editor_product(request, org, slug)
    currency = _currency(list(item.variants.all()))
    form = VariantForm(request.POST or None, currency=currency)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            variant = variant_create(
                actor=request.user,
                product=item,
                **_variant_fields(data),
                stock=data.get("stock") or 0,
            )
        except DomainError as error:
            _apply_errors(form, error)
            status = error.http_status
        else:
            messages.success(
                request, _("Variant %(variant)s added.") % {"variant": variant_label(variant)}
            )
            return HttpResponseRedirect(_variants_url(found, item))
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "catalog/variant_form.html",
        {"seller": found, "product": item, "form": form, "variant": None, "currency": currency},
        status=status,
    )


@login_required
def variant_edit(request: HttpRequest, org: str, slug: str, variant_id: str) -> HttpResponse:
    found, item = _editor_product(request, org, slug)
    variant = _variant_or_404(item, variant_id)
    initial = {
        "sku": variant.sku,
        "name": variant.name,
        "price": landed_prices.variant_price(variant).as_string(),
        "free": variant.price_minor == 0,
        "unit_weight_kg": variant.unit_weight_kg or "",
    }
    form = VariantForm(
        request.POST or None, initial=initial, currency=variant.currency, with_stock=False
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            variant_update(
                actor=request.user,
                variant=variant,
                **_variant_fields(data),
            )
        except DomainError as error:
            _apply_errors(form, error)
            status = error.http_status
        else:
            messages.success(request, _("The variant is saved."))
            return HttpResponseRedirect(_variants_url(found, item))
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "catalog/variant_form.html",
        {
            "seller": found,
            "product": item,
            "form": form,
            "variant": variant,
            "currency": variant.currency,
            "stock_form": StockForm(variants=[variant], auto_id="id_stock_%s"),
        },
        status=status,
    )


@login_required
@require_POST
def variant_active(request: HttpRequest, org: str, slug: str, variant_id: str) -> HttpResponse:
    """Take a variant off sale (``action=deactivate``) or put it back (``action=activate``)."""
    found, item = _editor_product(request, org, slug)
    variant = _variant_or_404(item, variant_id)
    label = variant_label(variant)
    try:
        if request.POST.get("action") == "activate":
            variant_activate(actor=request.user, variant=variant)
            messages.success(request, _("%(variant)s is on sale again.") % {"variant": label})
        else:
            variant_deactivate(actor=request.user, variant=variant)
            held = variant.held_units  # type: ignore[attr-defined]
            message = _("%(variant)s is off sale.") % {"variant": label}
            if held:
                message += " " + ngettext(
                    "%(count)s unit stays held for unpaid orders; those orders can still "
                    "be paid and shipped.",
                    "%(count)s units stay held for unpaid orders; those orders can still "
                    "be paid and shipped.",
                    held,
                ) % {"count": held}
            messages.success(request, message)
    except DomainError as error:
        messages.error(request, error.message)
    return HttpResponseRedirect(_variants_url(found, item))


@login_required
@require_POST
def photo_add(request: HttpRequest, org: str, slug: str) -> HttpResponse:
    found, item = _editable_product(request, org, slug)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Send a JPEG, PNG or WebP image."))
    else:
        try:
            photos_services.photo_add(
                actor=request.user,
                product=item,
                content=form.cleaned_data["photo"].read(),
                alt_text=form.cleaned_data.get("alt_text", ""),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Photo added."))
    return HttpResponseRedirect(reverse("catalog:product_edit", args=[found.slug, item.slug]))


@login_required
def product_import(request: HttpRequest, org: str) -> HttpResponse:
    found = _seller_or_404(request, org)
    if not sellers_selectors.can_edit(request.user, found):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        try:
            imported = products_import_csv(
                actor=request.user,
                seller=found,
                content=form.cleaned_data["file"].read(),
                publish=form.cleaned_data["publish"],
            )
        except DomainError as error:
            errors = list(error.extra.get("errors", [])) or [
                {"row": 0, "column": "", "message": error.message}
            ]
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s product imported.", "%(count)s products imported.", len(imported)
                )
                % {"count": len(imported)},
            )
            return HttpResponseRedirect(reverse("catalog:dashboard", args=[found.slug]))
    return render(
        request,
        "catalog/import.html",
        {"seller": found, "form": form, "errors": errors, "columns": CSV_COLUMNS},
    )
