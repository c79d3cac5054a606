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

import pycountry

from .errors import (
    FX_RATE_UNAVAILABLE,
    INVALID_REQUEST,
    TOO_MANY_LINES,
    UNKNOWN_HS_CODE,
    UNSUPPORTED_DESTINATION,
    QuoteRejected,
)
from .money import quantum
from .snapshot import DOMESTIC_REGIME, STANDARD_REGIME, Regime, Snapshot, TariffLine

MAX_LINES = 100
MAX_QUANTITY = 100_000
QUOTE_LIFETIME = timedelta(minutes=30)
STALE_AFTER_DAYS = 7
_FX_MEMO_LIMIT = 50_000

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
_INCOTERMS = ("DDP", "DAP")
_BUYER_KINDS = ("consumer", "business")
_COUNTRY_MESSAGE = "must be an ISO 3166-1 alpha-2 code such as RW"
_CURRENCY_MESSAGE = "must be an ISO 4217 currency code such as EUR"


# Request parsing ---------------------------------------------------------------------------

# A parsed line: (index, id, hs digits, origin, quantity, unit price, its currency, weight).
# Plain tuples: building one costs a fraction of an object with attributes.
_Line = tuple[int, Any, str, str, int, Decimal, str, "Decimal | None"]


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

    origin: str
    destination: str
    day: date | None
    currency: str | None
    incoterm: str
    buyer_kind: str
    cbec_used: tuple[Decimal, str] | None
    proof: bool
    shipping: tuple[Decimal, str] | None
    insurance: tuple[Decimal, str] | None
    lines: list[_Line]


def _decimal_text(value: object, max_integer_digits: int = 12) -> Decimal | None:
    """A plain decimal string ("12", "12.50") as Decimal; None when malformed.

    No sign, exponent, spaces, underscores, NaN or non-ASCII digits; at most 12 integer and
    12 decimal digits, which keeps every intermediate inside the 28-digit context.
    """
    if type(value) is not str:
        return None
    if value.isdigit():  # a whole number, the common case
        if len(value) > max_integer_digits or not value.isascii():
            return None
        return Decimal(value)
    integer, dot, fraction = value.partition(".")
    if (
        not dot
        or not 0 < len(integer) <= max_integer_digits
        or not 0 < len(fraction) <= 12
        or not integer.isdigit()
        or not fraction.isdigit()
        or not value.isascii()
    ):
        return None
    return Decimal(value)


# ISO 3166-1 alpha-2 codes in use (pycountry's copy of the standard): ZZ, EU or UK are not.
_ISO_COUNTRIES = frozenset(country.alpha_2 for country in pycountry.countries)


def _is_country(value: object) -> bool:
    return type(value) is str and value in _ISO_COUNTRIES


def _money_errors(value: object, path: str, errors: dict[str, str], known: frozenset[str]) -> None:
    """Say what is wrong with a money object that failed the quick check."""
    if type(value) is not dict:
        errors[path] = "must be an object {amount, currency}"
        return
    raw_amount = value.get("amount")
    if _decimal_text(raw_amount) is None:
        if raw_amount is None:
            errors[path + ".amount"] = "required"
        elif type(raw_amount) is float or type(raw_amount) is int:
            errors[path + ".amount"] = 'must be a decimal string such as "12.50", not a number'
        else:
            errors[path + ".amount"] = 'must be a decimal string >= 0 such as "12.50"'
    currency = value.get("currency")
    if currency is None:
        errors[path + ".currency"] = "required"
    elif type(currency) is not str or currency not in known:
        errors[path + ".currency"] = _CURRENCY_MESSAGE


def _money(
    value: object, path: str, errors: dict[str, str], known: frozenset[str]
) -> tuple[Decimal, str] | None:
    if type(value) is dict:
        amount = _decimal_text(value.get("amount"))
        currency = value.get("currency")
        if amount is not None and type(currency) is str and currency in known:
            return amount, currency
    _money_errors(value, path, errors, known)
    return None


