"""Template filters of the trade-rule pages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def source_ids(value: object) -> list[str]:
    """ "S09;S56" -> ["S09", "S56"]."""
    return [part.strip() for part in str(value or "").split(";") if part.strip()]


@register.filter
def percent(value: object) -> str:
    """A decimal fraction as a percentage: "0.075" -> "7.5%"; empty stays empty."""
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        number = (Decimal(text) * 100).normalize()
    except InvalidOperation:
        return text
    return f"{number:f}%"


@register.filter
def dotted(value: object) -> str:
    """An HS code with its subheading dot: "090121" -> "0901.21", "09042110" -> "0904.2110"."""
    code = str(value or "")
    return f"{code[:4]}.{code[4:]}" if len(code) > 4 and code.isdigit() else code


@register.filter
def words(value: object) -> list[str]:
    return str(value or "").split()


@register.filter
def get(mapping: object, key: str) -> object:
    if isinstance(mapping, dict):
        return mapping.get(key, "")
    return ""
