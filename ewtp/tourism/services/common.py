"""Tourism's shared write pieces: roles, domain errors, settings read at call time, the local date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ewtp.accounts.models import Membership
from ewtp.core import clock, conf
from ewtp.core.errors import DomainError
from ewtp.tourism.models import (
    Experience,
)

SUBJECT_TYPE = "tourism.booking"
GATE_ROLES = (Membership.Role.OWNER, Membership.Role.STAFF, Membership.Role.GATE)
# Who sees the operator's pages (dashboards, bookings): every role but the gate-only one.
OPERATOR_ROLES = (Membership.Role.OWNER, Membership.Role.STAFF, Membership.Role.VIEWER)
MANAGER_ROLES = (Membership.Role.OWNER,)


class SoldOut(DomainError):
    code = "sold_out"
    http_status = 409


class AlreadyCheckedIn(DomainError):
    code = "already_checked_in"
    http_status = 409


def hold_minutes() -> int:
    return conf.TOURISM_HOLD_MINUTES()


def platform_fee_rate() -> Decimal:
    return Decimal(conf.TOURISM_PLATFORM_FEE_RATE())


def local_today(experience: Experience) -> date:
    """Today at the experience's meeting point (its IANA zone), not in UTC."""
    return experience.local_date(clock.now())


def has_started_today(experience: Experience) -> bool:
    """Today's visit has begun at the meeting point: its daily start time has passed there,
    so no booking for today is taken any more (an experience without a start time: never)."""
    if experience.starts_at_local is None:
        return False
    local_now = clock.now().astimezone(experience.zone)
    return local_now.time() >= experience.starts_at_local
