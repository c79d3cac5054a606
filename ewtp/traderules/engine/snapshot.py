"""Pre-indexed, immutable rule snapshot: every rule parsed once, so a quote does no I/O.

``build_snapshot`` parses the plain rows of a RuleSet (dates to ordinals, rates to Decimal,
space-separated lists to tuples) and indexes them by territory or country. It raises
ValueError on malformed data, so a rules import can validate by building one.
"""

from __future__ import annotations

from bisect import bisect_right
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
    }
)


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
    specific_per_kg: bool
    start: int
    end: int
    source: str
    rate_label: str


@dataclass(frozen=True, slots=True)
class TariffIndex:
    lengths: tuple[int, ...]  # code lengths present, longest first
    by_code: dict[str, tuple[TariffLine, ...]]


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


@dataclass(frozen=True, slots=True)
class TaxRate:
    prefix: str  # "" for the default ("*") row
    rate: Decimal
    rate_text: str
    start: int
    end: int
    source: str


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
    rate: Decimal
    rate_text: str
    exempt_origins: frozenset[str]
    in_tax_base: bool
    start: int
    end: int
    source: str


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
    threshold_on_customs: bool
    cap: Decimal | None
    cap_currency: str
    cap_text: str
    positive_list: tuple[str, ...] | None
    excluded_prefixes: tuple[str, ...]
    excluded_origins: frozenset[str]
    duty: str  # "standard", "exempt" or "flat_per_hs6"
    flat_amount: Decimal
    flat_currency: str
    flat_text: str
    tax_base: str  # "standard", "goods" or "supply"
    tax_factor: Decimal
    tax_factor_text: str
    taxes_at_checkout: bool
    tax_override: tuple[TaxKind, ...] | None
    source: str


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
    threshold_on_customs=False,
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


