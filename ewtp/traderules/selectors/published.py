"""The published rules for the browser and the API: territories, versions and rates."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db.models import QuerySet

from ewtp.traderules.models import ExchangeRate, RuleVersion
from ewtp.traderules.selectors.hs import _tokens, hs_index
from ewtp.traderules.selectors.snapshot import current_rules

# The published rules, for the browser and the API ---------------------------------------------


def _valid_on(row: Mapping[str, Any], day: date | None) -> bool:
    if day is None:
        return True
    start = row.get("valid_from") or ""
    end = row.get("valid_to") or ""
    text = day.isoformat()
    return (not start or start <= text) and (not end or text <= end)


def territory_list() -> list[dict[str, Any]]:
    """The territories of the rules in force, each with its members and regime ids."""
    rules = current_rules()
    regimes = dict(rules.regimes())
    return [
        {
            "territory": row["territory"],
            "name": row["name"],
            "customs_currency": row["customs_currency"],
            "valuation_basis": row["valuation_basis"],
            "members": row["members"].split(),
            "regimes": [item.get("id", "") for item in regimes.get(row["territory"], [])],
            "source": row["source"],
            "confidence": row["confidence"],
        }
        for row in rules.table("territories")
    ]


def territory_rules(code: str, *, day: date | None = None) -> dict[str, Any] | None:
    """Everything the rules in force say about one territory (None if there is no such)."""
    rules = current_rules()
    territory = next((t for t in rules.table("territories") if t["territory"] == code), None)
    if territory is None:
        return None
    members = territory["members"].split()

    def of(table: str, key: str, values: Sequence[str]) -> list[dict[str, str]]:
        # Copies: the page annotates rows, and the cached content must stay as published.
        return [
            dict(row)
            for row in rules.table(table)
            if row.get(key) in values and _valid_on(row, day)
        ]

    regimes = [item for item in dict(rules.regimes()).get(code, []) if _valid_on(item, day)]
    return {
        "territory": territory,
        "members": members,
        "regimes": regimes,
        "tariff_lines": of("tariff_lines", "territory", [code]),
        "preferences": of("preferences", "territory", [code]),
        "additional_duties": of("additional_duties", "territory", [code]),
        "taxes": of("taxes", "country", members),
        "fees": of("fees", "country", members),
        "documents": of("documents", "territory", [code]),
    }


def tariff_line_search(rows: Sequence[dict[str, str]], text: str) -> list[dict[str, str]]:
    """Tariff lines whose code starts with the digits of ``text`` or whose description (or
    its HS subheading's) has every word of it."""
    text = text.strip()
    if not text:
        return list(rows)
    digits = re.sub(r"[\s.]", "", text)
    if digits.isdigit():
        return [
            row for row in rows if row["code"].startswith(digits) or digits.startswith(row["code"])
        ]
    words = [stem for stem, _negated in _tokens(text)] or [text.casefold()]
    found = []
    index = hs_index()
    for row in rows:
        text_of_row = f"{row.get('description', '')}; {index.descriptions.get(row['code'][:6], '')}"
        haystack = " ".join(stem for stem, negated in _tokens(text_of_row) if not negated)
        if all(word in haystack for word in words):
            found.append(row)
    return found


def version_list() -> QuerySet[RuleVersion]:
    return RuleVersion.objects.select_related("created_by").order_by("-id")


def version_get(label: str) -> RuleVersion | None:
    return RuleVersion.objects.select_related("created_by").filter(label=label).first()


def exchange_rate_list(*, currency: str = "", origin: str = "") -> QuerySet[ExchangeRate]:
    rates = ExchangeRate.objects.select_related("entered_by").order_by("-date", "currency")
    if currency:
        rates = rates.filter(currency=currency.upper())
    if origin:
        rates = rates.filter(origin=origin)
    return rates


def latest_rates() -> list[ExchangeRate]:
    """The newest rate of each currency that is not published by the ECB (or by origin)."""
    latest: dict[str, ExchangeRate] = {}
    for rate in ExchangeRate.objects.exclude(origin=ExchangeRate.Origin.ECB).order_by("-date"):
        latest.setdefault(rate.currency, rate)
    return sorted(latest.values(), key=lambda rate: rate.currency)
