"""The read a cart's answer is built from: its lines with their variants, products, sellers,
titles in one language and stock available, in one query written once per process.

Raw SQL because the ORM's version (a select_related and two prefetches) was three queries and
compiled them again on every request: over half the CPU time of adding a line to a cart.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.db import connection
from django.db.models import Model

from ewtp.accounts.models import Organisation
from ewtp.catalog.models import Product, ProductTranslation, StockLevel, Variant
from ewtp.core.money import Money
from ewtp.orders.models import CartLine

_CART_LINES_SQL = """
SELECT l.id, l.quantity, v.public_id, v.sku, v.{name}, v.price_minor, v.currency,
    p.public_id, COALESCE(t.title, p.title), o.slug, p.seller_id,
    (SELECT COALESCE(SUM(s.on_hand - s.reserved), 0) FROM {stock} s WHERE s.variant_id = v.id)
FROM {line} l
JOIN {variant} v ON v.id = l.variant_id
JOIN {product} p ON p.id = v.product_id
JOIN {organisation} o ON o.id = p.seller_id
LEFT JOIN {translation} t ON t.product_id = p.id AND t.{language} = %(language)s
WHERE l.cart_id = %(cart)s
ORDER BY o.{name}, l.id
"""


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@functools.cache
def _cart_lines_sql(vendor: str) -> str:
    """The query of ``cart_lines_answer``, written once per process (by database)."""
    quote = connection.ops.quote_name
    return _CART_LINES_SQL.format(
        name=quote("name"),
        language=quote("language"),
        stock=table(StockLevel),
        line=table(CartLine),
        variant=table(Variant),
        product=table(Product),
        organisation=table(Organisation),
        translation=table(ProductTranslation),
    )


def uuid_text(value: Any) -> str:
    """A UUID as the API writes it (SQLite hands back its 32 hex digits)."""
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value))


def cart_lines_answer(cart_pk: int, language: str) -> tuple[list[dict[str, Any]], set[int]]:
    """ONE query: the cart's lines as the API answers them, by seller name then line, with
    the title in ``language`` (else the product's own) and the seller ids."""
    with connection.cursor() as cursor:
        cursor.execute(_cart_lines_sql(connection.vendor), {"cart": cart_pk, "language": language})
        rows = cursor.fetchall()
    lines = []
    sellers = set()
    for row in rows:
        pk, quantity, variant_id, sku, name, price, currency, product_id, title = row[:9]
        slug, seller, available = row[9:]
        lines.append(
            {
                "id": pk,
                "product_id": uuid_text(product_id),
                "variant_id": uuid_text(variant_id),
                "sku": sku,
                "title": f"{title} ({name})" if name else title,
                "seller": slug,
                "quantity": quantity,
                "unit_price": Money.from_minor(price, currency).as_dict(),
                "available": max(int(available), 0),
            }
        )
        sellers.add(seller)
    return lines, sellers


def columns(model: type[Model], alias: str = "") -> str:
    """The model's columns (of ``alias``), in its fields' order, for a SELECT or a RETURNING."""
    quote = connection.ops.quote_name
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + quote(str(field.column)) for field in model._meta.concrete_fields)


def instance[M: Model](model: type[M], values: Any) -> M:
    """A model instance from a raw row of ``columns(model)``, converted as the ORM would."""
    fields = model._meta.concrete_fields
    converted = []
    for field, value in zip(fields, values, strict=True):
        expression = field.get_col(model._meta.db_table)
        for converter in connection.ops.get_db_converters(expression) + field.get_db_converters(
            connection
        ):
            value = converter(value, expression, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in fields], converted)
