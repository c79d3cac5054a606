"""The storefront home, the visitor's preference chooser and the error pages."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ewtp.accounts.models import User
from ewtp.core import signing
from ewtp.accounts.services import user_preferences_update
from ewtp.web.preferences import remember, resolve


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {})


@require_POST
def preferences_set(request: HttpRequest) -> HttpResponse:
    """Remember the display currency and destination (cookie; and the profile when logged in)."""
    current = resolve(request)
    currency = request.POST.get("currency", current.currency)
    destination = request.POST.get("destination", current.destination)
    if currency not in settings.EWTP_CURRENCIES:
        currency = current.currency
    if destination not in settings.EWTP_DESTINATIONS:
        destination = current.destination
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    remember(response, currency=currency, destination=destination)
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        user_preferences_update(
            user=user, language=user.language, currency=currency, destination=destination
        )
    return response


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/error.html", {"status": 403}, status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/error.html", {"status": 404}, status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "web/error.html", {"status": 500}, status=500)


def signing_keys(request: HttpRequest) -> JsonResponse:
    """The platform's public signing key(s), for offline checks of vouchers and certificates."""
    response = JsonResponse(signing.jwks())
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response
