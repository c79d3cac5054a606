"""Who is calling the API: a bearer token, else the session's user, else a guest."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.utils import check_csrf

from ewtp.accounts.models import User
from ewtp.accounts.services import api_token_user
from ewtp.core.errors import NotAuthenticated

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def api_user(request: HttpRequest) -> User | None:
    """The bearer token's user; a bad token is answered 401 (it does not fall back to the
    session, nor to a guest: a client with a revoked token should know)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = api_token_user(header[7:].strip())
        if user is None:
            raise NotAuthenticated(
                "not_authenticated",
                _("The bearer token is not valid: it is mistyped, expired or revoked."),
            )
        return user
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.is_authenticated and user.is_active:
        return user
    return None


class BearerOrSession:
    """ninja auth callable: the user, or None (ninja then answers 401).

    A session (cookie) user making an unsafe request must pass Django's CSRF check, as on the
    pages; a bearer token needs none, since a browser never sends it on its own.
    """

    def __call__(self, request: HttpRequest) -> User | None:
        header = request.headers.get("Authorization", "")
        is_bearer = header.lower().startswith("bearer ")
        user = api_user(request)
        if user is None:
            return None
        if not is_bearer and request.method not in SAFE_METHODS and check_csrf(request) is not None:
            return None
        request.user = user
        return user
