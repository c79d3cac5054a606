"""The landed-cost quote (shared/contracts/landed-cost.md): a pure function over a Snapshot.

Per quote the work is validation, dict lookups, ``bisect`` on the FX series and a handful of
Decimal operations; everything parsable was parsed in ``build_snapshot``. Amounts are never
rounded before the contract's rounding points (each duty, fee and tax amount per line, each
consignment duty, and the goods/shipping/insurance totals).
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
    localcontext,
)
from typing import Any

from .errors import (
    FX_RATE_UNAVAILABLE,
    INVALID_REQUEST,
    TOO_MANY_LINES,
    UNKNOWN_HS_CODE,
    UNSUPPORTED_DESTINATION,
    QuoteRejected,
)
from .money import quantum
from .snapshot import STANDARD_REGIME, Regime, Snapshot, TariffLine, TaxKind, TaxRate

MAX_LINES = 100
MAX_QUANTITY = 100_000
QUOTE_LIFETIME = timedelta(minutes=30)
STALE_AFTER_DAYS = 7

# Python's default precision (28 digits) with the binary-float-free traps on. Amounts are
# capped (15 integer digits) so that every intermediate fits; rounding to the minor unit is
# always explicit, half up.
_CTX = Context(
    prec=28,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
_ZERO = Decimal(0)
_ONE = Decimal(1)
_INCOTERMS = ("DDP", "DAP")
_BUYER_KINDS = ("consumer", "business")


# Request parsing ---------------------------------------------------------------------------


class _Line:
    __slots__ = ("currency", "description", "hs", "id", "index", "origin", "price", "quantity", "weight")

    def __init__(
        self,
        index: int,
        line_id: Any,
        hs: str,
        origin: str,
        quantity: int,
        price: Decimal,
        currency: str,
        weight: Decimal | None,
        description: str | None,
    ) -> None:
        self.index = index
        self.id = line_id
        self.hs = hs
        self.origin = origin
        self.quantity = quantity
        self.price = price
        self.currency = currency
        self.weight = weight
        self.description = description


class _Request:
    __slots__ = (
        "buyer_kind",
        "cbec_used",
        "currency",
        "day",
        "destination",
        "incoterm",
        "insurance",
        "lines",
        "origin",
        "proof",
        "shipping",
    )

    def __init__(self) -> None:
        self.origin = ""
        self.destination = ""
        self.day: date | None = None
        self.currency: str | None = None
        self.incoterm = "DDP"
        self.buyer_kind = "consumer"
        self.cbec_used: tuple[Decimal, str] | None = None
        self.proof = True
        self.shipping: tuple[Decimal, str] | None = None
        self.insurance: tuple[Decimal, str] | None = None
        self.lines: list[_Line] = []


def _decimal_text(value: object, max_integer_digits: int = 15) -> Decimal | None:
    """A plain decimal string ("12", "12.50") as Decimal; None when malformed.

    No sign, exponent, spaces, NaN or non-ASCII digits; at most 15 integer and 12 decimal
    digits, which keeps every intermediate inside the 28-digit context.
    """
    if type(value) is not str:
        return None
    integer, dot, fraction = value.partition(".")
    if not integer or len(integer) > max_integer_digits or not integer.isdigit():
        return None
    if dot and (not fraction or len(fraction) > 12 or not fraction.isdigit()):
        return None
    if not value.isascii():
        return None
    return Decimal(value)


def _is_country(value: object) -> bool:
    return (
        type(value) is str
        and len(value) == 2
        and value.isascii()
        and value.isalpha()
        and value.isupper()
    )


_COUNTRY_MESSAGE = "must be an ISO 3166-1 alpha-2 code such as RW"


def _money(
    value: object, path: str, errors: dict[str, str], known: frozenset[str]
) -> tuple[Decimal, str] | None:
    if type(value) is not dict:
        errors[path] = "must be an object {amount, currency}"
        return None
    raw_amount = value.get("amount")
    amount = _decimal_text(raw_amount)
    if amount is None:
        if raw_amount is None:
            errors[path + ".amount"] = "required"
        elif isinstance(raw_amount, (int, float)) and not isinstance(raw_amount, bool):
            errors[path + ".amount"] = 'must be a decimal string such as "12.50", not a number'
        else:
            errors[path + ".amount"] = 'must be a decimal string >= 0 such as "12.50"'
    currency = value.get("currency")
    if currency is None:
        errors[path + ".currency"] = "required"
        return None
    if type(currency) is not str or currency not in known:
        errors[path + ".currency"] = "must be an ISO 4217 currency code such as EUR"
        return None
    if amount is None:
        return None
    return amount, currency


def _parse_line(
    raw: object, index: int, origin: object, errors: dict[str, str], known: frozenset[str]
) -> _Line | None:
    path = f"lines.{index}"
    if type(raw) is not dict:
        errors[path] = "must be an object"
        return None
    before = len(errors)

    line_id = raw.get("id")
    if line_id is None:
        line_id = str(index)
    elif type(line_id) is not str and type(line_id) is not int:
        errors[path + ".id"] = "must be a string"

    hs_raw = raw.get("hs_code")
    hs = ""
    if hs_raw is None:
        errors[path + ".hs_code"] = "required"
    elif type(hs_raw) is not str:
        errors[path + ".hs_code"] = "must be a string of 6 to 10 digits"
    else:
        hs = hs_raw.replace(".", "").replace(" ", "")
        if not (6 <= len(hs) <= 10 and hs.isascii() and hs.isdigit()):
            errors[path + ".hs_code"] = "must be 6 to 10 digits (dots and spaces ignored)"

    quantity = raw.get("quantity")
    if quantity is None:
        errors[path + ".quantity"] = "required"
    elif type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
        errors[path + ".quantity"] = f"must be a whole number from 1 to {MAX_QUANTITY}"

    price = raw.get("unit_price")
    money = None
    if price is None:
        errors[path + ".unit_price"] = "required"
    else:
        money = _money(price, path + ".unit_price", errors, known)

    weight_raw = raw.get("unit_weight_kg")
    weight: Decimal | None = None
    if weight_raw is not None:
        if type(weight_raw) is int:
            weight = Decimal(weight_raw) if 0 < weight_raw < 10**9 else None
        else:
            weight = _decimal_text(weight_raw, 9)
        if weight is None or weight <= 0:
            errors[path + ".unit_weight_kg"] = 'must be a decimal string > 0 such as "0.5"'
            weight = None

    line_origin = raw.get("origin")
    if line_origin is None:
        line_origin = origin
    elif not _is_country(line_origin):
        errors[path + ".origin"] = _COUNTRY_MESSAGE

    description = raw.get("description")
    if description is not None and type(description) is not str:
        errors[path + ".description"] = "must be a string"

    if len(errors) != before or money is None or type(line_origin) is not str:
        return None
    assert type(quantity) is int
    return _Line(index, line_id, hs, line_origin, quantity, money[0], money[1], weight, description)


def _parse(request: object, known: frozenset[str]) -> _Request:
    if type(request) is not dict:
        raise QuoteRejected(
            INVALID_REQUEST, "The request must be a JSON object.", {"request": "must be an object"}
        )
    raw_lines = request.get("lines")
    if type(raw_lines) is list and len(raw_lines) > MAX_LINES:
        raise QuoteRejected(
            TOO_MANY_LINES,
            f"A quote takes at most {MAX_LINES} lines; this request has {len(raw_lines)}.",
            {"lines": f"at most {MAX_LINES} lines, got {len(raw_lines)}"},
        )
    errors: dict[str, str] = {}
    req = _Request()

    origin = request.get("origin")
    if origin is None:
        errors["origin"] = "required"
    elif not _is_country(origin):
        errors["origin"] = _COUNTRY_MESSAGE
    else:
        req.origin = origin

    destination = request.get("destination")
    if destination is None:
        errors["destination"] = "required"
    elif not _is_country(destination):
        errors["destination"] = _COUNTRY_MESSAGE
    else:
        req.destination = destination

    day = request.get("date")
    if day is not None:
        try:
            if type(day) is not str or len(day) != 10 or day[4] != "-" or day[7] != "-":
                raise ValueError
            req.day = date.fromisoformat(day)
        except ValueError:
            errors["date"] = "must be an ISO date YYYY-MM-DD"

    currency = request.get("currency")
    if currency is not None:
        if type(currency) is str and currency in known:
            req.currency = currency
        else:
            errors["currency"] = "must be an ISO 4217 currency code such as EUR"

    incoterm = request.get("incoterm")
    if incoterm is not None:
        if incoterm in _INCOTERMS:
            req.incoterm = incoterm
        else:
            errors["incoterm"] = "must be DDP or DAP"

    buyer = request.get("buyer")
    if buyer is not None:
        if type(buyer) is not dict:
            errors["buyer"] = "must be an object"
        else:
            kind = buyer.get("kind")
            if kind is not None:
                if kind in _BUYER_KINDS:
                    req.buyer_kind = kind
                else:
                    errors["buyer.kind"] = "must be consumer or business"
            used = buyer.get("cbec_used_this_year")
            if used is not None:
                req.cbec_used = _money(used, "buyer.cbec_used_this_year", errors, known)

    proof = request.get("proof_of_origin")
    if proof is not None:
        if type(proof) is bool:
            req.proof = proof
        else:
            errors["proof_of_origin"] = "must be true or false"

    shipping = request.get("shipping")
    if shipping is not None:
        req.shipping = _money(shipping, "shipping", errors, known)
    insurance = request.get("insurance")
    if insurance is not None:
        req.insurance = _money(insurance, "insurance", errors, known)

    if raw_lines is None:
        errors["lines"] = "required"
    elif type(raw_lines) is not list:
        errors["lines"] = "must be a list of lines"
    elif not raw_lines:
        errors["lines"] = "at least one line is required"
    else:
        lines = req.lines
        for index, raw in enumerate(raw_lines):
            line = _parse_line(raw, index, origin, errors, known)
            if line is not None:
                lines.append(line)

    if errors:
        count = len(errors)
        raise QuoteRejected(
            INVALID_REQUEST,
            f"The request has {count} invalid or missing field{'s' if count > 1 else ''}.",
            errors,
        )
    return req


# Exchange ----------------------------------------------------------------------------------


class _Fx:
    """Cross rates through EUR on the quote date, memoised per pair, with what was used."""

    __slots__ = ("cache", "day", "day_text", "entries", "snapshot", "warnings")

    def __init__(
        self, snapshot: Snapshot, day: int, day_text: str, warnings: list[dict[str, str]]
    ) -> None:
        self.snapshot = snapshot
        self.day = day
        self.day_text = day_text
        self.cache: dict[tuple[str, str], Decimal] = {}
        self.entries: list[dict[str, str]] = []
        self.warnings = warnings

    def available(self, currency: str) -> bool:
        if currency == "EUR":
            return True
        series = self.snapshot.fx.get(currency)
        return series is not None and series.at(self.day) >= 0

    def _leg(self, currency: str, path: str) -> tuple[Decimal, int, str, str]:
        series = self.snapshot.fx.get(currency)
        index = -1 if series is None else series.at(self.day)
        if series is None or index < 0:
            raise QuoteRejected(
                FX_RATE_UNAVAILABLE,
                f"No {currency} exchange rate on or before {self.day_text}.",
                {path: f"no {currency} rate on or before {self.day_text}"},
            )
        return (
            series.rates[index],
            series.ordinals[index],
            series.dates[index],
            series.sources[index],
        )

    def rate(self, source: str, target: str, path: str = "rules") -> Decimal:
        """Units of ``target`` per unit of ``source`` (full precision)."""
        key = (source, target)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        legs = []
        if source == "EUR":
            units_source = _ONE
        else:
            leg = self._leg(source, path)
            units_source = leg[0]
            legs.append(leg)
        if target == "EUR":
            units_target = _ONE
        else:
            leg = self._leg(target, path)
            units_target = leg[0]
            legs.append(leg)
        value = units_target / units_source
        oldest = min(legs, key=lambda leg: leg[1])
        sources: list[str] = []
        for leg in legs:
            for source_id in leg[3].split(";"):
                if source_id and source_id not in sources:
                    sources.append(source_id)
        self.entries.append(
            {
                "from": source,
                "to": target,
                "rate": _rate_text(value),
                "date": oldest[2],
                "source": ";".join(sources),
            }
        )
        age = self.day - oldest[1]
        if age > STALE_AFTER_DAYS:
            self.warnings.append(
                {
                    "code": "stale_fx_rate",
                    "message": (
                        f"The {source}->{target} rate is from {oldest[2]}, {age} days before "
                        f"the quote date {self.day_text}."
                    ),
                }
            )
        self.cache[key] = value
        return value


def _rate_text(rate: Decimal) -> str:
    """A rate for display: 6 significant digits, plain notation."""
    exponent = rate.adjusted() - 5
    return f"{rate.quantize(Decimal(1).scaleb(exponent), ROUND_HALF_UP):f}"


# Rules lookups -----------------------------------------------------------------------------


def _tariff_line(snapshot: Snapshot, territory: str, hs: str, day: int) -> TariffLine | None:
    index = snapshot.tariffs.get(territory)
    if index is None:
        return None
    by_code = index.by_code
    size = len(hs)
    for length in index.lengths:
        if length > size:
            continue
        candidates = by_code.get(hs[:length])
        if candidates is not None:
            for line in candidates:
                if line.start <= day <= line.end:
                    return line
    return None


def _tax_rate(kind: TaxKind, hs: str, day: int) -> TaxRate | None:
    for row in kind.rates:
        if row.start <= day <= row.end and hs.startswith(row.prefix):
            return row
    return None


def _join_sources(*parts: str) -> str:
    seen: list[str] = []
    for part in parts:
        for item in part.split(";"):
            if item and item not in seen:
                seen.append(item)
    return ";".join(seen)


def _dotted(hs: str) -> str:
    return f"{hs[:4]}.{hs[4:6]}" + (f".{hs[6:]}" if len(hs) > 6 else "")


# The quote ---------------------------------------------------------------------------------


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
    with localcontext(_CTX):
        return _quote(request, snapshot, today, now, quote_id)


def _quote(
    request: dict[str, Any],
    snapshot: Snapshot,
    today: date | None,
    now: datetime | None,
    quote_id: str | None,
) -> dict[str, Any]:
    req = _parse(request, snapshot.currencies)
    lines = req.lines

    hs6 = snapshot.hs_subheadings
    unknown = {
        f"lines.{line.index}.hs_code": f"{_dotted(line.hs[:6])} is not an HS 2022 subheading"
        for line in lines
        if line.hs[:6] not in hs6
    }
    if unknown:
        raise QuoteRejected(
            UNKNOWN_HS_CODE, "An HS code does not start with an HS 2022 subheading.", unknown
        )

    territory = snapshot.country_territory.get(req.destination)
    if territory is None:
        raise QuoteRejected(
            UNSUPPORTED_DESTINATION,
            f"There are no trade rules for the destination {req.destination}.",
            {"destination": f"no rules for {req.destination}"},
        )

    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    day = req.day or today or now.astimezone(UTC).date()
    day_ordinal = day.toordinal()
    day_text = day.isoformat()
    customs = territory.currency
    display = req.currency or customs
    q = territory.quantum
    warnings: list[dict[str, str]] = []
    notes: list[dict[str, str]] = []
    fx = _Fx(snapshot, day_ordinal, day_text, warnings)

    # fx_rate_unavailable is checked last and for every request amount at once.
    missing: dict[str, str] = {}
    needed = [(f"lines.{line.index}.unit_price.currency", line.currency) for line in lines]
    if req.shipping is not None:
        needed.append(("shipping.currency", req.shipping[1]))
    if req.insurance is not None:
        needed.append(("insurance.currency", req.insurance[1]))
    needed.append(("currency", display))
    customs_available = fx.available(customs)
    for path, currency in needed:
        if currency == customs:
            continue
        if not fx.available(currency):
            missing[path] = f"no {currency} rate on or before {day_text}"
        elif not customs_available:
            missing[path] = f"no {customs} rate on or before {day_text}"
    if missing:
        raise QuoteRejected(
            FX_RATE_UNAVAILABLE,
            f"No exchange rate on or before {day_text} for a currency of the request.",
            missing,
        )
    rate = fx.rate

    # 3. Values, in the customs currency, unrounded.
    values: list[Decimal] = []
    for line in lines:
        value = line.price * line.quantity
        if line.currency != customs:
            value = value * rate(line.currency, customs, f"lines.{line.index}.unit_price.currency")
        values.append(value)
    goods = sum(values, _ZERO)
    shipping = _ZERO
    if req.shipping is not None:
        shipping = req.shipping[0]
        if req.shipping[1] != customs:
            shipping = shipping * rate(req.shipping[1], customs, "shipping.currency")
    insurance = _ZERO
    if req.insurance is not None:
        insurance = req.insurance[0]
        if req.insurance[1] != customs:
            insurance = insurance * rate(req.insurance[1], customs, "insurance.currency")
    count = len(lines)
    if goods:
        freight = [shipping * value / goods for value in values]
        cover = [insurance * value / goods for value in values]
    else:
        freight = [shipping / count] * count
        cover = [insurance / count] * count
    if territory.is_fob:
        customs_values = values
    else:
        customs_values = [v + f + i for v, f, i in zip(values, freight, cover, strict=True)]

    # 4. Regime.
    regime, why = _choose_regime(
        snapshot.regimes.get(territory.code, ()),
        req,
        fx,
        customs,
        q,
        goods,
        customs_values,
        day_ordinal,
        day_text,
        territory.code,
    )

    # 5-7. Per line: duty, additional duties, fees, taxes.
    country = req.destination
    duty_mode = regime.duty
    preferences = snapshot.preferences.get(territory.code, ())
    additional = snapshot.additional_duties.get(territory.code, ())
    fees = snapshot.fees.get(country, ())
    tax_kinds = (
        regime.tax_override if regime.tax_override is not None else snapshot.taxes.get(country, ())
    )
    tax_base_mode = regime.tax_base
    factor = regime.tax_factor
    factor_text = regime.tax_factor_text
    proof = req.proof
    complete = True
    weight_errors: dict[str, str] = {}
    unknown_taxes: list[str] = []
    preference_lines: list[str] = []
    duty_sum = _ZERO
    fee_sum = _ZERO
    tax_sum = _ZERO
    out_lines: list[dict[str, Any]] = []
    zero_text = f"{_ZERO.quantize(q):f}"

    for line, value, freight_i, cover_i, cv in zip(
        lines, values, freight, cover, customs_values, strict=True
    ):
        hs = line.hs
        origin = line.origin
        tariff_duty = _ZERO  # the rounded tariff (MFN or preferential) duty
        duty_amount = _ZERO  # tariff duty plus the rounded additional duties
        duty: dict[str, Any] | None
        additional_out: list[dict[str, Any]] = []
        if duty_mode == "standard":
            tariff = _tariff_line(snapshot, territory.code, hs, day_ordinal)
            if tariff is None:
                duty = None
                complete = False
                warnings.append(
                    {
                        "code": "tariff_rate_unknown",
                        "message": (
                            f"Line {line.id}: no {territory.code} tariff line for "
                            f"{_dotted(hs)} on {day_text}; its duty (and the tax on it) is "
                            "not included."
                        ),
                    }
                )
            else:
                mfn = _ZERO if tariff.ad_valorem is None else tariff.ad_valorem * cv
                if tariff.specific is not None:
                    if tariff.specific_per_kg:
                        if line.weight is None:
                            weight_errors[f"lines.{line.index}.unit_weight_kg"] = (
                                f"required: tariff line {tariff.code} has a duty per kg"
                            )
                            units = _ZERO
                        else:
                            units = line.weight * line.quantity
                    else:
                        units = Decimal(line.quantity)
                    specific = tariff.specific * units
                    if tariff.specific_currency != customs:
                        specific = specific * rate(tariff.specific_currency, customs)
                    mfn += specific
                best = None
                for pref in preferences:
                    if (
                        pref.start <= day_ordinal <= pref.end
                        and (pref.origins is None or origin in pref.origins)
                        and (pref.include is None or hs.startswith(pref.include))
                        and not hs.startswith(pref.exclude)
                        and (best is None or pref.rate < best.rate)
                    ):
                        best = pref
                programme = None
                duty_unrounded = mfn
                rate_label = tariff.rate_label
                source = tariff.source
                if best is not None:
                    preferential = best.rate * cv
                    # Strictly lower, on the amounts before rounding (the comparison belongs
                    # to step 5; rounding is step 8).
                    if preferential < mfn:
                        if proof:
                            duty_unrounded = preferential
                            programme = best.programme
                            rate_label = best.rate_label
                            source = _join_sources(tariff.source, best.source)
                            preference_lines.append(hs)
                        else:
                            mfn_r = mfn.quantize(q, ROUND_HALF_UP)
                            pref_r = preferential.quantize(q, ROUND_HALF_UP)
                            notes.append(
                                {
                                    "code": "preference_available",
                                    "message": (
                                        f"Line {line.id}: with a proof of origin "
                                        f"({best.proof or 'as the programme requires'}), "
                                        f"{best.programme} would lower the duty from "
                                        f"{mfn_r:f} {customs} to {pref_r:f} {customs}, "
                                        f"saving {mfn_r - pref_r:f} {customs}."
                                    ),
                                }
                            )
                tariff_duty = duty_unrounded.quantize(q, ROUND_HALF_UP)
                duty_amount = tariff_duty
                duty = {
                    "amount": f"{tariff_duty:f}",
                    "rate": rate_label,
                    "programme": programme,
                    "tariff_code": tariff.code,
                    "source": source,
                    "treatment": "preference" if programme else "mfn",
                }
            for measure in additional:
                if (
                    measure.start <= day_ordinal <= measure.end
                    and (measure.origins is None or origin in measure.origins)
                    and (measure.include is None or hs.startswith(measure.include))
                    and not hs.startswith(measure.exclude)
                ):
                    amount = (measure.rate * cv).quantize(q, ROUND_HALF_UP)
                    duty_amount += amount
                    additional_out.append(
                        {
                            "measure": measure.measure,
                            "name": measure.name,
                            "rate": measure.rate_text,
                            "amount": f"{amount:f}",
                            "source": measure.source,
                        }
                    )
        else:
            duty = {
                "amount": zero_text,
                "rate": "0%",
                "programme": None,
                "tariff_code": None,
                "source": regime.source,
                "treatment": duty_mode,
            }
        duty_sum += duty_amount

        fee_out: list[dict[str, Any]] = []
        fees_in_base = _ZERO
        for fee in fees:
            if fee.start <= day_ordinal <= fee.end and origin not in fee.exempt_origins:
                amount = (fee.rate * cv).quantize(q, ROUND_HALF_UP)
                fee_sum += amount
                if fee.in_tax_base:
                    fees_in_base += amount
                fee_out.append(
                    {
                        "fee": fee.fee,
                        "name": fee.name,
                        "rate": fee.rate_text,
                        "amount": f"{amount:f}",
                        "in_tax_base": fee.in_tax_base,
                        "source": fee.source,
                    }
                )

        tax_out: list[dict[str, Any]] = []
        if tax_kinds:
            if tax_base_mode == "standard":
                # b_i = c_i + duty_i + additional_i + in-base fees_i, on rounded amounts.
                base = cv + duty_amount + fees_in_base
                consumption_base = cv + tariff_duty
            elif tax_base_mode == "goods":
                base = consumption_base = value
            else:  # supply
                base = consumption_base = value + freight_i + cover_i
            joined = _ZERO
            for kind in tax_kinds:
                row = _tax_rate(kind, hs, day_ordinal)
                if row is None:
                    if kind.last_start > day_ordinal and kind.kind not in unknown_taxes:
                        unknown_taxes.append(kind.kind)
                    continue
                if kind.is_consumption:
                    tax_base = consumption_base / (_ONE - row.rate)
                    full = tax_base * row.rate
                    # The consumption tax joins the VAT base before any regime factor.
                    joined += full.quantize(q, ROUND_HALF_UP)
                else:
                    tax_base = base + joined
                amount = (tax_base * row.rate * factor).quantize(q, ROUND_HALF_UP)
                tax_sum += amount
                tax_out.append(
                    {
                        "kind": kind.kind,
                        "rate": row.rate_text,
                        "base": f"{tax_base.quantize(q, ROUND_HALF_UP):f}",
                        "factor": factor_text,
                        "amount": f"{amount:f}",
                        "source": row.source,
                    }
                )

        out_lines.append(
            {
                "id": line.id,
                "hs_code": hs,
                "origin": origin,
                "customs_value": f"{cv.quantize(q, ROUND_HALF_UP):f}",
                "duty": duty,
                "additional_duties": additional_out,
                "fees": fee_out,
                "taxes": tax_out,
            }
        )

    if weight_errors:
        raise QuoteRejected(
            INVALID_REQUEST,
            "unit_weight_kg is needed where a duty per kg applies.",
            weight_errors,
        )

    consignment: list[dict[str, Any]] = []
    if duty_mode == "flat_per_hs6":
        subheadings = sorted({line.hs[:6] for line in lines})
        per = regime.flat_amount
        if regime.flat_currency != customs:
            per = per * rate(regime.flat_currency, customs)
        amount = (per * len(subheadings)).quantize(q, ROUND_HALF_UP)
        duty_sum += amount
        consignment.append(
            {
                "kind": "flat_per_hs6",
                "count": len(subheadings),
                "rate": f"{regime.flat_text} per subheading",
                "subheadings": subheadings,
                "amount": f"{amount:f}",
                "source": regime.source,
            }
        )

    for kind_name in unknown_taxes:
        complete = False
        warnings.append(
            {
                "code": "tax_rate_unknown",
                "message": (
                    f"No {country} {kind_name} rate in the rules on {day_text}; "
                    "that tax is not included."
                ),
            }
        )

    # 8. Totals: sums of rounded parts; goods, shipping and insurance rounded once.
    goods_r = goods.quantize(q, ROUND_HALF_UP)
    shipping_r = shipping.quantize(q, ROUND_HALF_UP)
    insurance_r = insurance.quantize(q, ROUND_HALF_UP)
    customs_parts = (goods_r, shipping_r, insurance_r, duty_sum, fee_sum, tax_sum)
    landed = goods_r + shipping_r + insurance_r + duty_sum + fee_sum + tax_sum

    if display == customs:
        display_parts = customs_parts
        qd = q
        display_landed = landed
    else:
        qd = quantum(display)
        to_display = rate(customs, display, "currency")
        display_parts = tuple(
            (part * to_display).quantize(qd, ROUND_HALF_UP) for part in customs_parts
        )
        display_landed = sum(display_parts, _ZERO)

    if req.incoterm == "DDP":
        at_checkout = display_landed
    else:
        at_checkout = display_parts[0] + display_parts[1] + display_parts[2]
        if regime.taxes_at_checkout:
            at_checkout += display_parts[5]
    on_delivery = display_landed - at_checkout

    documents: list[str] = []
    for document in snapshot.documents.get(territory.code, ()):
        if document.document in documents:
            continue
        if document.when_preference:
            hit = any(hs.startswith(document.prefix) for hs in preference_lines)
        else:
            hit = any(line.hs.startswith(document.prefix) for line in lines)
        if hit:
            documents.append(document.document)

    expires = (now.astimezone(UTC) + QUOTE_LIFETIME).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "quote_id": quote_id if quote_id is not None else "q_" + secrets.token_hex(12),
        "complete": complete,
        "rules_version": snapshot.version,
        "origin": req.origin,
        "destination": req.destination,
        "territory": territory.code,
        "date": day_text,
        "incoterm": req.incoterm,
        "customs_currency": customs,
        "currency": display,
        "regime": {
            "id": regime.id,
            "name": regime.name,
            "why": why,
            "taxes_collected_at": "checkout" if regime.taxes_at_checkout else "border",
            "source": regime.source,
        },
        "fx": fx.entries,
        "lines": out_lines,
        "consignment_duties": consignment,
        "totals": {
            "customs": _totals(customs_parts, landed),
            "display": _totals(display_parts, display_landed),
        },
        "payable_at_checkout": {"amount": f"{at_checkout:f}", "currency": display},
        "payable_on_delivery": {"amount": f"{on_delivery:f}", "currency": display},
        "notes": notes,
        "warnings": warnings,
        "documents_required": documents,
        "expires_at": expires,
    }


def _totals(parts: tuple[Decimal, ...], landed: Decimal) -> dict[str, str]:
    return {
        "goods": f"{parts[0]:f}",
        "shipping": f"{parts[1]:f}",
        "insurance": f"{parts[2]:f}",
        "duty": f"{parts[3]:f}",
        "fees": f"{parts[4]:f}",
        "taxes": f"{parts[5]:f}",
        "landed": f"{landed:f}",
    }


def _choose_regime(
    regimes: tuple[Regime, ...],
    req: _Request,
    fx: _Fx,
    customs: str,
    q: Decimal,
    goods: Decimal,
    customs_values: list[Decimal],
    day: int,
    day_text: str,
    territory: str,
) -> tuple[Regime, str]:
    """The first regime in force whose every condition holds, with a sentence saying why."""
    if not regimes:
        return STANDARD_REGIME, f"{territory} has no low-value regime in the rules"
    reasons: list[str] = []
    for regime in regimes:
        if not regime.start <= day <= regime.end:
            reasons.append(f"{regime.id} is not in force on {day_text} ({regime.valid_text})")
            continue
        held: list[str] = []
        failed = _check_conditions(regime, req, fx, customs, q, goods, customs_values, held)
        if failed is None:
            return regime, "; ".join(held) if held else "no conditions"
        reasons.append(f"{regime.id}: {failed}")
    return STANDARD_REGIME, "no low-value regime applies: " + "; ".join(reasons)


def _check_conditions(
    regime: Regime,
    req: _Request,
    fx: _Fx,
    customs: str,
    q: Decimal,
    goods: Decimal,
    customs_values: list[Decimal],
    held: list[str],
) -> str | None:
    """Append what held to ``held``; return the first condition that failed, or None."""
    if regime.buyer_kind is not None:
        if req.buyer_kind != regime.buyer_kind:
            return f"buyer is a {req.buyer_kind}, not a {regime.buyer_kind}"
        held.append(f"buyer is a {req.buyer_kind}")
    if regime.threshold is not None:
        limit = regime.threshold
        limit_text = regime.threshold_text
        if regime.threshold_currency != customs:
            limit = limit * fx.rate(regime.threshold_currency, customs)
            limit_text = f"{limit_text} ({limit.quantize(q, ROUND_HALF_UP):f} {customs})"
        if regime.threshold_on_customs:
            label = "customs value"
            value = sum(customs_values, _ZERO)
        else:
            label = "goods value"
            value = goods
        shown = f"{label} {value.quantize(q, ROUND_HALF_UP):f} {customs}"
        if value > limit:
            return f"{shown} > {limit_text}"
        held.append(f"{shown} <= {limit_text}")
    if regime.cap is not None:
        used = _ZERO
        if req.cbec_used is not None:
            used = req.cbec_used[0]
            if req.cbec_used[1] != customs:
                used = used * fx.rate(
                    req.cbec_used[1], customs, "buyer.cbec_used_this_year.currency"
                )
        cap = regime.cap
        cap_text = regime.cap_text
        if regime.cap_currency != customs:
            cap = cap * fx.rate(regime.cap_currency, customs)
            cap_text = f"{cap_text} ({cap.quantize(q, ROUND_HALF_UP):f} {customs})"
        total = used + goods
        shown = (
            f"used this year {used.quantize(q, ROUND_HALF_UP):f} {customs} + goods value "
            f"{goods.quantize(q, ROUND_HALF_UP):f} {customs} = "
            f"{total.quantize(q, ROUND_HALF_UP):f} {customs}"
        )
        if total > cap:
            return f"{shown} > annual cap {cap_text}"
        held.append(f"{shown} <= annual cap {cap_text}")
    if regime.positive_list is not None:
        for line in req.lines:
            if not line.hs.startswith(regime.positive_list):
                return f"line {line.id} ({_dotted(line.hs)}) is not on the positive list"
        held.append("every line is on the positive list")
    if regime.excluded_prefixes:
        for line in req.lines:
            if line.hs.startswith(regime.excluded_prefixes):
                return f"line {line.id} ({_dotted(line.hs)}) is excluded goods"
        held.append("no excluded goods")
    if regime.excluded_origins:
        for line in req.lines:
            if line.origin in regime.excluded_origins:
                return f"line {line.id} is of excluded origin {line.origin}"
        held.append(f"no line of origin {', '.join(sorted(regime.excluded_origins))}")
    return None
