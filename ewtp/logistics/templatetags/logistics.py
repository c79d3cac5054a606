"""``{% load logistics %}{% tracking_timeline order %}``: an order's parcel journey, for the
order pages of the orders app (the page has already checked who may see the order)."""

from __future__ import annotations

from typing import Any

from django import template

from ewtp.logistics.selectors import tracking_for_order

register = template.Library()


@register.inclusion_tag("logistics/_tracking.html")
def tracking_timeline(order: Any) -> dict[str, Any]:
    return {"tracking": tracking_for_order(order)}
