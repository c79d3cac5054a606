"""Server-rendered SVG charts of the insight figures (pygal), readable without JavaScript."""

from __future__ import annotations

import re
from typing import Any

import pygal
from django.utils.html import escape
from pygal.style import Style

from ewtp.insights.selectors import Figure

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    colors=("#0b6e4f", "#c05621", "#2b6cb0", "#805ad5", "#b7791f", "#2f855a", "#c53030"),
    font_family="system-ui, sans-serif",
)
MAX_SLICES = 12
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _config(figure: Figure) -> dict[str, Any]:
    return {
        "style": STYLE,
        "js": [],  # no script: the SVG is a picture, its data table is beside it
        "disable_xml_declaration": True,
        "explicit_size": False,
        "width": 720,
        "height": 320,
        "show_legend": figure.chart == "pie",
        "legend_at_bottom": True,
        "title": None,
        "print_values": False,
        "x_label_rotation": 30 if figure.chart != "pie" else 0,
        "truncate_label": 18,
    }


def chart_svg(figure: Figure) -> str:
    """The figure as an SVG document fragment, or "" when it has no chart or no rows."""
    if not figure.chart or not figure.rows:
        return ""
    rows = figure.rows[:MAX_SLICES] if figure.chart != "line" else figure.rows
    labels = [str(row[figure.label_column]) for row in rows]
    values = [float(row[figure.value_column] or 0) for row in rows]
    name = str(figure.columns[figure.value_column])
    if figure.chart == "pie":
        chart = pygal.Pie(**_config(figure))
        for label, value in zip(labels, values, strict=True):
            chart.add(label, value)
    else:
        chart = (pygal.Line if figure.chart == "line" else pygal.Bar)(**_config(figure))
        chart.x_labels = labels
        chart.add(name, values)
    svg = _SCRIPT.sub("", str(chart.render(is_unicode=True)))
    # A picture with a name for screen readers; its numbers are in the table beside it.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(str(figure.title))}" ', 1)
