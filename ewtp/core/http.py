"""Domain errors on pages: NotFound is a 404 page, PermissionDenied a 403 page.

Wrap a view with @page_errors so that a selector's NotFound or PermissionDenied shows the
friendly error page instead of a 500; other domain errors are the view's to show on its form.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

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


class RefuseNulBytesMiddleware:
    """A NUL byte in the path, the query, a form field or a JSON string is refused with 400.

    No text the platform stores may hold one, and PostgreSQL refuses it in any query ("A
    string literal cannot contain NUL"), which would otherwise surface as a server error
    wherever such a value reaches the database.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _carries_nul(request):
            message = _("The request contains a NUL character, which no field may hold.")
            if request.path.startswith("/api/"):
                body = {"code": "invalid_request", "message": str(message)}
                return JsonResponse(body, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _carries_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    if any("\x00" in key or "\x00" in value for key, value in request.GET.items()):
        return True
    content_type = request.content_type or ""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return False
    if content_type == "multipart/form-data":
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return False  # an upload: left to its form (reading it here would use it up)
        request.body  # noqa: B018 - kept, so that the view can still read the body after this
    if content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        return any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.POST.lists()
        )
    if content_type == "application/json" and b"\\u0000" in request.body.lower():
        try:
            return _json_has_nul(json.loads(request.body))
        except ValueError:
            return False  # not JSON: the API answers that itself
    return False


def _json_has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_json_has_nul(key) or _json_has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_json_has_nul(item) for item in value)
    return False
