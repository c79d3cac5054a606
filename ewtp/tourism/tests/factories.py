"""Small factories of tourism tests: an operator with gate staff, a park, gorilla permits."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.tourism.models import CancellationRule, Experience, Park, PriceTier
from ewtp.tourism.services import common, holds

EAC = ["BI", "CD", "KE", "RW", "SO", "SS", "TZ", "UG"]

# Transactional tests (payments run outside transactions) flush only these apps' tables: a
# full flush re-seeds the trade-rule reference data on post_migrate, seconds per test.
TOURISM_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ewtp.core",
    "ewtp.accounts",
    "ewtp.ledger",
    "ewtp.payments",
    "ewtp.tourism",
    "ewtp.web",
]
transactional = pytest.mark.django_db(transaction=True, available_apps=TOURISM_APPS)


def make_operator(slug: str = "visit-rwanda-parks", kind: str = "tour_operator") -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(
        slug=slug,
        defaults={
            "name": "Rwanda Parks and Experiences",
            "kind": kind,
            "country": "RW",
            "verification": Organisation.Verification.VERIFIED,
        },
    )
    return organisation


def make_member(organisation: Organisation, email: str, role: str = "staff") -> User:
    user = User.objects.create_user(email, "gate-password-123", full_name=email.split("@")[0])
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def make_park(slug: str = "volcanoes", name: str = "Volcanoes National Park") -> Park:
    park, _ = Park.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "time_zone": "Africa/Kigali",
            "community_share_rate": Decimal("0.10"),
        },
    )
    return park


def make_experience(
    *,
    slug: str = "gorillas",
    park: Park | None = None,
    operator: Organisation | None = None,
    capacity: int = 96,
    minimum_age: int = 15,
    unit: str = Experience.Unit.VISITORS,
    group_size: int = 8,
    group_price_minor: int | None = None,
    prices: tuple[int, int, int] = (150000, 50000, 20000),
    max_per_booking: int = 8,
) -> Experience:
    experience = Experience.objects.create(
        slug=slug,
        operator=operator or make_operator(),
        park=park or make_park(),
        title=f"Experience {slug}",
        description="A walk in the forest.",
        meeting_point="Kinigi",
        time_zone="Africa/Kigali",
        minimum_age=minimum_age,
        capacity_unit=unit,
        default_capacity=capacity,
        group_size=group_size,
        max_visitors_per_booking=max_per_booking,
        is_whole_group_bookable=group_price_minor is not None,
        group_price_minor=group_price_minor,
        currency="USD",
    )
    codes = [
        ("foreign_non_resident", "Foreign non-resident", "Passport", []),
        ("foreign_resident", "Foreign resident", "Residence permit", []),
        ("eac_citizen", "EAC citizen", "EAC passport or ID", EAC),
    ]
    for position, (code, label, proof, nationalities) in enumerate(codes):
        PriceTier.objects.create(
            experience=experience,
            code=code,
            label=label,
            proof_document=proof,
            eligible_nationalities=nationalities,
            price_minor=prices[position],
            position=position,
        )
    for days, rate in [(31, "1"), (8, "0.5"), (0, "0")]:
        CancellationRule.objects.create(
            experience=experience, min_days_before=days, refund_rate=Decimal(rate)
        )
    return experience


def visitor(
    category: str = "foreign_non_resident",
    name: str = "Ann Lee",
    nationality: str = "FR",
    birth_date: date = date(1990, 5, 1),
) -> holds.VisitorIn:
    return holds.VisitorIn(category, name, nationality, birth_date, "P" + name[:3].upper())


def visitor_json(
    category: str = "foreign_non_resident",
    name: str = "Ann Lee",
    nationality: str = "FR",
    birth_date: str = "1990-05-01",
) -> dict[str, str]:
    return {
        "category": category,
        "full_name": name,
        "nationality": nationality,
        "birth_date": birth_date,
        "document_number": "P" + name[:3].upper(),
    }


def kigali_today(experience: Experience) -> date:
    return common.local_today(experience)


def future(experience: Experience, days: int = 40) -> date:
    return kigali_today(experience) + timedelta(days=days)


def book_api(
    client: Client,
    slug: str,
    body: dict[str, Any],
    key: str | None = None,
) -> Any:
    return client.post(
        f"/api/v1/tourism/experiences/{slug}/bookings",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def pay(client: Client, hold: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/payments/sandbox/{hold['payment']['id']}/approve")
