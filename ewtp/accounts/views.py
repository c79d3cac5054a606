"""Pages of accounts: sign up, log in and out, profile, password reset."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ewtp.accounts.forms import ProfileForm, SignUpForm
from ewtp.accounts.models import User
from ewtp.accounts.selectors import organisations_of
from ewtp.accounts.services import user_preferences_update, user_sign_up
from ewtp.core.errors import DomainError
from ewtp.web.preferences import remember


def _apply_language(response: HttpResponse, language: str) -> None:
    from django.conf import settings

    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
    )


def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                full_name=form.cleaned_data["full_name"],
                language=translation.get_language() or "en",
            )
        except DomainError as error:
            for field, message in error.fields.items():
                form.add_error(field if field in form.fields else None, message)
            if not error.fields:
                form.add_error(None, error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to eWTP."))
            return HttpResponseRedirect(reverse("web:home"))
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    initial = {
        "full_name": user.full_name,
        "language": user.language,
        "currency": user.currency,
        "destination": user.destination,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user_preferences_update(user=user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            response = HttpResponseRedirect(reverse("accounts:profile"))
            _apply_language(response, user.language)
            remember(response, currency=user.currency, destination=user.destination)
            messages.success(request, _("Your preferences are saved."))
            return response
    return render(
        request, "accounts/profile.html", {"form": form, "organisations": organisations_of(user)}
    )
