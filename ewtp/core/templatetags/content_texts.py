"""Template filter for content written per language: ``{{ programme|translated:"title" }}``
shows the text in the page's language when it is translated, else the original."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation

from ewtp.core.translations import text_in

register = template.Library()


@register.filter
def translated(item: Any, name: str) -> str:
    if item is None:
        return ""
    return text_in(item, name, translation.get_language())
