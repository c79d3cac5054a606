"""The published rules and their quote snapshot (cached in-process), and the quote itself."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ewtp.core import conf
from ewtp.traderules.content import content_of, ruleset_from_content
from ewtp.traderules.engine import (
    QuoteRejected,
    RuleSet,
    Snapshot,
    build_snapshot,
    load_ruleset_from_files,
)
from ewtp.traderules.engine import quote as engine_quote
from ewtp.traderules.errors import QuoteRejectedError
from ewtp.traderules.extensions import rules_resolver
from ewtp.traderules.models import ExchangeRate, FxState, RuleVersion
from ewtp.traderules.selectors.hs import _read_or_none, hs_subheadings

# How often a process looks whether a new rules version or new rates were published.
SNAPSHOT_CHECK_SECONDS = 5.0


# The published rules and their snapshot -------------------------------------------------------


@dataclass(frozen=True)
class PublishedRules:
    """The rules in force: the version's label and content and the snapshot built from them."""

    label: str
    created_at: datetime | None
    content: dict[str, Any]
    snapshot: Snapshot
    fx_revision: int
    origin: str  # "database" or "files" (no tables or no version yet)

    def table(self, name: str) -> list[dict[str, str]]:
        return list(self.content.get("tables", {}).get(name, ()))

    def regimes(self) -> list[tuple[str, list[dict[str, Any]]]]:
        return [(str(pair[0]), list(pair[1])) for pair in self.content.get("regimes", ())]

    def sources(self) -> dict[str, dict[str, str]]:
        return {row["id"]: row for row in self.table("sources")}


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple[Any, ...] | None = None
        self.rules: PublishedRules | None = None
        self.checked_at = 0.0


_cache = _Cache()


def snapshot_cache_clear() -> None:
    """Look again at the next quote (this process); other processes look within seconds."""
    _cache.checked_at = 0.0


def _database_key() -> tuple[Any, ...] | None:
    """(version id, label, created_at, FX revision, FX changed_at); None without a version."""

    def read() -> tuple[Any, ...] | None:
        version = (
            RuleVersion.objects.order_by("-id").values_list("id", "label", "created_at").first()
        )
        state = FxState.objects.filter(pk=1).values_list("revision", "changed_at").first()
        return None if version is None else (*version, *(state or (0, None)))

    return _read_or_none(read)


def _shipped_rules() -> PublishedRules:
    base = Path(conf.DATA_DIR())
    ruleset = load_ruleset_from_files(
        base / "rules",
        base / "hs" / "harmonized-system.csv",
        sorted((base / "fx").glob("*.csv")),
        version="shipped",
    )
    return PublishedRules(
        label="shipped",
        created_at=None,
        content=content_of(ruleset),
        snapshot=build_snapshot(ruleset),
        fx_revision=0,
        origin="files",
    )


def _fx_rows() -> tuple[list[dict[str, str]], tuple[tuple[str, str, str], ...]]:
    """The rule-table (and operator) rates and the ECB rates, as the engine takes them."""
    table: dict[tuple[str, str], dict[str, str]] = {}
    ecb: list[tuple[str, str, str]] = []
    rates = ExchangeRate.objects.order_by("date", "currency").values_list(
        "date", "currency", "rate_text", "source", "confidence", "note", "origin"
    )
    for day, currency, text, source, confidence, note, origin in rates.iterator(chunk_size=5000):
        iso = day.isoformat()
        if origin == ExchangeRate.Origin.ECB:
            ecb.append((iso, currency, text))
            continue
        # An operator's rate wins over the rule table's on the same day.
        if origin == ExchangeRate.Origin.RULE_TABLE and (iso, currency) in table:
            continue
        table[(iso, currency)] = {
            "date": iso,
            "currency": currency,
            "units_per_eur": text,
            "source": source,
            "confidence": confidence,
            "note": note,
        }
    return list(table.values()), tuple(ecb)


def snapshot_for_content(content: dict[str, Any], *, label: str) -> Snapshot:
    """A quote snapshot of any rules content (a version's, or one changed in memory) with the
    exchange rates as they are now. Raises RuleFileError where the content does not build."""
    fx_rates, ecb = _fx_rows()
    ruleset: RuleSet = ruleset_from_content(
        content, hs_subheadings=hs_subheadings(), fx_rates=fx_rates, ecb_rates=ecb, version=label
    )
    return build_snapshot(ruleset)


def fx_revision() -> int:
    """The exchange rates' revision (a snapshot of other content is rebuilt when it moves)."""
    state = _read_or_none(lambda: FxState.objects.filter(pk=1).values_list("revision").first())
    return int(state[0]) if state else 0


def _database_rules(key: tuple[Any, ...]) -> PublishedRules:
    version_id, label, created_at, revision = key[0], key[1], key[2], key[3]
    content = RuleVersion.objects.values_list("content", flat=True).get(pk=version_id)
    return PublishedRules(
        label=label,
        created_at=created_at,
        content=content,
        snapshot=snapshot_for_content(content, label=label),
        fx_revision=int(revision),
        origin="database",
    )


