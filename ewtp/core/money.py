"""Money: an exact Decimal amount with its ISO 4217 currency, and the one rounding rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency

from ewtp.core.currencies import exponent, is_currency

_QUANTS = {places: Decimal(1).scaleb(-places) for places in range(0, 5)}


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half up. The platform's only rounding function."""
    return amount.quantize(_QUANTS[exponent(currency)], rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money amount must be a Decimal")
        if not self.amount.is_finite():
            raise ValueError("Money amount must be finite")
        if not is_currency(self.currency):
            raise ValueError(f"not an ISO 4217 currency: {self.currency!r}")

    # Construction ---------------------------------------------------------------------------
    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        """From a decimal string, an int or a Decimal; floats are refused."""
        if isinstance(amount, bool) or isinstance(amount, float):
            raise TypeError("Money takes a decimal string, never a float")
        try:
            value = Decimal(amount) if not isinstance(amount, Decimal) else amount
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal amount: {amount!r}") from exc
        return cls(value, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """From integer minor units as stored (1250 EUR cents -> 12.50 EUR; RWF has none)."""
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise TypeError("minor units are an int")
        return cls(Decimal(minor).scaleb(-exponent(currency)), currency)

    # Storage ----------------------------------------------------------------------------------
    @property
    def minor(self) -> int:
        """Integer minor units; the amount must already sit on the minor unit."""
        scaled = self.amount.scaleb(exponent(self.currency))
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{self} is not a whole number of minor units; quantize it first")
        return int(scaled)

    def rounded(self) -> Money:
        return Money(quantize(self.amount, self.currency), self.currency)

    # Arithmetic -------------------------------------------------------------------------------
    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"currency mismatch: {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float):
            raise TypeError("multiply Money by a Decimal or int, never a float")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    # Presentation -----------------------------------------------------------------------------
    def as_string(self) -> str:
        """The amount on the minor unit as a plain decimal string ("12.50", "1500")."""
        return f"{quantize(self.amount, self.currency):f}"

    def as_dict(self) -> dict[str, str]:
        return {"amount": self.as_string(), "currency": self.currency}

    def format(self, locale: str = "en") -> str:
        """For people, in their locale ('RWF12,000' in en, '12,50 €' in fr).

        Takes a Django language code ("zh-hans") or a babel locale ("zh_Hans"); an unknown one
        falls back to English rather than failing a page.
        """
        return format_currency(
            quantize(self.amount, self.currency),
            self.currency,
            locale=_babel_locale(locale),
            currency_digits=True,
        )

    def __str__(self) -> str:
        return f"{self.as_string()} {self.currency}"


def _babel_locale(code: str) -> Locale:
    try:
        return Locale.parse((code or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def allocate(total: Money, weights: Sequence[Decimal | int]) -> list[Money]:
    """Split a total over weights on the minor unit; the last share takes the remainder.

    The parts always sum exactly to the (rounded) total. Equal shares when every weight is 0.
    """
    if not weights:
        raise ValueError("allocate needs at least one weight")
    if any(weight < 0 for weight in weights):
        raise ValueError("weights must not be negative")
    whole = quantize(total.amount, total.currency)
    weight_sum = sum((Decimal(weight) for weight in weights), Decimal(0))
    shares: list[Decimal] = []
    for weight in weights[:-1]:
        if weight_sum == 0:
            share = whole / len(weights)
        else:
            share = whole * Decimal(weight) / weight_sum
        shares.append(quantize(share, total.currency))
    shares.append(whole - sum(shares, Decimal(0)))
    return [Money(share, total.currency) for share in shares]
