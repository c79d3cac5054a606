"""Template helpers of the marketplace: money for people, photo URLs."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import translation

from ewtp.core.money import Money

register = template.Library()


def _locale() -> str:
    return (translation.get_language() or "en").replace("zh-hans", "zh_Hans")


@register.filter
def money(value: Any) -> str:
    """A Money (or a {"amount","currency"} dict) in the visitor's locale; "" for None."""
    if value is None:
        return ""
    if isinstance(value, dict):
        value = Money.of(value["amount"], value["currency"])
    try:
        return str(value.format(_locale()))
    except (ValueError, AttributeError):
        return str(value)


@register.simple_tag
def minor_money(minor: int, currency: str) -> str:
    return Money.from_minor(int(minor), currency).format(_locale())


@register.simple_tag
def photo_url(photo_or_name: Any, size: str = "thumb") -> str:
    """URL of a photo (a Photo, or the stored thumbnail name from a listing card)."""
    if not photo_or_name:
        return ""
    public_id = getattr(photo_or_name, "public_id", None)
    if public_id is None:  # a storage name: catalog/photos/<public id>/thumb.jpg
        parts = str(photo_or_name).split("/")
        public_id = parts[-2] if len(parts) >= 2 else ""
    return reverse("catalog:photo", args=[public_id, size])


@register.filter
def local_name(category: Any) -> str:
    """A category's name in the visitor's language."""
    return str(category.name_in(translation.get_language() or "en"))


@register.filter
def quote_part(quote: dict[str, Any] | None, key: str) -> str:
    """A display total of a landed-cost quote ("goods", "duty", "taxes", "landed", ...)."""
    if not quote:
        return ""
    value = quote.get("totals", {}).get("display", {}).get(key)
    if value is None:
        return "—"
    return money({"amount": value, "currency": quote["currency"]})


@register.filter
def regime_words(regime: Any) -> str:
    """A quote's low-value regime explained to a buyer in the page's language."""
    from ewtp.catalog import traderules_gateway

    return traderules_gateway.regime_explanation(regime)
