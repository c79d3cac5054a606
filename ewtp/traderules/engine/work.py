"""The records one quote fills step by step: ``Work`` (the consignment) and ``Priced`` (a line).

All amounts are in the customs currency C. Unrounded values keep full precision; the
contract's rounding points (each duty, fee and tax amount, each consignment duty or fee) use
``round_half_up``.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any

from .exchange import Fx
from .request import Line, Request
from .snapshot import DOMESTIC_REGIME, Regime, Snapshot, Territory

ZERO = Decimal(0)
ONE = Decimal(1)
# The contract's rounding to the minor unit, half up: ``round_half_up(amount, quantum)``.
round_half_up = Context(
    prec=28, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow]
).quantize

CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2}


def lowest_confidence(one: str, other: str) -> str:
    """The lower of two confidence marks; an empty mark counts as low (not verified)."""
    rank = CONFIDENCE_RANK
    one, other = one or "low", other or "low"
    return one if rank.get(one, 2) >= rank.get(other, 2) else other


class Priced:
    """One request line as the steps price it."""

    __slots__ = (
        "additional",
        "base_extra",
        "cv",
        "duty",
        "duty_amount",
        "fees",
        "fees_in_base",
        "line",
        "share",
        "tariff_duty",
        "taxes",
        "value",
        "weak",
    )

    def __init__(self, line: Line, value: Decimal) -> None:
        self.line = line
        self.value = value  # v_i, unrounded
        self.share = ZERO  # f_i + ins_i, unrounded
        self.cv = value  # c_i, unrounded
        self.duty: dict[str, Any] | None = None
        self.tariff_duty = ZERO  # the rounded tariff (MFN, preferential or flat) duty
        self.duty_amount = ZERO  # tariff duty plus the rounded additional duties
        self.additional: list[dict[str, Any]] = []
        self.fees: list[dict[str, Any]] = []
        self.fees_in_base = ZERO  # rounded line fees that join the tax base
        # Unrounded shares of consignment amounts in the tax base (a consignment fee in the
        # base; the flat duty per subheading under a standard base).
        self.base_extra = ZERO
        self.taxes: list[dict[str, Any]] = []
        # The confidence marks below high of the line's duty, additional duties and taxes
        # (extension 7's rates_not_verified note); None while there is none.
        self.weak: set[str] | None = None

    def mark(self, confidence: str) -> None:
        """Note a rate's confidence mark (the response's, never empty) if it is below high."""
        if confidence != "high":
            if self.weak is None:
                self.weak = {confidence}
            else:
                self.weak.add(confidence)


class Work:
    """Everything one quote computes, step by step."""

    __slots__ = (
        "complete",
        "consignment_duties",
        "consignment_fees",
        "customs",
        "customs_total",
        "day",
        "day_text",
        "display",
        "domestic",
        "duty_saved",
        "duty_sum",
        "fee_sum",
        "fx",
        "goods",
        "insurance",
        "lines",
        "notes",
        "preference_lines",
        "q",
        "regime",
        "req",
        "shipping",
        "snapshot",
        "tax_sum",
        "territory",
        "to_display",
        "warnings",
        "why",
        "zero",
    )

    def __init__(self, snapshot: Snapshot, req: Request, territory: Territory, day: date) -> None:
        self.snapshot = snapshot
        self.req = req
        self.territory = territory
        self.day = day.toordinal()
        self.day_text = day.isoformat()
        self.customs = territory.currency
        self.display = req.currency or territory.currency
        self.q = territory.quantum
        self.warnings: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []
        self.fx = Fx(snapshot, self.day, self.day_text, self.warnings)
        self.complete = True
        self.zero = round_half_up(ZERO, self.q)  # sums start at 0 on the minor unit: "0.00"
        self.duty_sum = self.fee_sum = self.tax_sum = self.zero
        # What the preferences used spared: MFN minus preferential duty, rounded per line (C);
        # None while no line's duty came from a preference.
        self.duty_saved: Decimal | None = None
        self.lines: list[Priced] = []
        self.goods = self.shipping = self.insurance = self.customs_total = ZERO
        self.to_display = ONE
        self.regime: Regime = DOMESTIC_REGIME
        self.why = ""
        self.domestic = False
        self.consignment_duties: list[dict[str, Any]] = []
        self.consignment_fees: list[dict[str, Any]] = []
        self.preference_lines: list[str] = []

    def to_customs(self, currency: str) -> Decimal:
        """Units of the customs currency per unit of ``currency`` (1 for C itself)."""
        if not currency or currency == self.customs:
            return ONE
        return self.fx.rate(currency, self.customs)

    def incomplete(self, warning: dict[str, Any]) -> None:
        self.complete = False
        self.warnings.append(warning)


def allocate(lines: list[Priced], amount: Decimal) -> list[Decimal]:
    """``amount`` shared over ``lines`` in proportion to c_i (equal shares if all are 0)."""
    total = sum((priced.cv for priced in lines), ZERO)
    if not total:
        return [amount / len(lines)] * len(lines)
    return [amount * priced.cv / total for priced in lines]
