"""Who may change rules and rates."""

from __future__ import annotations

from typing import cast

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.accounts.selectors import is_platform_operator

# Who may change rules and rates -------------------------------------------------------------


def can_steward(actor: object) -> bool:
    """An owner or staff member of a verified rule-steward organisation, or the platform
    operator."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if is_platform_operator(actor):
        return True
    return Membership.objects.filter(
        user=cast(User, actor),
        organisation__kind=Organisation.Kind.RULE_STEWARD,
        organisation__verification=Organisation.Verification.VERIFIED,
        role__in=[Membership.Role.OWNER, Membership.Role.STAFF],
    ).exists()


def can_enter_rates(actor: object) -> bool:
    return is_platform_operator(actor)