def _build_tariffs(rows: Iterable[Row], currencies: frozenset[str]) -> dict[str, TariffIndex]:
    grouped: dict[str, dict[str, list[TariffLine]]] = {}
    for index, row in enumerate(rows):
        where = _where("tariff_lines", index)
        code = row["code"].strip()
        if not code.isdigit():
            raise ValueError(f"{where}: bad code {code!r}")
        ad_valorem = _decimal(row.get("mfn_ad_valorem", ""), where, allow_empty=True)
        specific = _decimal(row.get("mfn_specific_amount", ""), where, allow_empty=True)
        specific_currency = ""
        per_kg = False
        labels: list[str] = []
        if ad_valorem is not None:
            labels.append(percent_label(ad_valorem))
        if specific is not None:
            specific_currency = _currency(row.get("mfn_specific_currency", ""), currencies, where)
            per = row.get("mfn_specific_per", "").strip()
            if per not in ("kg", "item"):
                raise ValueError(f"{where}: mfn_specific_per must be kg or item")
            per_kg = per == "kg"
            labels.append(f"{specific:f} {specific_currency}/{per}")
        if not labels:
            raise ValueError(f"{where}: neither an ad valorem nor a specific rate")
        start, end = _valid(row, where)
        line = TariffLine(
            code=code,
            description=row.get("description", ""),
            ad_valorem=ad_valorem,
            specific=specific,
            specific_currency=specific_currency,
            specific_per_kg=per_kg,
            start=start,
            end=end,
            source=row.get("source", ""),
            rate_label=" + ".join(labels),
        )
        grouped.setdefault(row["territory"].strip(), {}).setdefault(code, []).append(line)
    return {
        territory: TariffIndex(
            lengths=tuple(sorted({len(code) for code in codes}, reverse=True)),
            by_code={code: tuple(lines) for code, lines in codes.items()},
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


def _build_taxes(rows: Iterable[Row]) -> dict[str, tuple[TaxKind, ...]]:
    grouped: dict[str, dict[str, list[TaxRate]]] = {}
    for index, row in enumerate(rows):
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
        grouped.setdefault(row["country"].strip(), {}).setdefault(kind, []).append(
            TaxRate(prefix, rate, row["rate"].strip(), start, end, row.get("source", ""))
        )
    out: dict[str, tuple[TaxKind, ...]] = {}
    for country, kinds in grouped.items():
        built = [_tax_kind(kind, rates) for kind, rates in kinds.items()]
        # Consumption taxes first: they join the base of the others.
        built.sort(key=lambda k: not k.is_consumption)
        out[country] = tuple(built)
    return out


def _build_fees(rows: Iterable[Row]) -> dict[str, tuple[Fee, ...]]:
    out: dict[str, list[Fee]] = {}
    for index, row in enumerate(rows):
        where = _where("fees", index)
        rate = _required_decimal(row["ad_valorem"], where)
        start, end = _valid(row, where)
        out.setdefault(row["country"].strip(), []).append(
            Fee(
                fee=row["fee"].strip(),
                name=row.get("name", ""),
                rate=rate,
                rate_text=row["ad_valorem"].strip(),
                exempt_origins=frozenset(_words(row.get("exempt_origins", ""))),
                in_tax_base=_bool(row.get("in_tax_base", ""), where),
                start=start,
                end=end,
                source=row.get("source", ""),
            )
        )
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


def _build_regime(raw: Any, where: str, currencies: frozenset[str]) -> Regime:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: a regime is an object")
    regime_id = str(raw.get("id", "")).strip()
    if not regime_id or regime_id == "standard":
        raise ValueError(f"{where}: a regime needs an id other than 'standard'")
    where = f"{where} ({regime_id})"
    start = _ordinal(str(raw.get("valid_from") or ""), end=False, where=where)
    end = _ordinal(str(raw.get("valid_to") or ""), end=True, where=where)
    conditions = raw.get("conditions") or {}
    treatment = raw.get("treatment") or {}
    if not isinstance(conditions, Mapping) or not isinstance(treatment, Mapping):
        raise ValueError(f"{where}: conditions and treatment are objects")
    for key in conditions:
        if key not in _CONDITION_KEYS and not str(key).endswith("_confidence"):
            # An unknown condition could not be checked: refuse the data rather than
            # apply a regime whose condition may fail.
            raise ValueError(f"{where}: unknown condition {key!r}")

    buyer_kind = conditions.get("buyer_kind")
    if buyer_kind is not None and buyer_kind not in ("consumer", "business"):
        raise ValueError(f"{where}: buyer_kind must be consumer or business")

    threshold: Decimal | None = None
    threshold_currency = threshold_text = ""
    on_customs = False
    if "value_threshold" in conditions:
        spec = conditions["value_threshold"]
        threshold, threshold_currency, threshold_text = _money_rule(spec, where, currencies)
        on = spec.get("on", "goods")
        if on not in ("goods", "customs"):
            raise ValueError(f"{where}: value_threshold.on must be goods or customs")
        on_customs = on == "customs"

    cap: Decimal | None = None
    cap_currency = cap_text = ""
    if "annual_cap" in conditions:
        cap, cap_currency, cap_text = _money_rule(conditions["annual_cap"], where, currencies)

    positive = conditions.get("positive_list")
    positive_list = None if positive is None else _prefix_list(positive, where)
    excluded_prefixes = _prefix_list(conditions.get("excluded_prefixes", []), where)
    excluded_origins_raw = conditions.get("excluded_origins", [])
    if not isinstance(excluded_origins_raw, list):
        raise ValueError(f"{where}: excluded_origins is a list")
    excluded_origins = frozenset(str(item) for item in excluded_origins_raw)

    duty_raw = treatment.get("duty", "standard")
    flat_amount = Decimal(0)
    flat_currency = flat_text = ""
    if isinstance(duty_raw, Mapping) and "flat_per_hs6" in duty_raw:
        duty = "flat_per_hs6"
        flat_amount, flat_currency, flat_text = _money_rule(
            duty_raw["flat_per_hs6"], where, currencies
        )
    elif duty_raw in ("exempt", "standard"):
        duty = str(duty_raw)
    else:
        raise ValueError(f"{where}: unknown duty treatment {duty_raw!r}")

    tax_base = treatment.get("tax_base", "standard")
    if tax_base not in ("standard", "goods", "supply"):
        raise ValueError(f"{where}: tax_base must be standard, goods or supply")
    factor_text = str(treatment.get("tax_factor", "1"))
    factor = _required_decimal(factor_text, where)
    collected = treatment.get("taxes_collected_at", "border")
    if collected not in ("checkout", "border"):
        raise ValueError(f"{where}: taxes_collected_at must be checkout or border")

    override_raw = treatment.get("tax_override")
    override: tuple[TaxKind, ...] | None = None
    source = str(raw.get("source", ""))
    if override_raw is not None:
        items = override_raw if isinstance(override_raw, list) else [override_raw]
        kinds: list[TaxKind] = []
        for item in items:
            if not isinstance(item, Mapping) or "kind" not in item or "rate" not in item:
                raise ValueError(f"{where}: tax_override entries need kind and rate")
            rate = _required_decimal(str(item["rate"]), where)
            kind = str(item["kind"])
            _check_rate(rate, kind, where)
            kinds.append(
                _tax_kind(kind, [TaxRate("", rate, str(item["rate"]), 1, OPEN_END, source)])
            )
        kinds.sort(key=lambda k: not k.is_consumption)
        override = tuple(kinds)

    valid_to = str(raw.get("valid_to") or "")
    return Regime(
        id=regime_id,
        name=str(raw.get("name", regime_id)),
        start=start,
        end=end,
        valid_text=f"{raw.get('valid_from') or '…'} to {valid_to or 'open'}",
        buyer_kind=buyer_kind,
        threshold=threshold,
        threshold_currency=threshold_currency,
        threshold_text=threshold_text,
        threshold_on_customs=on_customs,
        cap=cap,
        cap_currency=cap_currency,
        cap_text=cap_text,
        positive_list=positive_list,
        excluded_prefixes=excluded_prefixes,
        excluded_origins=excluded_origins,
        duty=duty,
        flat_amount=flat_amount,
        flat_currency=flat_currency,
        flat_text=flat_text,
        tax_base=str(tax_base),
        tax_factor=factor,
        tax_factor_text=factor_text,
        taxes_at_checkout=collected == "checkout",
        tax_override=override,
        source=source,
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
        fees=_build_fees(ruleset.fees),
        regimes=_build_regimes(ruleset.regimes, currencies),
        documents=_build_documents(ruleset.documents),
        fx=fx,
        hs_subheadings=frozenset(ruleset.hs_subheadings),
        currencies=currencies,
        sources={row["id"]: row.get("what", "") for row in ruleset.sources if row.get("id")},
    )
