"""Template context every page gets: the visitor's preferences, the choices offered, and the
navigation entries this visitor may see."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language

import ewtp
from ewtp.accounts.selectors import is_platform_operator, organisation_kinds_of
from ewtp.core import conf, navigation
from ewtp.core.countries import country_name


def nav_links(request: HttpRequest) -> list[dict[str, Any]]:
    """The registry's entries this visitor may see, whose URL exists; computed once a request."""
    cached: list[dict[str, Any]] | None = getattr(request, "_ewtp_nav", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    logged_in = bool(user is not None and user.is_authenticated)
    kinds = organisation_kinds_of(user) if logged_in else set()
    operator: bool | None = None
    links: list[dict[str, Any]] = []
    for entry in navigation.entries():
        if entry.kind == navigation.LOGGED_IN:
            allowed = logged_in
        elif entry.kind == navigation.PLATFORM_OPERATOR:
            if operator is None:
                operator = logged_in and is_platform_operator(user)
            allowed = operator
        elif entry.kind == navigation.EVERYONE:
            allowed = True
        else:
            allowed = entry.kind in kinds
        if not allowed:
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue  # the app has not built that page yet
        current = url != "/" and request.path.startswith(url)
        links.append({"label": entry.label, "url": url, "current": current})
    request._ewtp_nav = links  # type: ignore[attr-defined]
    return links


def platform(request: HttpRequest) -> dict[str, Any]:
    language = get_language() or settings.LANGUAGE_CODE
    return {
        "preferences": getattr(request, "preferences", None),
        "currencies": conf.CURRENCIES(),
        "destinations": [(code, country_name(code, language)) for code in conf.DESTINATIONS()],
        "ewtp_version": ewtp.__version__,
        # A callable: the template evaluates it only where the navigation is drawn.
        "nav_links": lambda: nav_links(request),
        "payments_simulated": payments_simulated(),
    }


def payments_simulated() -> bool:
    """A simulated payment provider is offered: every page says so."""
    from ewtp.payments.providers import simulated_offered

    return simulated_offered()
