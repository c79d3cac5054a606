"""Coverage of the rules in force (landed-cost.md, Extensions item 8): for every destination,
how many HS 2022 subheadings quote complete, need a national code, or are unknown, for a
one-unit consumer parcel from RW priced at 50 USD.

Pricing every subheading for every destination takes seconds, so the figures are cached per
rules version, exchange-rate revision and day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from django.core.cache import cache

from ewtp.core import clock, conf
from ewtp.traderules.engine import QuoteRejected, Snapshot
from ewtp.traderules.engine import quote as engine_quote
from ewtp.traderules.selectors.hs import hs_subheadings
from ewtp.traderules.selectors.snapshot import PublishedRules, current_rules

ORIGIN = "RW"
PRICE = {"amount": "50", "currency": "USD"}
_CACHE_SECONDS = 7 * 24 * 3600


def coverage_request(destination: str, code: str, day: date) -> dict[str, Any]:
    """The request coverage prices: one unit of ``code``, a consumer parcel from RW at 50 USD."""
    return {
        "origin": ORIGIN,
        "destination": destination,
        "date": day.isoformat(),
        "buyer": {"kind": "consumer"},
        "lines": [{"id": "a", "hs_code": code, "quantity": 1, "unit_price": dict(PRICE)}],
    }


def _outcome(snapshot: Snapshot, destination: str, code: str, day: date, now: datetime) -> str:
    try:
        answer = engine_quote(
            coverage_request(destination, code, day), snapshot, today=day, now=now
        )
    except QuoteRejected:
        return "unknown"
    if answer.get("complete"):
        return "complete"
    if any(warning.get("code") == "national_code_needed" for warning in answer.get("warnings", ())):
        return "national_code_needed"
    return "unknown"


def schedule_dates(schedules: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Territory -> the date of its tariff schedule (the newest when there are several)."""
    dates: dict[str, str] = {}
    for row in schedules:
        if row.get("kind") == "tariff" and row.get("territory"):
            territory = str(row["territory"])
            dates[territory] = max(dates.get(territory, ""), str(row.get("schedule_date", "")))
    return dates


def coverage_compute(
    snapshot: Snapshot,
    *,
    destinations: Sequence[str],
    subheadings: Iterable[str],
    day: date,
    dates: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The coverage rows of ``destinations`` (pure: no database, no cache)."""
    codes = sorted(subheadings)
    now = datetime.combine(day, time(12), tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    for destination in destinations:
        territory = snapshot.country_territory.get(destination)
        counts = {"complete": 0, "national_code_needed": 0, "unknown": 0}
        for code in codes:
            counts[_outcome(snapshot, destination, code, day, now)] += 1
        code_of_territory = territory.code if territory is not None else None
        rows.append(
            {
                "destination": destination,
                "territory": code_of_territory,
                "subheadings": len(codes),
                **counts,
                "schedule_date": dates.get(code_of_territory or "") or None,
            }
        )
    return rows


def curated_line_counts(rules: PublishedRules) -> dict[str, int]:
    """Territory -> how many curated tariff lines (not from a national schedule) it has."""
    counts: dict[str, int] = {}
    for row in rules.table("tariff_lines"):
        if not row.get("schedule"):
            counts[row["territory"]] = counts.get(row["territory"], 0) + 1
    return counts


def _cache_key(rules: PublishedRules, destination: str, day: date) -> str:
    return f"traderules:coverage:{rules.label}:{rules.fx_revision}:{day.isoformat()}:{destination}"


def coverage_destinations() -> list[str]:
    """The destinations the platform serves (EWTP_DESTINATIONS), in that order."""
    return [code.upper() for code in conf.DESTINATIONS()]


def coverage(destination: str | None = None, *, day: date | None = None) -> dict[str, Any]:
    """``{"destinations": [...]}`` as ``ewtp rules coverage`` prints it, cached per rules
    version, exchange-rate revision and day. ``destination`` limits it to one country."""
    rules = current_rules()
    day = day or clock.today()
    wanted = [destination.upper()] if destination else coverage_destinations()
    keys = {code: _cache_key(rules, code, day) for code in wanted}
    found = cache.get_many(list(keys.values()))
    missing = [code for code in wanted if keys[code] not in found]
    if missing:
        computed = coverage_compute(
            rules.snapshot,
            destinations=missing,
            subheadings=hs_subheadings(),
            day=day,
            dates=schedule_dates(rules.content.get("schedules", ())),
        )
        fresh = {keys[row["destination"]]: row for row in computed}
        cache.set_many(fresh, timeout=_CACHE_SECONDS)
        found.update(fresh)
    return {"destinations": [found[keys[code]] for code in wanted]}
