from __future__ import annotations

from typing import Any

import pytest

from ewtp.accounts.models import Organisation, User
from ewtp.accounts.tests.factories import (
    add_member,
    make_operator,
    make_organisation,
    make_user,
)
from ewtp.core.models import AuditLog


@pytest.fixture
def new_audit(db: None) -> Any:
    """The audit entries the test wrote (data migrations may have written some before)."""
    baseline = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return lambda: AuditLog.objects.filter(pk__gt=baseline).order_by("pk")


@pytest.fixture
def owner(db: None) -> User:
    return make_user("owner@example.org", full_name="Olive Owner")


@pytest.fixture
def org_a(owner: User) -> Organisation:
    return make_organisation(owner=owner, slug="org-a", name="Org A")


@pytest.fixture
def staff(org_a: Organisation) -> User:
    user = make_user("staff@example.org")
    add_member(org_a, user, "staff")
    return user


@pytest.fixture
def viewer(org_a: Organisation) -> User:
    user = make_user("viewer@example.org")
    add_member(org_a, user, "viewer")
    return user


@pytest.fixture
def outsider(db: None) -> User:
    """Owner of another organisation, org B."""
    user = make_user("outsider@example.org")
    make_organisation(owner=user, slug="org-b", name="Org B")
    return user


@pytest.fixture
def operator(db: None) -> User:
    return make_operator()


@pytest.fixture(autouse=True)
def _mail_to_the_outbox(settings: Any) -> None:
    # Django's test set-up swaps in the locmem backend; the platform's is the outbox table.
    settings.MAILERS = {"default": {"BACKEND": "ewtp.core.mail.OutboxBackend"}}
