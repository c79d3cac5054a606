"""API of accounts: bearer tokens."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from ewtp.accounts.services import api_token_issue
from ewtp.core.ratelimit import rate_limit

router = Router(tags=["auth"])


class TokenIn(Schema):
    email: str
    password: str


class TokenOut(Schema):
    token: str


@router.post("/token", response={200: TokenOut}, summary="Exchange email and password for a token")
def token_create(request: HttpRequest, payload: TokenIn) -> dict[str, str]:
    rate_limit(request, "auth.token", per_minute=20)
    _, clear = api_token_issue(email=payload.email, password=payload.password)
    return {"token": clear}
