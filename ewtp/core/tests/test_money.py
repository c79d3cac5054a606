"""Money: exact decimals, the one rounding rule, splits that sum to the whole, formatting."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ewtp.core.currencies import exponent
from ewtp.core.money import Money, allocate, quantize

CURRENCIES = ["RWF", "EUR", "KWD", "USD", "JPY", "BHD", "CNY", "CLF"]

currencies = st.sampled_from(CURRENCIES)
minor_amounts = st.integers(min_value=-(10**15), max_value=10**15)
int_weights = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=25)
decimal_weights = st.lists(
    st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=25,
)


def test_exponents_follow_iso_4217() -> None:
    assert exponent("RWF") == 0
    assert exponent("JPY") == 0
    assert exponent("EUR") == 2
    assert exponent("USD") == 2
    assert exponent("KWD") == 3
    assert exponent("BHD") == 3
    assert exponent("CLF") == 4


def test_rwf_has_no_minor_unit() -> None:
    assert Money.of("12000", "RWF").minor == 12000
    assert Money.from_minor(12000, "RWF") == Money.of("12000", "RWF")
    assert Money.of("12000", "RWF").as_string() == "12000"
    with pytest.raises(ValueError, match="quantize it first"):
        _ = Money.of("12000.5", "RWF").minor
    assert Money.of("12000.5", "RWF").rounded() == Money.of("12001", "RWF")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.5", "RWF", "1"),
        ("1.49", "RWF", "1"),
        ("2.5", "RWF", "3"),
        ("-2.5", "RWF", "-3"),
        ("0.005", "EUR", "0.01"),
        ("0.004999", "EUR", "0.00"),
        ("10.125", "EUR", "10.13"),
        ("-10.125", "EUR", "-10.13"),
        ("1.2345", "KWD", "1.235"),
        ("1.2344", "KWD", "1.234"),
        ("0.0005", "KWD", "0.001"),
    ],
)
def test_quantize_rounds_half_up_on_the_minor_unit(
    amount: str, currency: str, expected: str
) -> None:
    result = quantize(Decimal(amount), currency)
    assert result == Decimal(expected)
    assert str(result) == expected


@given(minor=st.integers(min_value=0, max_value=10**12), currency=currencies)
def test_an_exact_half_always_rounds_up(minor: int, currency: str) -> None:
    places = exponent(currency)
    half = (Decimal(minor) + Decimal("0.5")).scaleb(-places)
    assert quantize(half, currency) == Decimal(minor + 1).scaleb(-places)
    assert quantize(-half, currency) == -Decimal(minor + 1).scaleb(-places)


def test_money_refuses_floats() -> None:
    with pytest.raises(TypeError):
        Money.of(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.of(True, "EUR")
    with pytest.raises(TypeError):
        Money.of("1", "EUR") * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money.from_minor(150.0, "EUR")  # type: ignore[arg-type]


def test_money_refuses_bad_amounts_and_currencies() -> None:
    with pytest.raises(ValueError, match="not a decimal amount"):
        Money.of("twelve", "EUR")
    with pytest.raises(ValueError, match="finite"):
        Money.of("NaN", "EUR")
    with pytest.raises(ValueError, match="ISO 4217"):
        Money.of("1", "EURO")
    with pytest.raises(ValueError, match="ISO 4217"):
        Money.of("1", "XAU")


def test_arithmetic_keeps_the_currency_and_refuses_to_mix() -> None:
    total = Money.of("10.10", "EUR") + Money.of("0.05", "EUR") - Money.of("1", "EUR")
    assert total == Money.of("9.15", "EUR")
    assert -total == Money.of("-9.15", "EUR")
    assert total * 2 == Money.of("18.30", "EUR")
    assert 3 * Money.of("1.10", "EUR") == Money.of("3.30", "EUR")
    assert Money.of("1", "EUR") < Money.of("2", "EUR")
    assert Money.zero("RWF").is_zero()
    with pytest.raises(ValueError, match="currency mismatch"):
        _ = Money.of("1", "EUR") + Money.of("1", "USD")
    with pytest.raises(ValueError, match="currency mismatch"):
        _ = Money.of("1", "EUR") < Money.of("1", "USD")


@given(minor=minor_amounts, currency=currencies)
def test_from_minor_and_minor_round_trip(minor: int, currency: str) -> None:
    money = Money.from_minor(minor, currency)
    assert money.minor == minor
    assert money.currency == currency
    assert Money.of(money.as_string(), currency) == money


def test_from_minor_places_the_decimal_point() -> None:
    assert Money.from_minor(1250, "EUR").as_string() == "12.50"
    assert Money.from_minor(1250, "KWD").as_string() == "1.250"
    assert Money.from_minor(1250, "RWF").as_string() == "1250"
    assert Money.from_minor(-1, "EUR").as_dict() == {"amount": "-0.01", "currency": "EUR"}


@given(minor=minor_amounts, currency=currencies, weights=int_weights)
def test_allocate_sums_to_the_whole_for_any_integer_weights(
    minor: int, currency: str, weights: list[int]
) -> None:
    total = Money.from_minor(minor, currency)
    shares = allocate(total, weights)
    assert len(shares) == len(weights)
    assert sum((share.amount for share in shares), Decimal(0)) == total.amount
    assert all(share.currency == currency for share in shares)
    for share in shares:
        _ = share.minor  # every share sits on the minor unit


@given(
    amount=st.decimals(
        min_value=-(10**9), max_value=10**9, places=6, allow_nan=False, allow_infinity=False
    ),
    currency=currencies,
    weights=decimal_weights,
)
def test_allocate_sums_to_the_rounded_whole_for_any_decimal_weights(
    amount: Decimal, currency: str, weights: list[Decimal]
) -> None:
    total = Money(amount, currency)
    shares = allocate(total, weights)
    assert sum((share.amount for share in shares), Decimal(0)) == quantize(amount, currency)


@given(minor=minor_amounts, currency=currencies, weights=int_weights)
def test_allocate_rounds_each_share_and_the_last_takes_the_remainder(
    minor: int, currency: str, weights: list[int]
) -> None:
    total = Money.from_minor(minor, currency)
    shares = allocate(total, weights)
    weight_sum = sum(weights)
    for weight, share in zip(weights[:-1], shares[:-1], strict=True):
        exact = total.amount * weight / weight_sum if weight_sum else total.amount / len(weights)
        assert share.amount == quantize(exact, currency)
    assert shares[-1].amount == total.amount - sum(
        (share.amount for share in shares[:-1]), Decimal(0)
    )


def test_allocate_examples() -> None:
    assert allocate(Money.of("100", "RWF"), [1, 1, 1]) == [
        Money.of("33", "RWF"),
        Money.of("33", "RWF"),
        Money.of("34", "RWF"),
    ]
    assert allocate(Money.of("10.00", "EUR"), [1, 2]) == [
        Money.of("3.33", "EUR"),
        Money.of("6.67", "EUR"),
    ]
    assert allocate(Money.of("1.000", "KWD"), [0, 0, 0]) == [
        Money.of("0.333", "KWD"),
        Money.of("0.333", "KWD"),
        Money.of("0.334", "KWD"),
    ]
    assert allocate(Money.of("0.05", "EUR"), [1]) == [Money.of("0.05", "EUR")]


def test_allocate_refuses_no_weights_or_negative_weights() -> None:
    with pytest.raises(ValueError, match="at least one weight"):
        allocate(Money.of("1", "EUR"), [])
    with pytest.raises(ValueError, match="must not be negative"):
        allocate(Money.of("1", "EUR"), [1, -1])


@pytest.mark.parametrize(
    ("locale", "rwf", "eur"),
    [
        ("en", "RWF12,000", "€1,234.50"),
        ("fr", "12\u202f000\xa0RWF", "1\u202f234,50\xa0€"),
        ("rw", "RF\xa012.000", "€\xa01.234,50"),
        ("sw", "RWF\xa012,000", "€\xa01,234.50"),
        ("zh-hans", "RWF12,000", "€1,234.50"),
        ("zh_Hans", "RWF12,000", "€1,234.50"),
        ("xx", "RWF12,000", "€1,234.50"),
    ],
)
def test_format_per_locale(locale: str, rwf: str, eur: str) -> None:
    assert Money.of("12000", "RWF").format(locale) == rwf
    assert Money.of("1234.5", "EUR").format(locale) == eur


def test_format_rounds_to_the_minor_unit() -> None:
    assert Money.of("1.2345", "KWD").format("en") == "KWD1.235"
    assert Money.of("12000.5", "RWF").format("en") == "RWF12,001"


def test_string_forms() -> None:
    money = Money.of("12.5", "EUR")
    assert str(money) == "12.50 EUR"
    assert money.as_dict() == {"amount": "12.50", "currency": "EUR"}
