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
GATE_ROLES = (Membership.Role.OWNER, Membership.Role.STAFF)
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
