"""The number of units in the visitor's cart, beside the navigation's Cart link."""

from __future__ import annotations

from typing import Any

from django import template

from ewtp.orders.models import CartLine

register = template.Library()


@register.inclusion_tag("orders/_nav.html", takes_context=True)
def shop_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    count = 0
    if request is not None:
        session = getattr(request, "session", None)
        cart_id = session.get("cart_id") if session is not None else None
        if cart_id:
            count = sum(
                CartLine.objects.filter(
                    cart__public_id=cart_id, cart__checked_out_at__isnull=True
                ).values_list("quantity", flat=True)
            )
    return {"cart_count": count}
