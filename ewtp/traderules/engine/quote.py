"""The landed-cost quote (shared/contracts/landed-cost.md): a pure function over a Snapshot.

Per quote the work is validation, dict lookups, ``bisect`` on the FX series and a handful of
Decimal operations; everything parsable was parsed in ``build_snapshot``. Amounts are never
rounded before the contract's rounding points (each duty, fee and tax amount per line, each
consignment duty, and the goods/shipping/insurance totals).

Where the contract is silent, the engine decides as follows:

- Request shape: ``origin``, ``destination`` and ``lines`` are required; ``null`` counts as
  absent for the optional fields. Amounts are plain decimal strings (no sign, exponent or
  spaces; at most 12 integer and 12 decimal digits); a weight is such a string or an int.
  A line without ``id`` is named by its position ("0", "1", ...). Codes are upper case.
- A currency is known if it is an active ISO 4217 code or has rates in the data; unknown is
  ``invalid_request``, known without a rate ``fx_rate_unavailable``. A zero shipping or
  insurance amount needs no rate. A missing ``unit_weight_kg`` where a per-kg duty applies
  is ``invalid_request`` (found only once the regime is known, so after the other checks).
- FX: a cross rate's reported date is its older leg's, staleness is judged on that leg, and
  its source joins both legs' sources (ECB points carry S30). Reported rates have 6
  significant digits. Operator/table rates and ECB rates merge per currency, ECB winning a
  tie on the same day.
- ``f_i + ins_i`` is computed as (F + I) x v_i / V, multiplied before dividing so that exact
  shares stay exact; a customs-value threshold compares V + F + I (FOB: V), which is the sum
  of the c_i without the rounding noise of adding up inexact shares.
- Preference: "strictly lower" compares the unrounded amounts; among equally low programmes
  the first listed wins. The note's saving is the difference of the rounded amounts.
- A line with no tariff line adds 0 duty to the tax base (taxes cover what is known); it
  still gets additional duties and fees. A tax kind with rows only later than the date (data
  coverage not reached) makes the quote incomplete with ``tax_rate_unknown``; a country
  without tax rows (US) simply has none.
- A consumption tax joins the other taxes' base with its amount before the regime factor;
  under a goods/supply regime base it is levied on that base. The consignment flat duty is
  not spread into the lines' tax bases (the regimes that have it tax the supply).
- Exempt/flat regimes report each line's duty as 0 with ``treatment`` and the regime source.
- Payable amounts are in the display currency; under DAP only the taxes of a regime that
  collects them at checkout move to checkout (a flat consignment duty is paid on delivery).
- A consignment whose ``origin`` lies inside the destination's customs territory (RW to RW,
  FR to BE) is not an import: regime ``domestic``, no duty, additional duty, fee or tax.

The quote runs the contract's steps in order, each a function over one ``_Work`` record:
``_territory`` (1), ``_values`` (2 exchange and 3 values), ``_regime`` (4), ``_duties`` (5),
``_fees`` (6), ``_taxes`` (7) and ``_respond`` (8 rounding and totals, and the response).
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    getcontext,
    localcontext,
)
from typing import Any

from .errors import (
    FX_RATE_UNAVAILABLE,
    INVALID_REQUEST,
    UNKNOWN_HS_CODE,
    UNSUPPORTED_DESTINATION,
    QuoteRejected,
)
from .exchange import Fx, join_sources, reject_missing_rates
from .money import quantum
from .regime import Facts, choose_regime, dotted
from .request import MAX_LINES, MAX_QUANTITY, Line, Money, Request, parse_request
from .snapshot import (
    DOMESTIC_REGIME,
    Regime,
    Snapshot,
    TariffLine,
    Territory,
)

__all__ = ["MAX_LINES", "MAX_QUANTITY", "QUOTE_LIFETIME", "quote"]

QUOTE_LIFETIME = timedelta(minutes=30)

# Arithmetic context: Python's default precision (28 digits, half even at that digit) with
# the traps on. Request amounts are capped at 12 integer digits so every intermediate fits.
_CTX = Context(
    prec=28, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)
# The contract's rounding to the minor unit, half up: ``_round(amount, quantum)``.
_round = Context(
    prec=28, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow]
).quantize
_ZERO = Decimal(0)
_ONE = Decimal(1)


class _Priced:
    """One request line as the steps price it (amounts in the customs currency)."""

    __slots__ = (
        "additional",
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
    )

    def __init__(self, line: Line, value: Decimal) -> None:
        self.line = line
        self.value = value  # v_i, unrounded
        self.share = _ZERO  # f_i + ins_i, unrounded
        self.cv = value  # c_i, unrounded
        self.duty: dict[str, Any] | None = None
        self.tariff_duty = _ZERO  # the rounded tariff (MFN or preferential) duty
        self.duty_amount = _ZERO  # tariff duty plus the rounded additional duties
        self.additional: list[dict[str, Any]] = []
        self.fees: list[dict[str, Any]] = []
        self.fees_in_base = _ZERO  # rounded fees that join the tax base
        self.taxes: list[dict[str, Any]] = []


class _Work:
    """Everything one quote computes, step by step."""

    __slots__ = (
        "complete",
        "consignment_duties",
        "customs",
        "customs_total",
        "day",
        "day_text",
        "display",
        "domestic",
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
        "weight_errors",
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
        self.zero = _round(_ZERO, self.q)  # sums start at 0 on the minor unit: "0.00"
        self.duty_sum = self.fee_sum = self.tax_sum = self.zero
        self.lines: list[_Priced] = []
        self.goods = self.shipping = self.insurance = self.customs_total = _ZERO
        self.to_display = _ONE
        self.regime: Regime = DOMESTIC_REGIME
        self.why = ""
        self.domestic = False
        self.consignment_duties: list[dict[str, Any]] = []
        self.preference_lines: list[str] = []
        self.weight_errors: dict[str, str] = {}


def quote(
    request: dict[str, Any],
    snapshot: Snapshot,
    *,
    today: date | None = None,
    now: datetime | None = None,
    quote_id: str | None = None,
) -> dict[str, Any]:
    """Price a landed-cost request on ``snapshot``; raise QuoteRejected for a bad request.

    ``today`` is the date used when the request gives none (default: today in UTC);
    ``now`` sets ``expires_at`` (default: the current time); ``quote_id`` replaces the
    random ``q_`` identifier (tests and replays).
    """
    try:
        current = getcontext()
        if (
            current.prec == 28
            and current.rounding == ROUND_HALF_EVEN
            and current.traps[InvalidOperation]
        ):
            # Python's default context is the engine's: skip the context switch.
            return _quote(request, snapshot, today, now, quote_id)
        with localcontext(_CTX):
            return _quote(request, snapshot, today, now, quote_id)
    except (InvalidOperation, Overflow) as exc:
        # Only amounts beyond any real consignment get here (the 28-digit context no longer
        # holds them on the minor unit); refuse them rather than answer wrongly.
        raise QuoteRejected(
            INVALID_REQUEST,
            "The amounts are too large to price.",
            {"lines": "amounts too large to price"},
        ) from exc


def _quote(
    request: dict[str, Any],
    snapshot: Snapshot,
    today: date | None,
    now: datetime | None,
    quote_id: str | None,
) -> dict[str, Any]:
    req = parse_request(request, snapshot.currencies)
    _check_subheadings(req, snapshot)
    territory = _territory(snapshot, req)
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    work = _Work(snapshot, req, territory, req.day or today or now.astimezone(UTC).date())
    _values(work)
    _regime(work)
    _duties(work)
    _fees(work)
    _taxes(work)
    return _respond(work, now, quote_id)


# 1. Territory ------------------------------------------------------------------------------


def _check_subheadings(req: Request, snapshot: Snapshot) -> None:
    hs6 = snapshot.hs_subheadings
    unknown = {
        f"lines.{line.position}.hs_code": f"{dotted(line.hs[:6])} is not an HS 2022 subheading"
        for line in req.lines
        if line.hs[:6] not in hs6
    }
    if unknown:
        raise QuoteRejected(
            UNKNOWN_HS_CODE, "An HS code does not start with an HS 2022 subheading.", unknown
        )


def _territory(snapshot: Snapshot, req: Request) -> Territory:
    territory = snapshot.country_territory.get(req.destination)
    if territory is None:
        raise QuoteRejected(
            UNSUPPORTED_DESTINATION,
            f"There are no trade rules for the destination {req.destination}.",
            {"destination": f"no rules for {req.destination}"},
        )
    return territory


# 2-3. Exchange and values ------------------------------------------------------------------


def _values(work: _Work) -> None:
    """v_i, F, I and c_i in the customs currency, unrounded.

    fx_rate_unavailable is the last check and lists every field at fault, so a missing rate
    is first caught here and then reported for all of the request's amounts at once. A zero
    amount needs no rate.
    """
    req, customs = work.req, work.customs
    rate = work.fx.rate
    try:
        values = [
            line.price * line.quantity
            if line.currency == customs
            else line.price * line.quantity * rate(line.currency, customs)
            for line in req.lines
        ]
        work.shipping = _converted(work, req.shipping)
        work.insurance = _converted(work, req.insurance)
        if work.display != customs:
            work.to_display = rate(customs, work.display)
    except QuoteRejected as exc:
        if exc.code == FX_RATE_UNAVAILABLE:
            reject_missing_rates(req, work.snapshot, customs, work.display, work.day, work.day_text)
        raise
    goods = work.goods = sum(values, _ZERO)
    # Shipping and insurance are shared in proportion to v_i; f_i + ins_i is only ever used
    # as a sum. Under CIF the customs value of the consignment, sum c_i, is exactly V + F + I
    # (adding up the lines' shares could only add noise in the 28th digit).
    carriage = work.shipping + work.insurance
    is_fob = work.territory.is_fob
    work.customs_total = goods if is_fob else goods + carriage
    equal_share = carriage / len(values) if carriage and not goods else _ZERO
    for line, value in zip(req.lines, values, strict=True):
        priced = _Priced(line, value)
        if carriage:
            # Multiplied before dividing: exact stays exact. V = 0: equal shares.
            priced.share = carriage * value / goods if goods else equal_share
            if not is_fob:
                priced.cv = value + priced.share
        work.lines.append(priced)


def _converted(work: _Work, money: Money | None) -> Decimal:
    if money is None or not money.amount:
        return _ZERO
    if money.currency == work.customs:
        return money.amount
    return money.amount * work.fx.rate(money.currency, work.customs)


# 4. Regime ---------------------------------------------------------------------------------


def _regime(work: _Work) -> None:
    """The regime; none applies to a consignment that does not cross the territory's border."""
    req, territory = work.req, work.territory
    origin_territory = work.snapshot.country_territory.get(req.origin)
    if origin_territory is not None and origin_territory.code == territory.code:
        work.domestic = True
        work.regime = DOMESTIC_REGIME
        work.why = f"{req.origin} is inside the {territory.code} customs territory: not an import"
        return
    facts = Facts(req, work.fx, work.customs, work.q, work.goods, work.customs_total)
    work.regime, work.why = choose_regime(
        work.snapshot.regimes.get(territory.code, ()),
        facts,
        work.day,
        work.day_text,
        territory.code,
    )


