"""The platform's fee on a sale: a rate with a minimum, set by the operator in settings.

EWTP_PLATFORM_FEE_RATE ("0.05") and EWTP_PLATFORM_FEE_MINIMUM ("500 RWF", in the sellers'
currency). Sellers see these terms before they list; orders.money applies them at release.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from ewtp.core.money import Money


@dataclass(frozen=True)
class FeeTerms:
    rate: Decimal
    minimum: Money

    @property
    def percent(self) -> str:
        return f"{(self.rate * 100).normalize():f}%"


def fee_terms() -> FeeTerms:
    rate = Decimal(str(getattr(settings, "EWTP_PLATFORM_FEE_RATE", "0.05")))
    amount, _, currency = str(getattr(settings, "EWTP_PLATFORM_FEE_MINIMUM", "500 RWF")).partition(
        " "
    )
    return FeeTerms(rate=rate, minimum=Money.of(amount, currency or "RWF"))
