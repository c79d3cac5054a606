"""Replaying stored orders under two rule snapshots and summing what changed (no Django).

``Replay.add`` takes one order (its landed-cost request and the display totals stored at
checkout) and quotes it on the base and the proposal snapshots; ``Replay.summary`` gives the
contract's summary (rules-forum.md) and ``Replay.details`` the breakdowns: per authority,
destination, HS chapter, seller and month, regime crossings, preferences used, the amount due
at the door under DAP, and the behaviour band.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any, NamedTuple

from ewtp.traderules.engine import QuoteRejected, Snapshot, quote

PARTS = (("duty", "duty"), ("tax", "taxes"), ("fees", "fees"), ("total", "landed"))
ZERO = Decimal(0)
CHANGE_EDGES = (-50, -20, -10, -5, -2, 0, 2, 5, 10, 20, 50)
# Order values around a regime's value threshold: bins of 10% of the threshold, 50% to 150%.
THRESHOLD_BINS = 10
THRESHOLD_FROM = Decimal("0.5")
MEMO_LIMIT = 20_000  # requests priced and kept per replay (memory bounded)


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
    """One order to replay. Its request and stored totals arrive as JSON text, parsed only
    when needed: orders with the same request are priced once (``key``)."""

    order_id: str
    destination: str
    currency: str
    incoterm: str
    seller: str
    month: str  # YYYY-MM
    request_json: str  # the landed-cost request replayed
    day: str  # the date the order was quoted on (YYYY-MM-DD)
    stored_json: str  # the stored quote's totals.display

    @property
    def key(self) -> str:
        return self.day + self.request_json

    @property
    def stored_key(self) -> str:
        return self.stored_json

    @property
    def replayed_json(self) -> str:
        """The request replayed as JSON text: the stored text itself when it already names the
        quote's date and no rule set (as checkout stores it), else written anew."""
        text = self.request_json
        if '"rules"' not in text and (
            f'"date": "{self.day}"' in text or f'"date":"{self.day}"' in text
        ):
            return text
        return json.dumps(self.request)

    @cached_property
    def request(self) -> dict[str, Any]:
        request = json.loads(self.request_json)
        request.pop("rules", None)
        request["date"] = self.day
        return dict(request)

    @cached_property
    def stored(self) -> Mapping[str, Any]:
        return json.loads(self.stored_json) if self.stored_json else {}


def change_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A changed order as the summary's ``orders_changed`` lists it (its request parsed)."""
    return {
        "order_id": item["order_id"],
        "destination": item["destination"],
        "currency": item["currency"],
        "request": json.loads(item["request_json"]),
        "before": item["before"],
        "after": item["after"],
    }