# 5. Duty -----------------------------------------------------------------------------------


def _duties(work: _Work) -> None:
    regime = work.regime
    if regime.duty == "standard":
        for priced in work.lines:
            _standard_duty(work, priced)
            _additional_duties(work, priced)
            work.duty_sum += priced.duty_amount
        if work.weight_errors:
            raise QuoteRejected(
                INVALID_REQUEST,
                "unit_weight_kg is needed where a duty per kg applies.",
                work.weight_errors,
            )
        return
    # A regime treatment replaces the whole duty step: no tariff line is looked up.
    exempt = {
        "amount": str(work.zero),
        "rate": "0%",
        "programme": None,
        "tariff_code": None,
        "source": regime.source,
        "treatment": regime.duty,
    }
    for priced in work.lines:
        priced.duty = exempt.copy()
    if regime.duty == "flat_per_hs6":
        _flat_per_hs6(work)


def _flat_per_hs6(work: _Work) -> None:
    regime = work.regime
    subheadings = len({priced.line.hs[:6] for priced in work.lines})
    per = regime.flat_amount
    if regime.flat_currency != work.customs:
        per = per * work.fx.rate(regime.flat_currency, work.customs)
    amount = _round(per * subheadings, work.q)
    work.duty_sum += amount
    # Exactly the contract's shape: kind, count (distinct subheadings), amount.
    work.consignment_duties.append(
        {"kind": "flat_per_hs6", "count": subheadings, "amount": str(amount)}
    )


