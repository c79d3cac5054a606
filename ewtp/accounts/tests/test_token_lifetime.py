"""API tokens expire (EWTP_API_TOKEN_DAYS after they are issued) and can be revoked through
the API as well as on the tokens page."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ewtp.accounts.models import ApiToken
from ewtp.accounts.tests.factories import PASSWORD, make_user
from ewtp.core import clock

pytestmark = pytest.mark.django_db


def _issue(email: str) -> dict[str, Any]:
    response = Client().post(
        "/api/v1/auth/token",
        data=json.dumps({"email": email, "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return dict(response.json())


def _me(token: str) -> int:
    return Client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_expires_after_its_lifetime(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.EWTP_API_TOKEN_DAYS = 30
    make_user("ama@example.org")
    issued = _issue("ama@example.org")
    token = ApiToken.objects.get()
    assert token.expires_at is not None
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert issued["expires_at"] == token.expires_at.isoformat().replace("+00:00", "Z")
    assert _me(issued["token"]) == 200

    later = timezone.now() + timedelta(days=30, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert _me(issued["token"]) == 401
    listed = Client().get("/api/v1/auth/tokens", headers={"Authorization": "Bearer x"})
    assert listed.status_code == 401


def test_no_lifetime_when_set_to_zero(settings: Any) -> None:
    settings.EWTP_API_TOKEN_DAYS = 0
    make_user("ama@example.org")
    assert _issue("ama@example.org")["expires_at"] is None
    assert ApiToken.objects.get().expires_at is None


def test_a_token_is_listed_and_revoked_through_the_api() -> None:
    make_user("ama@example.org")
    make_user("kofi@example.org")
    first, second = _issue("ama@example.org")["token"], _issue("ama@example.org")["token"]
    other = _issue("kofi@example.org")["token"]
    bearer = {"Authorization": f"Bearer {first}"}
    listed = Client().get("/api/v1/auth/tokens", headers=bearer).json()
    assert [row["state"] for row in listed] == ["active", "active"]
    assert {row["prefix"] for row in listed} == {first[:12], second[:12]}
    second_id = next(row["id"] for row in listed if row["prefix"] == second[:12])
    other_id = str(ApiToken.objects.get(user__email="kofi@example.org").public_id)

    assert Client().delete(f"/api/v1/auth/tokens/{other_id}", headers=bearer).status_code == 404
    assert _me(other) == 200
    revoked = Client().delete(f"/api/v1/auth/tokens/{second_id}", headers=bearer)
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    assert _me(second) == 401
    assert _me(first) == 200
