"""Domain errors on pages: NotFound is a 404 page, PermissionDenied a 403 page.

Wrap a view with @page_errors so that a selector's NotFound or PermissionDenied shows the
friendly error page instead of a 500; other domain errors are the view's to show on its form.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from ewtp.core.errors import NotFound, PermissionDenied


def page_errors[**P](view: Callable[P, HttpResponse]) -> Callable[P, HttpResponse]:
    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            return view(*args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from None
        except PermissionDenied as error:
            raise DjangoPermissionDenied(error.message) from None

    return wrapped


def is_htmx(request: HttpRequest) -> bool:
    """True for a request htmx made (it wants a fragment, not the whole page)."""
    return bool(getattr(request, "htmx", False)) or request.headers.get("HX-Request") == "true"


LINK_KEYS = ("approve_url", "booking_url")


def absolute_links(request: HttpRequest, body: Any) -> Any:
    """A copy of an API answer whose site-relative links (``approve_url``, ``booking_url``,
    at the top or in ``payment``) are absolute on the host the client called, so that a
    program can follow them as they are. Stored answers (idempotent replays) stay relative."""
    if not isinstance(body, dict):
        return body
    answer = dict(body)
    for key in LINK_KEYS:
        if isinstance(answer.get(key), str) and answer[key].startswith("/"):
            answer[key] = request.build_absolute_uri(answer[key])
    if isinstance(answer.get("payment"), dict):
        answer["payment"] = absolute_links(request, answer["payment"])
    return answer
