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


def test_the_admin_does_not_verify_or_recategorise_an_organisation(
    admin_client: Any, org_a: Organisation, owner: User
) -> None:
    response = admin_client.post(
        f"/admin/accounts/organisation/{org_a.pk}/change/",
        {
            "slug": "org-a",
            "name": "Org A renamed",
            "kind": org_a.kind,
            "country": org_a.country,
            "description": "",
            "verification": "verified",
            "verification_note": "looks fine",
            "seller_category": "cooperative",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    org_a.refresh_from_db()
    assert org_a.name == "Org A renamed"  # plain fields stay editable
    assert (org_a.verification, org_a.verification_note, org_a.verified_by) == (
        "submitted",
        "",
        None,
    )
    assert org_a.seller_category == ""
    assert list(org_a.memberships.values_list("user", "role")) == [(owner.pk, "owner")]
