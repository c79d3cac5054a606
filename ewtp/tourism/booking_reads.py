"""The read a booking starts with: the experience with its day, in one query written once per
process (a full day is refused from it, before anything else; on PostgreSQL the same statement
keeps the refusal for a replay), and the tiers once it may book."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from django.db import connection
from django.db.models import Field, Model

from ewtp.accounts.models import Organisation
from ewtp.core import clock, rows
from ewtp.core.errors import DomainError
from ewtp.core.models import IdempotencyRecord
from ewtp.core.services import ANSWER_COLUMNS
from ewtp.tourism.models import (
    Booking,
    BundleDiscount,
    DailyCapacity,
    Experience,
    Park,
    PriceTier,
)


def _columns(model: type[Model]) -> list[Field[Any, Any]]:
    return list(model._meta.concrete_fields)


_BOOKING_DAY_SQL = """
SELECT {columns}, d.capacity AS day_capacity, d.taken AS day_taken, d.is_closed AS day_closed,
    EXISTS (SELECT 1 FROM {booking} b WHERE b.experience_id = e.id
        AND b.visit_on = %(on)s AND b.status = %(held)s AND b.expires_at <= %(now)s) AS holds_due,
    EXISTS (SELECT 1 FROM {idempotency} k WHERE k.scope = %(scope)s AND k.{key} = %(key)s)
        AS key_used