def _tariff_line(snapshot: Snapshot, territory: str, hs: str, day: int) -> TariffLine | None:
    """The longest code in the territory's schedule that starts ``hs`` and is valid on ``day``."""
    index = snapshot.tariffs.get(territory)
    if index is None:
        return None
    by_code = index.by_code
    size = len(hs)
    for length in index.lengths:
        if length <= size:
            candidates = by_code.get(hs[:length])
            if candidates is not None:
                for line in candidates:
                    if line.start <= day <= line.end:
                        return line
    return None


def _standard_duty(work: _Work, priced: _Priced) -> None:
    line = priced.line
    tariff = _tariff_line(work.snapshot, work.territory.code, line.hs, work.day)
    if tariff is None:
        work.complete = False
        work.warnings.append(
            {
                "code": "tariff_rate_unknown",
                "message": (
                    f"Line {line.id}: no {work.territory.code} tariff line for "
                    f"{dotted(line.hs)} on {work.day_text}; its duty (and the tax on it) is "
                    "not included."
                ),
            }
        )
        return
    mfn = _mfn(work, priced, tariff)
    chosen, programme, rate_label, source = _preference(work, priced, tariff, mfn)
    priced.tariff_duty = priced.duty_amount = _round(chosen, work.q)
    priced.duty = {
        "amount": str(priced.tariff_duty),
        "rate": rate_label,
        "programme": programme,
        "tariff_code": tariff.code,
        "source": source,
        "treatment": "preference" if programme else "mfn",
    }


