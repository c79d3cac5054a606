"""Template filter of order lines: the product's name in the page's (or mail's) language.

A line keeps the title the product had when it was bought; where the seller has translated
the product into the reader's language, that name is shown instead. The lines come with
``local_title`` from ``selectors.order_lines_prefetch`` (a subquery, no extra query).
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def line_title(line: Any) -> str:
    return str(getattr(line, "local_title", None) or line.product_title)
