"""API of accounts: bearer tokens, and who the caller is."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from ewtp.accounts.auth import BearerOrSession
from ewtp.accounts.models import ApiToken, User
from ewtp.accounts.selectors import (
    api_token_get_for,
    api_tokens_of,
    is_platform_operator,
    memberships_of,
)
from ewtp.accounts.services import api_token_issue, api_token_revoke
from ewtp.core.ratelimit import rate_limit

router = Router(tags=["auth"])


class TokenIn(Schema):
    email: str
    password: str
    name: str = ""


class TokenOut(Schema):
    token: str
    expires_at: str | None


class TokenInfoOut(Schema):
    id: str
    name: str
    prefix: str
    created_at: str
    last_used_at: str | None
    expires_at: str | None
    state: str


def _when(moment: object) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None  # type: ignore[attr-defined]


def token_info(token: ApiToken) -> dict[str, object]:
    state = "revoked" if token.revoked_at else ("expired" if token.is_expired else "active")
    return {
        "id": str(token.public_id),
        "name": token.name,
        "prefix": token.prefix,
        "created_at": _when(token.created_at),
        "last_used_at": _when(token.last_used_at),
        "expires_at": _when(token.expires_at),
        "state": state,
    }


class MembershipOut(Schema):
    organisation: str
    name: str
    kind: str
    role: str
    verification: str


class MeOut(Schema):
    id: str
    email: str
    full_name: str
    language: str
    currency: str
    destination: str
    is_platform_operator: bool
    organisations: list[MembershipOut]


class ErrorOut(Schema):
    code: str
    message: str


@router.post(
    "/token",
    response={200: TokenOut, 401: ErrorOut, 429: ErrorOut},
    summary="Exchange email and password for a bearer token",
    auth=None,
)
def token_create(request: HttpRequest, payload: TokenIn) -> dict[str, object]:
    rate_limit(request, "auth.token", per_minute=20, account=payload.email)
    token, clear = api_token_issue(
        email=payload.email, password=payload.password, name=payload.name
    )
    return {"token": clear, "expires_at": _when(token.expires_at)}


@router.get(
    "/tokens",
    response={200: list[TokenInfoOut], 401: ErrorOut},
    auth=BearerOrSession(),
    summary="The caller's API tokens (never the tokens themselves), newest first",
)
def token_list(request: HttpRequest) -> list[dict[str, object]]:
    return [token_info(token) for token in api_tokens_of(request.user)[:100]]


@router.delete(
    "/tokens/{token_id}",
    response={200: TokenInfoOut, 401: ErrorOut, 404: ErrorOut},
    auth=BearerOrSession(),
    summary="Revoke one of the caller's tokens (the one calling, too); it is refused at once",
)
def token_delete(request: HttpRequest, token_id: str) -> dict[str, object]:
    user = request.user
    assert isinstance(user, User)
    token = api_token_revoke(actor=user, token=api_token_get_for(user, token_id))
    return token_info(token)


@router.get(
    "/me",
    response={200: MeOut, 401: ErrorOut},
    auth=BearerOrSession(),
    summary="The calling user, with their organisations and roles",
)
def me(request: HttpRequest) -> dict[str, object]:
    user = request.user
    assert isinstance(user, User)
    return {
        "id": str(user.public_id),
        "email": user.email,
        "full_name": user.full_name,
        "language": user.language,
        "currency": user.currency,
        "destination": user.destination,
        "is_platform_operator": is_platform_operator(user),
        "organisations": [
            {
                "organisation": membership.organisation.slug,
                "name": membership.organisation.name,
                "kind": membership.organisation.kind,
                "role": membership.role,
                "verification": membership.organisation.verification,
            }
            for membership in memberships_of(user)
        ],
    }
