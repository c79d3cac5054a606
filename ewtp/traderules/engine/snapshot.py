"""Pre-indexed, immutable rule snapshot: every rule parsed once, so a quote does no I/O.

``build_snapshot`` parses the plain rows of a RuleSet (dates to ordinals, rates to Decimal,
space-separated lists to tuples) and indexes them by territory or country. It raises
ValueError on malformed data, so a rules import can validate by building one.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .money import ISO_4217, quantum
from .ruleset import Row, RuleSet

OPEN_END = date.max.toordinal()
# SOURCES.csv id of the ECB euro reference rates; the ECB series carry no per-row source.
ECB_SOURCE = "S30"

_CONDITION_KEYS = frozenset(
    {
        "buyer_kind",
        "value_threshold",
        "annual_cap",
        "positive_list",
        "excluded_prefixes",
        "excluded_origins",
        "gift",
        "seller_ioss",
    }
)
_CONFIDENCES = ("high", "medium", "low")
_RATE_KINDS = ("standard", "reduced", "super_reduced", "zero", "exempt")

# The unit a specific duty is charged per: what it measures (the request field that gives
# the quantity) and how many of that measure's base unit it counts (kg, item, litre).
SPECIFIC_UNITS: dict[str, tuple[str, Decimal]] = {
    "kg": ("weight", Decimal(1)),
    "100kg": ("weight", Decimal(100)),
    "1000kg": ("weight", Decimal(1000)),
    "item": ("item", Decimal(1)),
    "dozen": ("item", Decimal(12)),
    "1000items": ("item", Decimal(1000)),
    "l": ("volume", Decimal(1)),
    "hl": ("volume", Decimal(100)),
}


class RuleFileError(ValueError):
    """A rule the engine cannot read, naming its table, row (as the file counts) and column."""

    def __init__(self, table: str, row: int | str, column: str, message: str) -> None:
        self.table = table
        self.row = str(row)
        self.column = column
        self.message = message
        super().__init__(f"{table} row {row}: {column}: {message}" if column else message)


@dataclass(frozen=True, slots=True)
class Territory:
    code: str
    name: str
    currency: str
    is_fob: bool
    quantum: Decimal
    source: str


@dataclass(frozen=True, slots=True)
class TariffLine:
    code: str
    description: str
    ad_valorem: Decimal | None
    specific: Decimal | None
    specific_currency: str
    specific_per: str  # a key of SPECIFIC_UNITS, "" without a specific part
    specific_measure: str  # "weight", "item" or "volume"
    specific_divisor: Decimal  # units of the measure per duty unit (100 for "100kg")
    start: int
    end: int
    source: str
    rate_label: str
    confidence: str = ""
    schedule: str = ""  # the national schedule the line came from; "" for curated lines
    computable: bool = True
    not_computable_reason: str = ""


@dataclass(frozen=True, slots=True)
class TariffIndex:
    lengths: tuple[int, ...]  # code lengths present, longest first
    by_code: dict[str, tuple[TariffLine, ...]]
    codes: tuple[str, ...] = ()  # every code, sorted: the national lines under a prefix

    def under(self, prefix: str) -> tuple[str, ...]:
        """The codes longer than ``prefix`` that start with it, in code order."""
        codes = self.codes
        first = bisect_left(codes, prefix)
        last = bisect_left(codes, prefix + ":")  # ":" sorts just after "9"
        return tuple(code for code in codes[first:last] if len(code) > len(prefix))


@dataclass(frozen=True, slots=True)
class Preference:
    programme: str
    name: str
    origins: frozenset[str] | None  # None: every origin
    include: tuple[str, ...] | None  # None: every code ("*")
    exclude: tuple[str, ...]
    rate: Decimal
    rate_label: str
    proof: str
    start: int
    end: int
    source: str
    confidence: str = ""


@dataclass(frozen=True, slots=True)
class AdditionalDuty:
    measure: str
    name: str
    origins: frozenset[str] | None
    include: tuple[str, ...] | None
    exclude: tuple[str, ...]
    rate: Decimal
    rate_text: str
    start: int
    end: int
    source: str
    confidence: str = ""


@dataclass(frozen=True, slots=True)
class TaxRate:
    prefix: str  # "" for the default ("*") row
    rate: Decimal
    rate_text: str
    start: int
    end: int
    source: str
    confidence: str = ""
    rate_kind: str = "standard"
    category: str = ""


@dataclass(frozen=True, slots=True)
class TaxKind:
    kind: str
    is_consumption: bool
    rates: tuple[TaxRate, ...]  # longest prefix first
    last_start: int  # a date before this with no row found means "not covered", not "no tax"
    lengths: tuple[int, ...]  # prefix lengths present, longest first ("*" is length 0)
    by_prefix: dict[str, tuple[TaxRate, ...]]

    def rate_for(self, hs: str, day: int) -> TaxRate | None:
        """The row of the longest prefix of ``hs`` valid on ``day`` (else the default)."""
        by_prefix = self.by_prefix
        for length in self.lengths:
            rows = by_prefix.get(hs[:length])
            if rows is not None:
                for row in rows:
                    if row.start <= day <= row.end:
                        return row
        return None


@dataclass(frozen=True, slots=True)
class Fee:
    fee: str
    name: str
    rate: Decimal | None  # None for a flat fee
    rate_text: str
    exempt_origins: frozenset[str]
    in_tax_base: bool
    start: int
    end: int
    source: str
    confidence: str = ""
    per_consignment: bool = False
    amount: Decimal | None = None  # a flat fee, in ``currency``
    minimum: Decimal | None = None  # bounds of a consignment fee, in ``currency``
    maximum: Decimal | None = None
    currency: str = ""
    applies_over: Decimal | None = None  # the consignment's customs value, in ``currency``
    applies_up_to: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Regime:
    id: str
    name: str
    start: int
    end: int
    valid_text: str
    buyer_kind: str | None
    threshold: Decimal | None
    threshold_currency: str
    threshold_text: str
    threshold_on: str  # "goods", "customs" or "item"
    cap: Decimal | None
    cap_currency: str
    cap_text: str
    positive_list: tuple[str, ...] | None
    excluded_prefixes: tuple[str, ...]
    excluded_origins: frozenset[str]
    duty: str  # "standard", "exempt", "flat_per_hs6" or "flat_ad_valorem"
    flat_amount: Decimal
    flat_currency: str
    flat_text: str
    tax_base: str  # "standard", "goods" or "supply"
    tax_factor: Decimal
    tax_factor_text: str
    taxes_at_checkout: bool
    tax_override: tuple[TaxKind, ...] | None
    source: str
    gift: bool | None = None  # None: the condition is absent
    seller_ioss: bool | None = None
    flat_rate: Decimal = Decimal(0)  # flat_ad_valorem
    flat_rate_text: str = ""
    fees_exempt: frozenset[str] = frozenset()
    confidence: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    prefix: str  # "" for every code
    document: str
    when_preference: bool
    source: str


@dataclass(frozen=True, slots=True)
class FxSeries:
    """Units per EUR of one currency, sorted by date for ``bisect``."""

    ordinals: tuple[int, ...]
    rates: tuple[Decimal, ...]
    dates: tuple[str, ...]
    sources: tuple[str, ...]

    def at(self, day: int) -> int:
        """Index of the latest point on or before ``day``; -1 when there is none."""
        return bisect_right(self.ordinals, day) - 1


STANDARD_REGIME = Regime(
    id="standard",
    name="Standard import treatment",
    start=1,
    end=OPEN_END,
    valid_text="",
    buyer_kind=None,
    threshold=None,
    threshold_currency="",
    threshold_text="",
    threshold_on="goods",
    cap=None,
    cap_currency="",
    cap_text="",
    positive_list=None,
    excluded_prefixes=(),
    excluded_origins=frozenset(),
    duty="standard",
    flat_amount=Decimal(0),
    flat_currency="",
    flat_text="",
    tax_base="standard",
    tax_factor=Decimal(1),
    tax_factor_text="1",
    taxes_at_checkout=False,
    tax_override=None,
    source="",
)

# A consignment that leaves from inside the destination's own customs territory (a Kigali
# seller to a Kigali buyer) is not imported: no duty, no import fee, no import tax (the
# seller's price carries its own domestic taxes).
DOMESTIC_REGIME = replace(
    STANDARD_REGIME,
    id="domestic",
    name="Domestic sale: not an import",
    duty="exempt",
    tax_override=(),
    taxes_at_checkout=True,  # nothing is left for a border
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a quote reads, indexed for it. Build with ``build_snapshot``."""

    version: str
    territories: dict[str, Territory]
    country_territory: dict[str, Territory]
    tariffs: dict[str, TariffIndex]
    preferences: dict[str, tuple[Preference, ...]]
    additional_duties: dict[str, tuple[AdditionalDuty, ...]]
    taxes: dict[str, tuple[TaxKind, ...]]  # by country, consumption taxes first
    fees: dict[str, tuple[Fee, ...]]  # by country
    regimes: dict[str, tuple[Regime, ...]]  # by territory, in evaluation order
    documents: dict[str, tuple[Document, ...]]  # by territory, in file order
    fx: dict[str, FxSeries]
    hs_subheadings: frozenset[str]
    currencies: frozenset[str]
    sources: dict[str, str]  # id -> what
    # Cross rates resolved per (from, to, day ordinal): the rate, its report entry and its
    # stale warning. Rates of a day never change within a snapshot, so quotes share them; a
    # cache, not rule data (bounded by ``quote``).
    fx_memo: dict[tuple[str, str, int], tuple[Decimal, dict[str, str], dict[str, str] | None]] = (
        field(default_factory=dict, compare=False, repr=False)
    )
    # What the duty step reads per (territory, HS code, origin, day ordinal): the tariff
    # lookup, the best preference and the additional duties in force (duty.Plan); a cache as
    # above, bounded by the duty step.
    line_memo: dict[tuple[str, str, str, int], Any] = field(
        default_factory=dict, compare=False, repr=False
    )
    # The tax rows of a line per (id of the tax kinds, HS code, day ordinal, regime factor),
    # with the response templates of its tax lines; bounded by the tax step.
    tax_memo: dict[tuple[int, str, int, str], Any] = field(
        default_factory=dict, compare=False, repr=False
    )
    # Per territory, the HS codes of the lines and the lines under a preference: the
    # documents the rules require (a cache as above, bounded by the response step).
    document_memo: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Any] = field(
        default_factory=dict, compare=False, repr=False
    )
    # Per (territory, day ordinal): its regimes in order, each with the sentence saying it is
    # not in force that day, or None when it is (regime.choose_regime).
    regime_memo: dict[tuple[str, int], Any] = field(default_factory=dict, compare=False, repr=False)


