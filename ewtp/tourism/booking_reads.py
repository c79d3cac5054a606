"""The read a booking starts with: the experience with its day, in one query written once per
process (a full day is refused from it, before anything else), and the tiers once it may book."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Field, Model, Prefetch, prefetch_related_objects

from ewtp.accounts.models import Organisation
from ewtp.core import clock
from ewtp.core.models import IdempotencyRecord
from ewtp.tourism.models import Booking, DailyCapacity, Experience, Park, PriceTier


def _columns(model: type[Model]) -> list[Field[Any, Any]]:
    return list(model._meta.concrete_fields)


_BOOKING_DAY_SQL = """
SELECT {columns}, d.capacity, d.taken, d.is_closed,
    EXISTS (SELECT 1 FROM {booking} b WHERE b.experience_id = e.id
        AND b.visit_on = %(on)s AND b.status = %(held)s AND b.expires_at <= %(now)s),
    EXISTS (SELECT 1 FROM {idempotency} k WHERE k.scope = %(scope)s AND k.{key} = %(key)s)
FROM {experience} e
JOIN {organisation} o ON o.id = e.operator_id
JOIN {park} p ON p.id = e.park_id
LEFT JOIN {day} d ON d.experience_id = e.id AND d.visit_on = %(on)s
WHERE e.slug = %(slug)s AND e.is_published
"""


@functools.cache
def _booking_day_sql(vendor: str) -> str:
    """The query of ``experience_for_booking_with_day``, written once per process (the ORM
    would compile it again on every request: most of a refusal's time)."""
    quote = connection.ops.quote_name
    columns = []
    for alias, model in (("e", Experience), ("o", Organisation), ("p", Park)):
        columns += [f"{alias}.{quote(str(column.column))}" for column in _columns(model)]
    return _BOOKING_DAY_SQL.format(
        columns=", ".join(columns),
        booking=Booking._meta.db_table,
        idempotency=IdempotencyRecord._meta.db_table,
        key=quote("key"),
        experience=Experience._meta.db_table,
        organisation=Organisation._meta.db_table,
        park=Park._meta.db_table,
        day=DailyCapacity._meta.db_table,
    )


@functools.cache
def _loader(model: type[Model], vendor: str) -> tuple[list[str], list[tuple[int, Any, list[Any]]]]:
    """A model's attribute names and, for the columns whose values the database backend
    converts (SQLite's booleans, times, decimals; none on PostgreSQL), their converters: worked
    out once per process, not for each of the 52 columns on every request."""
    fields = _columns(model)
    converting = []
    for index, column in enumerate(fields):
        expression = column.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(expression) + column.get_db_converters(
            connection
        )
        if converters:
            converting.append((index, expression, converters))
    return [column.attname for column in fields], converting


def _instance(model: type[Model], values: list[Any]) -> Any:
    attnames, converting = _loader(model, connection.vendor)
    for index, expression, converters in converting:
        value = values[index]
        for converter in converters:
            value = converter(value, expression, connection)
        values[index] = value
    return model.from_db(connection.alias, attnames, values)


@functools.cache
def _sizes() -> tuple[int, int, int]:
    return len(_columns(Experience)), len(_columns(Organisation)), len(_columns(Park))


def experience_for_booking_with_day(
    slug: str, visit_on: date, *, scope: str, key: str
) -> Experience | None:
    """ONE query: the published experience with the day's capacity row (``day_capacity``,
    ``day_taken``, ``day_closed``; None without a row), whether unpaid holds past their time
    still count on it (``holds_due``) and whether the Idempotency-Key was used already
    (``key_used``): enough to refuse a full day before anything else. Its operator and park
    come in the same row but are built only by ``experience_tiers_load`` (the path that books):
    a refusal does not need them. None when there is no such published experience."""
    with connection.cursor() as cursor:
        cursor.execute(
            _booking_day_sql(connection.vendor),
            {
                "slug": slug,
                "on": connection.ops.adapt_datefield_value(visit_on),
                "held": Booking.Status.HELD,
                "now": connection.ops.adapt_datetimefield_value(clock.now()),
                "scope": scope,
                "key": key,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    experience_size, operator_size, park_size = _sizes()
    related = experience_size + operator_size + park_size
    experience: Experience = _instance(Experience, list(row[:experience_size]))
    experience._booking_related = row[experience_size:related]  # type: ignore[attr-defined]
    capacity, taken, closed, due, used = row[related:]
    experience.day_capacity = capacity  # type: ignore[attr-defined]
    experience.day_taken = taken  # type: ignore[attr-defined]
    experience.day_closed = bool(closed)  # type: ignore[attr-defined]
    experience.holds_due = bool(due)  # type: ignore[attr-defined]
    experience.key_used = bool(used)  # type: ignore[attr-defined]
    return experience


def experience_tiers_load(experience: Experience) -> Experience:
    """Give an experience read by ``experience_for_booking_with_day`` its operator and park
    (from the row already read) and its tiers (one query)."""
    related = getattr(experience, "_booking_related", None)
    if related is not None:
        operator_size = _sizes()[1]
        experience._state.fields_cache["operator"] = _instance(
            Organisation, list(related[:operator_size])
        )
        experience._state.fields_cache["park"] = _instance(Park, list(related[operator_size:]))
        del experience._booking_related  # type: ignore[attr-defined]
    prefetch_related_objects(
        [experience], Prefetch("tiers", queryset=PriceTier.objects.order_by("position", "code"))
    )
    return experience
