"""The charts' one style sheet is plain CSS: the SVG's XML escapes are undone, or a browser
drops the rules that carry them (every chart then drew on a black background)."""

from __future__ import annotations

from ewtp.core import charts


def test_the_chart_style_sheet_is_plain_css() -> None:
    sheet = charts.style_sheet()
    assert "&gt;" not in sheet and "&lt;" not in sheet and "&amp;" not in sheet
    assert "svg.pygal-chart .graph > .background{fill:transparent}" in sheet
    assert "svg.pygal-chart .plot > .background{fill:transparent}" in sheet
