"""Stock and its holds.

Stock is capacity: a hold is one conditional UPDATE (``on_hand >= reserved + n``) whose row
count says whether it was taken, so concurrent checkouts can never oversell.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models.options import Options
from django.utils.translation import gettext

from ewtp.catalog.errors import OutOfStock
from ewtp.catalog.models import (
    DEFAULT_HUB,
    StockLevel,
    StockReservation,
    Variant,
)
from ewtp.catalog.services.common import _check_hub, require_seller_editor
from ewtp.core import clock
from ewtp.core.errors import Conflict, InvalidRequest
from ewtp.core.services import audit_record

HELD = StockReservation.State.HELD
COMMITTED = StockReservation.State.COMMITTED
RELEASED = StockReservation.State.RELEASED


@transaction.atomic
def stock_set(
    *, actor: object, variant: Variant, on_hand: int, hub_code: str = DEFAULT_HUB
) -> StockLevel:
    """Set the units on hand at a hub; never below what unpaid orders hold."""
    require_seller_editor(actor, variant.product.seller)
    if on_hand < 0:
        raise InvalidRequest(
            "invalid_request", gettext("0 or more."), fields={"on_hand": "0 or more"}
        )
    hub_code = _check_hub(hub_code)
    level, _ = StockLevel.objects.get_or_create(variant=variant, hub_code=hub_code)
    changed = StockLevel.objects.filter(pk=level.pk, reserved__lte=on_hand).update(on_hand=on_hand)
    if not changed:
        level.refresh_from_db()
        raise Conflict(
            "stock_held",
            gettext("%(count)s units are held by unpaid orders; set at least that many.")
            % {"count": level.reserved},
            fields={"on_hand": f"at least {level.reserved}"},
        )
    level.refresh_from_db()
    audit_record(
        actor=actor,
        action="catalog.stock.set",
        target=variant.product,
        organisation_ref=str(variant.product.seller.public_id),
        data={"sku": variant.sku, "hub": hub_code, "on_hand": on_hand},
    )
    return level


def stock_hold(
    *, variant: Variant, quantity: int, reference: str, expires_at: datetime
) -> StockReservation:
    """Hold ``quantity`` units of ``variant`` at one hub for an order; OutOfStock if short.

    Run inside the caller's transaction (the checkout's). The units are taken with one
    conditional statement, so two buyers can never take the same unit.
    """
    return stock_hold_many(
        holds=[StockHold(variant=variant, quantity=quantity, reference=reference)],
        expires_at=expires_at,
    )[0]


@dataclass(frozen=True, slots=True)
class StockHold:
    """One line's units to hold, for an order (``reference``)."""

    variant: Variant
    quantity: int
    reference: str


# PostgreSQL: pick the first level with enough units, take them and write the hold's
# reservation, and say what is left when no level has enough, in ONE statement (the outer
# SELECT sees the levels as they were before the UPDATE). The reservation rides in the same
# statement so that the level's row, which every checkout of a scarce product queues on, is
# locked for one round trip fewer.
_TAKE_PG = """
WITH pick AS (
    SELECT id FROM {level} WHERE variant_id = %(variant)s AND on_hand >= reserved + %(n)s
    ORDER BY hub_code, id LIMIT 1
), took AS (
    UPDATE {level} SET reserved = reserved + %(n)s
    WHERE id = (SELECT id FROM pick) AND on_hand >= reserved + %(n)s
    RETURNING id
), held AS (
    INSERT INTO {reservation} ({columns})
    SELECT id, %(n)s, %(reference)s, %(state)s, %(expires_at)s, %(now)s, NULL FROM took
    RETURNING id
)
SELECT (SELECT id FROM took), (SELECT id FROM pick),
    (SELECT coalesce(max(on_hand - reserved), 0) FROM {level} WHERE variant_id = %(variant)s),
    (SELECT id FROM held)
"""
_RESERVATION_COLUMNS = (
    "stock_level_id",
    "quantity",
    "reference",
    "state",
    "expires_at",
    "created_at",
    "settled_at",
)


@functools.cache
def _take_pg_sql() -> str:
    """Written once per process, names quoted."""
    quote = connection.ops.quote_name
    return _TAKE_PG.format(
        level=quote(StockLevel._meta.db_table),
        reservation=quote(StockReservation._meta.db_table),
        columns=", ".join(
            quote(str(getattr(StockReservation._meta.get_field(name), "column", name)))
            for name in _RESERVATION_COLUMNS
        ),
    )


# SQLite serialises writers (immediate transactions): the picked level cannot change under us.
_TAKE_SQLITE = """
UPDATE {level} SET reserved = reserved + %(n)s
WHERE id = (
    SELECT id FROM {level} WHERE variant_id = %(variant)s AND on_hand >= reserved + %(n)s
    ORDER BY hub_code, id LIMIT 1
)
RETURNING id
"""