def _parse_line(
    raw: object, index: int, origin: object, errors: dict[str, str], known: frozenset[str]
) -> _Line | None:
    if type(raw) is not dict:
        errors[f"lines.{index}"] = "must be an object"
        return None
    get = raw.get
    ok = True

    line_id = get("id")
    if line_id is None:
        line_id = str(index)  # lines without an id are named by their position
    elif type(line_id) is not str and type(line_id) is not int:
        errors[f"lines.{index}.id"] = "must be a string"
        ok = False

    hs = get("hs_code")
    if type(hs) is str:
        hs = hs.replace(".", "").replace(" ", "")
        if not (6 <= len(hs) <= 10 and hs.isdigit() and hs.isascii()):
            errors[f"lines.{index}.hs_code"] = "must be 6 to 10 digits (dots and spaces ignored)"
            ok = False
    else:
        errors[f"lines.{index}.hs_code"] = (
            "required" if hs is None else "must be a string of 6 to 10 digits"
        )
        ok = False

    quantity = get("quantity")
    if type(quantity) is not int or not 0 < quantity <= MAX_QUANTITY:
        errors[f"lines.{index}.quantity"] = (
            "required" if quantity is None else f"must be a whole number from 1 to {MAX_QUANTITY}"
        )
        ok = False

    price = get("unit_price")
    amount = currency = None
    if type(price) is dict:
        amount = _decimal_text(price.get("amount"))
        currency = price.get("currency")
    if amount is None or type(currency) is not str or currency not in known:
        if price is None:
            errors[f"lines.{index}.unit_price"] = "required"
        else:
            _money_errors(price, f"lines.{index}.unit_price", errors, known)
        ok = False

    weight_raw = get("unit_weight_kg")
    weight: Decimal | None = None
    if weight_raw is not None:
        if type(weight_raw) is int:
            weight = Decimal(weight_raw) if 0 < weight_raw < 1_000_000_000 else None
        else:
            weight = _decimal_text(weight_raw, 9)
            if weight is not None and not weight:
                weight = None
        if weight is None:
            errors[f"lines.{index}.unit_weight_kg"] = 'must be a decimal string > 0 such as "0.5"'
            ok = False

    line_origin = get("origin")
    if line_origin is None:
        line_origin = origin
    elif not _is_country(line_origin):
        errors[f"lines.{index}.origin"] = _COUNTRY_MESSAGE
        ok = False

    description = get("description")
    if description is not None and type(description) is not str:
        errors[f"lines.{index}.description"] = "must be a string"
        ok = False

    if not ok or type(line_origin) is not str:
        return None
    return (index, line_id, hs, line_origin, quantity, amount, currency, weight)  # type: ignore[return-value]


def _parse(request: object, known: frozenset[str]) -> _Request:
    if type(request) is not dict:
        raise QuoteRejected(
            INVALID_REQUEST, "The request must be a JSON object.", {"request": "must be an object"}
        )
    get = request.get
    raw_lines = get("lines")
    if type(raw_lines) is list and len(raw_lines) > MAX_LINES:
        raise QuoteRejected(
            TOO_MANY_LINES,
            f"A quote takes at most {MAX_LINES} lines; this request has {len(raw_lines)}.",
            {"lines": f"at most {MAX_LINES} lines, got {len(raw_lines)}"},
        )
    errors: dict[str, str] = {}
    req = _Request()

    origin = get("origin")
    if _is_country(origin):
        req.origin = origin  # type: ignore[assignment]
    else:
        errors["origin"] = "required" if origin is None else _COUNTRY_MESSAGE

    destination = get("destination")
    if _is_country(destination):
        req.destination = destination  # type: ignore[assignment]
    else:
        errors["destination"] = "required" if destination is None else _COUNTRY_MESSAGE

    day = get("date")
    req.day = None
    if day is not None:
        try:
            if type(day) is not str or len(day) != 10 or day[4] != "-" or day[7] != "-":
                raise ValueError(day)
            req.day = date.fromisoformat(day)
        except ValueError:
            errors["date"] = "must be an ISO date YYYY-MM-DD"

    currency = get("currency")
    req.currency = None
    if currency is not None:
        if type(currency) is str and currency in known:
            req.currency = currency
        else:
            errors["currency"] = _CURRENCY_MESSAGE

    incoterm = get("incoterm")
    req.incoterm = "DDP"
    if incoterm is not None:
        if incoterm in _INCOTERMS:
            req.incoterm = incoterm
        else:
            errors["incoterm"] = "must be DDP or DAP"

    buyer = get("buyer")
    req.buyer_kind = "consumer"
    req.cbec_used = None
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

    proof = get("proof_of_origin")
    req.proof = True
    if proof is not None:
        if type(proof) is bool:
            req.proof = proof
        else:
            errors["proof_of_origin"] = "must be true or false"

    shipping = get("shipping")
    req.shipping = None if shipping is None else _money(shipping, "shipping", errors, known)
    insurance = get("insurance")
    req.insurance = None if insurance is None else _money(insurance, "insurance", errors, known)

    lines: list[_Line] = []
    req.lines = lines
    if type(raw_lines) is list and raw_lines:
        for index, raw in enumerate(raw_lines):
            line = _parse_line(raw, index, origin, errors, known)
            if line is not None:
                lines.append(line)
    elif raw_lines is None:
        errors["lines"] = "required"
    elif type(raw_lines) is not list:
        errors["lines"] = "must be a list of lines"
    else:
        errors["lines"] = "at least one line is required"

    if errors:
        count = len(errors)
        raise QuoteRejected(
            INVALID_REQUEST,
            f"The request has {count} invalid or missing field{'s' if count > 1 else ''}.",
            errors,
        )
    return req


