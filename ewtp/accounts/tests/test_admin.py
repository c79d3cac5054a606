"""The admin stays usable for the accounts models."""

from __future__ import annotations

from typing import Any

import pytest

from ewtp.accounts.models import Organisation, User
from ewtp.accounts.services import api_token_create

pytestmark = pytest.mark.django_db


def test_admin_pages_render(admin_client: Any, org_a: Organisation, owner: User) -> None:
    token, _clear = api_token_create(user=owner, name="t")
    for url in (
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{owner.pk}/change/",
        "/admin/accounts/user/add/",
        "/admin/accounts/organisation/",
        f"/admin/accounts/organisation/{org_a.pk}/change/",
        "/admin/accounts/organisation/add/",
        "/admin/accounts/apitoken/",
        f"/admin/accounts/apitoken/{token.pk}/change/",
        "/admin/core/auditlog/",
        "/admin/core/outboxmessage/",
        "/admin/core/idempotencyrecord/",
    ):
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get("/admin/accounts/apitoken/add/").status_code == 403


def test_admin_adds_a_user_with_an_email(admin_client: Any) -> None:
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "new@example.org",
            "password1": "a long password 1",
            "password2": "a long password 1",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="new@example.org").check_password("a long password 1")
