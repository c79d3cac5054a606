"""Prepared statements on PostgreSQL, the queries that must be planned for their values, and
psycopg's cache of parsed statements.

With ``EWTP_DB_PREPARE_THRESHOLD`` on, psycopg prepares a statement once it has run that often
on a connection; after five executions PostgreSQL may then run it with a generic plan, made
without the values. That is what a write path wants (its statements are planned once), but a
query whose best plan depends on its values (a full-text search: a rare word reads a few index
entries, a common one thousands) is run unprepared inside :func:`planned_for_values`.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from typing import Any

from django.db import connection


@contextlib.contextmanager
def planned_for_values() -> Iterator[None]:
    """Statements run inside are sent unprepared (still with their values apart), so that
    PostgreSQL plans each for its values; elsewhere, and on SQLite, nothing changes."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    threshold = raw.prepare_threshold
    raw.prepare_threshold = None  # psycopg: prepare nothing on this connection
    try:
        yield
    finally:
        raw.prepare_threshold = threshold


# psycopg parses a statement's placeholders once and keeps the result, but only for statements
# of at most 50 parameters and 4,096 characters: a checkout's INSERT of its orders (two rows of
# 35 columns) or of its lines, events, audit rows and mail task together was parsed again on
# every checkout, a sixth of its CPU. The statements of ``core.rows`` are a few fixed texts;
# SQLite takes 999 parameters at most, so no statement of ``rows`` has more.
CACHED_PARAMETERS = 1000
CACHED_LENGTH = 65536


def parsed_statements_cached() -> bool:
    """Let psycopg keep the parsed form of statements up to ``CACHED_PARAMETERS`` parameters
    and ``CACHED_LENGTH`` characters (its cache keeps the 128 last used; these limits only let
    larger statements in). False where psycopg is not installed or no longer has the limits."""
    try:
        queries: Any = importlib.import_module("psycopg._queries")
    except ImportError:  # SQLite only
        return False
    if not hasattr(queries, "MAX_CACHED_STATEMENT_PARAMS"):
        return False
    queries.MAX_CACHED_STATEMENT_PARAMS = max(
        queries.MAX_CACHED_STATEMENT_PARAMS, CACHED_PARAMETERS
    )
    queries.MAX_CACHED_STATEMENT_LENGTH = max(queries.MAX_CACHED_STATEMENT_LENGTH, CACHED_LENGTH)
    return True
