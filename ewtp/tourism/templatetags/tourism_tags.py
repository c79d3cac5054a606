"""Template helpers of tourism: money in the reader's language, translated tier texts."""

from __future__ import annotations

from django import template
from django.utils import translation

from ewtp.core.countries import country_name
from ewtp.core.money import Money

register = template.Library()


@register.filter
def money(value: Money | None) -> str:
    if value is None:
        return ""
    return value.format(translation.get_language() or "en")


@register.filter
def minor_money(minor: int, currency: str) -> str:
    return Money.from_minor(int(minor), currency).format(translation.get_language() or "en")


@register.filter
def tier_label(tier: object) -> str:
    label_in = getattr(tier, "label_in", None)
    return label_in(translation.get_language() or "en") if label_in else str(tier)


@register.filter
def tier_proof(tier: object) -> str:
    proof_in = getattr(tier, "proof_in", None)
    return proof_in(translation.get_language() or "en") if proof_in else ""


@register.filter
def country(code: str) -> str:
    return country_name(code, translation.get_language() or "en")


@register.filter
def percent(rate: object) -> str:
    try:
        return f"{float(str(rate)) * 100:.0f}%"
    except ValueError:
        return ""
