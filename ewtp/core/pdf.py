"""The one way the platform turns a Django template into a PDF (WeasyPrint). Generic: the
apps bring their templates and contexts; this module knows no domain app."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string


def pdf_from_template(
    template: str,
    context: dict[str, Any],
    *,
    request: HttpRequest | None = None,
    base_url: str | None = None,
) -> bytes:
    """Render a Django template to HTML (with the request's context processors when given)
    and print it to PDF; ``base_url`` resolves relative links in the page."""
    from weasyprint import HTML  # imported here: loading it costs a moment at start-up

    html = render_to_string(template, context, request=request)
    pdf: bytes = HTML(string=html, base_url=base_url).write_pdf()
    return pdf
