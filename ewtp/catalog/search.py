"""Full-text product search behind one interface: SQLite FTS5 or PostgreSQL text search.

Both backends index the same denormalised text (``Product.search_title``, every language's
title and the seller's name, weighted over ``search_body``), match every query word as a
prefix, and rank best first. Words in scripts written without spaces (Chinese) are matched as
substrings instead, as neither tokenizer splits them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, Q, QuerySet

from ewtp.catalog.models import Product

MAX_TERMS = 8
_WORD = re.compile(r"\w+", re.UNICODE)
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CONFIG = "simple"  # many languages in one index: no stemming, prefix matching instead


def terms_of(query: str) -> tuple[list[str], list[str]]:
    """(words for the full-text index, unspaced-script words matched as substrings)."""
    words = [word.lower()[:40] for word in _WORD.findall(query)][:MAX_TERMS]
    indexed = [word for word in words if not _UNSPACED.search(word)]
    substrings = [word for word in words if _UNSPACED.search(word)]
    return indexed, substrings


def search(queryset: QuerySet[Product], query: str) -> QuerySet[Product]:
    """Products of ``queryset`` matching ``query``, best match first."""
    indexed, substrings = terms_of(query)
    for word in substrings:
        queryset = queryset.filter(Q(search_title__icontains=word) | Q(search_body__icontains=word))
    if not indexed:
        return queryset.order_by("-published_at", "-id") if substrings else queryset
    if connection.vendor == "postgresql":
        tsquery = SearchQuery(
            " & ".join(f"{word}:*" for word in indexed), config=CONFIG, search_type="raw"
        )
        return (
            queryset.filter(search_vector=tsquery)
            .annotate(rank=SearchRank(F("search_vector"), tsquery))
            .order_by("-rank", "-id")
        )
    if connection.vendor == "sqlite":
        expression = " ".join('"{}"*'.format(word.replace('"', "")) for word in indexed)
        return queryset.filter(search_entry__match=expression).order_by("search_entry__rank", "-id")
    for word in indexed:  # another database: plain substring matching, newest first
        queryset = queryset.filter(Q(search_title__icontains=word) | Q(search_body__icontains=word))
    return queryset.order_by("-published_at", "-id")


def index_products(product_ids: Iterable[int] | None = None) -> None:
    """Bring the search index in step with ``search_title``/``search_body`` (None: all)."""
    ids = None if product_ids is None else list(product_ids)
    if ids is not None and not ids:
        return
    if connection.vendor == "postgresql":
        products = Product.objects.all() if ids is None else Product.objects.filter(pk__in=ids)
        products.update(
            search_vector=SearchVector("search_title", weight="A", config=CONFIG)
            + SearchVector("search_body", weight="B", config=CONFIG)
        )
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            if ids is None:
                cursor.execute("DELETE FROM catalog_product_fts")
                cursor.execute(
                    "INSERT INTO catalog_product_fts(rowid, title, body) "
                    "SELECT id, search_title, search_body FROM catalog_product"
                )
                return
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join(["%s"] * len(chunk))
                cursor.execute(f"DELETE FROM catalog_product_fts WHERE rowid IN ({marks})", chunk)  # noqa: S608
                cursor.execute(
                    "INSERT INTO catalog_product_fts(rowid, title, body) "  # noqa: S608
                    f"SELECT id, search_title, search_body FROM catalog_product WHERE id IN ({marks})",
                    chunk,
                )
