"""The storefront home, the visitor's language and preference choosers, and the error pages."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ewtp.accounts.models import User
from ewtp.accounts.services import user_preferences_update
from ewtp.core import charts, conf, signing
from ewtp.core.errors import DomainError
from ewtp.core.preferences import is_language, remember, remember_language, resolve

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {})


def _next_url(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.headers.get("Referer") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return next_url


def _save_to_profile(
    request: HttpRequest, *, language: str, currency: str, destination: str
) -> None:
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        try:
            user_preferences_update(
                user=user, language=language, currency=currency, destination=destination
            )
        except DomainError:
            # The cookie is set either way; a profile the service refuses stays as it was.
            logger.warning("preferences of %s not saved to the profile", user.pk)


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the interface language: the `ewtp_language` cookie, and the profile if logged in."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(_next_url(request))
    if not is_language(language):
        return response
    remember_language(response, language)
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        _save_to_profile(
            request, language=language, currency=user.currency, destination=user.destination
        )
    return response


@require_POST
def preferences_set(request: HttpRequest) -> HttpResponse:
    """Remember the display currency and destination (cookie; and the profile when logged in)."""
    current = resolve(request)
    currency = request.POST.get("currency", current.currency)
    destination = request.POST.get("destination", current.destination)
    if currency not in conf.CURRENCIES():
        currency = current.currency
    if destination not in conf.DESTINATIONS():
        destination = current.destination
    response = HttpResponseRedirect(_next_url(request))
    remember(response, currency=currency, destination=destination)
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        _save_to_profile(
            request, language=user.language, currency=currency, destination=destination
        )
    return response


# Error pages: JSON under /api/ (the API's error format), the friendly page elsewhere. -------


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        body = {"code": "permission_denied", "message": "You may not do this."}
        return JsonResponse(body, status=403)
    return render(request, "web/error.html", {"status": 403}, status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        body = {"code": "not_found", "message": f"No API endpoint at {request.path}."}
        return JsonResponse(body, status=404)
    return render(request, "web/error.html", {"status": 404}, status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        body = {"code": "server_error", "message": "Something went wrong; it has been logged."}
        return JsonResponse(body, status=500)
    # No context processors and no database: this page must render when everything else fails.
    language = translation.get_language() or settings.LANGUAGE_CODE
    html = loader.get_template("web/500.html").render(
        {"LANGUAGE_CODE": language, "title": _("Something went wrong")}
    )
    return HttpResponse(html, status=500)


def signing_keys(request: HttpRequest) -> JsonResponse:
    """The platform's signing keys (the active one first, then every retired one), for offline
    checks of vouchers and certificates. Cached briefly: a rotation reaches verifiers soon."""
    response = JsonResponse(signing.jwks())
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def charts_css(request: HttpRequest) -> HttpResponse:
    """The one style sheet of the platform's SVG charts (see ewtp.core.charts)."""
    response = HttpResponse(charts.style_sheet(), content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def operator_overview(request: HttpRequest) -> HttpResponse:
    """The platform operator's overview: each figure links to the page where it is handled."""
    from django.contrib.auth.views import redirect_to_login
    from django.core.exceptions import PermissionDenied

    from ewtp.accounts.selectors import is_platform_operator
    from ewtp.web.overview import operator_figures

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_platform_operator(request.user):
        raise PermissionDenied("the platform operator only")
    language = translation.get_language() or settings.LANGUAGE_CODE
    return render(request, "web/operator_overview.html", {"figures": operator_figures(language)})
