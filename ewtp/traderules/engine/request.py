"""The quote request (contract "Request"): validated and parsed into named records.

Every malformed or missing field is collected, so one ``invalid_request`` lists them all.
Amounts are plain decimal strings (no sign, exponent or spaces; at most 12 integer and 12
decimal digits); a weight or volume is such a string or an int. A line without ``id`` is
named by its position ("0", "1", ...). ``null`` counts as absent for the optional fields.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import pycountry

from .errors import INVALID_REQUEST, TOO_MANY_LINES, QuoteRejected

MAX_LINES = 100
MAX_QUANTITY = 100_000
_INCOTERMS = ("DDP", "DAP")
_BUYER_KINDS = ("consumer", "business")
_COUNTRY_MESSAGE = "must be an ISO 3166-1 alpha-2 code such as RW"
_CURRENCY_MESSAGE = "must be an ISO 4217 currency code such as EUR"
_FLAG_MESSAGE = "must be true or false"

# ISO 3166-1 alpha-2 codes in use (pycountry's copy of the standard): ZZ, EU or UK are not.
_ISO_COUNTRIES = frozenset(country.alpha_2 for country in pycountry.countries)


class Money(NamedTuple):
    amount: Decimal
    currency: str


class Line(NamedTuple):
    """One parsed request line."""

    position: int  # in the request (the number in its field paths)
    id: Any  # the request's id, or the position as text
    hs: str  # digits only
    origin: str
    quantity: int
    price: Decimal  # unit price
    currency: str  # of the unit price
    weight: Decimal | None  # unit_weight_kg
    volume: Decimal | None  # unit_volume_l (an extension: per-litre duties)


_new_tuple = tuple.__new__


class Request:
    """One parsed request; ``lines`` holds the lines in request order."""

    __slots__ = (
        "buyer_kind",
        "cbec_used",
        "currency",
        "day",
        "destination",
        "gift",
        "incoterm",
        "insurance",
        "lines",
        "origin",
        "proof",
        "seller_ioss",
        "shipping",
    )

    def __init__(self) -> None:
        self.origin = ""
        self.destination = ""
        self.day: date | None = None
        self.currency: str | None = None
        self.incoterm = "DDP"
        self.buyer_kind = "consumer"
        self.cbec_used: Money | None = None
        self.proof = True
        self.gift = False
        self.seller_ioss = True
        self.shipping: Money | None = None
        self.insurance: Money | None = None
        self.lines: list[Line] = []


# Parsed amounts by their text (Decimals are immutable; prices and weights repeat across
# requests): a bounded cache of ``decimal_text`` per integer-digit limit.
_DECIMALS: dict[int, dict[str, Decimal]] = {12: {}, 9: {}}
_DECIMALS_LIMIT = 20_000
_AMOUNTS, _MEASURES = _DECIMALS[12], _DECIMALS[9]


def decimal_text(value: object, max_integer_digits: int = 12) -> Decimal | None:
    """A plain decimal string ("12", "12.50") as Decimal; None when malformed.

    No sign, exponent, spaces, underscores, NaN or non-ASCII digits; at most 12 integer and
    12 decimal digits, which keeps every intermediate inside the 28-digit context.
    """
    if type(value) is not str:
        return None
    memo = _DECIMALS[max_integer_digits]
    parsed = memo.get(value)
    if parsed is None:
        parsed = _decimal_text(value, max_integer_digits)
        if parsed is not None:
            if len(memo) >= _DECIMALS_LIMIT:
                memo.clear()
            memo[value] = parsed
    return parsed


def _decimal_text(value: str, max_integer_digits: int) -> Decimal | None:
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


def _is_country(value: object) -> bool:
    return type(value) is str and value in _ISO_COUNTRIES


def _money_errors(value: object, path: str, errors: dict[str, str], known: frozenset[str]) -> None:
    """Say what is wrong with a money object that failed the quick check."""
    if type(value) is not dict:
        errors[path] = "must be an object {amount, currency}"
        return
    raw_amount = value.get("amount")
    if decimal_text(raw_amount) is None:
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


def _money(value: object, path: str, errors: dict[str, str], known: frozenset[str]) -> Money | None:
    if type(value) is dict:
        amount = decimal_text(value.get("amount"))
        currency = value.get("currency")
        if amount is not None and type(currency) is str and currency in known:
            return _new_tuple(Money, (amount, currency))
    _money_errors(value, path, errors, known)
    return None


# Lines -------------------------------------------------------------------------------------


def _line_hs(hs: object, path: str, errors: dict[str, str]) -> str | None:
    if type(hs) is str:
        hs = hs.replace(".", "").replace(" ", "")
        if 6 <= len(hs) <= 10 and hs.isdigit() and hs.isascii():
            return hs
        errors[path] = "must be 6 to 10 digits (dots and spaces ignored)"
    else:
        errors[path] = "required" if hs is None else "must be a string of 6 to 10 digits"
    return None


def _line_price(
    price: object, path: str, errors: dict[str, str], known: frozenset[str]
) -> Money | None:
    if price is None:
        errors[path] = "required"
        return None
    return _money(price, path, errors, known)


def _measure(raw: object, path: str, example: str, errors: dict[str, str]) -> Decimal | None:
    """A weight or volume: a decimal string > 0 or a positive int; None when absent."""
    if raw is None:
        return None
    if type(raw) is int:
        value = Decimal(raw) if 0 < raw < 1_000_000_000 else None
    else:
        value = decimal_text(raw, 9)
        if value is not None and not value:
            value = None
    if value is None:
        errors[path] = f'must be a decimal string > 0 such as "{example}"'
    return value


def _line_id(get: Any, index: int, errors: dict[str, str]) -> Any:
    line_id = get("id")
    if line_id is None:
        return str(index)  # lines without an id are named by their position
    if type(line_id) is not str and type(line_id) is not int:
        errors[f"lines.{index}.id"] = "must be a string"
    return line_id


def _line_quantity(quantity: object, index: int, errors: dict[str, str]) -> int | None:
    if type(quantity) is int and 0 < quantity <= MAX_QUANTITY:
        return quantity
    errors[f"lines.{index}.quantity"] = (
        "required" if quantity is None else f"must be a whole number from 1 to {MAX_QUANTITY}"
    )
    return None


def _line_origin(get: Any, index: int, origin: object, errors: dict[str, str]) -> object:
    line_origin = get("origin")
    if line_origin is None:
        line_origin = origin
    elif not _is_country(line_origin):
        errors[f"lines.{index}.origin"] = _COUNTRY_MESSAGE
    description = get("description")
    if description is not None and type(description) is not str:
        errors[f"lines.{index}.description"] = "must be a string"
    return line_origin


# HS code texts as requests write them ("0901.21") -> their digits, "" when malformed.
_HS_DIGITS: dict[str, str] = {}


def _hs_digits(text: str) -> str:
    digits = text.replace(".", "").replace(" ", "")
    if not (6 <= len(digits) <= 10 and digits.isdigit() and digits.isascii()):
        digits = ""
    if len(_HS_DIGITS) >= 20_000:
        _HS_DIGITS.clear()
    _HS_DIGITS[text] = digits
    return digits


def _quick_line(raw: dict[str, Any], index: int, origin: str, known: frozenset[str]) -> Line | None:
    """A well-formed line in one pass (the common case); None sends it to ``_checked_line``."""
    get = raw.get
    hs, quantity, price = get("hs_code"), get("quantity"), get("unit_price")
    if type(hs) is not str or type(quantity) is not int or type(price) is not dict:
        return None
    hs = _HS_DIGITS.get(hs) or _hs_digits(hs)
    raw_amount = price.get("amount")
    # decimal_text's memo read inline (the hot path); a miss or a zero goes through it.
    amount = _AMOUNTS.get(raw_amount) if type(raw_amount) is str else None
    if not amount:
        amount = decimal_text(raw_amount)
    currency = price.get("currency")
    line_id = get("id")
    line_origin = get("origin")
    if line_origin is None:
        line_origin = origin
    weight = get("unit_weight_kg")
    if weight is not None:
        if type(weight) is not str:
            return None
        weight = _MEASURES.get(weight) or decimal_text(weight, 9)
        if not weight:
            return None
    if (
        amount is None
        or not hs
        or not 0 < quantity <= MAX_QUANTITY
        or type(currency) is not str
        or currency not in known
        or (line_id is not None and type(line_id) is not str)
        or line_origin not in _ISO_COUNTRIES
        or "unit_volume_l" in raw
        or type(get("description", "")) is not str
    ):
        return None
    if line_id is None:
        line_id = str(index)
    # tuple.__new__ skips NamedTuple's Python-level constructor (this is the hot path).
    return _new_tuple(
        Line, (index, line_id, hs, line_origin, quantity, amount, currency, weight, None)
    )


def parse_line(
    raw: object, index: int, origin: object, errors: dict[str, str], known: frozenset[str]
) -> Line | None:
    """One request line; None (with its errors recorded) when any field is malformed."""
    if type(raw) is dict and type(origin) is str:
        line = _quick_line(raw, index, origin, known)
        if line is not None:
            return line
    return _checked_line(raw, index, origin, errors, known)


def _checked_line(
    raw: object, index: int, origin: object, errors: dict[str, str], known: frozenset[str]
) -> Line | None:
    """A line checked field by field, every error recorded."""
    if type(raw) is not dict:
        errors[f"lines.{index}"] = "must be an object"
        return None
    get = raw.get
    path = f"lines.{index}."
    before = len(errors)
    line_id = _line_id(get, index, errors)
    hs = _line_hs(get("hs_code"), path + "hs_code", errors)
    quantity = _line_quantity(get("quantity"), index, errors)
    price = _line_price(get("unit_price"), path + "unit_price", errors, known)
    weight = _measure(get("unit_weight_kg"), path + "unit_weight_kg", "0.5", errors)
    volume = _measure(get("unit_volume_l"), path + "unit_volume_l", "0.75", errors)
    line_origin = _line_origin(get, index, origin, errors)
    if len(errors) > before or hs is None or price is None or quantity is None:
        return None
    if type(line_origin) is not str:
        return None  # the request's origin is malformed (reported there)
    return Line(
        index, line_id, hs, line_origin, quantity, price.amount, price.currency, weight, volume
    )


def _parse_lines(
    raw_lines: object, req: Request, origin: object, errors: dict[str, str], known: frozenset[str]
) -> None:
    if type(raw_lines) is list and raw_lines:
        lines = req.lines
        quick = origin if type(origin) is str else None
        for index, raw in enumerate(raw_lines):
            # parse_line, inlined: the quick path for a well-formed line, else field by field.
            line = (
                _quick_line(raw, index, quick, known)
                if quick is not None and type(raw) is dict
                else None
            )
            if line is None:
                line = _checked_line(raw, index, origin, errors, known)
            if line is not None:
                lines.append(line)
    elif raw_lines is None:
        errors["lines"] = "required"
    elif type(raw_lines) is not list:
        errors["lines"] = "must be a list of lines"
    else:
        errors["lines"] = "at least one line is required"


# The request -------------------------------------------------------------------------------


# Request dates by their text (a cache of ``_iso_date``; few distinct days are quoted).
_DATES: dict[str, date] = {}


def _iso_date(day: object) -> date | None:
    """A date written YYYY-MM-DD; None when it is not one."""
    if type(day) is not str or len(day) != 10 or day[4] != "-" or day[7] != "-":
        return None
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        return None
    if len(_DATES) >= 10_000:
        _DATES.clear()
    _DATES[day] = parsed
    return parsed


def _parse_places(get: Any, req: Request, errors: dict[str, str]) -> None:
    """origin, destination and date."""
    origin = get("origin")
    if _is_country(origin):
        req.origin = origin
    else:
        errors["origin"] = "required" if origin is None else _COUNTRY_MESSAGE
    destination = get("destination")
    if _is_country(destination):
        req.destination = destination
    else:
        errors["destination"] = "required" if destination is None else _COUNTRY_MESSAGE
    day = get("date")
    if day is not None:
        parsed = _DATES.get(day) if type(day) is str else None
        if parsed is None:
            parsed = _iso_date(day)
        if parsed is None:
            errors["date"] = "must be an ISO date YYYY-MM-DD"
        req.day = parsed


def _parse_terms(get: Any, req: Request, errors: dict[str, str], known: frozenset[str]) -> None:
    """currency and incoterm."""
    currency = get("currency")
    if currency is not None:
        if type(currency) is str and currency in known:
            req.currency = currency
        else:
            errors["currency"] = _CURRENCY_MESSAGE
    incoterm = get("incoterm")
    if incoterm is not None:
        if incoterm in _INCOTERMS:
            req.incoterm = incoterm
        else:
            errors["incoterm"] = "must be DDP or DAP"


def _parse_carriage(get: Any, req: Request, errors: dict[str, str], known: frozenset[str]) -> None:
    """shipping and insurance."""
    shipping = get("shipping")
    if shipping is not None:
        req.shipping = _money(shipping, "shipping", errors, known)
    insurance = get("insurance")
    if insurance is not None:
        req.insurance = _money(insurance, "insurance", errors, known)


def _parse_buyer(
    buyer: object, req: Request, errors: dict[str, str], known: frozenset[str]
) -> None:
    if buyer is None:
        return
    if type(buyer) is not dict:
        errors["buyer"] = "must be an object"
        return
    kind = buyer.get("kind")
    if kind is not None:
        if kind in _BUYER_KINDS:
            req.buyer_kind = kind
        else:
            errors["buyer.kind"] = "must be consumer or business"
    used = buyer.get("cbec_used_this_year")
    if used is not None:
        req.cbec_used = _money(used, "buyer.cbec_used_this_year", errors, known)


def _parse_flags(get: Any, req: Request, errors: dict[str, str]) -> None:
    """proof_of_origin (default true), gift (default false), seller_ioss (default true)."""
    proof = get("proof_of_origin")
    if proof is not None:
        if type(proof) is bool:
            req.proof = proof
        else:
            errors["proof_of_origin"] = _FLAG_MESSAGE
    gift = get("gift")
    if gift is not None:
        if type(gift) is bool:
            req.gift = gift
        else:
            errors["gift"] = _FLAG_MESSAGE
    seller_ioss = get("seller_ioss")
    if seller_ioss is not None:
        if type(seller_ioss) is bool:
            req.seller_ioss = seller_ioss
        else:
            errors["seller_ioss"] = _FLAG_MESSAGE


def parse_request(request: object, known: frozenset[str]) -> Request:
    """Validate and parse a request; QuoteRejected (too_many_lines, invalid_request) if bad.

    ``known`` is the set of currency codes accepted (ISO 4217 and those with rates).
    """
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
    req = Request()
    _parse_places(get, req, errors)
    _parse_terms(get, req, errors, known)
    _parse_buyer(get("buyer"), req, errors, known)
    _parse_flags(get, req, errors)
    _parse_carriage(get, req, errors, known)
    _parse_lines(raw_lines, req, get("origin"), errors, known)
    if errors:
        count = len(errors)
        raise QuoteRejected(
            INVALID_REQUEST,
            f"The request has {count} invalid or missing field{'s' if count > 1 else ''}.",
            errors,
        )
    return req
