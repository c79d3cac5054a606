"""Sellers see the platform's fee terms before they list, and orders are charged by them."""

from __future__ import annotations

from decimal import Decimal

from django.template import Context, Template

from ewtp.core.fees import fee_terms
from ewtp.core.money import Money


def test_fee_terms_come_from_settings_and_render_for_sellers(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_PLATFORM_FEE_RATE = "0.035"
    settings.EWTP_PLATFORM_FEE_MINIMUM = "300 RWF"
    terms = fee_terms()
    assert terms.rate == Decimal("0.035")
    assert terms.minimum == Money.of("300", "RWF")
    rendered = Template("{% load platform %}{% platform_fee_terms %}").render(Context())
    assert rendered == "Platform fee per order: 3.5% of the goods, at least 300 RWF."


def test_a_seller_category_has_its_own_terms(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_PLATFORM_FEE_RATE = "0.05"
    settings.EWTP_PLATFORM_FEE_MINIMUM = "500 RWF"
    settings.EWTP_PLATFORM_FEES = {"cooperative": {"rate": "0.03", "minimum": "300 RWF"}}
    assert fee_terms("cooperative").rate == Decimal("0.03")
    assert fee_terms("cooperative").minimum == Money.of("300", "RWF")
    assert fee_terms("company").rate == Decimal("0.05")
    assert fee_terms().minimum == Money.of("500", "RWF")
