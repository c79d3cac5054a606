"""Contract step 6 (with extension 5): fees charged at import.

A fee row in force on the date, not listed in the regime's ``fees_exempt`` and whose scope
(``applies_over`` / ``applies_up_to`` on the consignment's customs value, converted into
the fee's currency) holds, is charged:

- per line (no ``per``): rate x c_i, or the flat ``amount``, on each line whose origin the
  fee does not exempt, rounded per line;
- per consignment: clamp(sum of rate x c_i, minimum, maximum) over the lines it does not
  exempt, or the flat ``amount``, rounded once and reported under ``consignment_fees``; in
  the tax base it is shared over those lines in proportion to c_i.

A domestic consignment pays no import fee.
"""

from __future__ import annotations

from typing import Any

from .snapshot import Fee
from .work import ZERO, Priced, Work, allocate, round_half_up


def fees(work: Work) -> None:
    if work.domestic:
        return
    rows = work.snapshot.fees.get(work.req.destination, ())
    if not rows:
        return
    day, exempt = work.day, work.regime.fees_exempt
    for fee in rows:
        if not fee.start <= day <= fee.end or fee.fee in exempt or not _in_scope(work, fee):
            continue
        lines = [p for p in work.lines if p.line.origin not in fee.exempt_origins]
        if not lines:
            continue
        if fee.per_consignment:
            _consignment_fee(work, fee, lines)
        else:
            _line_fees(work, fee, lines)


def _in_scope(work: Work, fee: Fee) -> bool:
    if fee.applies_over is None and fee.applies_up_to is None:
        return True
    value = work.customs_total
    if fee.currency != work.customs:
        value = value * work.fx.rate(work.customs, fee.currency)
    if fee.applies_over is not None and not value > fee.applies_over:
        return False
    return fee.applies_up_to is None or value <= fee.applies_up_to


def _line_fees(work: Work, fee: Fee, lines: list[Priced]) -> None:
    q = work.q
    if fee.amount is not None:
        flat = round_half_up(fee.amount * work.to_customs(fee.currency), q)
        amounts = [flat] * len(lines)
    else:
        rate = fee.rate
        assert rate is not None
        amounts = [round_half_up(rate * priced.cv, q) for priced in lines]
    for priced, amount in zip(lines, amounts, strict=True):
        work.fee_sum += amount
        if fee.in_tax_base:
            priced.fees_in_base += amount
        priced.fees.append(
            {
                "fee": fee.fee,
                "name": fee.name,
                "rate": fee.rate_text if fee.rate is not None else f"{fee.amount} {fee.currency}",
                "amount": str(amount),
                "in_tax_base": fee.in_tax_base,
                "source": fee.source,
            }
        )


def _consignment_fee(work: Work, fee: Fee, lines: list[Priced]) -> None:
    to_customs = work.to_customs(fee.currency)
    out: dict[str, Any] = {"fee": fee.fee, "name": fee.name}
    if fee.amount is not None:
        total = fee.amount * to_customs
        out["flat"] = f"{fee.amount} {fee.currency}"
    else:
        assert fee.rate is not None
        total = sum((fee.rate * priced.cv for priced in lines), ZERO)
        out["rate"] = fee.rate_text
        if fee.minimum is not None and total < fee.minimum * to_customs:
            total = fee.minimum * to_customs
            out["bound"] = f"minimum {fee.minimum} {fee.currency}"
        if fee.maximum is not None and total > fee.maximum * to_customs:
            total = fee.maximum * to_customs
            out["bound"] = f"maximum {fee.maximum} {fee.currency}"
    amount = round_half_up(total, work.q)
    work.fee_sum += amount
    out.update(
        amount=str(amount),
        in_tax_base=fee.in_tax_base,
        lines=[priced.line.id for priced in lines],
        source=fee.source,
        confidence=fee.confidence or "low",
    )
    work.consignment_fees.append(out)
    if fee.in_tax_base:
        for priced, share in zip(lines, allocate(lines, amount), strict=True):
            priced.base_extra += share
