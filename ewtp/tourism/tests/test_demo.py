"""The tourism demo: Rwanda's four experiences with published figures, loaded once."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from ewtp.tourism import demo
from ewtp.tourism.models import BundleDiscount, Experience, PriceTier


@pytest.mark.django_db
def test_the_demo_loads_four_experiences_and_twice_changes_nothing() -> None:
    out = io.StringIO()
    demo.load(out)
    counts = (Experience.objects.count(), PriceTier.objects.count())
    demo.load(io.StringIO())
    assert (Experience.objects.count(), PriceTier.objects.count()) == counts == (4, 12)
    assert "tourism: 4 experiences created" in out.getvalue()
    gorillas = Experience.objects.get(slug="gorilla-trekking-volcanoes")
    assert gorillas.operator.slug == "visit-rwanda-parks"
    assert gorillas.operator.kind == "tour_operator"
    assert (gorillas.default_capacity, gorillas.minimum_age, gorillas.group_size) == (96, 15, 8)
    assert gorillas.source == "RDB published tariff"
    assert gorillas.group_price_minor == 1500000
    assert {tier.code: tier.price_minor for tier in gorillas.tiers.all()} == {
        "foreign_non_resident": 150000,
        "foreign_resident": 50000,
        "eac_citizen": 20000,
    }
    assert gorillas.text("title", "fr") == "Trek des gorilles de montagne"
    assert gorillas.park.community_share_rate == Decimal("0.10")
    assert BundleDiscount.objects.get(experience=gorillas).rate == Decimal("0.30")
    assert Experience.objects.get(slug="akagera-game-drive").capacity_unit == "groups"
