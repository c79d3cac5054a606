"""Rows written and read by SQL whose text is built once per process, for the hottest paths.

The ORM compiles a query again on every call: for a checkout's five INSERTs and its
four-table read of the cart that was most of the request's CPU. ``rows_insert`` writes model
instances with an INSERT written once per (model, number of rows); ``columns`` and
``loader`` let a hand-written SELECT name a model's columns and turn them back into
instances with the backend's own converters (the same values the ORM would give).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model

# SQLite's older builds take at most 999 parameters a statement; PostgreSQL 65535.
_MAX_PARAMETERS = 999


@functools.lru_cache(maxsize=256)
def _insert_sql(
    model: type[Model], vendor: str, count: int, returning: bool
) -> tuple[str, tuple[Field[Any, Any], ...]]:
    """The INSERT of ``count`` rows: one text per model and number of rows, which psycopg
    parses once a process and PostgreSQL prepares once a connection (``prepared``)."""
    quote = connection.ops.quote_name
    # Every column but a key the database numbers (a key the model chooses, a UUID, is written).
    fields = tuple(f for f in model._meta.concrete_fields if not (f.primary_key and f.db_returning))
    names = ", ".join(quote(str(f.column)) for f in fields)
    rows = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * count)
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES {rows}"  # noqa: S608 (names and placeholders only)
    if returning:
        sql += f" RETURNING {quote(str(model._meta.pk.column))}"
    return sql, fields


def rows_insert(objs: Sequence[Model], *, returning: bool = True) -> None:
    """INSERT unsaved instances of one model (an auto-numbered primary key from the database,
    every other column from the instance, its defaults applied by the model's __init__ as for
    ``save``).

    ``returning``: each instance gets its new primary key (in the order given, as the ORM's
    ``bulk_create`` relies on) and counts as saved; without it the rows are only written."""
    if not objs:
        return
    model = type(objs[0])
    db = connections[DEFAULT_DB_ALIAS]  # the proxy ``connection`` looks it up on every use
    width = len(insert_fields(model))
    step = max(1, _MAX_PARAMETERS // width)
    for start in range(0, len(objs), step):
        chunk = objs[start : start + step]
        sql, fields = _insert_sql(model, db.vendor, len(chunk), returning)
        values = [f.get_db_prep_save(f.pre_save(obj, True), db) for obj in chunk for f in fields]
        with db.cursor() as cursor:
            cursor.execute(sql, values)
            if not returning:
                continue
            for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                mark_saved(obj, pk)


def insert_sql(model: type[Model], count: int, *, returning: bool) -> str:
    """The INSERT of ``count`` rows of ``model`` (``VALUES`` of placeholders in the order of
    ``insert_fields``), for a caller that writes it inside a larger statement."""
    return _insert_sql(model, connection.vendor, count, returning)[0]


def insert_fields(model: type[Model]) -> tuple[Field[Any, Any], ...]:
    """The fields an INSERT of ``model`` writes, in order: every concrete field but the key."""
    return _insert_sql(model, connection.vendor, 1, False)[1]


def insert_values(obj: Model) -> list[Any]:
    """The values of an unsaved instance for ``insert_sql``, as the ORM's INSERT sends them
    (each field's ``pre_save`` and ``get_db_prep_save``)."""
    db = connections[DEFAULT_DB_ALIAS]
    return [f.get_db_prep_save(f.pre_save(obj, True), db) for f in insert_fields(type(obj))]


def mark_saved(obj: Model, pk: Any = None) -> None:
    """Mark an instance written by a raw INSERT as the ORM marks one it saved (with its new
    primary key, when it was read back)."""
    if pk is not None:
        obj.pk = pk
    obj._state.adding = False
    obj._state.db = DEFAULT_DB_ALIAS


@functools.lru_cache(maxsize=128)
def _together_sql(kinds: tuple[tuple[type[Model], int], ...]) -> str:
    inserts = [_insert_sql(model, "postgresql", count, False)[0] for model, count in kinds]
    firsts = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(inserts[:-1]))
    return f"WITH {firsts} {inserts[-1]}"


def rows_insert_together(groups: Sequence[Sequence[Model]]) -> None:
    """INSERT several kinds of unsaved instances whose ids are not wanted (each group of one
    model): on PostgreSQL in one statement (the first kinds in data-modifying WITH
    clauses), elsewhere, or past the parameters a statement takes here, one INSERT a kind."""
    groups = [group for group in groups if group]
    db = connections[DEFAULT_DB_ALIAS]
    widths = [len(insert_fields(type(group[0]))) for group in groups]
    parameters = sum(len(group) * width for group, width in zip(groups, widths, strict=True))
    if db.vendor != "postgresql" or len(groups) < 2 or parameters > _MAX_PARAMETERS:
        for group in groups:
            rows_insert(group, returning=False)
        return
    kinds = tuple((type(group[0]), len(group)) for group in groups)
    values: list[Any] = []
    for group, (model, count) in zip(groups, kinds, strict=True):
        fields = _insert_sql(model, db.vendor, count, False)[1]
        values += [f.get_db_prep_save(f.pre_save(obj, True), db) for obj in group for f in fields]
    with db.cursor() as cursor:
        cursor.execute(_together_sql(kinds), values)