class Priced(NamedTuple):
    """A request quoted on both snapshots, read into what the tallies add up."""

    before: dict[str, Any]
    b: dict[str, str]  # the display totals before
    a: dict[str, str]  # and after
    same: bool
    parts: tuple[tuple[Decimal, Decimal], ...]  # (before, after) of each of PARTS
    chapters: tuple[str, ...]
    authority: tuple[tuple[tuple[str, str, str], Decimal, Decimal], ...]
    crossing: tuple[str, str]  # regime before, after
    used_before: set[str]
    used_after: set[str]
    door: tuple[Decimal, Decimal]  # payable on delivery before, after
    near: tuple[tuple[tuple[str, ...], int], ...]  # (threshold key, bin)


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
    # Requests already priced (by their text and day), and fidelity already checked.
    _memo: dict[str, Priced | str] = field(default_factory=dict, repr=False)
    _fidelity: dict[tuple[str, str], bool] = field(default_factory=dict, repr=False)

    def add(self, order: OrderIn) -> None:
        """Replay one order. Orders with the same request (the same goods, terms and day)
        are priced once: the engine is a pure function of the request and the snapshot."""
        key = order.key
        priced = self._memo.get(key)
        if priced is None:
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            priced = self._memo[key] = self._price(order)
        if isinstance(priced, str):
            self.rejected.append({"order_id": order.order_id, "code": priced})
            return
        self.orders += 1
        fidelity = (key, order.stored_key)
        same = self._fidelity.get(fidelity)
        if same is None:
            if len(self._fidelity) >= MEMO_LIMIT:
                self._fidelity.clear()
            same = self._fidelity[fidelity] = _same(priced.b, _stored(order.stored))
        if same:
            self.reproduced += 1
        else:
            stored = _stored(order.stored)
            self.drifted.append(_drift(order, stored, priced.b, priced.before))
        self._sum(order, priced)
        if not priced.same:
            self.changed.append(
                {
                    "order_id": order.order_id,
                    "destination": order.destination,
                    "currency": order.currency,
                    "request_json": order.replayed_json,
                    "before": priced.b,
                    "after": priced.a,
                }
            )
            self._behaviour(order, priced.b, priced.a)

    def _price(self, order: OrderIn) -> Priced | str:
        """The order's request quoted on both snapshots and read once into what the tallies
        add up; a rejected request gives its error code."""
        request = order.request
        day = date.fromisoformat(str(request.get("date")))
        try:
            before = quote(request, self.base, today=day, quote_id="replay")
            after = (
                before
                if self.touched is not None and order.destination not in self.touched
                else quote(request, self.proposal, today=day, quote_id="replay")
            )
        except QuoteRejected as rejected:
            return rejected.code
        b, a = _display(before), _display(after)
        customs, territory = before["customs_currency"], before["territory"]
        used_before = _programmes(before)
        return Priced(
            before=before,
            b=b,
            a=a,
            same=_same(b, a),
            parts=tuple((Decimal(b[name]), Decimal(a[name])) for name, _key in PARTS),
            chapters=tuple(
                sorted({str(line.get("hs_code", ""))[:2] for line in request.get("lines", ())})
            ),
            authority=tuple(
                (
                    (who, name, customs),
                    Decimal(before["totals"]["customs"][key] or "0"),
                    Decimal(after["totals"]["customs"][key] or "0"),
                )
                for name, key, who in (
                    ("duty", "duty", territory),
                    ("tax", "taxes", order.destination),
                    ("fees", "fees", order.destination),
                )
            ),
            crossing=(before["regime"]["id"], after["regime"]["id"]),
            used_before=used_before,
            used_after=used_before if after is before else _programmes(after),
            door=(_money(before, "payable_on_delivery"), _money(after, "payable_on_delivery")),
            near=self._near_thresholds(before, day.toordinal()),
        )

    def _sum(self, order: OrderIn, priced: Priced) -> None:
        currency = order.currency
        cur = self.by_currency.get(currency)
        if cur is None:
            cur = self.by_currency[currency] = {name: [ZERO, ZERO] for name, _k in PARTS}
        for (name, _key), (before, after) in zip(PARTS, priced.parts, strict=True):
            pair = cur[name]
            pair[0] += before
            pair[1] += after
        total_before, total_after = priced.parts[-1]
        groups = self.groups
        for group, value in (
            ("destination", order.destination),
            ("seller", order.seller),
            ("month", order.month),
            *(("hs_chapter", chapter) for chapter in priced.chapters),
        ):
            cells = groups.get(group)
            if cells is None:
                cells = groups[group] = {}
            cell = cells.get((value, currency))
            if cell is None:
                cell = cells[(value, currency)] = [ZERO, ZERO, ZERO]
            cell[0] += total_before
            cell[1] += total_after
            cell[2] += 1
        for key, before, after in priced.authority:
            cell = self.authority.setdefault(key, [ZERO, ZERO])
            cell[0] += before
            cell[1] += after
        regime_b, regime_a = priced.crossing
        if regime_b != regime_a:
            self.crossings[priced.crossing] = self.crossings.get(priced.crossing, 0) + 1
        for programme in priced.used_before | priced.used_after:
            counts = self.preferences.setdefault(programme, [0, 0])
            counts[0] += programme in priced.used_before
            counts[1] += programme in priced.used_after
        if order.incoterm == "DAP":
            door = self.at_door.setdefault(currency, [ZERO, ZERO])
            door[0] += priced.door[0]
            door[1] += priced.door[1]
        for limit, index in priced.near:
            bins = self.near_thresholds.get(limit)
            if bins is None:
                bins = self.near_thresholds[limit] = [0] * THRESHOLD_BINS
            bins[index] += 1

    def _near_thresholds(self, before: Any, day: int) -> tuple[tuple[tuple[str, ...], int], ...]:
        """The bin of the order's value around each threshold of its territory (thresholds in
        the customs currency; the value is the same under both rule sets)."""
        territory = before["territory"]
        limits = self._limits.get((territory, day))
        if limits is None:
            limits = self._limits[(territory, day)] = thresholds_of(
                self.base, self.proposal, territory, day
            )
        if not limits:
            return ()
        customs = before["customs_currency"]
        goods = Decimal(before["totals"]["customs"]["goods"] or "0")
        found = []
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
                found.append((limit.key(), index))
        return tuple(found)

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
        return dataclasses.replace(
            self,
            base=None,  # type: ignore[arg-type]
            proposal=None,  # type: ignore[arg-type]
            _limits={},
            _memo={},
            _fidelity={},
        )

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
            "orders_changed": [change_item(item) for item in self.changed],
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