# Exchange ----------------------------------------------------------------------------------


def _rate_text(rate: Decimal) -> str:
    """A rate for display: 6 significant digits, plain notation."""
    return f"{rate.quantize(Decimal(1).scaleb(rate.adjusted() - 5), ROUND_HALF_UP):f}"


def _resolve_rate(
    snapshot: Snapshot, source: str, target: str, day: int, day_text: str, path: str
) -> tuple[Decimal, dict[str, str], dict[str, str] | None]:
    """The full-precision cross rate through EUR, its report entry and any stale warning."""
    legs: list[tuple[Decimal, int, str, str]] = []
    units = []
    for currency in (source, target):
        if currency == "EUR":
            units.append(_ONE)
            continue
        series = snapshot.fx.get(currency)
        index = -1 if series is None else series.at(day)
        if series is None or index < 0:
            raise QuoteRejected(
                FX_RATE_UNAVAILABLE,
                f"No {currency} exchange rate on or before {day_text}.",
                {path: f"no {currency} rate on or before {day_text}"},
            )
        leg = (
            series.rates[index],
            series.ordinals[index],
            series.dates[index],
            series.sources[index],
        )
        legs.append(leg)
        units.append(leg[0])
    # Units per EUR of the target / units per EUR of the source, unrounded.
    value = units[1] / units[0]
    oldest = min(legs, key=lambda leg: leg[1])
    entry = {
        "from": source,
        "to": target,
        "rate": _rate_text(value),
        "date": oldest[2],
        "source": _join_sources(*(leg[3] for leg in legs)),
    }
    age = day - oldest[1]
    warning = None
    if age > STALE_AFTER_DAYS:
        warning = {
            "code": "stale_fx_rate",
            "message": (
                f"The {source}->{target} rate is from {oldest[2]}, {age} days before the "
                f"quote date {day_text}."
            ),
        }
    return value, entry, warning


class _Fx:
    """The rates one quote uses: memoised per snapshot and day, reported once each."""

    __slots__ = ("cache", "day", "day_text", "entries", "memo", "snapshot", "warnings")

    def __init__(
        self, snapshot: Snapshot, day: int, day_text: str, warnings: list[dict[str, str]]
    ) -> None:
        self.snapshot = snapshot
        self.memo = snapshot.fx_memo
        self.day = day
        self.day_text = day_text
        self.cache: dict[tuple[str, str], Decimal] = {}
        self.entries: list[dict[str, str]] = []
        self.warnings = warnings

    def rate(self, source: str, target: str, path: str = "rules") -> Decimal:
        """Units of ``target`` per unit of ``source``; QuoteRejected when there is none."""
        key = (source, target)
        value = self.cache.get(key)
        if value is not None:
            return value
        memo_key = (source, target, self.day)
        resolved = self.memo.get(memo_key)
        if resolved is None:
            resolved = _resolve_rate(self.snapshot, source, target, self.day, self.day_text, path)
            if len(self.memo) >= _FX_MEMO_LIMIT:
                self.memo.clear()
            self.memo[memo_key] = resolved
        value, entry, warning = resolved
        self.entries.append(entry.copy())
        if warning is not None:
            self.warnings.append(warning.copy())
        self.cache[key] = value
        return value


