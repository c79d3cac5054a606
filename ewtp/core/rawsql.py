"""INSERTs of whole rows in raw SQL, their text written once per process.

The ORM compiles an INSERT again on every ``save()`` or ``bulk_create()`` (most of a short
write path's Python time); these give the same statement from a cache, and the values from
the model's own fields (``pre_save`` and ``get_db_prep_save``: defaults, ``auto_now``, the
backend's adaptation), so the rows written are those the ORM would write.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model


@functools.cache
def insert_fields(model: type[Model]) -> tuple[Field[Any, Any], ...]:
    """The columns an INSERT of ``model`` writes: every concrete field but the primary key."""
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key)


@functools.cache
def insert_sql(model: type[Model], rows: int, vendor: str, *, returning: bool) -> str:
    """``INSERT INTO <table> (<columns>) VALUES (%s, ...), ...`` for ``rows`` rows, with
    ``RETURNING <pk>`` when asked (PostgreSQL and SQLite both return it)."""
    quote = connection.ops.quote_name
    fields = insert_fields(model)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES " + ", ".join(  # noqa: S608 (names quoted, placeholders only)
        [row] * rows
    )
    if returning:
        sql += f" RETURNING {quote(str(model._meta.pk.column))}"
    return sql


def insert_values(instance: Model) -> list[Any]:
    """The values of ``instance`` for ``insert_sql``, as the ORM's INSERT would send them."""
    return [
        field.get_db_prep_save(field.pre_save(instance, True), connection)
        for field in insert_fields(type(instance))
    ]


def saved(instance: Model, pk: Any) -> None:
    """Mark an instance written by a raw INSERT as the ORM marks one it saved."""
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias


def insert(instance: Model) -> Model:
    """Insert one row (one statement) and give the instance its primary key."""
    with connection.cursor() as cursor:
        cursor.execute(
            insert_sql(type(instance), 1, connection.vendor, returning=True),
            insert_values(instance),
        )
        (pk,) = cursor.fetchone()
    saved(instance, pk)
    return instance


def insert_many(instances: Sequence[Model]) -> None:
    """Insert rows of one model in one statement (their primary keys are not read back)."""
    if not instances:
        return
    values: list[Any] = []
    for instance in instances:
        values += insert_values(instance)
    with connection.cursor() as cursor:
        cursor.execute(
            insert_sql(type(instances[0]), len(instances), connection.vendor, returning=False),
            values,
        )
    for instance in instances:
        instance._state.adding = False
        instance._state.db = connection.alias


@functools.cache
def update_sql(model: type[Model], names: tuple[str, ...], vendor: str) -> str:
    """``UPDATE <table> SET <column> = %s, ... WHERE <pk> = %s`` for the fields ``names``."""
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    columns = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)  # type: ignore[union-attr]
    key = quote(str(model._meta.pk.column))
    return f"UPDATE {quote(model._meta.db_table)} SET {columns} WHERE {key} = %s"  # noqa: S608 (names quoted, placeholders only)


def update(instance: Model, names: tuple[str, ...]) -> None:
    """Write the fields ``names`` of a saved instance (one statement), as
    ``save(update_fields=names)`` would, its text not compiled again."""
    model = type(instance)
    values = []
    for name in names:
        field = model._meta.get_field(name)
        values.append(field.get_db_prep_save(field.pre_save(instance, False), connection))  # type: ignore[union-attr]
    values.append(instance.pk)
    with connection.cursor() as cursor:
        cursor.execute(update_sql(model, names, connection.vendor), values)
