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
  insurance amount needs no rate. A missing ``unit_weight_kg`` (or ``unit_volume_l``) where
  a specific duty per weight (or volume) applies leaves that line's duty ``null``: the quote
  is incomplete with the warning ``quantity_missing`` naming the field.
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
  under a goods/supply regime base it is levied on that base. The consignment flat duty
  joins the lines' tax bases only under a ``standard`` base (extension 4).
- Second edition: duty and tax lines carry ``confidence`` (an empty mark in the data counts
  as ``low``), taxes ``rate_kind`` and ``category`` (null for none); a duty from a national
  schedule names it (``schedule``). Warnings of a line carry its ``line`` id.
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

import os
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    getcontext,
    localcontext,
)
from typing import Any

from .duty import duties
from .errors import (
    FX_RATE_UNAVAILABLE,
    INVALID_REQUEST,
    UNKNOWN_HS_CODE,
    UNSUPPORTED_DESTINATION,
    QuoteRejected,
)
from .exchange import reject_missing_rates
from .fees import fees
from .money import quantum
from .regime import Facts, choose_regime, dotted
from .request import MAX_LINES, MAX_QUANTITY, Money, Request, parse_request
from .snapshot import DOMESTIC_REGIME, Snapshot, Territory
from .taxes import taxes
from .work import ZERO, Priced, Work, round_half_up

__all__ = ["MAX_LINES", "MAX_QUANTITY", "QUOTE_LIFETIME", "quote"]

QUOTE_LIFETIME = timedelta(minutes=30)
_MEMO_LIMIT = 10_000

# Quote ids: 12 random bytes each, as before, drawn from a pool of system randomness filled
# 256 ids at a time (one system call instead of one per quote). A forked process (a server
# worker) starts with an empty pool, so that no two processes hand out the same ids.
_ID_BYTES = 12
_ID_POOL = 256


class _QuoteIds:
    __slots__ = ("lock", "next", "pool")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.pool = b""
        self.next = _ID_POOL

    def take(self) -> str:
        with self.lock:
            index = self.next
            if index >= _ID_POOL:
                self.pool = os.urandom(_ID_BYTES * _ID_POOL)
                index = 0
            self.next = index + 1
            pool = self.pool
        start = index * _ID_BYTES
        return "q_" + pool[start : start + _ID_BYTES].hex()


_quote_ids = _QuoteIds()
os.register_at_fork(after_in_child=_quote_ids.reset)

# Arithmetic context: Python's default precision (28 digits, half even at that digit) with
# the traps on. Request amounts are capped at 12 integer digits so every intermediate fits.
_CTX = Context(
    prec=28, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)


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
    work = Work(snapshot, req, territory, req.day or today or now.astimezone(UTC).date())
    _values(work)  # 2-3
    _regime(work)  # 4
    duties(work)  # 5
    fees(work)  # 6
    taxes(work)  # 7
    return _respond(work, now, quote_id)  # 8


# 1. Territory ------------------------------------------------------------------------------


def _check_subheadings(req: Request, snapshot: Snapshot) -> None:
    hs6 = snapshot.hs_subheadings
    for line in req.lines:
        if line.hs[:6] not in hs6:
            break
    else:
        return
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


def _values(work: Work) -> None:
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
    goods = work.goods = sum(values, ZERO)
    # Shipping and insurance are shared in proportion to v_i; f_i + ins_i is only ever used
    # as a sum. Under CIF the customs value of the consignment, sum c_i, is exactly V + F + I
    # (adding up the lines' shares could only add noise in the 28th digit).
    carriage = work.shipping + work.insurance
    is_fob = work.territory.is_fob
    work.customs_total = goods if is_fob else goods + carriage
    equal_share = carriage / len(values) if carriage and not goods else ZERO
    for line, value in zip(req.lines, values, strict=True):
        priced = Priced(line, value)
        if carriage:
            # Multiplied before dividing: exact stays exact. V = 0: equal shares.
            priced.share = carriage * value / goods if goods else equal_share
            if not is_fob:
                priced.cv = value + priced.share
        work.lines.append(priced)


def _converted(work: Work, money: Money | None) -> Decimal:
    if money is None or not money.amount:
        return ZERO
    if money.currency == work.customs:
        return money.amount
    return money.amount * work.fx.rate(money.currency, work.customs)


# 4. Regime ---------------------------------------------------------------------------------


def _regime(work: Work) -> None:
    """The regime; none applies to a consignment that does not cross the territory's border."""
    req, territory = work.req, work.territory
    origin_territory = work.snapshot.country_territory.get(req.origin)
    if origin_territory is not None and origin_territory.code == territory.code:
        work.domestic = True
        work.regime = DOMESTIC_REGIME
        work.why = f"{req.origin} is inside the {territory.code} customs territory: not an import"
        return
    # tuple.__new__ skips the NamedTuple's Python-level constructor (once per quote).
    facts: Facts = tuple.__new__(
        Facts, (req, work.fx, work.customs, work.q, work.goods, work.customs_total)
    )
    work.regime, work.why = choose_regime(
        work.snapshot.regimes.get(territory.code, ()),
        facts,
        work.day,
        work.day_text,
        territory.code,
        work.snapshot.regime_memo,
    )


# 8. Rounding, totals and the response --------------------------------------------------------


