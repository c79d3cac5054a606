"""Fixtures of the trade-rule tests: users with their roles, requests, a copy of the shipped
rule files, and a fresh snapshot cache for every test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.traderules.selectors.snapshot import snapshot_cache_clear

SHIPPED_RULES = Path(settings.EWTP_DATA_DIR) / "rules"
RULE_FILES = (
    "territories.csv",
    "tariff_lines.csv",
    "preferences.csv",
    "additional_duties.csv",
    "taxes.csv",
    "fees.csv",
    "documents.csv",
    "SOURCES.csv",
    "regimes.json",
    "fx_rates.csv",
)


@pytest.fixture(autouse=True)
def _fresh_snapshot() -> Iterator[None]:
    # The snapshot cache lives in the process; a test's rolled-back version must not leak.
    snapshot_cache_clear()
    yield
    snapshot_cache_clear()


def _member(email: str, kind: str, slug: str) -> User:
    user = User.objects.create_user(email, "a-long-password-1")
    organisation = Organisation.objects.create(
        slug=slug,
        name=slug,
        kind=kind,
        country="RW",
        verification=Organisation.Verification.VERIFIED,
    )
    Membership.objects.create(user=user, organisation=organisation, role=Membership.Role.OWNER)
    return user


@pytest.fixture
def steward(db: Any) -> User:
    return _member("steward@example.org", Organisation.Kind.RULE_STEWARD, "rra-rules")


@pytest.fixture
def second_steward(steward: User) -> User:
    """Another steward of the same organisation: the second pair of eyes."""
    user = User.objects.create_user("second.steward@example.org", "a-long-password-1")
    Membership.objects.create(
        user=user, organisation=steward.memberships.get().organisation, role=Membership.Role.STAFF
    )
    return user


def publish_four_eyes(requester: User, approver: User, note: str) -> Any:
    """The working copy published the stewards' way: one asks, another approves."""
    from ewtp.traderules.services.publication import publication_approve, publication_request

    asked = publication_request(actor=requester, note=note)
    return publication_approve(actor=approver, request_id=asked.pk)


@pytest.fixture
def seller(db: Any) -> User:
    return _member("seller@example.org", Organisation.Kind.SELLER, "huye-coffee")


@pytest.fixture
def operator(db: Any) -> User:
    return _member("operator@example.org", Organisation.Kind.PLATFORM_OPERATOR, "platform")


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """A writable copy of the shipped rule files."""
    target = tmp_path / "rules"
    target.mkdir()
    for name in RULE_FILES:
        shutil.copyfile(SHIPPED_RULES / name, target / name)
    return target


@pytest.fixture
def coffee_request() -> dict[str, Any]:
    """The contract's example: 3 bags of roasted coffee from Rwanda to Belgium."""
    return {
        "origin": "RW",
        "destination": "BE",
        "date": "2026-11-26",
        "currency": "EUR",
        "incoterm": "DDP",
        "buyer": {"kind": "consumer"},
        "lines": [
            {
                "id": "a",
                "hs_code": "0901.21",
                "description": "Roasted coffee beans, 500 g",
                "quantity": 3,
                "unit_price": {"amount": "12000", "currency": "RWF"},
                "unit_weight_kg": "0.5",
            }
        ],
    }


@pytest.fixture
def kenyan_coffee() -> dict[str, Any]:
    """Standard regime, MFN duty (no preference for Kenya into the EU): 7.5% of 300 EUR = 22.50;
    Belgian VAT on coffee 6% (reduced rate, foodstuffs): 6% of 322.50 = 19.35; landed 341.85."""
    return {
        "origin": "KE",
        "destination": "BE",
        "date": "2026-11-26",
        "currency": "EUR",
        "lines": [
            {
                "id": "a",
                "hs_code": "090121",
                "quantity": 3,
                "unit_price": {"amount": "100.00", "currency": "EUR"},
            }
        ],
    }


def without_volatile(response: dict[str, Any]) -> dict[str, Any]:
    """A response without what differs on every call (quote_id, expires_at)."""
    return {k: v for k, v in response.items() if k not in ("quote_id", "expires_at")}
