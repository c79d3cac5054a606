"""Contract step 4: the low-value regime, the first in force whose every condition holds.

Each condition is one function ``(regime, facts, held) -> failure or None`` that appends
what held to ``held``, so the response can say why a regime applies or why none did. What
held is only shown for the regime that applies: amounts are put into words (a ``Held``
callable) only then.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any, NamedTuple

from .exchange import Fx
from .request import Request
from .snapshot import STANDARD_REGIME, Regime

_ZERO = Decimal(0)
_MEMO_LIMIT = 10_000
_round = Context(prec=28, rounding=ROUND_HALF_UP).quantize


class Facts(NamedTuple):
    """What the conditions compare: the request and its values in the customs currency."""

    req: Request
    fx: Fx
    customs: str
    q: Decimal  # the customs currency's minor unit
    goods: Decimal  # V
    customs_total: Decimal  # sum of c_i


# What held: a sentence, or a callable that writes it (amounts are formatted only for the
# regime that applies).
Held = str | Callable[[], str]


def dotted(hs: str) -> str:
    return f"{hs[:4]}.{hs[4:6]}" + (f".{hs[6:]}" if len(hs) > 6 else "")


def choose_regime(
    regimes: tuple[Regime, ...],
    facts: Facts,
    day: int,
    day_text: str,
    territory: str,
    memo: dict[tuple[str, int], Any] | None = None,
) -> tuple[Regime, str]:
    """The first regime in force whose every condition holds, with a sentence saying why.

    ``memo`` (the snapshot's) keeps, per territory and day, which regimes are in force and
    the sentence for those that are not.
    """
    if not regimes:
        return STANDARD_REGIME, f"{territory} has no low-value regime in the rules"
    reasons: list[str] = []
    for regime, not_in_force in _in_force(regimes, day, day_text, territory, memo):
        if not_in_force is not None:
            reasons.append(not_in_force)
            continue
        held: list[Held] = []
        failed = check_conditions(regime, facts, held)
        if failed is None:
            if not held:
                return regime, "no conditions"
            return regime, "; ".join([item if isinstance(item, str) else item() for item in held])
        reasons.append(f"{regime.id}: {failed}")
    return STANDARD_REGIME, "no low-value regime applies: " + "; ".join(reasons)


def _in_force(
    regimes: tuple[Regime, ...],
    day: int,
    day_text: str,
    territory: str,
    memo: dict[tuple[str, int], Any] | None,
) -> tuple[tuple[Regime, str | None], ...]:
    key = (territory, day)
    found: tuple[tuple[Regime, str | None], ...] | None = (
        memo.get(key) if memo is not None else None
    )
    if found is None:
        found = tuple(
            (
                regime,
                None
                if regime.start <= day <= regime.end
                else f"{regime.id} is not in force on {day_text} ({regime.valid_text})",
            )
            for regime in regimes
        )
        if memo is not None:
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[key] = found
    return found


def check_conditions(regime: Regime, facts: Facts, held: list[Held]) -> str | None:
    """Append what held to ``held``; return the first condition that failed, or None.

    Only the conditions the regime has are called (this runs for every quote).
    """
    failed = None
    if regime.buyer_kind is not None:
        failed = _buyer(regime, facts, held)
    if failed is None and (regime.gift is not None or regime.seller_ioss is not None):
        failed = _gift(regime, facts, held) or _seller_ioss(regime, facts, held)
    if failed is None and regime.threshold is not None:
        failed = _threshold(regime, facts, held)
    if failed is None and regime.cap is not None:
        failed = _cap(regime, facts, held)
    if failed is None and (
        regime.positive_list is not None or regime.excluded_prefixes or regime.excluded_origins
    ):
        failed = _goods(regime, facts, held)
    return failed


def _buyer(regime: Regime, facts: Facts, held: list[Held]) -> str | None:
    if regime.buyer_kind is None:
        return None
    kind = facts.req.buyer_kind
    if kind != regime.buyer_kind:
        return f"buyer is a {kind}, not a {regime.buyer_kind}"
    held.append(f"buyer is a {kind}")
    return None


def _gift(regime: Regime, facts: Facts, held: list[Held]) -> str | None:
    if regime.gift is None:
        return None
    if facts.req.gift != regime.gift:
        return "the consignment is a gift" if facts.req.gift else "the consignment is not a gift"
    held.append("a gift between private persons" if regime.gift else "not a gift")
    return None


def _seller_ioss(regime: Regime, facts: Facts, held: list[Held]) -> str | None:
    if regime.seller_ioss is None:
        return None
    if facts.req.seller_ioss != regime.seller_ioss:
        return (
            "the seller is registered for IOSS"
            if facts.req.seller_ioss
            else "the seller is not registered for IOSS"
        )
    held.append(
        "the seller is registered for IOSS"
        if regime.seller_ioss
        else "the seller is not registered for IOSS"
    )
    return None


def _limit(facts: Facts, amount: Decimal, currency: str, text: str) -> tuple[Decimal, str]:
    """A rule amount in the customs currency, with its text (and the converted amount)."""
    if currency == facts.customs:
        return amount, text
    limit = amount * facts.fx.rate(currency, facts.customs)
    return limit, f"{text} ({_round(limit, facts.q)} {facts.customs})"


def _threshold(regime: Regime, facts: Facts, held: list[Held]) -> str | None:
    if regime.threshold is None:
        return None
    limit, limit_text = _limit(
        facts, regime.threshold, regime.threshold_currency, regime.threshold_text
    )
    customs, q = facts.customs, facts.q
    if regime.threshold_on == "item":
        return _item_threshold(facts, limit, limit_text, held)
    if regime.threshold_on == "customs":
        label, value = "customs value", facts.customs_total
    else:
        label, value = "goods value", facts.goods
    if value > limit:
        return f"{label} {_round(value, q)} {customs} > {limit_text}"
    held.append(lambda: f"{label} {_round(value, q)} {customs} <= {limit_text}")
    return None


def _item_threshold(facts: Facts, limit: Decimal, limit_text: str, held: list[Held]) -> str | None:
    """Every line's unit price, converted into the customs currency, is at most the limit."""
    customs, q = facts.customs, facts.q
    for line in facts.req.lines:
        price = line.price
        if line.currency != customs:
            price = price * facts.fx.rate(line.currency, customs)
        if price > limit:
            return f"line {line.id}: unit price {_round(price, q)} {customs} > {limit_text}"
    held.append(f"every unit price <= {limit_text}")
    return None


def _cap(regime: Regime, facts: Facts, held: list[Held]) -> str | None:
    if regime.cap is None:
        return None
    customs, q, req = facts.customs, facts.q, facts.req
    used = _ZERO
    if req.cbec_used is not None and req.cbec_used.amount:
        used = req.cbec_used.amount
        if req.cbec_used.currency != customs:
            used = used * facts.fx.rate(
                req.cbec_used.currency, customs, "buyer.cbec_used_this_year.currency"
            )
    cap, cap_text = _limit(facts, regime.cap, regime.cap_currency, regime.cap_text)
    total = used + facts.goods

    def shown() -> str:
        return (
            f"used this year {_round(used, q)} {customs} + goods value "
            f"{_round(facts.goods, q)} {customs} = {_round(total, q)} {customs}"
        )

    if total > cap:
        return f"{shown()} > annual cap {cap_text}"
    held.append(lambda: f"{shown()} <= annual cap {cap_text}")
    return None


def _goods(regime: Regime, facts: Facts, held: list[Held]) -> str | None:
    """The positive list, excluded prefixes and excluded origins."""
    lines = facts.req.lines
    if regime.positive_list is not None:
        for line in lines:
            if not line.hs.startswith(regime.positive_list):
                return f"line {line.id} ({dotted(line.hs)}) is not on the positive list"
        held.append("every line is on the positive list")
    if regime.excluded_prefixes:
        for line in lines:
            if line.hs.startswith(regime.excluded_prefixes):
                return f"line {line.id} ({dotted(line.hs)}) is excluded goods"
        held.append("no excluded goods")
    if regime.excluded_origins:
        for line in lines:
            if line.origin in regime.excluded_origins:
                return f"line {line.id} is of excluded origin {line.origin}"
        held.append(f"no line of origin {', '.join(sorted(regime.excluded_origins))}")
    return None
