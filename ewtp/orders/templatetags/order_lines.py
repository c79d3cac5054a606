"""Template filter of order lines: the product's name in the page's (or mail's) language.

A line keeps the title the product had when it was bought; where the seller has translated
the product into the reader's language, that name is shown instead. The lines' products and
their translations are prefetched with the order (see selectors.order_lines_prefetch).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation

from ewtp.core.translations import text_in

register = template.Library()


@register.filter
def line_title(line: Any) -> str:
    language = translation.get_language() or ""
    product = line.variant.product
    if language and language != product.language:
        local = text_in(product, "title", language)
        if local != product.title:
            return local
    return str(line.product_title)
