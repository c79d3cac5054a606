"""The visitor's display currency and destination: remembered in cookies and on the profile."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

CURRENCY_COOKIE = "ewtp_currency"
DESTINATION_COOKIE = "ewtp_destination"
COOKIE_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class Preferences:
    currency: str
    destination: str


def resolve(request: HttpRequest) -> Preferences:
    user = getattr(request, "user", None)
    currency = request.COOKIES.get(CURRENCY_COOKIE, "")
    destination = request.COOKIES.get(DESTINATION_COOKIE, "")
    if user is not None and user.is_authenticated:
        currency = currency or user.currency
        destination = destination or user.destination
    if currency not in settings.EWTP_CURRENCIES:
        currency = "USD"
    if destination not in settings.EWTP_DESTINATIONS:
        destination = "BE"
    return Preferences(currency=currency, destination=destination)


def remember(response: HttpResponse, *, currency: str, destination: str) -> None:
    response.set_cookie(CURRENCY_COOKIE, currency, max_age=COOKIE_AGE, samesite="Lax")
    response.set_cookie(DESTINATION_COOKIE, destination, max_age=COOKIE_AGE, samesite="Lax")
