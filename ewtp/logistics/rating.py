"""Air freight arithmetic: volumetric and chargeable weight, and the price of a rate card.

Chargeable weight is the greater of the actual weight and the volumetric weight
L x W x H (cm) / 6000, the IATA divisor for air cargo (6000 cm3 per kg), rounded up to the
next half kilogram as air carriers bill it. Pure: no Django, exact decimals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from ewtp.core.money import Money

VOLUMETRIC_DIVISOR = 6000  # cm3 per kg (IATA TACT rules, air cargo)
CHARGEABLE_STEP = Decimal("0.5")  # kg: chargeable weight rounds up to the next half kilogram
MAX_SIDE_CM = 300
MAX_WEIGHT_KG = Decimal("1000")


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, float | bool):
        raise TypeError(f"{name} takes a Decimal, an int or a decimal string, never a float")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"{name} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{name} is not a number")
    return number


def dimensions_clean(dimensions: Sequence[object] | None) -> tuple[int, int, int] | None:
    """(length, width, height) in whole centimetres, each 1 to 300; None for no dimensions."""
    if dimensions is None:
        return None
    if len(dimensions) != 3:
        raise ValueError("dimensions are length, width and height in cm")
    sides = []
    for side in dimensions:
        number = _decimal(side, "a dimension")
        if number != number.to_integral_value() or not 1 <= number <= MAX_SIDE_CM:
            raise ValueError(f"each side is a whole number of cm from 1 to {MAX_SIDE_CM}")
        sides.append(int(number))
    return sides[0], sides[1], sides[2]


def volumetric_weight_kg(
    dimensions: Sequence[object], *, divisor: int = VOLUMETRIC_DIVISOR
) -> Decimal:
    """L x W x H / divisor, in kg to the gram (rounded half up)."""
    sides = dimensions_clean(dimensions)
    assert sides is not None
    length, width, height = sides
    return (Decimal(length * width * height) / Decimal(divisor)).quantize(
        Decimal("0.001"), rounding=ROUND_HALF_UP
    )


def chargeable_weight_kg(
    weight_kg: object,
    dimensions: Sequence[object] | None = None,
    *,
    divisor: int = VOLUMETRIC_DIVISOR,
    step: Decimal = CHARGEABLE_STEP,
) -> Decimal:
    """max(actual, volumetric), rounded up to ``step`` (0.5 kg)."""
    actual = _decimal(weight_kg, "weight_kg")
    if actual <= 0 or actual > MAX_WEIGHT_KG:
        raise ValueError(f"the weight is more than 0 and at most {MAX_WEIGHT_KG} kg")
    volumetric = (
        volumetric_weight_kg(dimensions, divisor=divisor) if dimensions is not None else Decimal(0)
    )
    heavier = max(actual, volumetric)
    steps = (heavier / step).to_integral_value(rounding=ROUND_CEILING)
    return (steps * step).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Rate:
    """A rate card's figures: a charge per shipment plus a charge per chargeable kg."""

    per_kg: Money
    per_shipment: Money
    divisor: int = VOLUMETRIC_DIVISOR


def rate_price(rate: Rate, chargeable_kg: Decimal) -> Money:
    """per_shipment + per_kg x chargeable weight, rounded once to the currency's minor unit."""
    return (rate.per_shipment + rate.per_kg * chargeable_kg).rounded()
