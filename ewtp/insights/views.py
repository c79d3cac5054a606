"""Insight pages: the public aggregates, the operator's dashboard and each customs
authority's own figures; every figure with its chart (SVG), its table and a CSV download.

Reads go to the default database: no read replica router is in main yet (when one lands,
these pages are the first candidates for it).
"""

from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ewtp.accounts.models import Organisation
from ewtp.accounts.selectors import is_platform_operator, organisations_of
from ewtp.core import conf
from ewtp.core.errors import PermissionDenied
from ewtp.core.http import page_errors
from ewtp.insights import selectors
from ewtp.insights.charts import chart_svg
from ewtp.insights.charts import charts_css as charts_style_sheet
from ewtp.insights.selectors import Scope

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _authority_scope(request: HttpRequest) -> Scope:
    authorities = list(
        organisations_of(request.user, kind=Organisation.Kind.CUSTOMS_AUTHORITY).order_by("name")
    )
    if not authorities:
        raise PermissionDenied(
            "permission_denied", _("Only officers of a customs authority see these figures.")
        )
    wanted = request.GET.get("authority", "")
    chosen = next((a for a in authorities if a.slug == wanted), authorities[0])
    return selectors.authority_scope(chosen)


def _scope(request: HttpRequest, kind: str) -> Scope:
    if kind == "public":
        return Scope("public")
    if kind not in {"operator", "authority"}:
        raise Http404
    if not request.user.is_authenticated:
        raise PermissionDenied("permission_denied", _("Please log in."))
    if kind == "operator":
        if not is_platform_operator(request.user):
            raise PermissionDenied(
                "permission_denied", _("Only the platform operator sees these figures.")
            )
        return Scope("operator")
    return _authority_scope(request)


def _figures_html(scope: Scope, scope_name: str) -> SafeString:
    """The figures' part of the page (charts, tables, links), drawn once per version of the
    figures and cached with them: a warm page reads the data stamp and one cached string."""
    version = selectors.figures_version(scope)
    key = f"insights:html:{scope.key}:{get_language()}:{version}"
    if version is not None:
        cached = cache.get(key)
        if cached is not None:
            return mark_safe(str(cached))  # noqa: S308 - our own template's output, cached
    version, figures = selectors.figures_for(scope)
    html = render_to_string(
        "insights/_figures.html",
        {
            "figures": [(figure, chart_svg(figure)) for figure in figures],
            "scope": scope,
            "scope_name": scope_name,
        },
    )
    cache.set(f"insights:html:{scope.key}:{get_language()}:{version}", str(html), 86_400)
    return mark_safe(html)  # noqa: S308 - our own template's output


def _page(request: HttpRequest, kind: str, title: str, **extra: Any) -> HttpResponse:
    scope = _scope(request, kind)
    authorities = []
    if kind == "authority":
        authorities = list(
            organisations_of(request.user, kind=Organisation.Kind.CUSTOMS_AUTHORITY).order_by(
                "name"
            )
        )
    return render(
        request,
        "insights/dashboard.html",
        {
            "title": title,
            "scope": scope,
            "scope_name": kind,
            "body": _figures_html(scope, kind),
            "authorities": authorities,
            "threshold": conf.INSIGHTS_MIN_ORDERS(),
            **extra,
        },
    )


def public(request: HttpRequest) -> HttpResponse:
    return _page(request, "public", _("Trade insights"))


@login_required
@page_errors
def dashboard(request: HttpRequest) -> HttpResponse:
    return _page(request, "operator", _("Trade insights: operator"))


@login_required
@page_errors
def authority(request: HttpRequest) -> HttpResponse:
    return _page(request, "authority", _("Trade insights: customs"))


def csv_cell(value: Any) -> Any:
    """A cell as written to the CSV: text that a spreadsheet would run as a formula is
    neutralised with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@page_errors
def figure_csv(request: HttpRequest, scope: str, figure: str) -> HttpResponse:
    chosen = _scope(request, scope)
    found = selectors.figure_for(chosen, figure)
    if found is None:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"{found.slug}-{chosen.authority.slug}" if chosen.authority else found.slug
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow([csv_cell(str(column)) for column in found.columns])
    for row in found.rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return response


def charts_css(request: HttpRequest) -> HttpResponse:
    """The charts' style sheet (the same for every chart; cached by browsers for a day)."""
    response = HttpResponse(charts_style_sheet(), content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
