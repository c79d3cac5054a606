"""The rows a hold writes once its places are taken: the booking, its visitors and the audit
entry, in raw SQL written once per process. On PostgreSQL the three INSERTs are ONE statement
(data-modifying CTEs; the visitors name the booking's new id); on SQLite three, in the
caller's transaction either way."""

from __future__ import annotations

import functools
from typing import Any

from django.db import connection

from ewtp.core import rows
from ewtp.core.models import AuditLog
from ewtp.tourism.models import Booking, BookingVisitor


@functools.cache
def _hold_sql(visitors: int) -> str:
    """PostgreSQL: the booking, its ``visitors`` visitors and the audit entry in one statement,
    which returns the booking's id."""
    quote = connection.ops.quote_name
    booking = rows.insert_sql(Booking, 1, returning=True)
    audit = rows.insert_sql(AuditLog, 1, returning=False)
    fields = rows.insert_fields(BookingVisitor)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    marks = ["(SELECT id FROM b)" if f.name == "booking" else "%s" for f in fields]
    values = ", ".join([f"({', '.join(marks)})"] * visitors)
    table = quote(BookingVisitor._meta.db_table)
    parts = [f"b AS ({booking})", f"a AS ({audit})"]
    if visitors:
        parts.insert(1, f"v AS (INSERT INTO {table} ({columns}) VALUES {values})")  # noqa: S608 (names quoted, placeholders only)
    return "WITH " + ",\n".join(parts) + "\nSELECT id FROM b"


def _visitor_values(visitor: BookingVisitor) -> list[Any]:
    """A visitor's values for ``_hold_sql``: all but the booking's, which the statement names."""
    return [
        field.get_db_prep_save(field.pre_save(visitor, True), connection)
        for field in rows.insert_fields(BookingVisitor)
        if field.name != "booking"
    ]


def hold_write(booking: Booking, visitors: list[BookingVisitor], audit: AuditLog) -> None:
    """Write a new booking, its visitors and its audit entry; run inside the hold's
    transaction (after the places were taken). The booking gets its primary key."""
    if connection.vendor != "postgresql":
        rows.rows_insert([booking])
        for visitor in visitors:
            visitor.booking = booking
        rows.rows_insert(visitors, returning=False)
        for visitor in visitors:
            rows.mark_saved(visitor)
        rows.rows_insert([audit])
        return
    values = rows.insert_values(booking)  # in the statement's order: b, v, a
    for visitor in visitors:
        values += _visitor_values(visitor)
    values += rows.insert_values(audit)
    with connection.cursor() as cursor:
        cursor.execute(_hold_sql(len(visitors)), values)
        (pk,) = cursor.fetchone()
    rows.mark_saved(booking, pk)
    for visitor in visitors:
        visitor.booking = booking
        rows.mark_saved(visitor)
