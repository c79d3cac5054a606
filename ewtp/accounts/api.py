"""API of accounts: bearer tokens, and who the caller is."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from ewtp.accounts.auth import BearerOrSession
from ewtp.accounts.models import User
from ewtp.accounts.selectors import is_platform_operator, memberships_of
from ewtp.accounts.services import api_token_issue
from ewtp.core.ratelimit import rate_limit

router = Router(tags=["auth"])


class TokenIn(Schema):
    email: str
    password: str
    name: str = ""


class TokenOut(Schema):
    token: str


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
def token_create(request: HttpRequest, payload: TokenIn) -> dict[str, str]:
    rate_limit(request, "auth.token", per_minute=20, account=payload.email)
    _, clear = api_token_issue(email=payload.email, password=payload.password, name=payload.name)
    return {"token": clear}


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
