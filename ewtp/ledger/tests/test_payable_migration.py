"""The data migration that moves tour operators' money to the payable payouts read."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from ewtp.accounts.models import Organisation
from ewtp.core.money import Money
from ewtp.ledger import accounts as chart
from ewtp.ledger.models import Account, Posting
from ewtp.ledger.services import account_for, credit, debit, ledger_verify, posting_record
from ewtp.payments.payouts import payable_account

migration = import_module("ewtp.ledger.migrations.0002_tourism_payables_to_organisation_payables")


@pytest.mark.django_db
def test_money_owed_under_the_bare_uuid_moves_to_the_organisation_payable() -> None:
    operator = Organisation.objects.create(
        slug="volcano-treks", name="Volcano Treks", kind="tour_operator", country="RW"
    )
    old = account_for(chart.party_payable(str(operator.public_id), operator.name), "RWF")
    settlement = account_for(chart.provider_settlement("sandbox"), "RWF")
    posting_record(
        kind="tourism.booking.paid",
        legs=[debit(settlement, Money.of("120000", "RWF")), credit(old, Money.of("120000", "RWF"))],
    )
    seller_payable = account_for(
        chart.party_payable("org:" + "0" * 8 + "-0000-4000-8000-" + "0" * 12, "S"), "RWF"
    )
    migration.move(apps, None)
    migration.move(apps, None)  # a second run changes nothing
    old.refresh_from_db()
    assert old.balance_minor == 0
    moved = payable_account(operator, "RWF")
    assert (moved.code, moved.position_minor) == (f"payable:org:{operator.public_id}", 120000)
    assert Posting.objects.filter(kind="ledger.payable_moved").count() == 1
    assert Account.objects.get(pk=seller_payable.pk).balance_minor == 0  # already right: untouched
    assert ledger_verify()["balanced"] is True
