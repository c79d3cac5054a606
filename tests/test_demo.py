"""The demo scenario loads, and loading it twice changes nothing."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.web.demo import DEMO_PASSWORD, ORGANISATIONS, USERS


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.managed
        and model._meta.app_label not in {"sessions", "admin", "contenttypes", "auth"}
    }


@pytest.mark.django_db
def test_loaddemo_is_idempotent_and_prints_the_logins(monkeypatch: pytest.MonkeyPatch) -> None:
    # A short history keeps this test quick; ewtp/insights/tests/test_history.py covers it.
    monkeypatch.setattr("ewtp.insights.demo.HISTORY_ORDERS", 40)
    monkeypatch.setattr("ewtp.insights.demo.HISTORY_BOOKINGS", 10)
    first = io.StringIO()
    call_command("loaddemo", stdout=first)
    counts = _row_counts()
    call_command("loaddemo", stdout=io.StringIO())
    assert _row_counts() == counts

    assert Organisation.objects.count() == len(ORGANISATIONS)
    assert User.objects.count() == len(USERS)
    assert Membership.objects.count() == sum(1 for user in USERS if user.organisation)
    assert set(Organisation.objects.values_list("verification", flat=True)) == {"verified"}
    output = first.getvalue()
    assert DEMO_PASSWORD in output
    for user in USERS:
        assert user.email in output
    seller = User.objects.get(email="seller@demo.ewtp.rw")
    assert seller.check_password(DEMO_PASSWORD)
    assert seller.memberships.get().organisation.slug == "huye-coffee"