def _totals(work: Work) -> tuple[dict[str, str], dict[str, str], tuple[Decimal, ...]]:
    """Customs and display totals, and the display parts (goods, shipping, insurance, taxes,
    landed) that the payable amounts add up."""
    q = work.q
    goods = round_half_up(work.goods, q)
    shipping = round_half_up(work.shipping, q) if work.shipping else work.zero
    insurance = round_half_up(work.insurance, q) if work.insurance else work.zero
    duty, fees, taxes = work.duty_sum, work.fee_sum, work.tax_sum
    landed = goods + shipping + insurance + duty + fees + taxes
    customs_totals = _totals_dict(goods, shipping, insurance, duty, fees, taxes, landed)
    if work.display == work.customs:
        return (
            customs_totals,
            customs_totals.copy(),
            (goods, shipping, insurance, taxes, landed),
        )
    # Each total converted from C and rounded in the display currency; landed is the sum of
    # the displayed parts.
    qd, to_display = quantum(work.display), work.to_display
    shown = [
        round_half_up(part * to_display, qd)
        for part in (goods, shipping, insurance, duty, fees, taxes)
    ]
    d_landed = sum(shown[1:], shown[0])
    display_totals = _totals_dict(*shown, d_landed)
    return customs_totals, display_totals, (shown[0], shown[1], shown[2], shown[5], d_landed)


def _totals_dict(*amounts: Decimal) -> dict[str, str]:
    goods, shipping, insurance, duty, fees, taxes, landed = amounts
    return {
        "goods": str(goods),
        "shipping": str(shipping),
        "insurance": str(insurance),
        "duty": str(duty),
        "fees": str(fees),
        "taxes": str(taxes),
        "landed": str(landed),
    }


def _documents(work: Work) -> list[str]:
    """The documents the territory's rules require for these lines (memoised per snapshot,
    territory, the lines' codes and those under a preference)."""
    key = (
        work.territory.code,
        tuple([priced.line.hs for priced in work.lines]),
        tuple(work.preference_lines),
    )
    memo = work.snapshot.document_memo
    found: list[str] | None = memo.get(key)
    if found is None:
        found = _documents_of(work, key[1])
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[key] = found
    return found.copy()


def _documents_of(work: Work, codes_of_lines: tuple[str, ...]) -> list[str]:
    documents: list[str] = []
    for document in work.snapshot.documents.get(work.territory.code, ()):
        if document.document in documents:
            continue
        codes = work.preference_lines if document.when_preference else codes_of_lines
        for hs in codes:
            if hs.startswith(document.prefix):
                documents.append(document.document)
                break
    return documents


def _line_out(priced: Priced, q: Decimal) -> dict[str, Any]:
    line = priced.line
    return {
        "id": line.id,
        "hs_code": line.hs,
        "origin": line.origin,
        "customs_value": str(round_half_up(priced.cv, q)),
        "duty": priced.duty,
        "additional_duties": priced.additional,
        "fees": priced.fees,
        "taxes": priced.taxes,
    }


def _note_unverified(work: Work) -> None:
    """Extension 7: name the lines whose duty or tax rates are not all of high confidence."""
    weak: list[str] = []
    ids: list[Any] = []
    for priced in work.lines:
        marks = priced.weak  # those of its duty, additional duties and taxes
        if marks:
            ids.append(priced.line.id)
            weak.append(f"{priced.line.id} ({', '.join(sorted(marks))})")
    for fee in work.consignment_fees:
        if fee["confidence"] != "high":
            weak.append(f"consignment fee {fee['fee']} ({fee['confidence']})")
    if weak:
        work.notes.append(
            {
                "code": "rates_not_verified",
                "message": "Some rates are not verified at high confidence: " + "; ".join(weak),
                "lines": ids,
            }
        )


def _respond(work: Work, now: datetime, quote_id: str | None) -> dict[str, Any]:
    _note_unverified(work)
    req, regime, display = work.req, work.regime, work.display
    customs_totals, display_totals, shown = _totals(work)
    d_goods, d_shipping, d_insurance, d_taxes, d_landed = shown
    if req.incoterm == "DDP":
        at_checkout = d_landed
    else:
        at_checkout = d_goods + d_shipping + d_insurance
        if regime.taxes_at_checkout:
            at_checkout += d_taxes
    answer = {
        "quote_id": quote_id if quote_id is not None else _quote_ids.take(),
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
        "consignment_fees": work.consignment_fees,
        "totals": {"customs": customs_totals, "display": display_totals},
        "payable_at_checkout": {"amount": str(at_checkout), "currency": display},
        "payable_on_delivery": {"amount": str(d_landed - at_checkout), "currency": display},
        "notes": work.notes,
        "warnings": work.warnings,
        "documents_required": _documents(work),
        "expires_at": _expiry(now),
    }
    if work.duty_saved is not None:
        answer["duty_saved"] = _duty_saved(work, work.duty_saved)
    return answer


def _duty_saved(work: Work, saved: Decimal) -> dict[str, str]:
    """The MFN duty the preferences used spared (each line's MFN amount is in its
    ``duty.mfn_amount``): in C, and converted into the display currency as a total is."""
    shown = saved
    if work.display != work.customs:
        shown = round_half_up(saved * work.to_display, quantum(work.display))
    return {
        "amount": str(shown),
        "currency": work.display,
        "customs_amount": str(saved),
        "customs_currency": work.customs,
    }


# ``expires_at`` of the last ``now`` seen, as one (now, text) pair so that threads never see
# one's text with another's time (a server quotes many times a second).
_last_expiry: list[tuple[datetime | None, str]] = [(None, "")]


def _expiry(now: datetime) -> str:
    seen, text = _last_expiry[0]
    if seen is not None and now == seen:  # the same instant gives the same text
        return text
    at = now + QUOTE_LIFETIME
    if at.tzinfo is not UTC and at.utcoffset():
        at = at.astimezone(UTC)
    text = at.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    _last_expiry[0] = (now, text)
    return text
