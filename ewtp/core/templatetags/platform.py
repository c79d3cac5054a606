"""Template tags of the platform's own terms."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from ewtp.core.fees import fee_terms

register = template.Library()


@register.simple_tag
def platform_fee_terms(seller: object = None) -> str:
    terms = fee_terms(str(getattr(seller, "seller_category", "") or ""))
    return _("Platform fee per order: %(percent)s of the goods, at least %(minimum)s.") % {
        "percent": terms.percent,
        "minimum": terms.minimum,
    }
