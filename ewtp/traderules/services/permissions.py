"""Who may change rules and rates: the checks every write makes first."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from ewtp.accounts.selectors import is_platform_operator
from ewtp.core.errors import PermissionDenied
from ewtp.traderules.selectors.permissions import can_enter_rates, can_steward

# Permissions ----------------------------------------------------------------------------------


def _require_steward(actor: Any) -> None:
    if not can_steward(actor):
        raise PermissionDenied(
            "permission_denied", _("Only a rule steward or the platform operator may change rules.")
        )


def _require_rates_actor(actor: Any) -> None:
    if not can_enter_rates(actor):
        raise PermissionDenied(
            "permission_denied", _("Only the platform operator may enter exchange rates.")
        )


def _require_single_publisher(actor: Any) -> None:
    """Publishing at once, without a second steward: the system (command line, reference data)
    or the platform operator. A steward asks for publication and another approves."""
    if actor is None or is_platform_operator(actor):
        return
    _require_steward(actor)
    raise PermissionDenied(
        "four_eyes",
        _("Publishing needs a second steward's approval: ask for publication instead."),
    )
