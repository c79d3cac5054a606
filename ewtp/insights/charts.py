"""Server-rendered SVG charts of the insight figures (pygal), readable without JavaScript."""

from __future__ import annotations

import re
from functools import cache
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
# The charts' style sheet is served once as a file (no inline <style>: the pages' CSP allows
# style sheets from the site only); scoped to the class every chart has, it is the same for all.
_STYLE_SHEET = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S)
_CHART_ID = re.compile(r"#chart-[0-9a-f-]+")


def _config(kind: str) -> dict[str, Any]:
    return {
        "style": STYLE,
        "js": [],  # no script: the SVG is a picture, its data table is beside it
        "disable_xml_declaration": True,
        "explicit_size": False,
        "width": 720,
        "height": 320,
        "show_legend": kind == "pie",
        "legend_at_bottom": True,
        "title": None,
        "print_values": False,
        "x_label_rotation": 30 if kind != "pie" else 0,
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
        chart = pygal.Pie(**_config(figure.chart))
        for label, value in zip(labels, values, strict=True):
            chart.add(label, value)
    else:
        chart = (pygal.Line if figure.chart == "line" else pygal.Bar)(**_config(figure.chart))
        chart.x_labels = labels
        chart.add(name, values)
    svg = _STYLE_SHEET.sub("", _SCRIPT.sub("", str(chart.render(is_unicode=True))))
    # A picture with a name for screen readers; its numbers are in the table beside it.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(str(figure.title))}" ', 1)


@cache
def charts_css() -> str:
    """The style sheet of every chart (pygal's, for the platform's style), served by a view."""
    sheets: list[str] = []
    for kind, chart_class in (("bar", pygal.Bar), ("line", pygal.Line), ("pie", pygal.Pie)):
        chart = chart_class(**_config(kind))
        chart.add("", [1.0])
        for found in _STYLE_SHEET.findall(str(chart.render(is_unicode=True))):
            sheet = _CHART_ID.sub("svg.pygal-chart", found)
            if sheet not in sheets:
                sheets.append(sheet)
    return "\n".join(sheets)
