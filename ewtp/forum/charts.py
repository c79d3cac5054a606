"""Server-rendered SVG charts of a simulation (pygal), each with the data table it draws."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pygal
from django.utils.translation import gettext as _

from ewtp.core import charts
from ewtp.forum import replay
from ewtp.forum.models import Simulation


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    svg: str
    columns: list[str]
    rows: list[list[str]]


def _bar(title: str, labels: list[str], series: dict[str, list[float]], **extra: Any) -> str:
    chart = pygal.Bar(
        **charts.options(**{"width": 640, "height": 320, "x_label_rotation": 20, **extra})
    )
    chart.title = title
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, values)
    return charts.picture(chart, label=title)


def _changes(details: dict[str, Any], group: str, slug: str, title: str, limit: int = 12) -> Chart:
    cells = sorted(details.get(group, ()), key=lambda c: -abs(Decimal(c["change"])))[:limit]
    labels = [f"{c['label']} ({c['currency']})" for c in cells]
    svg = _bar(title, labels, {_("change"): [float(Decimal(c["change"])) for c in cells]})
    rows = [
        [c["label"], c["currency"], str(c["orders"]), c["before"], c["after"], c["change"]]
        for c in cells
    ]
    return Chart(
        slug,
        title,
        svg,
        [_("Key"), _("Currency"), _("Orders"), _("Before"), _("After"), _("Change")],
        rows,
    )


def _distribution(details: dict[str, Any]) -> Chart:
    bins = details.get("landed_change_bins") or {"edges": [], "orders": [0]}
    edges, counts = bins["edges"], bins["orders"]
    labels = (
        [f"< {edges[0]}%"]
        + [f"{a}..{b}%" for a, b in itertools.pairwise(edges)]
        + [f">= {edges[-1]}%"]
        if edges
        else [""]
    )
    title = _("Changed orders by change of landed price")
    svg = _bar(title, labels, {_("orders"): [float(c) for c in counts]})
    rows = [[label, str(count)] for label, count in zip(labels, counts, strict=True)]
    return Chart("landed-changes", title, svg, [_("Change"), _("Orders")], rows)


def _threshold_label(cell: dict[str, Any], *, short: bool = False) -> str:
    rules = {
        "base": _("now"),
        "proposal": _("proposed"),
        "both": _("now and proposed"),
    }.get(cell["rules"], cell["rules"])
    if short:  # the chart's legend; the table names the regimes
        return f"{cell['territory']} ≤ {cell['threshold']} {cell['currency']} ({rules})"
    on = _("customs value") if cell["on"] == "customs" else _("goods value")
    return f"{cell['territory']} {cell['regime']}: {on} ≤ {cell['threshold']} {cell['currency']} ({rules})"


def _thresholds(details: dict[str, Any]) -> Chart:
    """Orders by value around each low-value threshold (bins of 10% of the threshold, from
    50% to 150%), a series per threshold of the base rules and of the proposal."""
    cells = details.get("near_thresholds") or []
    labels = [f"{50 + 10 * i}..{60 + 10 * i}%" for i in range(replay.THRESHOLD_BINS)]
    title = _("Order values around each threshold (share of the threshold)")
    series = {_threshold_label(c, short=True): [float(n) for n in c["orders"]] for c in cells}
    svg = _bar(
        title,
        labels,
        series or {_("orders"): [0.0] * len(labels)},
        height=360,
        legend_at_bottom=True,
        truncate_legend=-1,
    )
    rows = [[_threshold_label(c), *(str(n) for n in c["orders"])] for c in cells]
    return Chart("thresholds", title, svg, [_("Threshold"), *labels], rows)


def simulation_charts(simulation: Simulation) -> list[Chart]:
    details = simulation.details or {}
    return [
        _changes(
            details, "by_destination", "destinations", _("Change of landed totals by destination")
        ),
        _distribution(details),
        _thresholds(details),
        _changes(details, "by_seller", "sellers", _("Sellers most affected (landed totals)")),
    ]


def simulation_chart(simulation: Simulation, slug: str) -> Chart | None:
    return next((c for c in simulation_charts(simulation) if c.slug == slug), None)
