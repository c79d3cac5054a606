"""Attaches the visitor's currency and destination to every request, and gives a logged-in
user their profile's language on a device that has no language cookie yet."""

from __future__ import annotations

import functools
import http.client
from collections.abc import Callable
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils import translation
from ninja.utils import check_csrf

from ewtp.core import conf
from ewtp.core.preferences import is_language, remember_language, resolve

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class VisitorPreferencesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.preferences = resolve(request)  # type: ignore[attr-defined]
        profile_language = ""
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and not request.path.startswith("/api/")
        ):
            language = getattr(user, "language", "")
            if is_language(language):
                profile_language = language
                translation.activate(language)
                request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if profile_language and settings.LANGUAGE_COOKIE_NAME not in response.cookies:
            # Unless the view has just set another (the profile saved, a switch).
            remember_language(response, profile_language)
        return response


class ApiMethodNotAllowedMiddleware:
    """A wrong HTTP method on the API answers in the API's error format, not plain text."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            allowed = response.get("Allow", "")
            body = JsonResponse(
                {
                    "code": "method_not_allowed",
                    "message": f"{request.method} is not allowed here; use {allowed}.",
                },
                status=405,
            )
            body["Allow"] = allowed
            return body
        return response


class RequestSizeLimitMiddleware:
    """A request whose declared body is over EWTP_MAX_REQUEST_BYTES is refused with 413 before
    a byte of it is read; an unsafe request of unknown length (chunked) gets 411."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = conf.MAX_REQUEST_BYTES()
        declared = request.META.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not declared:
            return _refusal(request, 411, "length_required", "Send a Content-Length.")
        try:
            length = int(declared) if declared else 0
        except ValueError:
            return _refusal(request, 400, "invalid_request", "The Content-Length is not a number.")
        if limit and length > limit:
            return _refusal(
                request,
                413,
                "too_large",
                f"The request body is over the limit of {limit} bytes.",
            )
        return self.get_response(request)


def _refusal(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class ApiCsrfMiddleware:
    """The API's unsafe requests made with the session cookie of a logged-in user pass the CSRF
    check the pages pass (a cross-site form or script cannot act for the user); a request with
    a bearer token, or from nobody logged in, needs none (a browser never adds a token itself)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: Any,
        kwargs: Any,
    ) -> HttpResponse | None:
        if (
            not request.path.startswith("/api/")
            or request.method in SAFE_METHODS
            or request.headers.get("Authorization", "").lower().startswith("bearer ")
            or getattr(request, "_dont_enforce_csrf_checks", False)
        ):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if check_csrf(request) is None:
            return None
        body = {
            "code": "csrf_failed",
            "message": "This request carries your session but no CSRF token: send the "
            "X-CSRFToken header, or authenticate with a bearer token.",
        }
        return JsonResponse(body, status=403)


class PageMessageMiddleware(MessageMiddleware):
    """Django's messages, for the pages only: the API (everything under /api/, JSON) never
    shows one, so no message storage is built (nor its cookie read) for an API request."""

    def process_request(self, request: HttpRequest) -> None:
        if not request.path.startswith("/api/"):
            super().process_request(request)


# What a view may set to change one answer's policy (django-csp's decorators): an answer
# with any of them, or whose template asked for ``request.csp_nonce``, takes django-csp's way.
_PER_ANSWER = (
    "_csp_exempt",
    "_csp_exempt_ro",
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_DEBUG_EXEMPT = frozenset({http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND})


@functools.cache
def _policies() -> tuple[tuple[str, tuple[str, ...], str], tuple[str, tuple[str, ...], str]]:
    """(header, excluded path prefixes, value) of the policy and of the report-only policy,
    built from the settings once per process (an empty value: no such header)."""

    def prefixes(setting: str) -> tuple[str, ...]:
        return tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())

    return (
        (HEADER, prefixes("CONTENT_SECURITY_POLICY"), build_policy()),
        (
            HEADER_REPORT_ONLY,
            prefixes("CONTENT_SECURITY_POLICY_REPORT_ONLY"),
            build_policy(report_only=True),
        ),
    )


@receiver(setting_changed)
def _policies_forget(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _policies.cache_clear()


class CSPMiddleware(LibraryCSPMiddleware):
    """django-csp's middleware, with the policy of an answer that uses no nonce and no
    per-view change built once per process: django-csp builds it from the settings twice for
    every answer (the policy and the report-only one), also for the API's JSON (0.1 to 0.3 ms of a
    refusal's few). The same headers on the same answers; anything per answer (a nonce asked
    for by a template, a ``csp_update``/``csp_replace``/``csp_exempt`` decorator) goes through
    django-csp unchanged."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in _PER_ANSWER
        ):
            return super().process_response(request, response)
        if response.status_code in _DEBUG_EXEMPT and settings.DEBUG:
            return response
        (header, excluded, policy), (header_ro, excluded_ro, policy_ro) = _policies()
        path = request.path_info
        if policy and header not in response and not path.startswith(excluded):
            response[header] = policy
        if policy_ro and header_ro not in response and not path.startswith(excluded_ro):
            response[header_ro] = policy_ro
        # As django-csp: a nonce asked for once the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