FROM {experience} e
JOIN {organisation} o ON o.id = e.operator_id
JOIN {park} p ON p.id = e.park_id
LEFT JOIN {day} d ON d.experience_id = e.id AND d.visit_on = %(on)s
WHERE e.slug = %(slug)s AND e.is_published
"""

# PostgreSQL: the same read, and in the same statement the refusal kept as the key's first
# answer when the day cannot take the request (``holds.booking_refusal_early``'s rule, on a date
# at least two days from today and two before the booking horizon in UTC, so that no date rule
# in the park's zone can answer first: other dates keep the answer by a second statement).
_BOOKING_DAY_KEEP_SQL = """
WITH found AS MATERIALIZED ({read}),
answer AS (
    SELECT
        CASE WHEN f.day_closed THEN %(closed_status)s ELSE %(sold_out_status)s END AS status,
        CASE WHEN f.day_closed THEN CAST(%(closed)s AS jsonb)
            ELSE jsonb_set(CAST(%(sold_out)s AS jsonb), '{{remaining}}',
                to_jsonb(GREATEST(f.day_capacity - f.day_taken, 0)))
        END AS body
    FROM found f
    WHERE f.day_capacity IS NOT NULL AND NOT f.holds_due AND NOT f.key_used
        AND %(visitors)s >= 1 AND (NOT %(whole)s OR f.{whole_group_bookable})
        AND CAST(%(on)s AS date) BETWEEN CAST(%(today)s AS date) + 2
            AND CAST(%(today)s AS date) + f.{horizon} - 2
        AND (f.day_closed OR GREATEST(f.day_capacity - f.day_taken, 0) < CASE
            WHEN f.{unit} = %(groups)s THEN 1 WHEN %(whole)s THEN f.{group_size}
            ELSE %(visitors)s END)
),
kept AS (
    INSERT INTO {idempotency} ({record_columns})
    SELECT %(scope)s, %(key)s, %(fingerprint)s, %(done)s, a.status, a.body, %(now)s
    FROM answer a{asynchronous}
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT found.*, EXISTS (SELECT 1 FROM kept) FROM found
"""


@functools.cache
def _booking_day_sql(vendor: str) -> str:
    """The query of ``experience_for_booking_with_day``, written once per process (the ORM
    would compile it again on every request: most of a refusal's time). Every column is
    named ``c<n>`` (the three tables share column names)."""
    quote = connection.ops.quote_name
    columns = []
    for alias, model in (("e", Experience), ("o", Organisation), ("p", Park)):
        columns += [f"{alias}.{quote(str(column.column))}" for column in _columns(model)]
    return _BOOKING_DAY_SQL.format(
        columns=", ".join(f"{column} AS c{n}" for n, column in enumerate(columns)),
        booking=quote(Booking._meta.db_table),
        idempotency=quote(IdempotencyRecord._meta.db_table),
        key=quote("key"),
        experience=quote(Experience._meta.db_table),
        organisation=quote(Organisation._meta.db_table),
        park=quote(Park._meta.db_table),
        day=quote(DailyCapacity._meta.db_table),
    )


@functools.cache
def _booking_day_keep_sql(*, asynchronous: bool) -> str:
    """The read and the kept refusal in one statement (PostgreSQL), written once per process.
    Asynchronous (outside a transaction): the statement's own transaction commits without
    waiting for the WAL flush, as ``core.services.idempotent_answer_keep`` says why."""
    quote = connection.ops.quote_name
    experience_columns = [str(column.column) for column in _columns(Experience)]

    def column(name: str) -> str:
        return f"c{experience_columns.index(name)}"

    return _BOOKING_DAY_KEEP_SQL.format(
        read=_booking_day_sql("postgresql").strip(),
        whole_group_bookable=column("is_whole_group_bookable"),
        horizon=column("booking_horizon_days"),
        unit=column("capacity_unit"),
        group_size=column("group_size"),
        idempotency=quote(IdempotencyRecord._meta.db_table),
        record_columns=", ".join(quote(name) for name in ANSWER_COLUMNS),
        asynchronous=", (SELECT set_config('synchronous_commit', 'off', true)) s"
        if asynchronous
        else "",
    )


@dataclass(frozen=True)
class RefusalToKeep:
    """What the read needs to keep a refusal in the same statement (PostgreSQL): the
    request's fingerprint and size, and the two answers it may keep (``sold_out`` with any
    ``remaining``: the statement puts the day's figure in)."""

    fingerprint: str
    visitors: int
    is_whole_group: bool
    sold_out: DomainError
    closed: DomainError


@dataclass(frozen=True)
class KeptRefusal:
    """What the read says when its own statement kept the refusal (PostgreSQL): the day was
    closed, or had ``remaining`` places, too few. No experience is built for it."""

    closed: bool
    remaining: int


@functools.lru_cache(maxsize=64)
def _answer_json(error: DomainError) -> str:
    """An answer to keep, as JSON: the caller gives the same answers again for a language."""
    return json.dumps(error.as_dict())


def _keep_parameters(keep: RefusalToKeep) -> dict[str, Any]:
    return {
        "fingerprint": keep.fingerprint,
        "visitors": keep.visitors,
        "whole": keep.is_whole_group,
        "today": clock.now().astimezone(UTC).date(),
        "groups": Experience.Unit.GROUPS.value,
        "done": IdempotencyRecord.State.DONE.value,
        "sold_out_status": keep.sold_out.http_status,
        "sold_out": _answer_json(keep.sold_out),
        "closed_status": keep.closed.http_status,
        "closed": _answer_json(keep.closed),
    }


def _instance(model: type[Model], values: list[Any]) -> Any:
    """An instance of ``model`` from its columns (``_columns`` order), each value converted as
    the ORM converts it."""
    return rows.loader(model)(values, 0)


@functools.cache
def _sizes() -> tuple[int, int, int]:
    return len(_columns(Experience)), len(_columns(Organisation)), len(_columns(Park))


def experience_for_booking_with_day(
    slug: str, visit_on: date, *, scope: str, key: str, keep: RefusalToKeep | None = None
) -> Experience | KeptRefusal | None:
    """ONE query: the published experience with the day's capacity row (``day_capacity``,
    ``day_taken``, ``day_closed``; None without a row), whether unpaid holds past their time
    still count on it (``holds_due``) and whether the Idempotency-Key was used already
    (``key_used``): enough to refuse a full day before anything else. Its operator and park
    come in the same row but are built only by ``experience_tiers_load`` (the path that books):
    a refusal does not need them. None when there is no such published experience.

    With ``keep``, on PostgreSQL, the same statement keeps the refusal as the key's first
    answer when the day cannot take the request (``answer_kept``; see the SQL's comment for
    the dates where it does not, and the caller then keeps it by a second statement); the
    answer is then a ``KeptRefusal``, not the experience."""
    now = clock.now()
    parameters = {
        "slug": slug,
        "on": connection.ops.adapt_datefield_value(visit_on),
        "held": Booking.Status.HELD,
        "now": connection.ops.adapt_datetimefield_value(now),
        "scope": scope,
        "key": key,
    }
    if keep is not None and connection.vendor == "postgresql":
        parameters.update(_keep_parameters(keep))
        sql = _booking_day_keep_sql(asynchronous=not connection.in_atomic_block)
    else:
        sql = _booking_day_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        row = cursor.fetchone()
    if row is None:
        return None
    experience_size, operator_size, park_size = _sizes()
    related = experience_size + operator_size + park_size
    capacity, taken, closed, due, used = row[related : related + 5]
    if len(row) > related + 5 and row[related + 5]:
        return KeptRefusal(closed=bool(closed), remaining=max(capacity - taken, 0))
    experience: Experience = _instance(Experience, list(row[:experience_size]))
    experience._booking_related = row[experience_size:related]  # type: ignore[attr-defined]
    experience.day_capacity = capacity  # type: ignore[attr-defined]
    experience.day_taken = taken  # type: ignore[attr-defined]
    experience.day_closed = bool(closed)  # type: ignore[attr-defined]
    experience.holds_due = bool(due)  # type: ignore[attr-defined]
    experience.key_used = bool(used)  # type: ignore[attr-defined]
    return experience


_TIERS_SQL = """
SELECT {tier_columns}, {rule_columns}
FROM {tier} t LEFT JOIN {rule} r ON r.experience_id = t.experience_id AND r.is_active
WHERE t.experience_id = %s
ORDER BY t.{position}, t.{code}, r.id
"""


@functools.cache
def _tiers_sql(vendor: str) -> str:
    """The experience's tiers, each with every active bundle-discount rule (a rule repeats on
    each tier's row; there are a handful of each), written once per process."""
    quote = connection.ops.quote_name
    return _TIERS_SQL.format(
        tier_columns=", ".join(f"t.{quote(str(f.column))}" for f in _columns(PriceTier)),
        rule_columns=", ".join(f"r.{quote(str(f.column))}" for f in _columns(BundleDiscount)),
        tier=quote(PriceTier._meta.db_table),
        rule=quote(BundleDiscount._meta.db_table),
        position=quote("position"),
        code=quote("code"),
    )


def _tiers_and_rules(experience: Experience) -> tuple[list[PriceTier], list[BundleDiscount]]:
    """The tiers in their order, and the active bundle-discount rules by id: one query."""
    with connection.cursor() as cursor:
        cursor.execute(_tiers_sql(connection.vendor), [experience.pk])
        rows = cursor.fetchall()
    size = len(_columns(PriceTier))
    tiers: dict[Any, PriceTier] = {}
    rules: dict[Any, BundleDiscount] = {}
    for row in rows:
        if row[0] not in tiers:
            tiers[row[0]] = _instance(PriceTier, list(row[:size]))
        if row[size] is not None and row[size] not in rules:
            rules[row[size]] = _instance(BundleDiscount, list(row[size:]))
    return list(tiers.values()), [rules[pk] for pk in sorted(rules)]


def experience_tiers_load(experience: Experience) -> Experience:
    """Give an experience read by ``experience_for_booking_with_day`` its operator and park
    (from the row already read), its tiers and its active bundle-discount rules
    (``active_bundle_discounts``, for the price): one query."""
    related = getattr(experience, "_booking_related", None)
    if related is not None:
        operator_size = _sizes()[1]
        experience._state.fields_cache["operator"] = _instance(
            Organisation, list(related[:operator_size])
        )
        experience._state.fields_cache["park"] = _instance(Park, list(related[operator_size:]))
        del experience._booking_related  # type: ignore[attr-defined]
    tiers, rules = _tiers_and_rules(experience)
    for tier in tiers:
        tier._state.fields_cache["experience"] = experience
    # As prefetch_related leaves them: ``experience.tiers.all()`` reads no more.
    cached = experience.tiers._apply_rel_filters(PriceTier.objects.all())  # type: ignore[attr-defined]
    cached._result_cache = tiers
    cached._prefetch_done = True
    if not hasattr(experience, "_prefetched_objects_cache"):
        experience._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    experience._prefetched_objects_cache["tiers"] = cached  # type: ignore[attr-defined]
    if tiers:  # without a tier nothing can be booked; the price then reads the rules itself
        experience.active_bundle_discounts = rules  # type: ignore[attr-defined]
    return experience
