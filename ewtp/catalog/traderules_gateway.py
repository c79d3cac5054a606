"""The marketplace's one door to the trade rules: quotes, the rules version, HS look-ups.

Only these four selectors of ``ewtp.traderules`` are used; they are imported on first call so
that the marketplace does not load the rule snapshot at import time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any


def _snapshot() -> Any:
    from ewtp.traderules.selectors import snapshot

    return snapshot


def _hs() -> Any:
    from ewtp.traderules.selectors import hs

    return hs


def quote_compute(request: dict[str, Any], *, today: date | None = None) -> dict[str, Any]:
    """The landed-cost response of the contract; raises a DomainError on a rejected request."""
    result: dict[str, Any] = _snapshot().quote_compute(request, today=today)
    return result


def gift_destinations() -> frozenset[str]:
    """Countries where a regime for gifts between private persons applies (checkout offers
    the gift option there)."""
    found: frozenset[str] = _snapshot().gift_destinations()
    return found


def rules_version() -> str:
    return str(_snapshot().current_snapshot().version)


def fx_date(currencies: tuple[str, ...], day: date, destination: str = "") -> str:
    """The date of the newest rate in force on ``day`` for each currency a quote converts
    (the given ones and the destination's customs currency), as one key part.

    A rate entered for a new day changes it, so cached prices follow new rates.
    """
    snapshot = _snapshot().current_snapshot()
    series = getattr(snapshot, "fx", None)
    if not isinstance(series, dict):
        return day.isoformat()
    wanted = set(currencies)
    territory = getattr(snapshot, "country_territory", {}).get(destination)
    if territory is not None:
        wanted.add(str(territory.currency))
    ordinal = day.toordinal()
    parts = []
    for currency in sorted(wanted):
        points = series.get(currency)
        if points is None:
            continue
        index = points.at(ordinal)
        parts.append(f"{currency}{points.dates[index] if index >= 0 else '-'}")
    return ".".join(parts) or day.isoformat()


@dataclass(frozen=True)
class NationalCodeChoice:
    """A customs territory splitting an HS code into national lines with different duties."""

    territory: str
    name: str
    countries: tuple[str, ...]
    candidates: tuple[dict[str, Any], ...]  # {"code", "duty", "description"}

    def codes(self) -> frozenset[str]:
        return frozenset(str(item["code"]) for item in self.candidates)


def national_code_options(hs_code: str, *, origin: str = "RW") -> list[NationalCodeChoice]:
    """The territories where ``hs_code`` needs a national code, with the candidates the
    calculator offers (their descriptions and duties); empty where none is needed."""
    if not re.fullmatch(r"\d{6,10}", hs_code or ""):
        return []
    return [
        NationalCodeChoice(item.territory, item.name, item.countries, item.candidates)
        for item in _snapshot().national_code_options(hs_code, origin=origin)
    ]


def territory_of(country: str) -> str:
    """The customs territory a destination country belongs to (its code), "" if none."""
    return str(_snapshot().territory_of(country))


def hs_subheading_exists(code: str) -> bool:
    return bool(_hs().hs_subheading_exists(code))


@dataclass(frozen=True)
class HsSuggestion:
    code: str  # 6 digits
    description: str

    @property
    def dotted(self) -> str:
        return f"{self.code[:4]}.{self.code[4:6]}"


def _as_suggestion(item: Any) -> HsSuggestion | None:
    if isinstance(item, str):
        code, description = item, ""
    elif isinstance(item, dict):
        code = str(item.get("code") or item.get("hs_code") or item.get("hscode") or "")
        description = str(item.get("description") or item.get("title") or "")
    elif isinstance(item, tuple | list) and item:
        code, description = str(item[0]), str(item[1]) if len(item) > 1 else ""
    else:
        code = str(getattr(item, "code", "") or getattr(item, "hs_code", ""))
        description = str(getattr(item, "description", ""))
    digits = re.sub(r"\D", "", code)
    return HsSuggestion(digits[:6], description) if len(digits) >= 6 else None


def hs_suggest(description: str, limit: int = 5) -> list[HsSuggestion]:
    """Best matching HS subheadings for a product description."""
    if not description.strip():
        return []
    found = _hs().hs_suggest(description, limit=limit)
    suggestions = [_as_suggestion(item) for item in found or []]
    return [item for item in suggestions if item is not None][:limit]


def regime_explanation(regime: Any) -> str:
    """The quote's low-value regime explained to a buyer, in the page's language."""
    from ewtp.traderules.buyer_words import regime_explanation as explain

    return explain(regime)


def note_words(note: Any) -> str:
    """A note of the quote (``{"code", "message"}``) in the page's language."""
    from ewtp.traderules.buyer_words import note_words as words

    return words(note)
