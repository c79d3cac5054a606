"""Replaying stored orders under two rule snapshots and summing what changed (no Django).

``Replay.add`` takes one order (its landed-cost request and the display totals stored at
checkout) and quotes it on the base and the proposal snapshots; ``Replay.summary`` gives the
contract's summary (rules-forum.md) and ``Replay.details`` the breakdowns: per authority,
destination, HS chapter, seller and month, regime crossings, preferences used, the amount due
at the door under DAP, and the behaviour band.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ewtp.traderules.engine import QuoteRejected, Snapshot, quote

PARTS = (("duty", "duty"), ("tax", "taxes"), ("fees", "fees"), ("total", "landed"))
ZERO = Decimal(0)
CHANGE_EDGES = (-50, -20, -10, -5, -2, 0, 2, 5, 10, 20, 50)
# Order values around a regime's value threshold: bins of 10% of the threshold, 50% to 150%.
THRESHOLD_BINS = 10
THRESHOLD_FROM = Decimal("0.5")


@dataclass(frozen=True)
class Threshold:
    """A low-value regime's value threshold, as one of the two rule sets has it."""

    territory: str
    regime: str
    amount: Decimal
    currency: str
    on: str  # "goods" or "customs"
    rules: str  # "base", "proposal" or "both"

    def key(self) -> tuple[str, str, str, str, str, str]:
        return (self.territory, self.regime, str(self.amount), self.currency, self.on, self.rules)


def thresholds_of(base: Snapshot, proposal: Snapshot, territory: str, day: int) -> list[Threshold]:
    """The value thresholds of the territory's regimes in force on the day (an ordinal), under
    either rule set, each amount once with the regimes that use it. Per-item thresholds
    (unit prices, not the order's value) and gift regimes (an order is a sale) are left out."""
    found: dict[tuple[Decimal, str, str], tuple[set[str], set[str]]] = {}
    for name, snapshot in (("base", base), ("proposal", proposal)):
        for regime in snapshot.regimes.get(territory, ()):
            if (
                regime.threshold is not None
                and regime.threshold_on in ("goods", "customs")
                and regime.gift is not True
                and regime.start <= day <= regime.end
            ):
                key = (regime.threshold, regime.threshold_currency, regime.threshold_on)
                ids, sets = found.setdefault(key, (set(), set()))
                ids.add(regime.id)
                sets.add(name)
    return [
        Threshold(
            territory,
            ", ".join(sorted(ids)),
            amount,
            currency,
            on,
            "both" if len(sets) == 2 else next(iter(sets)),
        )
        for (amount, currency, on), (ids, sets) in sorted(found.items())
    ]


@dataclass(frozen=True)
class OrderIn:
    order_id: str
    destination: str
    currency: str
    incoterm: str
    seller: str
    month: str  # YYYY-MM
    request: dict[str, Any]
    stored: Mapping[str, Any]  # the stored quote's totals.display


@dataclass(frozen=True)
class Elasticity:
    """Demand elasticity to the landed price per HS6: central, and a low/high band."""

    by_hs6: Mapping[str, Decimal]
    preset: Decimal = Decimal(-2)  # the online-price preset of the e-commerce literature

    def band(self, hs6: str) -> tuple[Decimal, Decimal, Decimal]:
        measured = self.by_hs6.get(hs6)
        if measured is None:
            return self.preset, self.preset, self.preset
        low, high = sorted((measured, self.preset), key=abs)
        return low, (low + high) / 2, high


def _display(q: Mapping[str, Any]) -> dict[str, str]:
    totals = q["totals"]["display"]
    return {name: str(totals.get(key) or "0") for name, key in PARTS}


def _stored(stored: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(stored.get(key) or "0") for name, key in PARTS}