def _mfn(work: _Work, priced: _Priced, tariff: TariffLine) -> Decimal:
    """The unrounded MFN duty: ad valorem on c_i plus the specific part."""
    mfn = _ZERO if tariff.ad_valorem is None else tariff.ad_valorem * priced.cv
    if tariff.specific is None:
        return mfn
    line = priced.line
    if tariff.specific_measure != "weight":
        specific = tariff.specific * line.quantity / tariff.specific_divisor
    elif line.weight is not None:
        specific = tariff.specific * line.weight * line.quantity / tariff.specific_divisor
    else:
        work.weight_errors[f"lines.{line.position}.unit_weight_kg"] = (
            f"required: tariff line {tariff.code} has a duty per kg"
        )
        specific = _ZERO
    if tariff.specific_currency != work.customs:
        specific = specific * work.fx.rate(tariff.specific_currency, work.customs)
    return mfn + specific


def _preference(
    work: _Work, priced: _Priced, tariff: TariffLine, mfn: Decimal
) -> tuple[Decimal, str | None, str, str]:
    """The duty charged: the lowest eligible preference when proven and strictly lower.

    Returns (unrounded amount, programme or None, rate label, source). "Strictly lower"
    compares the amounts before rounding: the comparison is step 5, the rounding step 8.
    """
    line, day = priced.line, work.day
    hs, origin = line.hs, line.origin
    best = None
    for pref in work.snapshot.preferences.get(work.territory.code, ()):
        if (
            pref.start <= day <= pref.end
            and (pref.origins is None or origin in pref.origins)
            and (pref.include is None or hs.startswith(pref.include))
            and not hs.startswith(pref.exclude)
            and (best is None or pref.rate < best.rate)
        ):
            best = pref
    if best is None:
        return mfn, None, tariff.rate_label, tariff.source
    preferential = best.rate * priced.cv
    if not preferential < mfn:
        return mfn, None, tariff.rate_label, tariff.source
    if work.req.proof:
        work.preference_lines.append(hs)
        source = join_sources(tariff.source, best.source)
        return preferential, best.programme, best.rate_label, source
    customs, q = work.customs, work.q
    mfn_r, pref_r = _round(mfn, q), _round(preferential, q)
    work.notes.append(
        {
            "code": "preference_available",
            "message": (
                f"Line {line.id}: with a proof of origin "
                f"({best.proof or 'as the programme requires'}), "
                f"{best.programme} would lower the duty from "
                f"{mfn_r} {customs} to {pref_r} {customs}, "
                f"saving {mfn_r - pref_r} {customs}."
            ),
        }
    )
    return mfn, None, tariff.rate_label, tariff.source


