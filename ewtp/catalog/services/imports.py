"""A seller's CSV import of products: all rows or none."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from ewtp.accounts.models import Organisation
from ewtp.catalog.errors import ImportRejected
from ewtp.catalog.models import (
    Category,
    Product,
    Variant,
)
from ewtp.catalog.services.common import LANGUAGE_CODES, reindex, require_seller_editor
from ewtp.catalog.services.products import (
    ProductData,
    product_insert,
    product_validate,
    seller_currency_error,
)
from ewtp.core.services import audit_record

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
