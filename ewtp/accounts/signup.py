"""Sign-up that tells nobody whether an address has an account (the writes of sign-up, apart
from :mod:`ewtp.accounts.services`, which they share their checks with)."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from ewtp.accounts.models import User
from ewtp.accounts.services import _check_preferences, _invalid, _validation_fields
from ewtp.core import conf
from ewtp.core.errors import InvalidRequest
from ewtp.core.services import audit_record


def _link(name: str, user: User) -> str:
    """An absolute one-time link for the user (sign-up confirmation, password reset)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return conf.SITE_URL() + reverse(name, args=[uid, token])


def _mail(user: User, subject: str, body: str) -> None:
    send_mail(subject, body, None, [user.email], fail_silently=False)


@transaction.atomic
def user_sign_up_request(
    *,
    email: str,
    password: str,
    full_name: str = "",
    language: str = "en",
    currency: str = "USD",
    destination: str = "BE",
) -> None:
    """Sign-up that tells nobody whether the address has an account: the same answer either
    way, and a mail to the address. A new address gets an inactive account and a link that
    confirms it; a known one gets a notice with a link to choose a new password. The input is
    checked the same way in both cases (the password against the name and address given)."""
    email = User.objects.normalize_email(email.strip()).lower()
    _check_preferences(language=language, currency=currency, destination=destination)
    probe = User(email=email, full_name=full_name.strip())
    try:
        probe.full_clean(exclude=["password"], validate_unique=False)
        validate_password(password, probe)
    except ValidationError as error:
        fields = _validation_fields(error)
        if "__all__" in fields:
            fields = {"password": fields.pop("__all__"), **fields}
        raise _invalid(fields) from None
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        make_password(password)  # the same work as a new account: the answer takes as long
        audit_record(actor=existing, action="accounts.user.sign_up_repeated", target=existing)
        _mail(
            existing,
            _("Someone asked for an eWTP account with your address"),
            _(
                "Someone, perhaps you, asked to create an eWTP account with this address. "
                "It has one already: log in at %(login)s. If you forgot the password, choose a "
                "new one here: %(reset)s\n\nIf it was not you, ignore this mail; nothing "
                "has changed."
            )
            % {
                "login": conf.SITE_URL() + reverse("accounts:login"),
                "reset": _link("accounts:password_reset_confirm", existing),
            },
        )
        return
    user = User(
        email=email,
        full_name=full_name.strip(),
        language=language,
        currency=currency,
        destination=destination,
        is_active=False,
    )
    user.set_password(password)
    user.save()
    audit_record(actor=user, action="accounts.user.signed_up", target=user)
    _mail(
        user,
        _("Confirm your eWTP account"),
        _(
            "Welcome to eWTP. Confirm your address to open your account: %(link)s\n\nIf you "
            "did not sign up, ignore this mail; the account stays closed."
        )
        % {"link": _link("accounts:signup_confirm", user)},
    )


@transaction.atomic
def user_sign_up_confirm(*, uidb64: str, token: str) -> User:
    """Open the account a sign-up confirmation link names (once: logging in voids the link)."""
    try:
        user = User.objects.select_for_update().get(pk=int(urlsafe_base64_decode(uidb64)))
    except (ValueError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or user.is_active or not default_token_generator.check_token(user, token):
        raise InvalidRequest(
            "link_invalid", _("This link is not valid any more: it was used or it expired.")
        )
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(actor=user, action="accounts.user.confirmed", target=user)
    return user


@transaction.atomic
def user_open_after_reset(*, user: User) -> User:
    """An account never confirmed opens when its owner chooses a password through a mailed
    link (the link proves the address; the password replaces whatever the sign-up gave)."""
    if user.is_active or user.last_login is not None:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(actor=user, action="accounts.user.confirmed", target=user)
    return user