def _take_sqlite(variant: Variant, quantity: int) -> int | None:
    """The id of the level whose units were taken, None when no level has enough."""
    with connection.cursor() as cursor:
        cursor.execute(
            _TAKE_SQLITE.format(level=StockLevel._meta.db_table),
            {"variant": variant.pk, "n": quantity},
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _take_and_hold_pg(
    hold: StockHold, expires_at: datetime, now: datetime
) -> tuple[StockReservation | None, int | None]:
    """(the reservation written, None when no level has enough; the units left then)."""
    arguments: dict[str, Any] = {
        "variant": hold.variant.pk,
        "n": hold.quantity,
        "reference": hold.reference,
        "state": HELD,
        "expires_at": expires_at,
        "now": now,
    }
    with connection.cursor() as cursor:
        for _attempt in range(3):
            cursor.execute(_take_pg_sql(), arguments)
            took, picked, left, held = cursor.fetchone()
            if took is not None:
                reservation = StockReservation(
                    pk=held,
                    stock_level_id=took,
                    quantity=hold.quantity,
                    reference=hold.reference,
                    state=HELD,
                    expires_at=expires_at,
                    created_at=now,
                )
                reservation._state.adding = False
                reservation._state.db = connection.alias
                return reservation, None
            if picked is None:
                return None, int(left)
            # Another checkout took the picked level's last units meanwhile: pick again.
    return None, None


def _out_of_stock(variant: Variant, quantity: int, remaining: int | None = None) -> OutOfStock:
    if remaining is None:
        remaining = max(
            (lvl.on_hand - lvl.reserved for lvl in StockLevel.objects.filter(variant=variant)),
            default=0,
        )
    product = variant.product
    return OutOfStock(
        "out_of_stock",
        gettext("Only %(left)s left of %(product)s; you asked for %(asked)s.")
        % {
            "left": max(remaining, 0),
            "product": product.title + (f" ({variant.name})" if variant.name else ""),
            "asked": quantity,
        },
        extra={
            "product_id": str(product.public_id),
            "product": product.title,
            "variant_id": str(variant.public_id),
            "requested": quantity,
            "remaining": max(remaining, 0),
        },
    )


def stock_out_of_stock(variant: Variant, quantity: int, remaining: int) -> OutOfStock:
    """The refusal a hold of ``quantity`` units gets when ``remaining`` are left: for a caller
    that found the stock short before trying (the checkout, from the units read with its
    lines)."""
    return _out_of_stock(variant, quantity, remaining)


def stock_hold_many(*, holds: list[StockHold], expires_at: datetime) -> list[StockReservation]:
    """Hold the units of several lines, each with ONE conditional statement (variants in pk
    order, so that concurrent checkouts queue instead of deadlocking), and write their
    reservations (on PostgreSQL in that same statement; on SQLite in one more); OutOfStock at
    the first line short (nothing is then kept: run inside the caller's transaction)."""
    reservations = []
    now = clock.now()
    postgresql = connection.vendor == "postgresql"
    for hold in sorted(holds, key=lambda h: h.variant.pk):
        if hold.quantity <= 0:
            raise InvalidRequest("invalid_request", gettext("Quantity must be 1 or more."))
        if postgresql:
            reservation, left = _take_and_hold_pg(hold, expires_at, now)
            if reservation is None:
                raise _out_of_stock(hold.variant, hold.quantity, left)
            reservations.append(reservation)
            continue
        level_id = _take_sqlite(hold.variant, hold.quantity)
        if level_id is None:
            raise _out_of_stock(hold.variant, hold.quantity)
        reservations.append(
            StockReservation(
                stock_level_id=level_id,
                quantity=hold.quantity,
                reference=hold.reference,
                expires_at=expires_at,
                created_at=now,
            )
        )
    if postgresql:
        return reservations
    return StockReservation.objects.bulk_create(reservations)


# The reservations of some references move from one state to another in ONE statement that
# says which stock levels they held and how many units (PostgreSQL locks them first in key
# order, the global order of locks; SQLite serialises writers); a reservation no longer in the
# source state (settled by a concurrent or earlier call) is not moved, so a replay moves nothing.
_MOVE_RESERVATIONS_POSTGRESQL = """
WITH held AS MATERIALIZED (
    SELECT r.id FROM {reservation} r WHERE r.{reference} = ANY(%(references)s)
    AND r.{state} = %(source)s ORDER BY r.id FOR NO KEY UPDATE
)
UPDATE {reservation} AS r SET {state} = %(target)s, {settled_at} = %(now)s
FROM held WHERE r.id = held.id AND r.{state} = %(source)s
RETURNING r.{level_id}, r.{quantity}
"""
_MOVE_RESERVATIONS_SQLITE = """
UPDATE {reservation} SET {state} = %s, {settled_at} = %s
WHERE {reference} IN ({references}) AND {state} = %s RETURNING {level_id}, {quantity}
"""
# Then their stock levels, all in ONE statement: locked in key order and moved by the units
# each one's reservations held. The table's checks (never below zero, never more reserved
# than on hand) still hold every row.
_MOVE_LEVELS_POSTGRESQL = """
WITH moves (id, units) AS MATERIALIZED (
    SELECT * FROM unnest(%(ids)s::bigint[], %(units)s::bigint[])
), locked AS MATERIALIZED (
    SELECT l.id FROM {level_table} l WHERE l.id = ANY(%(ids)s) ORDER BY l.id FOR NO KEY UPDATE
)
UPDATE {level_table} AS l SET {reserved} = l.{reserved} + %(reserved)s * moves.units,
    {on_hand} = l.{on_hand} + %(on_hand)s * moves.units
FROM moves, locked WHERE l.id = moves.id AND locked.id = moves.id
"""
_MOVE_LEVELS_SQLITE = """
UPDATE {level_table} SET {reserved} = {reserved} + %s * CASE id {cases} END,
    {on_hand} = {on_hand} + %s * CASE id {cases} END
WHERE id IN ({ids})
"""


@functools.cache
def _settle_sql(kind: str, count: int) -> str:
    """The statement that moves ``kind`` (reservations or levels), written once per process
    (on SQLite once per number of ``count`` references or levels)."""
    quote = connection.ops.quote_name
    reservation, level = StockReservation._meta, StockLevel._meta

    def column(meta: Options[Any], name: str) -> str:
        return quote(str(getattr(meta.get_field(name), "column", name)))

    names = {
        "reservation": quote(reservation.db_table),
        "reference": column(reservation, "reference"),
        "state": column(reservation, "state"),
        "settled_at": column(reservation, "settled_at"),
        "level_id": column(reservation, "stock_level"),
        "quantity": column(reservation, "quantity"),
        "level_table": quote(level.db_table),
        "reserved": column(level, "reserved"),
        "on_hand": column(level, "on_hand"),
    }
    postgresql = connection.vendor == "postgresql"
    if kind == "reservations":
        if postgresql:
            return _MOVE_RESERVATIONS_POSTGRESQL.format(**names)
        return _MOVE_RESERVATIONS_SQLITE.format(**names, references=", ".join(["%s"] * count))
    if postgresql:
        return _MOVE_LEVELS_POSTGRESQL.format(**names)
    cases = " ".join(["WHEN %s THEN %s"] * count)
    return _MOVE_LEVELS_SQLITE.format(**names, cases=cases, ids=", ".join(["%s"] * count))


def _reservations_move(references: list[str], source: str, target: str) -> dict[int, int]:
    """Move the reservations; the units they held, by stock level."""
    now = connection.ops.adapt_datetimefield_value(clock.now())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _settle_sql("reservations", 0),
                {"references": references, "source": source, "target": target, "now": now},
            )
        else:
            statement = _settle_sql("reservations", len(references))
            cursor.execute(statement, [target, now, *references, source])
        units: dict[int, int] = {}
        for level_id, quantity in cursor.fetchall():
            units[int(level_id)] = units.get(int(level_id), 0) + int(quantity)
    return units


