"""The platform's fee on a sale: a rate with a minimum, set by the operator in settings.

EWTP_PLATFORM_FEE_RATE ("0.05") and EWTP_PLATFORM_FEE_MINIMUM ("500 RWF", in the sellers'
currency) are the default; EWTP_PLATFORM_FEES sets other terms per seller category, e.g.
{"cooperative": {"rate": "0.03", "minimum": "300 RWF"}}. Sellers see their terms before they
list; orders.money applies them at release.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ewtp.core import conf
from ewtp.core.money import Money


@dataclass(frozen=True)
class FeeTerms:
    rate: Decimal
    minimum: Money

    @property
    def percent(self) -> str:
        return f"{(self.rate * 100).normalize():f}%"


def fee_terms(seller_category: str = "") -> FeeTerms:
    by_category = conf.PLATFORM_FEES() or {}
    chosen = by_category.get(seller_category) if seller_category else None
    rate_text = (chosen or {}).get("rate") or conf.PLATFORM_FEE_RATE()
    minimum_text = (chosen or {}).get("minimum") or conf.PLATFORM_FEE_MINIMUM()
    amount, _, currency = str(minimum_text).partition(" ")
    return FeeTerms(rate=Decimal(str(rate_text)), minimum=Money.of(amount, currency or "RWF"))
