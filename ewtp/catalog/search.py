"""Full-text product search behind one interface: SQLite FTS5 or PostgreSQL text search.

Both backends index the same denormalised text (``Product.search_title``, every language's
title and the seller's name, weighted over ``search_body``), match every query word as a
prefix, and rank best first. Words in scripts written without spaces (Chinese) are matched as
substrings instead, as neither tokenizer splits them.

A search ranks and counts at most ``CANDIDATES`` matches, so that a common word ("coffee" in
a large catalogue) costs about as much as a rare one. When more products match, the page says
so (``Found.total_is_exact`` is False and ``total`` is ``CANDIDATES``) and pages end there.
On PostgreSQL the candidates are the first ``CANDIDATES`` matches the index gives and, when
there are more and some of those match outside their title only, also the first
``CANDIDATES`` with every word in the title (a GIN index on the title lexemes, migration
0003); so title matches, which rank first, are not left out for matches in descriptions.
On SQLite, FTS5 ranks every match (bm25) and the best ``CANDIDATES`` are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, F, Func, Q, QuerySet, Value

from ewtp.catalog.models import Product, TsVectorField
from ewtp.core.prepared import planned_for_values

MAX_TERMS = 8
CANDIDATES = 1000  # matches ranked and counted at most, per search
_WORD = re.compile(r"\w+", re.UNICODE)
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CONFIG = "simple"  # many languages in one index: no stemming, prefix matching instead


@dataclass(frozen=True)
class Found:
    """One page of a search: product ids best first, and how many products match."""

    ids: list[int]
    total: int  # matches, counted up to CANDIDATES
    total_is_exact: bool  # False: more than CANDIDATES products match


def terms_of(query: str) -> tuple[list[str], list[str]]:
    """(words for the full-text index, unspaced-script words matched as substrings)."""
    words = [word.lower()[:40] for word in _WORD.findall(query)][:MAX_TERMS]
    indexed = [word for word in words if not _UNSPACED.search(word)]
    substrings = [word for word in words if _UNSPACED.search(word)]
    return indexed, substrings


def search_page(queryset: QuerySet[Product], query: str, *, offset: int, limit: int) -> Found:
    """The products of ``queryset`` matching ``query``, best first: ``limit`` of them from
    ``offset``, and their number (up to ``CANDIDATES``)."""
    indexed, substrings = terms_of(query)
    for word in substrings:
        queryset = queryset.filter(Q(search_title__icontains=word) | Q(search_body__icontains=word))
    if not indexed:  # newest first, among those with the substrings if any
        return _page_of(queryset.order_by("-published_at", "-id"), offset=offset, limit=limit)
    if connection.vendor == "postgresql":
        with planned_for_values():  # a rare word and a common one want different plans
            return _postgres_page(queryset, indexed, offset=offset, limit=limit)
    if connection.vendor == "sqlite":
        expression = " ".join('"{}"*'.format(word.replace('"', "")) for word in indexed)
        ranked = queryset.filter(search_entry__match=expression).order_by(
            "search_entry__rank", "-id"
        )
        return _page_of(ranked, offset=offset, limit=limit)
    for word in indexed:  # another database: plain substring matching, newest first
        queryset = queryset.filter(Q(search_title__icontains=word) | Q(search_body__icontains=word))
    return _page_of(queryset.order_by("-published_at", "-id"), offset=offset, limit=limit)


def _page_of(ordered: QuerySet[Product], *, offset: int, limit: int) -> Found:
    """A page of the first ``CANDIDATES`` products of an ordered queryset."""
    ids = list(ordered.values_list("pk", flat=True)[: CANDIDATES + 1])
    total = min(len(ids), CANDIDATES)
    return Found(
        ids=ids[offset : min(offset + limit, total)],
        total=total,
        total_is_exact=len(ids) <= CANDIDATES,
    )


class TitleLexemes(Func):
    """The title's lexemes of a search vector (weight A), as indexed by migration 0003."""

    template = "ts_filter(%(expressions)s, '{a}')"
    output_field = TsVectorField()


def _postgres_page(
    queryset: QuerySet[Product], indexed: list[str], *, offset: int, limit: int
) -> Found:
    tsquery = SearchQuery(
        " & ".join(f"{word}:*" for word in indexed), config=CONFIG, search_type="raw"
    )
    ranked = (
        queryset.order_by()
        .alias(title_lexemes=TitleLexemes("search_vector"))
        .annotate(rank=SearchRank(F("search_vector"), tsquery))
    )
    anywhere = (
        ranked.filter(search_vector=tsquery)
        .annotate(in_title=ExpressionWrapper(Q(title_lexemes=tsquery), BooleanField()))
        .values_list("id", "rank", "in_title")
    )
    candidates = _first(anywhere, CANDIDATES + 1)
    ids, found, all_in_titles = _ranked(candidates, offset=offset, limit=limit)
    if found > CANDIDATES and not all_in_titles:
        # More matches than candidates, and some candidates match outside their title only:
        # add the first matches with every word in the title (which rank first), so that they
        # are not left out for matches in descriptions that come first in the table.
        in_titles = (
            ranked.filter(title_lexemes=tsquery)
            .annotate(in_title=Value(True))
            .values_list("id", "rank", "in_title")
        )
        with_titles = _first(in_titles, CANDIDATES)
        candidates = (f"{candidates[0]} UNION {with_titles[0]}", candidates[1] + with_titles[1])
        ids, found, _all_in_titles = _ranked(candidates, offset=offset, limit=limit)
    return Found(ids=ids, total=min(found, CANDIDATES), total_is_exact=found <= CANDIDATES)


def _first(matches: QuerySet[Any], count: int) -> tuple[str, list[Any]]:
    """SQL for the first ``count`` rows of ``matches`` (in the order the index gives them).

    Only as many rows are read and ranked as asked for. MATERIALIZED has the scan planned for
    all its rows: with the limit in view, the planner would rather read the table in order,
    hoping to meet matches early, and read most of it for a word that is not rare.
    """
    sql, params = matches.query.sql_with_params()
    return (
        f"(WITH matches AS MATERIALIZED ({sql}) SELECT * FROM matches LIMIT %s)",  # noqa: S608
        [*params, count],
    )


def _ranked(
    candidates: tuple[str, list[Any]], *, offset: int, limit: int
) -> tuple[list[int], int, bool]:
    """(ids of the page, number of candidates, whether all of them match in their title)."""
    sql, params = candidates
    stop = min(offset + limit, CANDIDATES)
    with connection.cursor() as cursor:
        if offset < stop:
            cursor.execute(
                "SELECT id, count(*) OVER (), bool_and(in_title) OVER () "  # noqa: S608
                f"FROM ({sql}) AS candidates ORDER BY rank DESC, id DESC LIMIT %s OFFSET %s",
                [*params, stop - offset, offset],
            )
            rows = cursor.fetchall()
            if rows:
                return [row[0] for row in rows], rows[0][1], rows[0][2]
            if offset == 0:
                return [], 0, True
        # A page past the end: the number of candidates still tells how many pages there are.
        cursor.execute(
            f"SELECT count(*), coalesce(bool_and(in_title), true) FROM ({sql}) AS candidates",  # noqa: S608
            params,
        )
        found, all_in_titles = cursor.fetchone()
    return [], found, all_in_titles


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
