"""Exchange rates for one quote (contract step 2): ECB and table rates crossed through EUR.

A cross rate's reported date is its older leg's, staleness is judged on that leg, and its
source joins both legs' sources (ECB points carry S30). Reported rates have 6 significant
digits; amounts are converted with the full-precision rate.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .errors import FX_RATE_UNAVAILABLE, QuoteRejected
from .request import Request
from .snapshot import Snapshot

STALE_AFTER_DAYS = 7
_FX_MEMO_LIMIT = 50_000
_ONE = Decimal(1)


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
        "source": join_sources(*(leg[3] for leg in legs)),
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


class Fx:
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


def join_sources(*parts: str) -> str:
    seen: list[str] = []
    for part in parts:
        for item in part.split(";"):
            if item and item not in seen:
                seen.append(item)
    return ";".join(seen)


def reject_missing_rates(
    req: Request, snapshot: Snapshot, customs: str, display: str, day: int, day_text: str
) -> None:
    """Raise fx_rate_unavailable naming every request field whose currency has no rate."""

    def available(currency: str) -> bool:
        if currency == "EUR":
            return True
        series = snapshot.fx.get(currency)
        return series is not None and series.at(day) >= 0

    fields = [(f"lines.{line.position}.unit_price.currency", line.currency) for line in req.lines]
    for name, money in (("shipping", req.shipping), ("insurance", req.insurance)):
        if money is not None and money.amount:
            fields.append((f"{name}.currency", money.currency))
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