def _same(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    return all(Decimal(a[name]) == Decimal(b[name]) for name, _key in PARTS)


def _programmes(q: Mapping[str, Any]) -> set[str]:
    return {
        str(line["duty"]["programme"])
        for line in q.get("lines", ())
        if isinstance(line.get("duty"), dict) and line["duty"].get("programme")
    }


def _money(q: Mapping[str, Any], key: str) -> Decimal:
    value = q.get(key) or {}
    return Decimal(str(value.get("amount") or "0"))


@dataclass
class Replay:
    base: Snapshot
    proposal: Snapshot
    elasticity: Elasticity
    orders: int = 0
    reproduced: int = 0
    drifted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    by_currency: dict[str, dict[str, list[Decimal]]] = field(default_factory=dict)
    groups: dict[str, dict[tuple[str, str], list[Decimal]]] = field(default_factory=dict)
    authority: dict[tuple[str, str, str], list[Decimal]] = field(default_factory=dict)
    crossings: dict[tuple[str, str], int] = field(default_factory=dict)
    # Destinations whose rules the proposal touches; elsewhere "after" is "before" (exact: a
    # quote reads only its destination's country and territory rows). None: all.
    touched: frozenset[str] | None = None
    changed_count: int = 0  # changed orders already handed over (and dropped from ``changed``)
    preferences: dict[str, list[int]] = field(default_factory=dict)
    at_door: dict[str, list[Decimal]] = field(default_factory=dict)
    behaviour: dict[tuple[str, str, str, str], list[Decimal]] = field(default_factory=dict)
    # Changed orders by change of landed price, in the bins of CHANGE_EDGES (percent).
    change_bins: list[int] = field(default_factory=lambda: [0] * (len(CHANGE_EDGES) + 1))
    # Orders by value around each threshold, THRESHOLD_BINS bins from 50% to 150% of it.
    near_thresholds: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    _limits: dict[tuple[str, int], list[Threshold]] = field(default_factory=dict, repr=False)

    def add(self, order: OrderIn) -> None:
        day = date.fromisoformat(str(order.request.get("date")))
        try:
            before = quote(order.request, self.base, today=day, quote_id="replay")
            after = (
                before
                if self.touched is not None and order.destination not in self.touched
                else quote(order.request, self.proposal, today=day, quote_id="replay")
            )
        except QuoteRejected as rejected:
            self.rejected.append({"order_id": order.order_id, "code": rejected.code})
            return
        self.orders += 1
        b, a = _display(before), _display(after)
        stored = _stored(order.stored)
        if _same(b, stored):
            self.reproduced += 1
        else:
            self.drifted.append(_drift(order, stored, b, before))
        self._sum(order, before, after, b, a)
        self._near_thresholds(before, day.toordinal())
        if not _same(b, a):
            self.changed.append(
                {
                    "order_id": order.order_id,
                    "destination": order.destination,
                    "currency": order.currency,
                    "request": order.request,
                    "before": b,
                    "after": a,
                }
            )
            self._behaviour(order, b, a)

    def _sum(
        self, order: OrderIn, before: Any, after: Any, b: dict[str, str], a: dict[str, str]
    ) -> None:
        cur = self.by_currency.setdefault(
            order.currency, {name: [ZERO, ZERO] for name, _k in PARTS}
        )
        for name, _key in PARTS:
            cur[name][0] += Decimal(b[name])
            cur[name][1] += Decimal(a[name])
        chapters = {str(line.get("hs_code", ""))[:2] for line in order.request.get("lines", ())}
        for group, value in (
            ("destination", order.destination),
            ("seller", order.seller),
            ("month", order.month),
            *(("hs_chapter", chapter) for chapter in sorted(chapters)),
        ):
            cells = self.groups.setdefault(group, {})
            cell = cells.setdefault((value, order.currency), [ZERO, ZERO, ZERO])
            cell[0] += Decimal(b["total"])
            cell[1] += Decimal(a["total"])
            cell[2] += 1
        customs = before["customs_currency"]
        territory = before["territory"]
        for name, key, who in (
            ("duty", "duty", territory),
            ("tax", "taxes", order.destination),
            ("fees", "fees", order.destination),
        ):
            cell = self.authority.setdefault((who, name, customs), [ZERO, ZERO])
            cell[0] += Decimal(before["totals"]["customs"][key] or "0")
            cell[1] += Decimal(after["totals"]["customs"][key] or "0")
        regime_b, regime_a = before["regime"]["id"], after["regime"]["id"]
        if regime_b != regime_a:
            self.crossings[(regime_b, regime_a)] = self.crossings.get((regime_b, regime_a), 0) + 1
        used_before = _programmes(before)
        used_after = used_before if after is before else _programmes(after)
        for programme in used_before | used_after:
            counts = self.preferences.setdefault(programme, [0, 0])
            counts[0] += programme in used_before
            counts[1] += programme in used_after
        if order.incoterm == "DAP":
            door = self.at_door.setdefault(order.currency, [ZERO, ZERO])
            door[0] += _money(before, "payable_on_delivery")
            door[1] += _money(after, "payable_on_delivery")

    def _near_thresholds(self, before: Any, day: int) -> None:
        """Count the order in the bin of its value around each threshold of its territory
        (thresholds in the customs currency; the value is the same under both rule sets)."""
        territory = before["territory"]
        limits = self._limits.get((territory, day))
        if limits is None:
            limits = self._limits[(territory, day)] = thresholds_of(
                self.base, self.proposal, territory, day
            )
        if not limits:
            return
        customs = before["customs_currency"]
        goods = Decimal(before["totals"]["customs"]["goods"] or "0")
        for limit in limits:
            if limit.currency != customs or not limit.amount:
                continue
            value = goods
            if limit.on == "customs":
                value = sum(
                    (Decimal(line.get("customs_value") or "0") for line in before["lines"]), ZERO
                )
            index = int((value / limit.amount - THRESHOLD_FROM) * THRESHOLD_BINS)
            if 0 <= index < THRESHOLD_BINS:
                cell = self.near_thresholds.setdefault(limit.key(), [0] * THRESHOLD_BINS)
                cell[index] += 1

    def _behaviour(self, order: OrderIn, b: dict[str, str], a: dict[str, str]) -> None:
        price_before = Decimal(b["total"])
        if not price_before:
            return
        change = (Decimal(a["total"]) - price_before) / price_before
        percent = change * 100
        self.change_bins[sum(1 for edge in CHANGE_EDGES if percent >= edge)] += 1
        for line in order.request.get("lines", ()):
            hs6 = "".join(ch for ch in str(line.get("hs_code", "")) if ch.isdigit())[:6]
            unit = Decimal(str(line.get("unit_price", {}).get("amount", "0")))
            value = unit * int(line.get("quantity", 1))
            low, central, high = self.elasticity.band(hs6)
            key = (
                order.destination,
                hs6,
                order.seller,
                str(line.get("unit_price", {}).get("currency", "")),
            )
            cell = self.behaviour.setdefault(key, [ZERO, ZERO, ZERO, ZERO])
            cell[0] += value
            cell[1] += value * low * change
            cell[2] += value * central * change
            cell[3] += value * high * change

    def partial(self) -> Replay:
        """This replay's tallies without its snapshots (sent back by a worker process)."""
        return dataclasses.replace(self, base=None, proposal=None, _limits={})  # type: ignore[arg-type]

    def merge(self, other: Replay) -> None:
        """Add another replay's tallies (of other orders) to this one's."""
        self.orders += other.orders
        self.reproduced += other.reproduced
        self.drifted += other.drifted
        self.rejected += other.rejected
        self.changed += other.changed
        self.change_bins = [a + b for a, b in zip(self.change_bins, other.change_bins, strict=True)]
        for currency, parts in other.by_currency.items():
            mine = self.by_currency.setdefault(currency, {name: [ZERO, ZERO] for name, _k in PARTS})
            for name, pair in parts.items():
                mine[name] = [mine[name][0] + pair[0], mine[name][1] + pair[1]]
        for group, cells in other.groups.items():
            _add_cells(self.groups.setdefault(group, {}), cells)
        _add_cells(self.authority, other.authority)
        _add_cells(self.at_door, other.at_door)
        _add_cells(self.behaviour, other.behaviour)
        _add_cells(self.near_thresholds, other.near_thresholds)
        for key, count in other.crossings.items():
            self.crossings[key] = self.crossings.get(key, 0) + count
        for programme, counts in other.preferences.items():
            mine_counts = self.preferences.setdefault(programme, [0, 0])
            mine_counts[0] += counts[0]
            mine_counts[1] += counts[1]

    def summary(self, code: str) -> dict[str, Any]:
        return {
            "proposal": code,
            "orders": self.orders,
            "changed": self.changed_count + len(self.changed),
            "fidelity": {"reproduced": self.reproduced, "drifted": len(self.drifted)},
            "by_currency": [
                {
                    "currency": currency,
                    **{
                        name: {"before": str(v[0]), "after": str(v[1])} for name, v in parts.items()
                    },
                }
                for currency, parts in sorted(self.by_currency.items())
            ],
            "orders_changed": self.changed,
        }

    def details(self, seller_names: Callable[[str], str] = str) -> dict[str, Any]:
        def groups(name: str) -> list[dict[str, Any]]:
            cells = self.groups.get(name, {})
            return [
                {
                    "key": key,
                    "label": seller_names(key) if name == "seller" else key,
                    "currency": currency,
                    "orders": int(v[2]),
                    "before": str(v[0]),
                    "after": str(v[1]),
                    "change": str(v[1] - v[0]),
                }
                for (key, currency), v in sorted(cells.items())
            ]

        return {
            "drifted": self.drifted,
            "rejected": self.rejected,
            "by_destination": groups("destination"),
            "by_hs_chapter": groups("hs_chapter"),
            "by_seller": groups("seller"),
            "by_month": groups("month"),
            "by_authority": [
                {
                    "authority": who,
                    "part": part,
                    "currency": currency,
                    "before": str(v[0]),
                    "after": str(v[1]),
                }
                for (who, part, currency), v in sorted(self.authority.items())
            ],
            "regime_crossings": [
                {"from": b, "to": a, "orders": n} for (b, a), n in sorted(self.crossings.items())
            ],
            "preferences": [
                {"programme": p, "orders_before": v[0], "orders_after": v[1]}
                for p, v in sorted(self.preferences.items())
            ],
            "dap_due_at_door": [
                {"currency": c, "before": str(v[0]), "after": str(v[1])}
                for c, v in sorted(self.at_door.items())
            ],
            "behaviour": [
                {
                    "destination": d,
                    "hs6": h,
                    "seller": seller_names(s),
                    "currency": c,
                    "value": str(v[0].quantize(Decimal("0.01"))),
                    "demand_change": {
                        "low": str(v[1].quantize(Decimal("0.01"))),
                        "central": str(v[2].quantize(Decimal("0.01"))),
                        "high": str(v[3].quantize(Decimal("0.01"))),
                    },
                }
                for (d, h, s, c), v in sorted(self.behaviour.items())
            ],
            "landed_change_bins": {"edges": list(CHANGE_EDGES), "orders": self.change_bins},
            "near_thresholds": [
                {
                    "territory": t,
                    "regime": r,
                    "threshold": amount,
                    "currency": c,
                    "on": on,
                    "rules": rules,
                    "orders": counts,
                }
                for (t, r, amount, c, on, rules), counts in sorted(self.near_thresholds.items())
            ],
        }


def _add_cells(mine: dict[Any, list[Any]], other: Mapping[Any, list[Any]]) -> None:
    for key, values in other.items():
        cell = mine.get(key)
        mine[key] = (
            list(values) if cell is None else [a + b for a, b in zip(cell, values, strict=True)]
        )


def _drift(
    order: OrderIn, stored: dict[str, str], replayed: dict[str, str], before: Any
) -> dict[str, Any]:
    parts = [name for name, _key in PARTS if Decimal(stored[name]) != Decimal(replayed[name])]
    reason = (
        f"rules {before['rules_version']} differ from those the order was quoted on "
        f"({', '.join(parts)} moved)"
    )
    return {"order_id": order.order_id, "stored": stored, "replayed": replayed, "reason": reason}
