"""Attaches the visitor's currency and destination to every request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ewtp.web.preferences import resolve


class VisitorPreferencesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.preferences = resolve(request)  # type: ignore[attr-defined]
        return self.get_response(request)
