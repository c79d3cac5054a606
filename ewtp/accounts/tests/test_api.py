"""The API's error format, bearer tokens, health, and JSON for an unknown API path."""

from __future__ import annotations

import importlib
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory

import ewtp
from ewtp.accounts.models import ApiToken, User
from ewtp.accounts.services import api_token_create
from ewtp.core.errors import Conflict

pytestmark = pytest.mark.django_db

PASSWORD = "a long password 1"


@pytest.fixture
def alice() -> User:
    return User.objects.create_user("alice@example.org", PASSWORD, full_name="Alice Example")


def _token(client: Client, email: str = "alice@example.org", password: str = PASSWORD) -> Any:
    return client.post(
        "/api/v1/auth/token",
        {"email": email, "password": password},
        content_type="application/json",
    )


def test_token_for_good_credentials(client: Client, alice: User) -> None:
    response = _token(client, "  Alice@Example.org ")
    assert response.status_code == 200
    token = response.json()["token"]
    assert token.startswith("ewtp_")
    assert list(response.json()) == ["token", "expires_at"]
    stored = ApiToken.objects.get()
    assert stored.user == alice
    assert stored.prefix == token[:12]
    assert token not in stored.digest  # only the hash is kept


def test_token_for_bad_credentials_is_a_401_in_the_error_format(
    client: Client, alice: User
) -> None:
    response = _token(client, password="wrong password")
    assert response.status_code == 401
    assert response.json() == {
        "code": "invalid_credentials",
        "message": "Email or password is not correct.",
    }
    assert ApiToken.objects.count() == 0


def test_a_validation_error_names_the_fields(client: Client) -> None:
    response = client.post(
        "/api/v1/auth/token", {"email": "a@b.org"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid_request",
        "message": "The request is not valid.",
        "fields": {"password": "Field required"},
    }


def test_a_body_that_is_not_json_is_a_validation_error(client: Client) -> None:
    response = client.post("/api/v1/auth/token", "not json", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message"}
    assert response.json()["message"] == "Cannot parse request body"


def test_a_domain_error_is_rendered_with_its_status_and_fields() -> None:
    # The handler the API registers for DomainError (config.api), applied to a 409 with fields.
    domain_error = importlib.import_module("config.api").domain_error
    request = RequestFactory().post("/api/v1/anything")
    error = Conflict("out_of_stock", "Only 2 left.", fields={"quantity": "at most 2"})
    response = domain_error(request, error)
    assert response.status_code == 409
    assert response.content == (
        b'{"code": "out_of_stock", "message": "Only 2 left.", "fields": {"quantity": "at most 2"}}'
    )


def test_a_rate_limited_call_gets_429_with_retry_after(
    client: Client, alice: User, settings: Any
) -> None:
    settings.EWTP_RATE_LIMITS = True
    from django.core.cache import cache

    cache.clear()
    statuses = [_token(client, password="wrong").status_code for _ in range(21)]
    assert statuses == [401] * 20 + [429]
    limited = _token(client)
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert limited.json()["message"] == "Too many requests; the limit is 20 a minute."
    assert 0 < int(limited["Retry-After"]) <= 60
    cache.clear()


def test_a_bearer_token_authenticates(client: Client, alice: User) -> None:
    token = _token(client).json()["token"]
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "alice@example.org"
    assert body["full_name"] == "Alice Example"
    assert body["id"] == str(alice.public_id)
    assert body["organisations"] == []
    assert body["is_platform_operator"] is False
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    "header", ["Bearer ewtp_not-a-real-token", "Bearer nonsense", "Basic abc", ""]
)
def test_a_bad_or_missing_token_is_401(client: Client, alice: User, header: str) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": "The bearer token is not valid: it is mistyped, expired or revoked."
        if header.startswith("Bearer")
        else "Log in or send a bearer token.",
    }


def test_a_bad_token_is_401_where_a_guest_is_welcome_too(client: Client) -> None:
    """A cart or an order is a guest's or the caller's: a bad token is not taken for a guest."""
    headers = {"Authorization": "Bearer nonsense"}
    response = client.post("/api/v1/carts", headers=headers)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    assert client.post("/api/v1/carts").status_code == 201  # without a token: a guest's cart


def test_a_revoked_token_is_401(client: Client, alice: User) -> None:
    token = _token(client).json()["token"]
    from ewtp.accounts.services import api_token_revoke

    api_token_revoke(actor=alice, token=ApiToken.objects.get())
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_the_session_authenticates_a_safe_request(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get("/api/v1/auth/me").json()["email"] == "alice@example.org"


def test_health_is_ok(client: Client) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "version": ewtp.__version__}


def test_health_is_503_when_the_database_is_unreachable(client: Client) -> None:
    with mock.patch(
        "config.api.connection.cursor", side_effect=OperationalError("could not connect")
    ):
        response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "unavailable",
        "version": ewtp.__version__,
    }


def test_an_unknown_api_path_is_a_json_404(client: Client) -> None:
    response = client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "code": "not_found",
        "message": "No API endpoint at /api/v1/no/such/thing.",
    }


def test_the_openapi_schema_is_served(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/auth/token" in paths
    assert "/api/v1/auth/me" in paths
    assert "/api/v1/health" in paths


def test_a_session_user_must_pass_csrf_on_unsafe_api_calls(alice: User) -> None:
    from ewtp.accounts.auth import BearerOrSession

    auth = BearerOrSession()
    factory = RequestFactory()
    get = factory.get("/api/v1/auth/me")
    get.user = alice
    assert auth(get) == alice
    post = factory.post("/api/v1/anything", {}, content_type="application/json")
    post.user = alice
    post._dont_enforce_csrf_checks = False  # type: ignore[attr-defined]
    assert auth(post) is None  # no CSRF token: a cross-site form cannot act for the user
    _, clear = api_token_create(user=alice, name="t")
    bearer = factory.post(
        "/api/v1/anything",
        {},
        content_type="application/json",
        headers={"Authorization": f"Bearer {clear}"},
    )
    assert auth(bearer) == alice
