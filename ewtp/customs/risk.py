"""Risk flags an officer sees on a declaration, computed from data (pure: no Django).

- ``undervalued``: a line declared at less than half its catalog price;
- ``weight_mismatch``: the parcel far lighter than its goods, or far heavier than goods plus
  packaging;
- ``restricted_goods``: an HS code on the dated list of restricted goods;
- ``preference_without_proof``: a tariff preference used with no origin statement made.

Each flag keeps an English ``message`` (for the API and the audit) and the ``params`` that
``ewtp.core.wording`` puts into a translated sentence on the officer's pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

UNDERVALUE_RATIO = Decimal("0.5")  # declared below half the catalog price
WEIGHT_LOW_RATIO = Decimal("0.8")  # lighter than 80% of the goods' own weight
WEIGHT_HIGH_RATIO = Decimal("1.5")  # heavier than 150% of the goods ...
PACKAGING_ALLOWANCE_KG = Decimal("0.5")  # ... plus half a kilogram of packaging


@dataclass(frozen=True)
class RiskLine:
    seq: int
    hs_code: str
    description: str
    quantity: int
    declared_unit_price: Decimal  # what the order says, in ``currency``
    catalog_unit_price: Decimal | None  # the listing's price now, same currency (None: unknown)
    catalog_unit_weight_kg: Decimal
    currency: str
    programme: str = ""


@dataclass(frozen=True)
class Restriction:
    hs_prefix: str
    reason: str
    valid_from: date
    valid_to: date | None
    source: str


def _flag(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **extra}


def risk_flags(
    *,
    lines: Sequence[RiskLine],
    parcel_weight_kg: Decimal,
    restrictions: Sequence[Restriction],
    on: date,
    is_origin_statement_made: bool,
) -> list[dict[str, Any]]:
    flags: list[dict[str, Any]] = []
    for line in lines:
        catalog = line.catalog_unit_price
        if catalog and catalog > 0 and line.declared_unit_price < catalog * UNDERVALUE_RATIO:
            share = (line.declared_unit_price / catalog * 100).quantize(Decimal(1))
            flags.append(
                _flag(
                    "undervalued",
                    f"Line {line.seq} declared at {line.declared_unit_price} {line.currency} a "
                    f"unit, {share}% of the catalog price {catalog} {line.currency}.",
                    line=line.seq,
                    params={
                        "line": line.seq,
                        "declared": str(line.declared_unit_price),
                        "share": str(share),
                        "catalog": str(catalog),
                        "currency": line.currency,
                    },
                )
            )
    expected = sum((line.catalog_unit_weight_kg * line.quantity for line in lines), Decimal(0))
    if expected > 0:
        low = expected * WEIGHT_LOW_RATIO
        high = expected * WEIGHT_HIGH_RATIO + PACKAGING_ALLOWANCE_KG
        if parcel_weight_kg < low or parcel_weight_kg > high:
            flags.append(
                _flag(
                    "weight_mismatch",
                    f"The parcel weighs {parcel_weight_kg} kg; its goods weigh {expected} kg "
                    f"(expected {low.quantize(Decimal('0.001'))} to "
                    f"{high.quantize(Decimal('0.001'))} kg with packaging).",
                    params={
                        "weight": str(parcel_weight_kg),
                        "expected": str(expected),
                        "low": str(low.quantize(Decimal("0.001"))),
                        "high": str(high.quantize(Decimal("0.001"))),
                    },
                )
            )
    for line in lines:
        for rule in restrictions:
            in_force = rule.valid_from <= on and (rule.valid_to is None or on <= rule.valid_to)
            if in_force and line.hs_code.startswith(rule.hs_prefix):
                flags.append(
                    _flag(
                        "restricted_goods",
                        f"Line {line.seq} (HS {line.hs_code}): {rule.reason} [{rule.source}]",
                        line=line.seq,
                        params={"line": line.seq, "hs_code": line.hs_code, "reason": rule.reason},
                    )
                )
    preferential = [line.seq for line in lines if line.programme]
    if preferential and not is_origin_statement_made:
        flags.append(
            _flag(
                "preference_without_proof",
                "A tariff preference was used for line(s) "
                + ", ".join(str(seq) for seq in preferential)
                + " but the exporter made no origin statement.",
                params={"lines": ", ".join(str(seq) for seq in preferential)},
            )
        )
    return flags