# Parsing helpers ---------------------------------------------------------------------------


def _ordinal(text: str, *, end: bool, where: str) -> int:
    text = text.strip()
    if not text:
        return OPEN_END if end else 1
    try:
        return date.fromisoformat(text).toordinal()
    except ValueError as exc:
        raise ValueError(f"{where}: bad date {text!r}") from exc


def _decimal(text: str, where: str, *, allow_empty: bool = False) -> Decimal | None:
    text = text.strip()
    if not text:
        if allow_empty:
            return None
        raise ValueError(f"{where}: a number is required")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{where}: bad number {text!r}") from exc
    if not value.is_finite() or value < 0:
        raise ValueError(f"{where}: bad number {text!r}")
    return value


def _required_decimal(text: str, where: str) -> Decimal:
    value = _decimal(text, where)
    assert value is not None
    return value


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _codes(text: str, where: str) -> tuple[str, ...] | None:
    """An HS prefix list: None for ``*`` (every code), else digit prefixes."""
    words = _words(text)
    if "*" in words:
        return None
    for word in words:
        if not word.isdigit():
            raise ValueError(f"{where}: bad HS prefix {word!r}")
    return words


def _origins(text: str) -> frozenset[str] | None:
    words = _words(text)
    return None if "*" in words else frozenset(words)


