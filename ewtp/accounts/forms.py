"""Forms of accounts: shape only; the services validate the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from ewtp.accounts.models import Membership, Organisation
from ewtp.core import conf
from ewtp.core.countries import country_name

REQUIRED = {"required": _("This field is required.")}


def _country_choices(codes: list[str] | None = None) -> list[tuple[str, str]]:
    import pycountry

    language = get_language() or "en"
    all_codes = codes or [str(country.alpha_2) for country in pycountry.countries]
    return sorted(
        ((code, country_name(code, language)) for code in all_codes), key=lambda item: item[1]
    )


class SignUpForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    email = forms.EmailField(
        label=_("Email address"),
        error_messages={**REQUIRED, "invalid": _("Enter a valid email address.")},
    )
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        min_length=10,
        help_text=_("At least 10 characters."),
        error_messages={**REQUIRED, "min_length": _("At least 10 characters.")},
    )


class EmailAuthenticationForm(AuthenticationForm):
    """Log in with the email address, whatever its case."""

    error_messages = {
        "invalid_login": _("The email address or the password is not correct."),
        "inactive": _("This account is inactive."),
    }

    def __init__(self, *args: Any, rate_limited: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rate_limited = rate_limited
        self.fields["username"].label = _("Email address")
        self.fields["username"].error_messages.update(REQUIRED)
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "type": "email"})
        self.fields["password"].label = _("Password")
        self.fields["password"].error_messages.update(REQUIRED)

    def clean_username(self) -> str:
        return str(self.cleaned_data.get("username", "")).strip().lower()

    def clean(self) -> dict[str, Any]:
        if self.rate_limited:
            # Refused before the password is checked: that is what the limit is there to stop.
            raise ValidationError(
                _("Too many attempts; wait a minute and try again."), code="rate_limited"
            )
        return super().clean()


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset request (it mails a one-time link through EMAIL_BACKEND, the outbox)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Email address")
        self.fields["email"].error_messages.update(
            {**REQUIRED, "invalid": _("Enter a valid email address.")}
        )


class NewPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """The reset link's form; saving goes through accounts.services (validated, audited)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("New password")
        self.fields["new_password2"].label = _("The new password again")
        self.fields["new_password1"].help_text = _("At least 10 characters.")
        self.error_messages = {"password_mismatch": _("The two passwords differ.")}

    def save(self, commit: bool = True) -> Any:
        from ewtp.accounts.services import user_password_set

        return user_password_set(user=self.user, password=self.cleaned_data["new_password1"])


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    # Each language by its own name, so that a reader finds theirs whatever the page's language.
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[
            (code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES
        ],
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in conf.CURRENCIES()])
    destination = forms.ChoiceField(label=_("Deliver to"), choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["destination"].choices = _country_choices(list(conf.DESTINATIONS()))  # type: ignore[attr-defined]


class RegistrationForm(forms.Form):
    """What the platform operator needs to verify an organisation."""

    registration_number = forms.CharField(
        label=_("Registration number"),
        max_length=40,
        required=False,
        help_text=_(
            "In Rwanda the RDB company code or TIN (9 digits); elsewhere the company register or tax number."
        ),
    )
    address = forms.CharField(
        label=_("Registered address"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    registration_document = forms.FileField(
        label=_("Certificate of registration"),
        required=False,
        help_text=_("PDF, JPEG or PNG, at most 5 MB. Only the platform operator sees it."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class OrganisationForm(RegistrationForm):
    name = forms.CharField(label=_("Name"), max_length=200, error_messages=REQUIRED)
    kind = forms.ChoiceField(label=_("Kind"), choices=[])
    country = forms.ChoiceField(label=_("Country"), choices=[])
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    field_order = [
        "name",
        "kind",
        "country",
        "description",
        "registration_number",
        "address",
        "registration_document",
    ]

    def __init__(self, *args: Any, operator: bool = False, **kwargs: Any) -> None:
        from ewtp.accounts.registration import SELF_SERVICE_KINDS

        super().__init__(*args, **kwargs)
        self.fields["country"].choices = _country_choices()  # type: ignore[attr-defined]
        self.fields["country"].initial = "RW"
        # Customs, rule stewards, hubs and the platform operator: created by the operator only.
        self.fields["kind"].choices = [  # type: ignore[attr-defined]
            (value, label)
            for value, label in Organisation.Kind.choices
            if operator or value in SELF_SERVICE_KINDS
        ]


class MemberAddForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        error_messages={**REQUIRED, "invalid": _("Enter a valid email address.")},
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.STAFF
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class VerificationForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (Organisation.Verification.VERIFIED, _("Verify")),
            (Organisation.Verification.REJECTED, _("Reject")),
        ],
    )
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Required when rejecting: say what to put right."),
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “stock sync”."),
        error_messages=REQUIRED,
    )


def fee_terms_text(seller_category: str) -> str:
    """The fee terms of a category, worded as the sellers' pages word them (platform tag)."""
    from ewtp.core.templatetags.platform import platform_fee_terms

    return platform_fee_terms(Organisation(seller_category=seller_category))


class SellerCategoryForm(forms.Form):
    """The owner's choice of seller category, each with the fee terms it brings."""

    seller_category = forms.ChoiceField(
        label=_("Seller category"), widget=forms.RadioSelect, error_messages=REQUIRED
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per form, so that the labels and terms follow the page's language.
        self.fields["seller_category"].choices = [  # type: ignore[attr-defined]
            (value, f"{label} — {fee_terms_text(value)}")
            for value, label in Organisation.SellerCategory.choices
            if value
        ]


class SellerCategoryReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approved", _("Approve")), ("rejected", _("Reject"))],
    )
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Required when rejecting: say what to put right."),
    )
