"""Capacity: a day's places (one conditional UPDATE takes them), weekday defaults and exceptions."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ewtp.accounts.selectors import require_role
from ewtp.core.errors import Conflict, DomainError, InvalidRequest
from ewtp.core.services import audit_record
from ewtp.tourism.models import (
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