def percent_label(rate: Decimal) -> str:
    """0.075 -> "7.5%" (the duty rate as the response shows it)."""
    value = (rate * 100).normalize()
    return f"{value:f}%"


def _where(name: str, index: int) -> str:
    return f"{name} row {index + 2}"


def _valid(row: Row, where: str) -> tuple[int, int]:
    start = _ordinal(row.get("valid_from", ""), end=False, where=where)
    end = _ordinal(row.get("valid_to", ""), end=True, where=where)
    if end < start:
        raise ValueError(f"{where}: valid_to before valid_from")
    return start, end


def _bool(text: str, where: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no", ""):
        return False
    raise ValueError(f"{where}: not a boolean: {text!r}")


def _currency(text: str, known: Iterable[str], where: str) -> str:
    code = text.strip()
    if code not in known:
        raise ValueError(f"{where}: unknown currency {code!r}")
    return code


# Builders ----------------------------------------------------------------------------------


def _build_territories(rows: Iterable[Row]) -> tuple[dict[str, Territory], dict[str, Territory]]:
    territories: dict[str, Territory] = {}
    by_country: dict[str, Territory] = {}
    for index, row in enumerate(rows):
        where = _where("territories", index)
        basis = row["valuation_basis"].strip().upper()
        if basis not in ("CIF", "FOB"):
            raise ValueError(f"{where}: valuation_basis must be CIF or FOB")
        currency = row["customs_currency"].strip()
        territory = Territory(
            code=row["territory"].strip(),
            name=row.get("name", "").strip(),
            currency=currency,
            is_fob=basis == "FOB",
            quantum=quantum(currency),
            source=row.get("source", ""),
        )
        territories[territory.code] = territory
        for country in _words(row.get("members", "")):
            if country in by_country:
                raise ValueError(f"{where}: {country} already belongs to another territory")
            by_country[country] = territory
    return territories, by_country


def _confidence(row: Row, table: str, number: int) -> str:
    value = row.get("confidence", "").strip()
    if value and value not in _CONFIDENCES:
        raise RuleFileError(table, number, "confidence", "high, medium, low or empty")
    return value


def _specific_part(
    row: Row, where: str, currencies: frozenset[str], labels: list[str]
) -> tuple[Decimal | None, str, str]:
    """The specific duty of a tariff row: amount, currency and unit (a SPECIFIC_UNITS key)."""
    specific = _decimal(row.get("mfn_specific_amount", ""), where, allow_empty=True)
    if specific is None:
        return None, "", ""
    currency = _currency(row.get("mfn_specific_currency", ""), currencies, where)
    per = row.get("mfn_specific_per", "").strip()
    if per not in SPECIFIC_UNITS:
        units = ", ".join(SPECIFIC_UNITS)
        raise RuleFileError(
            "tariff_lines", where.rsplit(" ", 1)[1], "mfn_specific_per", f"one of {units}"
        )
    labels.append(f"{specific:f} {currency}/{per}")
    return specific, currency, per


def _tariff_line(row: Row, index: int, currencies: frozenset[str]) -> TariffLine:
    where = _where("tariff_lines", index)
    code = row["code"].strip()
    if not code.isdigit() or len(code) % 2 or len(code) > 10:
        raise ValueError(f"{where}: bad code {code!r} (2, 4, 6, 8 or 10 digits)")
    computable = _bool(row.get("computable", "") or "true", where)
    reason = row.get("not_computable_reason", "").strip()
    if not computable and not reason:
        raise ValueError(f"{where}: a line that is not computable needs not_computable_reason")
    labels: list[str] = []
    ad_valorem = _decimal(row.get("mfn_ad_valorem", ""), where, allow_empty=True)
    if ad_valorem is not None:
        labels.append(percent_label(ad_valorem))
    specific, specific_currency, per = _specific_part(row, where, currencies, labels)
    if not labels and computable:
        raise ValueError(f"{where}: neither an ad valorem nor a specific rate")
    measure, divisor = SPECIFIC_UNITS.get(per, ("", Decimal(1)))
    start, end = _valid(row, where)
    return TariffLine(
        code=code,
        description=row.get("description", ""),
        ad_valorem=ad_valorem,
        specific=specific,
        specific_currency=specific_currency,
        specific_per=per,
        specific_measure=measure,
        specific_divisor=divisor,
        start=start,
        end=end,
        source=row.get("source", ""),
        rate_label=" + ".join(labels) if computable else "not computable",
        confidence=_confidence(row, "tariff_lines", index + 2),
        schedule=row.get("schedule", "").strip(),
        computable=computable,
        not_computable_reason=reason,
    )


def _check_overlaps(table: str, dated: Mapping[Any, list[tuple[int, int, int]]]) -> None:
    """Rows of one key (start, end, row index) must not be in force on the same day."""
    for key, spans in dated.items():
        if len(spans) < 2:
            continue
        ordered = sorted(spans)
        latest_end, latest_row = ordered[0][1], ordered[0][2]
        for start, end, index in ordered[1:]:
            if start <= latest_end:
                rows = sorted((latest_row + 2, index + 2))
                raise RuleFileError(
                    table,
                    rows[1],
                    "valid_from",
                    f"the dates overlap those of row {rows[0]} (same {_key_text(key)})",
                )
            latest_end, latest_row = end, index


def _key_text(key: Any) -> str:
    return " ".join(str(part) or "*" for part in key) if isinstance(key, tuple) else str(key)


def _build_tariffs(rows: Iterable[Row], currencies: frozenset[str]) -> dict[str, TariffIndex]:
    grouped: dict[str, dict[str, list[TariffLine]]] = {}
    dated: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
    for index, row in enumerate(rows):
        line = _tariff_line(row, index, currencies)
        territory = row["territory"].strip()
        grouped.setdefault(territory, {}).setdefault(line.code, []).append(line)
        dated.setdefault((territory, line.code), []).append((line.start, line.end, index))
    _check_overlaps("tariff_lines", dated)
    return {
        territory: TariffIndex(
            lengths=tuple(sorted({len(code) for code in codes}, reverse=True)),
            by_code={code: tuple(lines) for code, lines in codes.items()},
            codes=tuple(sorted(codes)),
        )
        for territory, codes in grouped.items()
    }


def _build_preferences(rows: Iterable[Row]) -> dict[str, tuple[Preference, ...]]:
    out: dict[str, list[Preference]] = {}
    for index, row in enumerate(rows):
        where = _where("preferences", index)
        rate = _required_decimal(row["rate"], where)
        start, end = _valid(row, where)
        out.setdefault(row["territory"].strip(), []).append(
            Preference(
                programme=row["programme"].strip(),
                name=row.get("name", ""),
                origins=_origins(row.get("origin", "")),
                include=_codes(row.get("hs_include", "*") or "*", where),
                exclude=_codes(row.get("hs_exclude", ""), where) or (),
                rate=rate,
                rate_label=percent_label(rate),
                proof=row.get("proof", "").strip(),
                start=start,
                end=end,
                source=row.get("source", ""),
                confidence=_confidence(row, "preferences", index + 2),
            )
        )
    return {key: tuple(value) for key, value in out.items()}


def _build_additional(rows: Iterable[Row]) -> dict[str, tuple[AdditionalDuty, ...]]:
    out: dict[str, list[AdditionalDuty]] = {}
    for index, row in enumerate(rows):
        where = _where("additional_duties", index)
        rate = _required_decimal(row["ad_valorem"], where)
        start, end = _valid(row, where)
        out.setdefault(row["territory"].strip(), []).append(
            AdditionalDuty(
                measure=row["measure"].strip(),
                name=row.get("name", ""),
                origins=_origins(row.get("origins", "*") or "*"),
                include=_codes(row.get("hs_include", "*") or "*", where),
                exclude=_codes(row.get("hs_exclude", ""), where) or (),
                rate=rate,
                rate_text=row["ad_valorem"].strip(),
                start=start,
                end=end,
                source=row.get("source", ""),
                confidence=_confidence(row, "additional_duties", index + 2),
            )
        )
    return {key: tuple(value) for key, value in out.items()}


def _tax_kind(kind: str, rates: list[TaxRate]) -> TaxKind:
    ordered = sorted(rates, key=lambda r: -len(r.prefix))  # stable: file order within a length
    by_prefix: dict[str, list[TaxRate]] = {}
    for rate in ordered:
        by_prefix.setdefault(rate.prefix, []).append(rate)
    return TaxKind(
        kind=kind,
        is_consumption=kind == "consumption",
        rates=tuple(ordered),
        last_start=max(r.start for r in rates),
        lengths=tuple(sorted({len(prefix) for prefix in by_prefix}, reverse=True)),
        by_prefix={prefix: tuple(rows) for prefix, rows in by_prefix.items()},
    )


def _check_rate(rate: Decimal, kind: str, where: str) -> None:
    if kind == "consumption" and rate >= 1:
        raise ValueError(f"{where}: a consumption tax rate must be below 1")


def _rate_kind(row: Row, prefix: str, rate: Decimal, number: int) -> tuple[str, str]:
    """The rate kind and category of a tax row; an empty kind is inferred (older files)."""
    kind = row.get("rate_kind", "").strip()
    category = row.get("category", "").strip()
    if not kind:
        kind = "standard" if not prefix else ("zero" if rate == 0 else "reduced")
    elif kind not in _RATE_KINDS:
        raise RuleFileError("taxes", number, "rate_kind", "one of " + ", ".join(_RATE_KINDS))
    return kind, category


def _tax_rate(row: Row, index: int) -> TaxRate:
    where = _where("taxes", index)
    kind = row["kind"].strip()
    if not kind:
        raise ValueError(f"{where}: kind is required")
    prefix = row.get("hs_prefix", "").strip()
    prefix = "" if prefix in ("*", "") else prefix
    if prefix and not prefix.isdigit():
        raise ValueError(f"{where}: bad hs_prefix {prefix!r}")
    rate = _required_decimal(row["rate"], where)
    _check_rate(rate, kind, where)
    start, end = _valid(row, where)
    rate_kind, category = _rate_kind(row, prefix, rate, index + 2)
    return TaxRate(
        prefix,
        rate,
        row["rate"].strip(),
        start,
        end,
        row.get("source", ""),
        _confidence(row, "taxes", index + 2),
        rate_kind,
        category,
    )


def _build_taxes(rows: Iterable[Row]) -> dict[str, tuple[TaxKind, ...]]:
    grouped: dict[str, dict[str, list[TaxRate]]] = {}
    dated: dict[tuple[str, str, str], list[tuple[int, int, int]]] = {}
    for index, row in enumerate(rows):
        rate = _tax_rate(row, index)
        country, kind = row["country"].strip(), row["kind"].strip()
        grouped.setdefault(country, {}).setdefault(kind, []).append(rate)
        dated.setdefault((country, kind, rate.prefix), []).append((rate.start, rate.end, index))
    _check_overlaps("taxes", dated)
    out: dict[str, tuple[TaxKind, ...]] = {}
    for country, kinds in grouped.items():
        built = [_tax_kind(kind, rates) for kind, rates in kinds.items()]
        # Consumption taxes first: they join the base of the others.
        built.sort(key=lambda k: not k.is_consumption)
        out[country] = tuple(built)
    return out


def _optional_amount(row: Row, column: str, number: int) -> Decimal | None:
    text = row.get(column, "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        raise RuleFileError("fees", number, column, f"a decimal number >= 0, not {text!r}")
    return value


def _fee(row: Row, index: int, currencies: frozenset[str]) -> Fee:
    where, number = _where("fees", index), index + 2
    rate = _optional_amount(row, "ad_valorem", number)
    amount = _optional_amount(row, "amount", number)
    if (rate is None) == (amount is None):
        raise RuleFileError("fees", number, "ad_valorem", "either a rate or a flat amount")
    bounds = {
        column: _optional_amount(row, column, number)
        for column in ("minimum", "maximum", "applies_over", "applies_up_to")
    }
    currency = row.get("currency", "").strip()
    if currency or amount is not None or any(value is not None for value in bounds.values()):
        currency = _currency(currency, currencies, where)
    per = row.get("per", "").strip()
    if per not in ("", "consignment"):
        raise RuleFileError("fees", number, "per", "empty (per line) or consignment")
    minimum, maximum = bounds["minimum"], bounds["maximum"]
    if minimum is not None and maximum is not None and minimum > maximum:
        raise RuleFileError("fees", number, "maximum", "below the minimum")
    if (minimum is not None or maximum is not None) and (rate is None or not per):
        raise RuleFileError("fees", number, "minimum", "bounds need a rate per consignment")
    start, end = _valid(row, where)
    return Fee(
        fee=row["fee"].strip(),
        name=row.get("name", ""),
        rate=rate,
        rate_text=row.get("ad_valorem", "").strip(),
        exempt_origins=frozenset(_words(row.get("exempt_origins", ""))),
        in_tax_base=_bool(row.get("in_tax_base", ""), where),
        start=start,
        end=end,
        source=row.get("source", ""),
        confidence=_confidence(row, "fees", number),
        per_consignment=per == "consignment",
        amount=amount,
        minimum=minimum,
        maximum=maximum,
        currency=currency,
        applies_over=bounds["applies_over"],
        applies_up_to=bounds["applies_up_to"],
    )


def _build_fees(rows: Iterable[Row], currencies: frozenset[str]) -> dict[str, tuple[Fee, ...]]:
    out: dict[str, list[Fee]] = {}
    dated: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
    for index, row in enumerate(rows):
        fee = _fee(row, index, currencies)
        country = row["country"].strip()
        out.setdefault(country, []).append(fee)
        dated.setdefault((country, fee.fee), []).append((fee.start, fee.end, index))
    _check_overlaps("fees", dated)
    return {key: tuple(value) for key, value in out.items()}


def _money_rule(value: Any, where: str, currencies: frozenset[str]) -> tuple[Decimal, str, str]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected {{amount, currency}}")
    amount = _required_decimal(str(value.get("amount", "")), where)
    currency = _currency(str(value.get("currency", "")), currencies, where)
    return amount, currency, f"{value['amount']} {currency}"


def _prefix_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.isdigit() for item in value
    ):
        raise ValueError(f"{where}: expected a list of HS prefixes")
    return tuple(value)


def _regime_conditions(conditions: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The flag and buyer conditions: buyer_kind, gift, seller_ioss."""
    for key in conditions:
        if key not in _CONDITION_KEYS and not str(key).endswith("_confidence"):
            # An unknown condition could not be checked: refuse the data rather than
            # apply a regime whose condition may fail.
            raise ValueError(f"{where}: unknown condition {key!r}")
    buyer_kind = conditions.get("buyer_kind")
    if buyer_kind is not None and buyer_kind not in ("consumer", "business"):
        raise ValueError(f"{where}: buyer_kind must be consumer or business")
    out: dict[str, Any] = {"buyer_kind": buyer_kind}
    for flag in ("gift", "seller_ioss"):
        value = conditions.get(flag)
        if value is not None and type(value) is not bool:
            raise ValueError(f"{where}: {flag} must be true or false")
        out[flag] = value
    return out


def _regime_limits(
    conditions: Mapping[str, Any], where: str, currencies: frozenset[str]
) -> dict[str, Any]:
    """The value threshold and the annual cap."""
    out: dict[str, Any] = {
        "threshold": None,
        "threshold_currency": "",
        "threshold_text": "",
        "threshold_on": "goods",
        "cap": None,
        "cap_currency": "",
        "cap_text": "",
    }
    if "value_threshold" in conditions:
        spec = conditions["value_threshold"]
        amount, currency, text = _money_rule(spec, where, currencies)
        on = spec.get("on", "goods")
        if on not in ("goods", "customs", "item"):
            raise ValueError(f"{where}: value_threshold.on must be goods, customs or item")
        out.update(threshold=amount, threshold_currency=currency, threshold_text=text)
        out["threshold_on"] = on
    if "annual_cap" in conditions:
        amount, currency, text = _money_rule(conditions["annual_cap"], where, currencies)
        out.update(cap=amount, cap_currency=currency, cap_text=text)
    return out


def _regime_goods(conditions: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The positive list, excluded prefixes and excluded origins."""
    positive = conditions.get("positive_list")
    excluded_origins = conditions.get("excluded_origins", [])
    if not isinstance(excluded_origins, list):
        raise ValueError(f"{where}: excluded_origins is a list")
    return {
        "positive_list": None if positive is None else _prefix_list(positive, where),
        "excluded_prefixes": _prefix_list(conditions.get("excluded_prefixes", []), where),
        "excluded_origins": frozenset(str(item) for item in excluded_origins),
    }


def _regime_duty(
    treatment: Mapping[str, Any], where: str, currencies: frozenset[str]
) -> dict[str, Any]:
    duty_raw = treatment.get("duty", "standard")
    out: dict[str, Any] = {
        "duty": "",
        "flat_amount": Decimal(0),
        "flat_currency": "",
        "flat_text": "",
        "flat_rate": Decimal(0),
        "flat_rate_text": "",
    }
    if isinstance(duty_raw, Mapping) and "flat_per_hs6" in duty_raw:
        amount, currency, text = _money_rule(duty_raw["flat_per_hs6"], where, currencies)
        out.update(duty="flat_per_hs6", flat_amount=amount, flat_currency=currency)
        out["flat_text"] = text
    elif duty_raw == "flat_ad_valorem":
        rate_text = str(treatment.get("rate", ""))
        out.update(duty="flat_ad_valorem", flat_rate_text=rate_text)
        out["flat_rate"] = _required_decimal(rate_text, f"{where}: treatment.rate")
    elif duty_raw in ("exempt", "standard"):
        out["duty"] = str(duty_raw)
    else:
        raise ValueError(f"{where}: unknown duty treatment {duty_raw!r}")
    return out


def _regime_taxes(
    treatment: Mapping[str, Any], where: str, source: str, confidence: str
) -> dict[str, Any]:
    tax_base = treatment.get("tax_base", "standard")
    if tax_base not in ("standard", "goods", "supply"):
        raise ValueError(f"{where}: tax_base must be standard, goods or supply")
    factor_text = str(treatment.get("tax_factor", "1"))
    collected = treatment.get("taxes_collected_at", "border")
    if collected not in ("checkout", "border"):
        raise ValueError(f"{where}: taxes_collected_at must be checkout or border")
    return {
        "tax_base": str(tax_base),
        "tax_factor": _required_decimal(factor_text, where),
        "tax_factor_text": factor_text,
        "taxes_at_checkout": collected == "checkout",
        "tax_override": _tax_override(treatment.get("tax_override"), where, source, confidence),
    }


def _tax_override(raw: Any, where: str, source: str, confidence: str) -> tuple[TaxKind, ...] | None:
    if raw is None:
        return None
    kinds: list[TaxKind] = []
    for item in raw if isinstance(raw, list) else [raw]:
        if not isinstance(item, Mapping) or "kind" not in item or "rate" not in item:
            raise ValueError(f"{where}: tax_override entries need kind and rate")
        rate = _required_decimal(str(item["rate"]), where)
        kind = str(item["kind"])
        _check_rate(rate, kind, where)
        rate_kind = "zero" if rate == 0 else str(item.get("rate_kind", "standard"))
        if rate_kind not in _RATE_KINDS:
            raise ValueError(f"{where}: tax_override rate_kind must be one of {_RATE_KINDS}")
        category = str(item.get("category", ""))
        row = TaxRate(
            "", rate, str(item["rate"]), 1, OPEN_END, source, confidence, rate_kind, category
        )
        kinds.append(_tax_kind(kind, [row]))
    kinds.sort(key=lambda k: not k.is_consumption)
    return tuple(kinds)


def _fees_exempt(raw: Any, where: str) -> frozenset[str]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ValueError(f"{where}: fees_exempt is a list of fee ids")
    return frozenset(raw)


def _build_regime(raw: Any, where: str, currencies: frozenset[str]) -> Regime:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: a regime is an object")
    regime_id = str(raw.get("id", "")).strip()
    if not regime_id or regime_id == "standard":
        raise ValueError(f"{where}: a regime needs an id other than 'standard'")
    where = f"{where} ({regime_id})"
    conditions = raw.get("conditions") or {}
    treatment = raw.get("treatment") or {}
    if not isinstance(conditions, Mapping) or not isinstance(treatment, Mapping):
        raise ValueError(f"{where}: conditions and treatment are objects")
    source = str(raw.get("source", ""))
    confidence = str(raw.get("confidence") or "")
    if confidence and confidence not in _CONFIDENCES:
        raise ValueError(f"{where}: confidence must be high, medium, low or empty")
    valid_to = str(raw.get("valid_to") or "")
    return Regime(
        id=regime_id,
        name=str(raw.get("name", regime_id)),
        start=_ordinal(str(raw.get("valid_from") or ""), end=False, where=where),
        end=_ordinal(valid_to, end=True, where=where),
        valid_text=f"{raw.get('valid_from') or '…'} to {valid_to or 'open'}",
        **_regime_conditions(conditions, where),
        **_regime_limits(conditions, where, currencies),
        **_regime_goods(conditions, where),
        **_regime_duty(treatment, where, currencies),
        **_regime_taxes(treatment, where, source, confidence),
        source=source,
        fees_exempt=_fees_exempt(raw.get("fees_exempt", []), where),
        confidence=confidence,
    )


def _build_regimes(
    raw: Mapping[str, Any], currencies: frozenset[str]
) -> dict[str, tuple[Regime, ...]]:
    out: dict[str, tuple[Regime, ...]] = {}
    for territory, regimes in raw.items():
        if not isinstance(regimes, list):
            raise ValueError(f"regimes of {territory}: expected a list")
        out[territory] = tuple(
            _build_regime(item, f"regimes {territory}[{i}]", currencies)
            for i, item in enumerate(regimes)
        )
    return out


def _build_documents(rows: Iterable[Row]) -> dict[str, tuple[Document, ...]]:
    out: dict[str, list[Document]] = {}
    for index, row in enumerate(rows):
        where = _where("documents", index)
        when = row.get("when", "").strip()
        if when not in ("always", "preference"):
            raise ValueError(f"{where}: when must be always or preference")
        prefix = row.get("hs_prefix", "").strip()
        out.setdefault(row["territory"].strip(), []).append(
            Document(
                prefix="" if prefix in ("*", "") else prefix,
                document=row["document"].strip(),
                when_preference=when == "preference",
                source=row.get("source", ""),
            )
        )
    return {key: tuple(value) for key, value in out.items()}


def _build_fx(ecb: Iterable[tuple[str, str, str]], table: Iterable[Row]) -> dict[str, FxSeries]:
    # Per currency: date ordinal -> (rate, ISO date, source). Table rows first so that an
    # ECB rate wins where both give the same currency on the same day.
    points: dict[str, dict[int, tuple[Decimal, str, str]]] = {}
    for index, row in enumerate(table):
        where = _where("fx_rates", index)
        day = _ordinal(row["date"], end=False, where=where)
        rate = _required_decimal(row["units_per_eur"], where)
        if rate == 0:
            raise ValueError(f"{where}: a rate must be positive")
        iso = date.fromordinal(day).isoformat()
        points.setdefault(row["currency"].strip(), {})[day] = (rate, iso, row.get("source", ""))
    for iso, currency, text in ecb:
        day = _ordinal(iso, end=False, where=f"ECB {iso} {currency}")
        rate = _required_decimal(text, f"ECB {iso} {currency}")
        if rate == 0:
            raise ValueError(f"ECB {iso} {currency}: a rate must be positive")
        points.setdefault(currency, {})[day] = (rate, iso, ECB_SOURCE)
    series: dict[str, FxSeries] = {}
    for currency, by_day in points.items():
        days = sorted(by_day)
        series[currency] = FxSeries(
            ordinals=tuple(days),
            rates=tuple(by_day[d][0] for d in days),
            dates=tuple(by_day[d][1] for d in days),
            sources=tuple(by_day[d][2] for d in days),
        )
    series.pop("EUR", None)  # EUR is the base: always 1, no date
    return series


def build_snapshot(ruleset: RuleSet) -> Snapshot:
    """Parse and index a RuleSet once; quotes then only read the result."""
    fx = _build_fx(ruleset.ecb_rates, ruleset.fx_rates)
    currencies = frozenset(ISO_4217 | set(fx) | {"EUR"})
    territories, by_country = _build_territories(ruleset.territories)
    for territory in territories.values():
        if territory.currency not in currencies:
            raise ValueError(f"territory {territory.code}: unknown currency {territory.currency}")
    return Snapshot(
        version=ruleset.version,
        territories=territories,
        country_territory=by_country,
        tariffs=_build_tariffs(ruleset.tariff_lines, currencies),
        preferences=_build_preferences(ruleset.preferences),
        additional_duties=_build_additional(ruleset.additional_duties),
        taxes=_build_taxes(ruleset.taxes),
        fees=_build_fees(ruleset.fees, currencies),
        regimes=_build_regimes(ruleset.regimes, currencies),
        documents=_build_documents(ruleset.documents),
        fx=fx,
        hs_subheadings=frozenset(ruleset.hs_subheadings),
        currencies=currencies,
        sources={row["id"]: row.get("what", "") for row in ruleset.sources if row.get("id")},
    )
