"""The visitor's language, display currency and destination: cookies first, then the profile.

Lives in core so that any app (and the accounts pages) can read and remember preferences
without importing the web layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from ewtp.core import conf

CURRENCY_COOKIE = "ewtp_currency"
DESTINATION_COOKIE = "ewtp_destination"
COOKIE_AGE = 365 * 24 * 3600
DEFAULT_CURRENCY = "USD"
DEFAULT_DESTINATION = "BE"


@dataclass(frozen=True)
class Preferences:
    currency: str
    destination: str


def is_language(code: str) -> bool:
    return code in {language for language, _name in settings.LANGUAGES}


def resolve(request: HttpRequest) -> Preferences:
    """This device's cookies win; a logged-in user without them gets the profile's choice."""
    user = getattr(request, "user", None)
    currency = request.COOKIES.get(CURRENCY_COOKIE, "")
    destination = request.COOKIES.get(DESTINATION_COOKIE, "")
    if user is not None and user.is_authenticated:
        if currency not in conf.CURRENCIES():
            currency = getattr(user, "currency", "")
        if destination not in conf.DESTINATIONS():
            destination = getattr(user, "destination", "")
    if currency not in conf.CURRENCIES():
        currency = DEFAULT_CURRENCY
    if destination not in conf.DESTINATIONS():
        destination = DEFAULT_DESTINATION
    return Preferences(currency=currency, destination=destination)


def remember(response: HttpResponse, *, currency: str, destination: str) -> None:
    response.set_cookie(CURRENCY_COOKIE, currency, max_age=COOKIE_AGE, samesite="Lax")
    response.set_cookie(DESTINATION_COOKIE, destination, max_age=COOKIE_AGE, samesite="Lax")


def remember_language(response: HttpResponse, language: str) -> None:
    """Set Django's language cookie (LANGUAGE_COOKIE_NAME, `ewtp_language`)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
    )