@functools.cache
def columns(model: type[Model], alias: str) -> str:
    """Every concrete column of ``model`` under the table alias ``alias``, in field order (the
    order ``loader`` reads them in)."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(f.column))}" for f in model._meta.concrete_fields)


@functools.cache
def _converters(model: type[Model], vendor: str) -> tuple[tuple[int, list[Any], Any], ...]:
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        col = field.get_col(model._meta.db_table)
        convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if convs:
            found.append((index, convs, col))
    return tuple(found)


def loader[M: Model](model: type[M]) -> Callable[[Sequence[Any], int], M]:
    """A function (row, offset) → an instance of ``model`` from the ``columns(model, …)``
    starting at ``offset`` in a row, each value converted as the ORM converts it."""
    db = connections[DEFAULT_DB_ALIAS]
    converters = _converters(model, db.vendor)
    width = len(model._meta.concrete_fields)
    alias = db.alias

    def load(row: Sequence[Any], offset: int) -> M:
        values = list(row[offset : offset + width])
        for index, convs, col in converters:
            value = values[index]
            for converter in convs:
                value = converter(value, col, db)
            values[index] = value
        return model.from_db(alias, (), values)  # every column: the names are not read

    return load


@functools.lru_cache(maxsize=128)
def _update_sql(
    model: type[Model], vendor: str, names: tuple[str, ...], unset: str
) -> tuple[str, tuple[Field[Any, Any], ...]]:
    quote = connection.ops.quote_name
    fields = tuple(model._meta.get_field(name) for name in names)
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)  # type: ignore[union-attr]
    pk = quote(str(model._meta.pk.column))
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {pk} = %s"  # noqa: S608 (names and placeholders only)
    if unset:
        sql += f" AND {quote(str(model._meta.get_field(unset).column))} IS NULL"  # type: ignore[union-attr]
    return sql, fields  # type: ignore[return-value]


def rows_update_together(updates: Sequence[tuple[Model, tuple[str, ...]]]) -> None:
    """``row_update`` of several rows (each: the instance, the columns to write): on
    PostgreSQL in one statement (the first in data-modifying WITH clauses), so one commit
    outside a transaction; elsewhere one UPDATE each."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql" or len(updates) < 2:
        for obj, names in updates:
            row_update(obj, names)
        return
    texts, values = [], []
    for obj, names in updates:
        sql, fields = _update_sql(type(obj), db.vendor, names, "")
        texts.append(sql)
        values += [*(f.get_db_prep_save(getattr(obj, str(f.attname)), db) for f in fields), obj.pk]
    firsts = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(texts[:-1]))
    with db.cursor() as cursor:
        cursor.execute(f"WITH {firsts} {texts[-1]}", values)


def row_update(obj: Model, names: tuple[str, ...], *, unset: str = "") -> int:
    """UPDATE the columns ``names`` of ``obj``'s row to the instance's values (as
    ``save(update_fields=names)`` without its signals); ``unset``: only while that column is
    NULL. Returns the number of rows updated (0 or 1)."""
    db = connections[DEFAULT_DB_ALIAS]
    sql, fields = _update_sql(type(obj), db.vendor, names, unset)
    values = [f.get_db_prep_save(getattr(obj, str(f.attname)), db) for f in fields]
    with db.cursor() as cursor:
        cursor.execute(sql, [*values, obj.pk])
        return int(cursor.rowcount)


@functools.lru_cache(maxsize=64)
def _first_sql(model: type[Model], vendor: str, name: str) -> tuple[str, Field[Any, Any]]:
    quote = connection.ops.quote_name
    field = model._meta.get_field(name)
    table = quote(model._meta.db_table)
    sql = f"SELECT {columns(model, table)} FROM {table} WHERE {quote(str(field.column))} = %s"  # type: ignore[union-attr]  # noqa: S608 (names and placeholders only)
    return sql, field  # type: ignore[return-value]


def row_by[M: Model](model: type[M], name: str, value: Any) -> M | None:
    """The row of ``model`` whose unique field ``name`` is ``value`` (the ORM's value checks:
    ValidationError, ValueError or TypeError for a malformed one), or None."""
    db = connections[DEFAULT_DB_ALIAS]
    sql, field = _first_sql(model, db.vendor, name)
    prepared = field.get_db_prep_value(field.to_python(value), db, prepared=False)
    with db.cursor() as cursor:
        cursor.execute(sql, [prepared])
        row = cursor.fetchone()
    return None if row is None else loader(model)(row, 0)
