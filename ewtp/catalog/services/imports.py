"""A seller's CSV import of products: all rows or none."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
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
    "free",  # yes: a price of 0 is meant (the item is given away)
    "national_codes",  # e.g. US:09021090, several separated by ";" (where a tariff splits the code)
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


def _csv_reader(content: bytes) -> csv.DictReader[str]:
    """The file's rows, once it is small enough, UTF-8 and has the required columns."""
    if len(content) > CSV_MAX_BYTES:
        raise _import_rejected([ImportProblem(0, "file", "The file is larger than 2 MB.")])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _import_rejected([ImportProblem(0, "file", "The file is not UTF-8 text.")]) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in CSV_REQUIRED if name not in header]
    if missing:
        raise _import_rejected([ImportProblem(1, ",".join(missing), "Missing column(s).")])
    return reader


def _stock_cell(value: str) -> Any:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return -1


def _national_cell(value: str, number: int, errors: list[ImportProblem]) -> dict[str, str] | None:
    """``US:09021090;GB:...`` as {destination: code}; a malformed entry is noted."""
    if not value:
        return None
    codes: dict[str, str] = {}
    for entry in (part.strip() for part in value.split(";")):
        if not entry:
            continue
        where, sep, code = (piece.strip() for piece in entry.partition(":"))
        if not sep or not re.fullmatch(r"[A-Za-z]{2,4}", where) or not code:
            errors.append(
                ImportProblem(
                    number,
                    "national_codes",
                    f"{entry!r}: write a destination and its code, e.g. US:09021090.",
                )
            )
            continue
        codes[where.upper()] = code
    return codes


def _row_data(
    cells: dict[str, str], number: int, categories: dict[str, Category], errors: list[ImportProblem]
) -> ProductData:
    """One row as the product form's data; an unknown category is noted in ``errors``."""
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
    return ProductData(
        title=cells.get("title", ""),
        description=cells.get("description", ""),
        category=category,
        hs_code=cells.get("hs_code", ""),
        origin=cells.get("origin", ""),
        unit_weight_kg=cells.get("unit_weight_kg", ""),
        price=cells.get("price", ""),
        free=cells.get("free", "").strip().lower() in {"yes", "true", "1"},
        currency=cells.get("currency", ""),
        stock=_stock_cell(cells.get("stock", "")),
        sku=cells.get("sku", ""),
        certifications=re.split(r"[;\s]+", cells.get("certifications", "")),
        language=cells.get("language") or "en",
        translations=translations,
        national_codes=_national_cell(cells.get("national_codes", ""), number, errors),
    )


@dataclass
class _FileChecks:
    """What a row is checked against besides itself: the seller, its SKUs, the rows before."""

    seller: Organisation
    existing_skus: set[str]
    seen_skus: dict[str, int] = field(default_factory=dict)
    first_currency: str = ""  # the first row priced in the seller's currency sets it for the rest

    def currency(self, cleaned: dict[str, Any], row_errors: dict[str, str]) -> None:
        if "currency" in row_errors:
            return
        problem = seller_currency_error(self.seller, cleaned["currency"])
        if problem is None and self.first_currency and cleaned["currency"] != self.first_currency:
            problem = gettext("Price every row in %(currency)s, as the first one.") % {
                "currency": self.first_currency
            }
        if problem:
            row_errors["currency"] = problem
        elif not self.first_currency:
            self.first_currency = cleaned["currency"]

    def sku(self, number: int, sku: str) -> ImportProblem | None:
        if not sku:
            return None
        problem = None
        if sku in self.existing_skus:
            problem = ImportProblem(number, "sku", f"You have a product with SKU {sku} already.")
        elif sku in self.seen_skus:
            problem = ImportProblem(
                number, "sku", f"SKU {sku} is on row {self.seen_skus[sku]} too."
            )
        self.seen_skus.setdefault(sku, number)
        return problem


def _checked_rows(seller: Organisation, reader: csv.DictReader[str]) -> list[dict[str, Any]]:
    """Every row validated; ImportRejected with all the problems found if there is any."""
    categories = {category.slug: category for category in Category.objects.all()}
    checks = _FileChecks(
        seller=seller,
        existing_skus=set(
            Variant.objects.filter(product__seller=seller).values_list("sku", flat=True)
        ),
    )
    errors: list[ImportProblem] = []
    rows: list[dict[str, Any]] = []
    for number, raw in enumerate(reader, start=2):
        if number - 1 > CSV_MAX_ROWS:
            errors.append(ImportProblem(number, "file", f"At most {CSV_MAX_ROWS} rows."))
            break
        cells = {(key or "").strip(): (value or "").strip() for key, value in raw.items() if key}
        if not any(cells.values()):
            continue
        cleaned, row_errors = product_validate(_row_data(cells, number, categories, errors))
        checks.currency(cleaned, row_errors)
        for column, message in row_errors.items():
            errors.append(ImportProblem(number, column, message))
        sku_problem = checks.sku(number, cleaned["sku"])
        if sku_problem:
            errors.append(sku_problem)
        rows.append(cleaned)
    if not rows and not errors:
        errors.append(ImportProblem(2, "file", "The file has no product rows."))
    if errors:
        raise _import_rejected(errors)
    return rows


def products_import_csv(
    *, actor: object, seller: Organisation, content: bytes, publish: bool = False
) -> list[Product]:
    """Import products from a CSV file, every row checked first; any error imports nothing.

    Columns: title, hs_code, origin, unit_weight_kg, price, currency (required), and
    description, category (slug), stock, sku, certifications (space or ; separated),
    language, title_<lang>, description_<lang> for translations, and national_codes
    (``US:09021090``, several separated by ``;``: the national code picked per destination where its
    tariff splits the HS code, checked against the candidates).
    """
    require_seller_editor(actor, seller)
    rows = _checked_rows(seller, _csv_reader(content))
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
