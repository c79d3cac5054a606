"""Server-rendered SVG charts of the insight figures (pygal), readable without JavaScript."""

from __future__ import annotations

from typing import Any

import pygal

from ewtp.core import charts
from ewtp.insights.selectors import Figure

MAX_SLICES = 12


def _config(kind: str) -> dict[str, Any]:
    return charts.options(
        width=720,
        height=320,
        show_legend=kind == "pie",
        legend_at_bottom=True,
        title=None,
        print_values=False,
        x_label_rotation=30 if kind != "pie" else 0,
        truncate_label=18,
    )


def chart_svg(figure: Figure) -> str:
    """The figure as an SVG document fragment, or "" when it has no chart or no rows."""
    if not figure.chart or not figure.rows:
        return ""
    rows = figure.rows[:MAX_SLICES] if figure.chart != "line" else figure.rows
    labels = [str(row[figure.label_column]) for row in rows]
    values = [float(row[figure.value_column] or 0) for row in rows]
    name = str(figure.columns[figure.value_column])
    if figure.chart == "pie":
        chart = pygal.Pie(**_config(figure.chart))
        for label, value in zip(labels, values, strict=True):
            chart.add(label, value)
    else:
        chart = (pygal.Line if figure.chart == "line" else pygal.Bar)(**_config(figure.chart))
        chart.x_labels = labels
        chart.add(name, values)
    # A picture with a name for screen readers; its numbers are in the table beside it.
    return charts.picture(chart, label=str(figure.title))
