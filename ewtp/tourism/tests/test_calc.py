"""The pure arithmetic of tourism: ages, prices, the payment split, refund rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ewtp.core.money import Money
from ewtp.tourism import calc


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def test_age_counts_whole_years_on_the_day() -> None:
    assert calc.age_on(date(2011, 6, 15), date(2026, 6, 14)) == 14
    assert calc.age_on(date(2011, 6, 15), date(2026, 6, 15)) == 15
    assert calc.age_on(date(2008, 2, 29), date(2023, 2, 28)) == 14
    assert calc.age_on(date(2008, 2, 29), date(2023, 3, 1)) == 15


def test_booking_price_with_a_bundle_discount_on_eligible_lines_only() -> None:
    lines = [
        calc.PriceLine("foreign_non_resident", usd("1500"), True),
        calc.PriceLine("eac_citizen", usd("200"), False),
    ]
    price = calc.booking_price(lines, currency="USD", discount_rate=Decimal("0.30"))
    assert price.subtotal == usd("1700.00")
    assert price.discount == usd("450.00")
    assert price.total == usd("1250.00")


def test_a_whole_group_has_its_own_price_and_no_discount() -> None:
    lines = [calc.PriceLine("foreign_non_resident", usd("1500"), True)]
    price = calc.booking_price(
        lines, currency="USD", discount_rate=Decimal("0.3"), group_price=usd("15000")
    )
    assert (price.subtotal, price.discount, price.total) == (usd("15000"), usd("0"), usd("15000"))


def test_split_of_a_gorilla_permit() -> None:
    split = calc.payment_split(
        usd("1500"), community_rate=Decimal("0.10"), fee_rate=Decimal("0.05")
    )
    assert (split.community, split.fee, split.operator) == (usd("150"), usd("75"), usd("1275"))


@given(
    cents=st.integers(min_value=1, max_value=10**9),
    community=st.decimals(min_value=0, max_value="0.5", places=4),
    fee=st.decimals(min_value=0, max_value="0.3", places=4),
)
def test_the_split_always_sums_to_the_amount_paid(
    cents: int, community: Decimal, fee: Decimal
) -> None:
    paid = Money.from_minor(cents, "USD")
    split = calc.payment_split(paid, community_rate=community, fee_rate=fee)
    assert split.total == paid
    assert min(split.operator.amount, split.community.amount, split.fee.amount) >= 0


@given(
    cents=st.integers(min_value=1, max_value=10**8),
    refund_share=st.decimals(min_value=0, max_value=1, places=3),
)
def test_a_refund_takes_back_no_share_beyond_what_it_holds(
    cents: int, refund_share: Decimal
) -> None:
    paid = Money.from_minor(cents, "RWF")
    split = calc.payment_split(paid, community_rate=Decimal("0.1"), fee_rate=Decimal("0.05"))
    refund = Money.of(int(Decimal(cents) * refund_share), "RWF")
    back = calc.split_back(refund, split)
    assert back.total == refund
    assert back.community <= split.community and back.fee <= split.fee
    assert back.operator <= split.operator


def test_refund_rate_per_days_left() -> None:
    rules = [(31, Decimal("1")), (8, Decimal("0.5")), (0, Decimal("0"))]
    assert calc.refund_rate(rules, 45) == Decimal("1")
    assert calc.refund_rate(rules, 31) == Decimal("1")
    assert calc.refund_rate(rules, 30) == Decimal("0.5")
    assert calc.refund_rate(rules, 8) == Decimal("0.5")
    assert calc.refund_rate(rules, 7) == Decimal("0")
    assert calc.refund_rate(rules, -1) == Decimal("0")
    assert calc.refund_rate([], 90) == Decimal("0")
