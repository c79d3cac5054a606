"""Forms of accounts: shape only; the services validate the rest."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class SignUpForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    email = forms.EmailField(label=_("Email address"))
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput,
        min_length=10,
        help_text=_("At least 10 characters."),
    )


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    currency = forms.ChoiceField(
        label=_("Currency"), choices=[(c, c) for c in settings.EWTP_CURRENCIES]
    )
    destination = forms.ChoiceField(
        label=_("Deliver to"), choices=[(c, c) for c in settings.EWTP_DESTINATIONS]
    )