def current_rules() -> PublishedRules:
    """The rules in force, rebuilt only when the (version, FX revision) key changes.

    The key is read at most every SNAPSHOT_CHECK_SECONDS, so a quote does not touch the
    database. Without tables or without a version, the shipped files in data/ are used.
    """
    rules = _cache.rules
    if rules is not None and time.monotonic() - _cache.checked_at < SNAPSHOT_CHECK_SECONDS:
        return rules
    with _cache.lock:
        key = _database_key()
        cache_key: tuple[Any, ...] = key if key is not None else ("files",)
        if _cache.rules is None or cache_key != _cache.key:
            _cache.rules = _database_rules(key) if key is not None else _shipped_rules()
            _cache.key = cache_key
        _cache.checked_at = time.monotonic()
        return _cache.rules


def current_snapshot() -> Snapshot:
    return current_rules().snapshot


def gift_destinations() -> frozenset[str]:
    """The destination countries whose customs territory has a regime for gifts between
    private persons (a ``gift`` condition): where a buyer may declare the parcel a gift."""
    snapshot = current_snapshot()
    territories = {
        code for code, regimes in snapshot.regimes.items() if any(regime.gift for regime in regimes)
    }
    return frozenset(
        country
        for country, territory in snapshot.country_territory.items()
        if territory.code in territories
    )


def quote_compute(
    request: Any, *, today: date | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """A landed-cost quote on the rules in force (landed-cost.md), or on the rules the request
    names in ``"rules": "<prefix>:<name>"`` (rules-forum.md: ``proposal:CODE``).

    Raises QuoteRejectedError (a DomainError, HTTP 422) with the engine's code, message and
    fields. ``today`` is the date used when the request gives none.
    """
    snapshot = current_snapshot()
    chosen = request.get("rules") if isinstance(request, dict) else None
    if isinstance(chosen, str) and chosen not in ("", "current"):
        snapshot = _resolved_snapshot(chosen)
    try:
        return engine_quote(request, snapshot, today=today, now=now)
    except QuoteRejected as rejected:
        raise QuoteRejectedError(rejected.code, rejected.message, fields=rejected.fields) from None


def _resolved_snapshot(chosen: str) -> Snapshot:
    prefix, _sep, name = chosen.partition(":")
    resolver = rules_resolver(prefix)
    if resolver is None or not name:
        raise QuoteRejectedError(
            "invalid_request",
            f'Unknown rules {chosen!r}: give "proposal:CODE" or leave it out.',
            fields={"rules": "unknown rule set"},
        )
    return resolver(name)


# National codes (landed-cost.md, Extensions item 6) ---------------------------------------------


def national_choices(
    response: dict[str, Any] | None, snapshot: Snapshot | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Per line id of a quote, the national codes its code is split into (the warning
    ``national_code_needed``), each ``{"code", "duty", "description"}``."""
    if not response:
        return {}
    index = (snapshot or current_snapshot()).tariffs.get(str(response.get("territory")))
    by_code = index.by_code if index is not None else {}
    return {
        str(warning.get("line")): [
            {**item, "description": by_code[item["code"]][0].description}
            if item.get("code") in by_code
            else item
            for item in warning.get("candidates") or []
        ]
        for warning in response.get("warnings", [])
        if warning.get("code") == "national_code_needed"
    }


@dataclass(frozen=True)
class NationalCodeChoice:
    """A customs territory whose tariff splits a code into national lines with different
    duties: the countries it covers and the national codes to pick from."""

    territory: str
    name: str
    countries: tuple[str, ...]
    candidates: tuple[dict[str, Any], ...]  # {"code", "duty", "description"}


_PROBE_PRICE = {"amount": "50", "currency": "USD"}


def national_code_options(hs_code: str, *, origin: str = "RW") -> list[NationalCodeChoice]:
    """Where ``hs_code`` needs a national code: per customs territory (other than the
    origin's), its candidates as the calculator shows them (``national_choices``), found by
    quoting one unit to the territory's first country. Empty when no destination needs one."""
    snapshot = current_snapshot()
    members: dict[str, list[str]] = {}
    for country, territory in snapshot.country_territory.items():
        members.setdefault(territory.code, []).append(country)
    found: list[NationalCodeChoice] = []
    for code, countries in sorted(members.items()):
        if origin in countries:
            continue
        request = {
            "origin": origin,
            "destination": sorted(countries)[0],
            "buyer": {"kind": "consumer"},
            "lines": [
                {"id": "a", "hs_code": hs_code, "quantity": 1, "unit_price": dict(_PROBE_PRICE)}
            ],
        }
        try:
            answer = engine_quote(request, snapshot)
        except QuoteRejected:
            continue
        candidates = national_choices(answer, snapshot).get("a")
        if candidates:
            territory = snapshot.territories[code]
            found.append(
                NationalCodeChoice(
                    code, territory.name, tuple(sorted(countries)), tuple(candidates)
                )
            )
    return found


def territory_of(country: str) -> str:
    """The customs territory (its code) a destination country belongs to; "" if none."""
    territory = current_snapshot().country_territory.get(country)
    return territory.code if territory is not None else ""


def stale_rates() -> list[dict[str, object]]:
    """The shop's currencies whose newest rate is older than EWTP_FX_MAX_AGE_DAYS: what the
    other apps (the operator's overview) may read of the rates' freshness."""
    from ewtp.traderules.selectors.published import stale_currencies

    return stale_currencies()
