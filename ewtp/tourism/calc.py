"""Pure calculations of tourism: ages, booking prices, the payment split, refunds.

No Django here, so that the arithmetic is fast and testable on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ewtp.core.money import Money, allocate, quantize


def age_on(birth_date: date, on: date) -> int:
    """Whole years of age on a date (a birthday counts from its own day)."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(before_birthday)


@dataclass(frozen=True)
class PriceLine:
    category: str
    price: Money
    is_discountable: bool


@dataclass(frozen=True)
class BookingPrice:
    subtotal: Money
    discount: Money

    @property
    def total(self) -> Money:
        return self.subtotal - self.discount


def booking_price(
    lines: Sequence[PriceLine],
    *,
    currency: str,
    discount_rate: Decimal = Decimal(0),
    group_price: Money | None = None,
) -> BookingPrice:
    """The price of a booking: each visitor's tier price, or one price for a whole group.

    A bundle discount applies to the discountable lines, rounded once on the total
    (a whole group at its own price takes no discount).
    """
    if group_price is not None:
        return BookingPrice(group_price.rounded(), Money.zero(currency))
    subtotal = sum((line.price for line in lines), Money.zero(currency))
    eligible = sum((line.price for line in lines if line.is_discountable), Money.zero(currency))
    discount = Money(quantize(eligible.amount * discount_rate, currency), currency)
    return BookingPrice(subtotal.rounded(), discount)


@dataclass(frozen=True)
class Split:
    operator: Money
    community: Money
    fee: Money

    @property
    def total(self) -> Money:
        return self.operator + self.community + self.fee


def payment_split(paid: Money, *, community_rate: Decimal, fee_rate: Decimal) -> Split:
    """Split what was paid into the community share, the platform fee and the operator's
    payout; the operator takes the rounding remainder, so the parts sum to the amount paid."""
    if community_rate < 0 or fee_rate < 0 or community_rate + fee_rate > 1:
        raise ValueError("shares must be between 0 and 1 and together at most 1")
    community, fee, operator = allocate(
        paid, [community_rate, fee_rate, Decimal(1) - community_rate - fee_rate]
    )
    return Split(operator=operator, community=community, fee=fee)


def split_back(refund: Money, split: Split) -> Split:
    """The part of each share a refund takes back, in the proportions of the split."""
    if refund > split.total:
        raise ValueError("a refund cannot exceed what was split")
    weights = [split.community.amount, split.fee.amount, split.operator.amount]
    if all(weight == 0 for weight in weights):
        weights = [Decimal(0), Decimal(0), Decimal(1)]
    community, fee, operator = allocate(refund, weights)
    return Split(operator=operator, community=community, fee=fee)


def refund_rate(rules: Sequence[tuple[int, Decimal]], days_before: int) -> Decimal:
    """The refund rate of the rule with the largest minimum not above the days left."""
    applicable = [(minimum, rate) for minimum, rate in rules if minimum <= days_before]
    if days_before < 0 or not applicable:
        return Decimal(0)
    return max(applicable)[1]
