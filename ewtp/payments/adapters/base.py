"""What every provider adapter answers: created requests, statuses, statement lines."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ewtp.core.errors import DomainError
from ewtp.core.money import Money


@dataclass(frozen=True)
class Created:
    reference: str
    approve_url: str


@dataclass(frozen=True)
class Status:
    """A provider's word on a request: pending, succeeded, failed (with a reason), or missing
    (the provider has no such request: it was never created, and may be sent again)."""

    state: str
    reason: str = ""


@dataclass(frozen=True)
class StatementLine:
    """One movement on a provider's statement: a payment in, a refund or a payout out."""

    kind: str
    reference: str
    amount_minor: int
    currency: str
    state: str


class Refused(DomainError):
    """The provider answered and said no (a 4xx): nothing was created there."""

    http_status = 409

    def __init__(self, provider: str, detail: str) -> None:
        super().__init__(
            "provider_refused",
            _("The payment provider refused: %(detail)s") % {"detail": detail[:200]},
        )
        self.provider = provider


def number(amount: Money) -> int | float:
    """An amount as a JSON number: whole francs stay integers."""
    value: Decimal = amount.amount
    return int(value) if value == value.to_integral_value() else float(value)


def matches(paid: Money, amount: str | int | float | None, currency: object) -> bool:
    """The provider's amount and currency are at least what was asked."""
    try:
        given = Decimal(str(amount))
    except ArithmeticError:
        return False
    return str(currency) == paid.currency and given >= paid.amount


def event_id(body: bytes) -> str:
    """A delivery's identity when the provider gives none: the same body is the same event."""
    return hashlib.sha256(body).hexdigest()[:64]


def json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
