"""Who is calling the API: a bearer token, else the session's user, else a guest."""

from __future__ import annotations

from django.http import HttpRequest

from ewtp.accounts.models import User
from ewtp.accounts.services import api_token_user


def api_user(request: HttpRequest) -> User | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return api_token_user(header[7:].strip())
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.is_authenticated:
        return user
    return None


class BearerOrSession:
    """ninja auth callable: the user, or None (ninja then answers 401)."""

    def __call__(self, request: HttpRequest) -> User | None:
        user = api_user(request)
        if user is not None:
            request.user = user
        return user