def _levels_move(units: dict[int, int], *, reserved: int, on_hand: int) -> None:
    """Change each level's ``reserved`` and ``on_hand`` by those factors times its units."""
    ids = sorted(units)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            moves = {"ids": ids, "units": [units[pk] for pk in ids]}
            cursor.execute(
                _settle_sql("levels", 0), {**moves, "reserved": reserved, "on_hand": on_hand}
            )
        else:
            pairs = [value for pk in ids for value in (pk, units[pk])]
            statement = _settle_sql("levels", len(ids))
            cursor.execute(statement, [reserved, *pairs, on_hand, *pairs, *ids])


def _holds_settle(
    *, references: list[str], source: str, target: str, reserved: int = 0, on_hand: int = 0
) -> int:
    """Move the reservations of ``references`` from state ``source`` to ``target``. Idempotent.

    Two statements whatever their number (raw SQL: the ORM's UPDATE cannot say which rows it
    moved): the reservations still in ``source`` move (so two callers settle each once), then
    each stock level changes by ``reserved`` and ``on_hand`` times the units its reservations
    held. Returns the units settled.
    """
    if not references:
        return 0
    units = _reservations_move(sorted(set(references)), source, target)
    if units and (reserved or on_hand):
        _levels_move(units, reserved=reserved, on_hand=on_hand)
    return sum(units.values())


def stock_holds_release(*, reference: str) -> int:
    """Give back the units held for ``reference`` (an unpaid order ended). Idempotent."""
    return _holds_settle(references=[reference], source=HELD, target=RELEASED, reserved=-1)


def stock_holds_commit(*, reference: str) -> int:
    """The order is paid: its held units leave the stock for good. Idempotent."""
    return stock_holds_commit_many(references=[reference])


def stock_holds_commit_many(*, references: list[str]) -> int:
    """Several orders are paid (a checkout): their held units leave the stock for good, in
    two statements whatever their number. Idempotent."""
    return _holds_settle(
        references=references, source=HELD, target=COMMITTED, reserved=-1, on_hand=-1
    )


def stock_return(*, reference: str) -> int:
    """A paid order was cancelled before it left: its units go back on the shelf. Idempotent."""
    return _holds_settle(references=[reference], source=COMMITTED, target=RELEASED, on_hand=1)
