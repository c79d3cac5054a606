"""``{% seller_proposals seller %}``: on the seller's dashboard, how many of the seller's
products open rule proposals would change, linked to the before-and-after page."""

from __future__ import annotations

from typing import Any

from django import template

from ewtp.forum.selectors.effects import seller_effects_summary

register = template.Library()


@register.inclusion_tag("forum/_seller_proposals.html")
def seller_proposals(seller: Any) -> dict[str, Any]:
    products, proposals = seller_effects_summary(seller.pk)
    return {"products": products, "proposals": proposals}