def _additional_duties(work: _Work, priced: _Priced) -> None:
    if work.domestic:
        return
    day, hs, origin = work.day, priced.line.hs, priced.line.origin
    for measure in work.snapshot.additional_duties.get(work.territory.code, ()):
        if (
            measure.start <= day <= measure.end
            and (measure.origins is None or origin in measure.origins)
            and (measure.include is None or hs.startswith(measure.include))
            and not hs.startswith(measure.exclude)
        ):
            amount = _round(measure.rate * priced.cv, work.q)
            priced.duty_amount += amount
            priced.additional.append(
                {
                    "measure": measure.measure,
                    "name": measure.name,
                    "rate": measure.rate_text,
                    "amount": str(amount),
                    "source": measure.source,
                }
            )


# 6. Fees -----------------------------------------------------------------------------------


def _fees(work: _Work) -> None:
    if work.domestic:
        return
    fees = work.snapshot.fees.get(work.req.destination, ())
    if not fees:
        return
    day, q = work.day, work.q
    for priced in work.lines:
        origin, cv = priced.line.origin, priced.cv
        for fee in fees:
            if (
                fee.rate is not None
                and fee.start <= day <= fee.end
                and origin not in fee.exempt_origins
            ):
                amount = _round(fee.rate * cv, q)
                work.fee_sum += amount
                if fee.in_tax_base:
                    priced.fees_in_base += amount
                priced.fees.append(
                    {
                        "fee": fee.fee,
                        "name": fee.name,
                        "rate": fee.rate_text,
                        "amount": str(amount),
                        "in_tax_base": fee.in_tax_base,
                        "source": fee.source,
                    }
                )


# 7. Taxes ----------------------------------------------------------------------------------


def _taxes(work: _Work) -> None:
    regime = work.regime
    kinds = regime.tax_override
    if kinds is None:
        kinds = work.snapshot.taxes.get(work.req.destination, ())
    if not kinds:
        return
    unknown: list[str] = []
    for priced in work.lines:
        _line_taxes(work, priced, kinds, unknown)
    for kind_name in unknown:
        work.complete = False
        work.warnings.append(
            {
                "code": "tax_rate_unknown",
                "message": (
                    f"No {work.req.destination} {kind_name} rate in the rules on "
                    f"{work.day_text}; that tax is not included."
                ),
            }
        )


def _tax_base(work: _Work, priced: _Priced) -> Decimal:
    mode = work.regime.tax_base
    if mode == "standard":
        # b_i = c_i + duty_i + additional_i + in-base fees_i, on rounded amounts.
        base = priced.cv
        if priced.duty_amount:
            base = base + priced.duty_amount
        if priced.fees_in_base:
            base = base + priced.fees_in_base
        return base
    if mode == "goods":
        return priced.value
    # supply: v_i + f_i + ins_i (which is c_i under CIF)
    return priced.value + priced.share if work.territory.is_fob else priced.cv


def _line_taxes(work: _Work, priced: _Priced, kinds: Any, unknown: list[str]) -> None:
    regime, q, day = work.regime, work.q, work.day
    factor = regime.tax_factor
    has_factor = factor != _ONE
    base = _tax_base(work, priced)
    joined = _ZERO
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
            tax_base = consumption_base / (_ONE - row.rate)
            joined += _round(tax_base * row.rate, q)
        else:
            tax_base = base + joined if joined else base
        amount = tax_base * row.rate
        if has_factor:
            amount = amount * factor
        amount = _round(amount, q)
        work.tax_sum += amount
        priced.taxes.append(
            {
                "kind": kind.kind,
                "rate": row.rate_text,
                "base": str(_round(tax_base, q)),
                "factor": regime.tax_factor_text,
                "amount": str(amount),
                "source": row.source,
            }
        )


