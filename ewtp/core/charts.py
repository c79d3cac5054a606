"""Server-rendered SVG charts (pygal) as pages may show them under the site's CSP.

A chart is drawn without script (its numbers are in the table beside it) and without its inline
``<style>``: the Content-Security-Policy allows style sheets from the site only, so the charts'
one style sheet, the same for every chart, is served from ``/charts.css``
(:func:`style_sheet`), and pages that draw charts link it.
"""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Any

import pygal
from django.utils.html import escape
from pygal.style import Style

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    colors=("#0b6e4f", "#c05621", "#2b6cb0", "#805ad5", "#b7791f", "#2f855a", "#c53030"),
    font_family="system-ui, sans-serif",
)
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_STYLE_SHEET = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S)
_CHART_ID = re.compile(r"#chart-[0-9a-f-]+")


def options(**overrides: Any) -> dict[str, Any]:
    """pygal options of every chart of the platform, with the chart's own on top."""
    return {
        "style": STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "explicit_size": False,
        **overrides,
    }


def picture(chart: Any, *, label: str) -> str:
    """The chart as an inline SVG element: no script, no style, named for screen readers."""
    svg = _STYLE_SHEET.sub("", _SCRIPT.sub("", str(chart.render(is_unicode=True))))
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


@cache
def style_sheet() -> str:
    """The style sheet of every chart, scoped to the class each chart's SVG carries."""
    sheets: list[str] = []
    for chart_class in (pygal.Bar, pygal.Line, pygal.Pie):
        chart = chart_class(**options(show_legend=True))
        chart.add("", [1.0])
        for found in _STYLE_SHEET.findall(str(chart.render(is_unicode=True))):
            # The SVG escapes its style element's text as XML (".graph &gt; .background"): a
            # style sheet served as CSS needs it plain, or the browser drops those rules.
            sheet = _CHART_ID.sub("svg.pygal-chart", html.unescape(found))
            if sheet not in sheets:
                sheets.append(sheet)
    return "\n".join(sheets)
