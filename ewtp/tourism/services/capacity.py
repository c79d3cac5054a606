"""Capacity: a day's places (one conditional UPDATE takes them), weekday defaults and exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ewtp.accounts.selectors import require_role
from ewtp.core.errors import Conflict, DomainError, InvalidRequest
from ewtp.core.services import audit_record
from ewtp.tourism.models import (
    Booking,
    DailyCapacity,
    Experience,
    WeekdayCapacity,
)
from ewtp.tourism.services.common import MANAGER_ROLES, local_today

# Capacity ------------------------------------------------------------------------------------


def capacity_default(experience: Experience, visit_on: date) -> int:
    """The capacity of a date before any exception: the weekday's rule, else the default."""
    for rule in experience.weekday_capacities.all():
        if rule.weekday == visit_on.weekday():
            return rule.capacity
    return experience.default_capacity


def capacity_row(experience: Experience, visit_on: date) -> DailyCapacity:
    """The day's capacity row, created on first use (race-safe: the unique pair decides)."""
    row = DailyCapacity.objects.filter(experience=experience, visit_on=visit_on).first()
    if row is not None:
        return row
    capacity = capacity_default(experience, visit_on)
    try:
        with transaction.atomic():
            return DailyCapacity.objects.create(
                experience=experience,
                visit_on=visit_on,
                capacity=capacity,
                is_closed=capacity == 0,
            )
    except IntegrityError:
        return DailyCapacity.objects.get(experience=experience, visit_on=visit_on)


@dataclass(frozen=True, slots=True)
class Take:
    """What one conditional statement said about a day: taken, or why not."""

    taken: bool
    exists: bool = True
    is_closed: bool = False
    remaining: int = 0
    holds_due: bool = False


# PostgreSQL: the take and, when it fails, the day's state and whether holds past their time
# still count, in ONE statement (a data-modifying CTE; the outer SELECT sees the day as it was
# before the UPDATE, so ``remaining`` is what stopped it).
_TAKE_SQL = """
WITH took AS (
    UPDATE {day} SET taken = taken + %(places)s
    WHERE experience_id = %(experience)s AND visit_on = %(on)s AND NOT is_closed
      AND taken <= capacity - %(places)s
    RETURNING id
), day AS (
    SELECT id, capacity, taken, is_closed FROM {day}
    WHERE experience_id = %(experience)s AND visit_on = %(on)s
)
SELECT (SELECT count(*) FROM took), day.id, day.capacity, day.taken, day.is_closed,
    CASE WHEN (SELECT count(*) FROM took) = 0 THEN EXISTS (
        SELECT 1 FROM {booking} WHERE experience_id = %(experience)s AND visit_on = %(on)s
        AND status = %(held)s AND expires_at <= %(now)s
    ) ELSE false END
FROM (SELECT 1) AS one LEFT JOIN day ON true
"""


def capacity_take_on(*, experience_id: int, visit_on: date, places: int, now: datetime) -> Take:
    """Take places of a day with ONE conditional statement; never read-then-write.

    Run inside the caller's transaction. A refusal says why from the same statement on
    PostgreSQL (closed, no row yet, or the places left, and whether unpaid holds are due to
    expire); SQLite reads the day after the UPDATE.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _TAKE_SQL.format(day=DailyCapacity._meta.db_table, booking=Booking._meta.db_table),
                {
                    "places": places,
                    "experience": experience_id,
                    "on": visit_on,
                    "held": Booking.Status.HELD,
                    "now": now,
                },
            )
            took, row_id, capacity, taken, is_closed, due = cursor.fetchone()
        if took:
            return Take(taken=True)
        if row_id is None:
            return Take(taken=False, exists=False)
        return Take(False, True, bool(is_closed), max(capacity - taken, 0), bool(due))
    day = DailyCapacity.objects.filter(experience_id=experience_id, visit_on=visit_on)
    if day.filter(is_closed=False, taken__lte=F("capacity") - places).update(
        taken=F("taken") + places
    ):
        return Take(taken=True)
    row = day.values_list("capacity", "taken", "is_closed").first()
    if row is None:
        return Take(taken=False, exists=False)
    due = Booking.objects.filter(
        experience_id=experience_id,
        visit_on=visit_on,
        status=Booking.Status.HELD,
        expires_at__lte=now,
    ).exists()
    return Take(False, True, row[2], max(row[0] - row[1], 0), due)


def capacity_take(row_id: int, places: int) -> bool:
    """Take places with ONE conditional update; never read-then-write. True when taken."""
    updated = DailyCapacity.objects.filter(
        pk=row_id, is_closed=False, taken__lte=F("capacity") - places
    ).update(taken=F("taken") + places)
    return updated == 1


def capacity_release(row_id: int, places: int) -> None:
    updated = DailyCapacity.objects.filter(pk=row_id, taken__gte=places).update(
        taken=F("taken") - places
    )
    if updated != 1:  # a broken invariant: the places were never taken
        raise DomainError("capacity_inconsistent", _("The day's capacity does not add up."))


@transaction.atomic
def capacity_exception_set(
    *,
    experience: Experience,
    visit_on: date,
    actor: Any,
    capacity: int | None = None,
    is_closed: bool = False,
    note: str = "",
) -> DailyCapacity:
    """Close a date or give it a special capacity (never below the places already taken)."""
    require_role(actor, experience.operator, MANAGER_ROLES)
    if capacity is not None and capacity < 0:
        raise InvalidRequest(
            "invalid_request", _("Capacity cannot be negative."), fields={"capacity": "≥ 0"}
        )
    row = capacity_row(experience, visit_on)
    row = DailyCapacity.objects.select_for_update().get(pk=row.pk)
    new_capacity = row.capacity if capacity is None else capacity
    if new_capacity < row.taken:
        raise Conflict(
            "capacity_below_taken",
            _("%(taken)d places are already taken on this date.") % {"taken": row.taken},
            fields={"capacity": f"≥ {row.taken}"},
        )
    row.capacity = new_capacity
    row.is_closed = is_closed
    row.is_exception = True
    row.note = note[:200]
    row.save(update_fields=["capacity", "is_closed", "is_exception", "note"])
    audit_record(
        actor=actor,
        action="tourism.capacity.exception_set",
        target=experience,
        organisation_ref=str(experience.operator.public_id),
        data={"date": visit_on.isoformat(), "capacity": new_capacity, "closed": is_closed},
    )
    return row


@transaction.atomic
def weekday_capacity_set(
    *, experience: Experience, weekday: int, capacity: int, actor: Any
) -> WeekdayCapacity:
    """Set the capacity of a weekday; future days already opened follow it (not exceptions)."""
    require_role(actor, experience.operator, MANAGER_ROLES)
    if not 0 <= weekday <= 6 or capacity < 0:
        raise InvalidRequest("invalid_request", _("Weekday 0-6 and a capacity ≥ 0."))
    rule, _created = WeekdayCapacity.objects.update_or_create(
        experience=experience, weekday=weekday, defaults={"capacity": capacity}
    )
    today = local_today(experience)
    for row in DailyCapacity.objects.select_for_update().filter(
        experience=experience, visit_on__gte=today, is_exception=False
    ):
        if row.visit_on.weekday() == weekday:
            row.capacity = max(capacity, row.taken)
            row.is_closed = capacity == 0
            row.save(update_fields=["capacity", "is_closed"])
    audit_record(
        actor=actor,
        action="tourism.capacity.weekday_set",
        target=experience,
        organisation_ref=str(experience.operator.public_id),
        data={"weekday": weekday, "capacity": capacity},
    )
    return rule
