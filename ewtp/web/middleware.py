"""Attaches the visitor's currency and destination to every request, and gives a logged-in
user their profile's language on a device that has no language cookie yet."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation

from ewtp.core.preferences import is_language, remember_language, resolve


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
