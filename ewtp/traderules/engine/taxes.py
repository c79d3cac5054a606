"""Contract step 7: the taxes per line (VAT, GST, sales tax, consumption tax).

Each tax kind takes the rate of the longest HS prefix listed for it on the date, else its
default rate; the regime may replace the country's taxes (``tax_override``), their base
(``goods``, ``supply``) and multiply every amount by a factor. A tax kind with rows only
later than the date (data coverage not reached) makes the quote incomplete with
``tax_rate_unknown``; a country without tax rows (US) simply has none.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .snapshot import TaxKind
from .work import ONE, ZERO, Priced, Work, round_half_up


def taxes(work: Work) -> None:
    kinds = work.regime.tax_override
    if kinds is None:
        kinds = work.snapshot.taxes.get(work.req.destination, ())
    if not kinds:
        return
    unknown: list[str] = []
    for priced in work.lines:
        _line_taxes(work, priced, kinds, unknown)
    for kind_name in unknown:
        work.incomplete(
            {
                "code": "tax_rate_unknown",
                "message": (
                    f"No {work.req.destination} {kind_name} rate in the rules on "
                    f"{work.day_text}; that tax is not included."
                ),
            }
        )


def _tax_base(work: Work, priced: Priced) -> Decimal:
    mode = work.regime.tax_base
    if mode == "standard":
        # b_i = c_i + duty_i + additional_i + in-base fees_i, on rounded amounts, plus the
        # unrounded shares of in-base consignment fees and of a flat duty per subheading.
        base = priced.cv
        if priced.duty_amount:
            base = base + priced.duty_amount
        if priced.fees_in_base:
            base = base + priced.fees_in_base
        if priced.base_extra:
            base = base + priced.base_extra
        return base
    if mode == "goods":
        return priced.value
    # supply: v_i + f_i + ins_i (which is c_i under CIF)
    return priced.value + priced.share if work.territory.is_fob else priced.cv


def _line_taxes(work: Work, priced: Priced, kinds: tuple[TaxKind, ...], unknown: list[str]) -> None:
    regime, q, day = work.regime, work.q, work.day
    factor = regime.tax_factor
    has_factor = factor != ONE
    base = _tax_base(work, priced)
    joined = ZERO
    hs = priced.line.hs
    for kind in kinds:
        row = kind.rate_for(hs, day)
        if row is None:
            if kind.last_start > day and kind.kind not in unknown:
                unknown.append(kind.kind)
            continue
        if kind.is_consumption:
            # Levied on (c_i + duty_i) / (1 - k) x k; joins the base of the others (before any
            # regime factor, rounded like every tax amount). Under a regime's goods or supply
            # base, that base replaces c_i + duty_i.
            consumption_base = (
                priced.cv + priced.tariff_duty if regime.tax_base == "standard" else base
            )
            tax_base = consumption_base / (ONE - row.rate)
            joined += round_half_up(tax_base * row.rate, q)
        else:
            tax_base = base + joined if joined else base
        amount = tax_base * row.rate
        if has_factor:
            amount = amount * factor
        amount = round_half_up(amount, q)
        work.tax_sum += amount
        item: dict[str, Any] = {
            "kind": kind.kind,
            "rate": row.rate_text,
            "rate_kind": row.rate_kind,
            "category": row.category or None,
            "base": str(round_half_up(tax_base, q)),
            "factor": regime.tax_factor_text,
            "amount": str(amount),
            "source": row.source,
            "confidence": row.confidence or "low",
        }
        priced.taxes.append(item)