# 8. Rounding, totals and the response --------------------------------------------------------


def _totals(work: _Work) -> tuple[dict[str, str], dict[str, str], tuple[Decimal, ...]]:
    """Customs and display totals, and the display parts (goods, shipping, insurance, taxes,
    landed) that the payable amounts add up."""
    q = work.q
    goods, shipping, insurance = (
        _round(work.goods, q),
        _round(work.shipping, q),
        _round(work.insurance, q),
    )
    parts = (goods, shipping, insurance, work.duty_sum, work.fee_sum, work.tax_sum)
    landed = sum(parts[1:], parts[0])
    customs_totals = _totals_dict((*parts, landed))
    if work.display == work.customs:
        return (
            customs_totals,
            customs_totals.copy(),
            (goods, shipping, insurance, work.tax_sum, landed),
        )
    # Each total converted from C and rounded in the display currency; landed is the sum of
    # the displayed parts.
    qd, to_display = quantum(work.display), work.to_display
    shown = [_round(part * to_display, qd) for part in parts]
    d_landed = sum(shown[1:], shown[0])
    display_totals = _totals_dict((*shown, d_landed))
    return customs_totals, display_totals, (shown[0], shown[1], shown[2], shown[5], d_landed)


def _totals_dict(amounts: tuple[Decimal, ...]) -> dict[str, str]:
    keys = ("goods", "shipping", "insurance", "duty", "fees", "taxes", "landed")
    return {key: str(amount) for key, amount in zip(keys, amounts, strict=True)}


def _documents(work: _Work) -> list[str]:
    documents: list[str] = []
    for document in work.snapshot.documents.get(work.territory.code, ()):
        if document.document in documents:
            continue
        if document.when_preference:
            codes = work.preference_lines
        else:
            codes = [priced.line.hs for priced in work.lines]
        for hs in codes:
            if hs.startswith(document.prefix):
                documents.append(document.document)
                break
    return documents


def _line_out(priced: _Priced, q: Decimal) -> dict[str, Any]:
    line = priced.line
    return {
        "id": line.id,
        "hs_code": line.hs,
        "origin": line.origin,
        "customs_value": str(_round(priced.cv, q)),
        "duty": priced.duty,
        "additional_duties": priced.additional,
        "fees": priced.fees,
        "taxes": priced.taxes,
    }


def _respond(work: _Work, now: datetime, quote_id: str | None) -> dict[str, Any]:
    req, regime, display = work.req, work.regime, work.display
    customs_totals, display_totals, shown = _totals(work)
    d_goods, d_shipping, d_insurance, d_taxes, d_landed = shown
    if req.incoterm == "DDP":
        at_checkout = d_landed
    else:
        at_checkout = d_goods + d_shipping + d_insurance
        if regime.taxes_at_checkout:
            at_checkout += d_taxes
    at = now + QUOTE_LIFETIME
    if at.utcoffset():
        at = at.astimezone(UTC)
    return {
        "quote_id": quote_id if quote_id is not None else "q_" + secrets.token_hex(12),
        "complete": work.complete,
        "rules_version": work.snapshot.version,
        "origin": req.origin,
        "destination": req.destination,
        "territory": work.territory.code,
        "date": work.day_text,
        "incoterm": req.incoterm,
        "customs_currency": work.customs,
        "currency": display,
        "regime": {
            "id": regime.id,
            "name": regime.name,
            "why": work.why,
            "taxes_collected_at": "checkout" if regime.taxes_at_checkout else "border",
            "source": regime.source,
        },
        "fx": work.fx.entries,
        "lines": [_line_out(priced, work.q) for priced in work.lines],
        "consignment_duties": work.consignment_duties,
        "totals": {"customs": customs_totals, "display": display_totals},
        "payable_at_checkout": {"amount": str(at_checkout), "currency": display},
        "payable_on_delivery": {"amount": str(d_landed - at_checkout), "currency": display},
        "notes": work.notes,
        "warnings": work.warnings,
        "documents_required": _documents(work),
        "expires_at": at.replace(tzinfo=None).isoformat(timespec="seconds") + "Z",
    }
