"""Prepared statements on PostgreSQL, and the queries that must be planned for their values.

With ``EWTP_DB_PREPARE_THRESHOLD`` on, psycopg prepares a statement once it has run that often
on a connection; after five executions PostgreSQL may then run it with a generic plan, made
without the values. That is what a write path wants (its statements are planned once), but a
query whose best plan depends on its values (a full-text search: a rare word reads a few index
entries, a common one thousands) is run unprepared inside :func:`planned_for_values`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

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
