"""The operator's ledger pages: visible to the platform operator only."""

from __future__ import annotations

import pytest
from django.test import Client

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.core.money import Money
from ewtp.ledger.models import Account
from ewtp.ledger.services import AccountSpec, account_for, credit, debit, posting_record


@pytest.fixture
def booked() -> Account:
    escrow = account_for(
        AccountSpec(
            "escrow:order:A1", Account.Kind.LIABILITY, "escrow", "Escrow A1", is_bounded=True
        ),
        "EUR",
    )
    settlement = account_for(
        AccountSpec(
            "provider:sandbox:settlement", Account.Kind.ASSET, "provider_settlement", "Sandbox"
        ),
        "EUR",
    )
    posting_record(
        kind="payment.captured",
        reference="A1",
        legs=[
            debit(settlement, Money.of("108.12", "EUR")),
            credit(escrow, Money.of("108.12", "EUR")),
        ],
    )
    return escrow


def _client(kind: str) -> Client:
    user = User.objects.create_user(f"{kind}@example.org", "x" * 12)
    organisation = Organisation.objects.create(
        slug=kind, name=kind, kind=kind, country="RW", verification="verified"
    )
    Membership.objects.create(user=user, organisation=organisation, role="owner")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_operator_sees_accounts_balances_and_drills_down(booked: Account) -> None:
    client = _client("platform_operator")
    page = client.get("/ledger/?purpose=escrow")
    assert page.status_code == 200
    assert b"escrow:order:A1" in page.content
    assert b"provider:sandbox:settlement" not in page.content
    detail = client.get(f"/ledger/accounts/{booked.public_id}/")
    assert b"108.12 EUR" in detail.content
    drill = client.get("/ledger/postings/A1/")
    assert b"payment.captured" in drill.content
    assert b"10812 EUR" in drill.content
    assert client.get("/ledger/verify/").json()["balanced"] is True


@pytest.mark.django_db
def test_a_seller_cannot_see_the_ledger(booked: Account) -> None:
    client = _client("seller")
    assert client.get("/ledger/").status_code == 404
    assert client.get(f"/ledger/accounts/{booked.public_id}/").status_code == 404
    assert Client().get("/ledger/").status_code == 302  # to the log-in page