# Rules lookups -----------------------------------------------------------------------------


def _tariff_line(snapshot: Snapshot, territory: str, hs: str, day: int) -> TariffLine | None:
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
    req = _parse(request, snapshot.currencies)
    lines = req.lines

    hs6 = snapshot.hs_subheadings
    for line in lines:
        if line[2][:6] not in hs6:
            raise QuoteRejected(
                UNKNOWN_HS_CODE,
                "An HS code does not start with an HS 2022 subheading.",
                {
                    f"lines.{other[0]}.hs_code": (
                        f"{_dotted(other[2][:6])} is not an HS 2022 subheading"
                    )
                    for other in lines
                    if other[2][:6] not in hs6
                },
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
    rate = fx.rate

    # 3. Values in the customs currency, unrounded. fx_rate_unavailable is the last check
    # and lists every field at fault, so a missing rate is first caught here and then
    # reported for all of the request's amounts at once. A zero amount needs no rate.
    shipping_money = req.shipping if req.shipping is not None and req.shipping[0] else None
    insurance_money = req.insurance if req.insurance is not None and req.insurance[0] else None
    shipping = insurance = _ZERO
    to_display = _ONE
    try:
        values: list[Decimal] = [
            line[5] * line[4] if line[6] == customs else line[5] * line[4] * rate(line[6], customs)
            for line in lines
        ]
        if shipping_money is not None:
            shipping = shipping_money[0]
            if shipping_money[1] != customs:
                shipping = shipping * rate(shipping_money[1], customs)
        if insurance_money is not None:
            insurance = insurance_money[0]
            if insurance_money[1] != customs:
                insurance = insurance * rate(insurance_money[1], customs)
        if display != customs:
            to_display = rate(customs, display)
    except QuoteRejected as exc:
        if exc.code == FX_RATE_UNAVAILABLE:
            _reject_missing_rates(req, snapshot, customs, display, day_ordinal, day_text)
        raise
    goods = sum(values, _ZERO)
    # Shipping and insurance are shared in proportion to v_i, per line below; f_i + ins_i is
    # only ever used as a sum. Under CIF the customs value of the consignment, sum c_i, is
    # exactly V + F + I (adding up the lines' shares could only add noise in the 28th digit).
    carriage = shipping + insurance
    is_fob = territory.is_fob
    customs_total = goods if is_fob else goods + carriage
    equal_share = carriage / len(lines) if carriage and not goods else _ZERO

    # 4. Regime (none applies to a consignment that does not cross the territory's border).
    origin_territory = snapshot.country_territory.get(req.origin)
    domestic = origin_territory is not None and origin_territory.code == territory.code
    if domestic:
        regime = DOMESTIC_REGIME
        why = f"{req.origin} is inside the {territory.code} customs territory: not an import"
    else:
        regime, why = _choose_regime(
            snapshot.regimes.get(territory.code, ()),
            req,
            fx,
            customs,
            q,
            goods,
            customs_total,
            day_ordinal,
            day_text,
            territory.code,
        )

    # 5-7. Per line: duty, additional duties, fees, taxes.
    country = req.destination
    duty_mode = regime.duty
    standard_duty = duty_mode == "standard"
    preferences = snapshot.preferences.get(territory.code, ())
    additional = () if domestic else snapshot.additional_duties.get(territory.code, ())
    fees = () if domestic else snapshot.fees.get(country, ())
    tax_kinds = (
        regime.tax_override if regime.tax_override is not None else snapshot.taxes.get(country, ())
    )
    tax_base_mode = regime.tax_base
    factor = regime.tax_factor
    has_factor = factor != _ONE
    factor_text = regime.tax_factor_text
    proof = req.proof
    complete = True
    weight_errors: dict[str, str] = {}
    unknown_taxes: list[str] = []
    preference_lines: list[str] = []
    zero = _round(_ZERO, q)  # sums start at 0 on the minor unit: "0.00", not "0"
    zero_text = str(zero)
    duty_sum = fee_sum = tax_sum = zero
    out_lines: list[dict[str, Any]] = []
    exempt_duty = {
        "amount": zero_text,
        "rate": "0%",
        "programme": None,
        "tariff_code": None,
        "source": regime.source,
        "treatment": duty_mode,
    }

    for line, value in zip(lines, values, strict=True):
        if not carriage:
            share = _ZERO
        elif goods:
            share = carriage * value / goods  # multiplied before dividing: exact stays exact
        else:
            share = equal_share  # V = 0: equal shares
        cv = value if is_fob else value + share
        hs = line[2]
        origin = line[3]
        tariff_duty = _ZERO  # the rounded tariff (MFN or preferential) duty
        duty_amount = _ZERO  # tariff duty plus the rounded additional duties
        duty: dict[str, Any] | None
        additional_out: list[dict[str, Any]] = []
        if standard_duty:
            tariff = _tariff_line(snapshot, territory.code, hs, day_ordinal)
            if tariff is None:
                duty = None
                complete = False
                warnings.append(
                    {
                        "code": "tariff_rate_unknown",
                        "message": (
                            f"Line {line[1]}: no {territory.code} tariff line for "
                            f"{_dotted(hs)} on {day_text}; its duty (and the tax on it) is "
                            "not included."
                        ),
                    }
                )
            else:
                mfn = _ZERO if tariff.ad_valorem is None else tariff.ad_valorem * cv
                if tariff.specific is not None:
                    weight = line[7]
                    if tariff.specific_measure != "weight":
                        specific = tariff.specific * line[4] / tariff.specific_divisor
                    elif weight is not None:
                        specific = tariff.specific * weight * line[4] / tariff.specific_divisor
                    else:
                        weight_errors[f"lines.{line[0]}.unit_weight_kg"] = (
                            f"required: tariff line {tariff.code} has a duty per kg"
                        )
                        specific = _ZERO
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
                chosen = mfn
                rate_label = tariff.rate_label
                source = tariff.source
                if best is not None:
                    preferential = best.rate * cv
                    # "Strictly lower" compares the amounts before rounding: the comparison
                    # is step 5 of the contract, the rounding step 8.
                    if preferential < mfn:
                        if proof:
                            chosen = preferential
                            programme = best.programme
                            rate_label = best.rate_label
                            source = _join_sources(tariff.source, best.source)
                            preference_lines.append(hs)
                        else:
                            mfn_r = _round(mfn, q)
                            pref_r = _round(preferential, q)
                            notes.append(
                                {
                                    "code": "preference_available",
                                    "message": (
                                        f"Line {line[1]}: with a proof of origin "
                                        f"({best.proof or 'as the programme requires'}), "
                                        f"{best.programme} would lower the duty from "
                                        f"{mfn_r} {customs} to {pref_r} {customs}, "
                                        f"saving {mfn_r - pref_r} {customs}."
                                    ),
                                }
                            )
                tariff_duty = duty_amount = _round(chosen, q)
                duty = {
                    "amount": str(tariff_duty),
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
                    amount = _round(measure.rate * cv, q)
                    duty_amount += amount
                    additional_out.append(
                        {
                            "measure": measure.measure,
                            "name": measure.name,
                            "rate": measure.rate_text,
                            "amount": str(amount),
                            "source": measure.source,
                        }
                    )
        else:
            # A regime treatment replaces the whole duty step: no tariff line is looked up.
            duty = exempt_duty.copy()
        duty_sum += duty_amount

        fee_out: list[dict[str, Any]] = []
        fees_in_base = _ZERO
        for fee in fees:
            if (
                fee.rate is not None
                and fee.start <= day_ordinal <= fee.end
                and origin not in fee.exempt_origins
            ):
                amount = _round(fee.rate * cv, q)
                fee_sum += amount
                if fee.in_tax_base:
                    fees_in_base += amount
                fee_out.append(
                    {
                        "fee": fee.fee,
                        "name": fee.name,
                        "rate": fee.rate_text,
                        "amount": str(amount),
                        "in_tax_base": fee.in_tax_base,
                        "source": fee.source,
                    }
                )

        tax_out: list[dict[str, Any]] = []
        if tax_kinds:
            if tax_base_mode == "standard":
                # b_i = c_i + duty_i + additional_i + in-base fees_i, on rounded amounts.
                base = cv
                if duty_amount:
                    base = base + duty_amount
                if fees_in_base:
                    base = base + fees_in_base
            elif tax_base_mode == "goods":
                base = value
            else:  # supply: v_i + f_i + ins_i (which is c_i under CIF)
                base = value + share if is_fob else cv
            joined = _ZERO
            for kind in tax_kinds:
                row = kind.rate_for(hs, day_ordinal)
                if row is None:
                    if kind.last_start > day_ordinal and kind.kind not in unknown_taxes:
                        unknown_taxes.append(kind.kind)
                    continue
                if kind.is_consumption:
                    # Levied on (c_i + duty_i) / (1 - k) x k; joins the base of the others
                    # (before any regime factor, rounded like every tax amount). Under a
                    # regime's goods or supply base, that base replaces c_i + duty_i.
                    consumption_base = cv + tariff_duty if tax_base_mode == "standard" else base
                    tax_base = consumption_base / (_ONE - row.rate)
                    joined += _round(tax_base * row.rate, q)
                else:
                    tax_base = base + joined if joined else base
                amount = tax_base * row.rate
                if has_factor:
                    amount = amount * factor
                amount = _round(amount, q)
                tax_sum += amount
                tax_out.append(
                    {
                        "kind": kind.kind,
                        "rate": row.rate_text,
                        "base": str(_round(tax_base, q)),
                        "factor": factor_text,
                        "amount": str(amount),
                        "source": row.source,
                    }
                )

        out_lines.append(
            {
                "id": line[1],
                "hs_code": hs,
                "origin": origin,
                "customs_value": str(_round(cv, q)),
                "duty": duty,
                "additional_duties": additional_out,
                "fees": fee_out,
                "taxes": tax_out,
            }
        )

    if weight_errors:
        raise QuoteRejected(
            INVALID_REQUEST, "unit_weight_kg is needed where a duty per kg applies.", weight_errors
        )

    consignment: list[dict[str, Any]] = []
    if duty_mode == "flat_per_hs6":
        subheadings = len({line[2][:6] for line in lines})
        per = regime.flat_amount
        if regime.flat_currency != customs:
            per = per * rate(regime.flat_currency, customs)
        amount = _round(per * subheadings, q)
        duty_sum += amount
        # Exactly the contract's shape: kind, count (distinct subheadings), amount.
        consignment.append({"kind": "flat_per_hs6", "count": subheadings, "amount": str(amount)})

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
    goods_r = _round(goods, q)
    shipping_r = _round(shipping, q)
    insurance_r = _round(insurance, q)
    landed = goods_r + shipping_r + insurance_r + duty_sum + fee_sum + tax_sum
    customs_totals = {
        "goods": str(goods_r),
        "shipping": str(shipping_r),
        "insurance": str(insurance_r),
        "duty": str(duty_sum),
        "fees": str(fee_sum),
        "taxes": str(tax_sum),
        "landed": str(landed),
    }
    if display == customs:
        display_totals = customs_totals.copy()
        d_goods, d_shipping, d_insurance, d_taxes, d_landed = (
            goods_r,
            shipping_r,
            insurance_r,
            tax_sum,
            landed,
        )
    else:
        # Each total converted from C and rounded in the display currency; landed is the
        # sum of the displayed parts.
        qd = quantum(display)
        d_goods = _round(goods_r * to_display, qd)
        d_shipping = _round(shipping_r * to_display, qd)
        d_insurance = _round(insurance_r * to_display, qd)
        d_duty = _round(duty_sum * to_display, qd)
        d_fees = _round(fee_sum * to_display, qd)
        d_taxes = _round(tax_sum * to_display, qd)
        d_landed = d_goods + d_shipping + d_insurance + d_duty + d_fees + d_taxes
        display_totals = {
            "goods": str(d_goods),
            "shipping": str(d_shipping),
            "insurance": str(d_insurance),
            "duty": str(d_duty),
            "fees": str(d_fees),
            "taxes": str(d_taxes),
            "landed": str(d_landed),
        }

    if req.incoterm == "DDP":
        at_checkout = d_landed
    else:
        at_checkout = d_goods + d_shipping + d_insurance
        if regime.taxes_at_checkout:
            at_checkout += d_taxes
    on_delivery = d_landed - at_checkout

    documents: list[str] = []
    for document in snapshot.documents.get(territory.code, ()):
        if document.document in documents:
            continue
        if document.when_preference:
            for hs in preference_lines:
                if hs.startswith(document.prefix):
                    documents.append(document.document)
                    break
        else:
            for line in lines:
                if line[2].startswith(document.prefix):
                    documents.append(document.document)
                    break

    at = now + QUOTE_LIFETIME
    if at.utcoffset():
        at = at.astimezone(UTC)
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
        "totals": {"customs": customs_totals, "display": display_totals},
        "payable_at_checkout": {"amount": str(at_checkout), "currency": display},
        "payable_on_delivery": {"amount": str(on_delivery), "currency": display},
        "notes": notes,
        "warnings": warnings,
        "documents_required": documents,
        "expires_at": at.replace(tzinfo=None).isoformat(timespec="seconds") + "Z",
    }


def _reject_missing_rates(
    req: _Request, snapshot: Snapshot, customs: str, display: str, day: int, day_text: str
) -> None:
    """Raise fx_rate_unavailable naming every request field whose currency has no rate."""

    def available(currency: str) -> bool:
        if currency == "EUR":
            return True
        series = snapshot.fx.get(currency)
        return series is not None and series.at(day) >= 0

    fields = [(f"lines.{line[0]}.unit_price.currency", line[6]) for line in req.lines]
    for name, money in (("shipping", req.shipping), ("insurance", req.insurance)):
        if money is not None and money[0]:
            fields.append((f"{name}.currency", money[1]))
    fields.append(("currency", display))
    missing: dict[str, str] = {}
    for path, currency in fields:
        if currency == customs:
            continue
        for needed in (currency, customs):
            if not available(needed):
                missing[path] = f"no {needed} rate on or before {day_text}"
                break
    raise QuoteRejected(
        FX_RATE_UNAVAILABLE,
        f"No exchange rate on or before {day_text} for a currency of the request.",
        missing,
    )


def _choose_regime(
    regimes: tuple[Regime, ...],
    req: _Request,
    fx: _Fx,
    customs: str,
    q: Decimal,
    goods: Decimal,
    customs_total: Decimal,
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
        failed = _check_conditions(regime, req, fx, customs, q, goods, customs_total, held)
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
    customs_total: Decimal,
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
            limit_text = f"{limit_text} ({_round(limit, q)} {customs})"
        if regime.threshold_on == "customs":
            label = "customs value"
            value = customs_total
        else:
            label = "goods value"
            value = goods
        if value > limit:
            return f"{label} {_round(value, q)} {customs} > {limit_text}"
        held.append(f"{label} {_round(value, q)} {customs} <= {limit_text}")
    if regime.cap is not None:
        used = _ZERO
        if req.cbec_used is not None and req.cbec_used[0]:
            used = req.cbec_used[0]
            if req.cbec_used[1] != customs:
                used = used * fx.rate(
                    req.cbec_used[1], customs, "buyer.cbec_used_this_year.currency"
                )
        cap = regime.cap
        cap_text = regime.cap_text
        if regime.cap_currency != customs:
            cap = cap * fx.rate(regime.cap_currency, customs)
            cap_text = f"{cap_text} ({_round(cap, q)} {customs})"
        total = used + goods
        shown = (
            f"used this year {_round(used, q)} {customs} + goods value "
            f"{_round(goods, q)} {customs} = {_round(total, q)} {customs}"
        )
        if total > cap:
            return f"{shown} > annual cap {cap_text}"
        held.append(f"{shown} <= annual cap {cap_text}")
    if regime.positive_list is not None:
        for line in req.lines:
            if not line[2].startswith(regime.positive_list):
                return f"line {line[1]} ({_dotted(line[2])}) is not on the positive list"
        held.append("every line is on the positive list")
    if regime.excluded_prefixes:
        for line in req.lines:
            if line[2].startswith(regime.excluded_prefixes):
                return f"line {line[1]} ({_dotted(line[2])}) is excluded goods"
        held.append("no excluded goods")
    if regime.excluded_origins:
        for line in req.lines:
            if line[3] in regime.excluded_origins:
                return f"line {line[1]} is of excluded origin {line[3]}"
        held.append(f"no line of origin {', '.join(sorted(regime.excluded_origins))}")
    return None
