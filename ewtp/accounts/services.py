"""Writes of accounts: sign-up, organisations, memberships, verification, API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from ewtp.accounts.models import ApiToken, Membership, Organisation, User
from ewtp.core import clock
from ewtp.core.errors import Conflict, DomainError, InvalidRequest, NotAuthenticated
from ewtp.core.services import audit_record

TOKEN_PREFIX = "ewtp_"


def _validation_fields(error: ValidationError) -> dict[str, str]:
    if hasattr(error, "error_dict"):
        return {
            field: " ".join(str(m) for e in errors for m in e.messages)
            for field, errors in error.error_dict.items()
        }
    return {"__all__": " ".join(error.messages)}


@transaction.atomic
def user_sign_up(*, email: str, password: str, full_name: str = "", language: str = "en") -> User:
    email = User.objects.normalize_email(email.strip()).lower()
    if User.objects.filter(email=email).exists():
        raise Conflict(
            "email_taken",
            "An account with this email address exists already.",
            fields={"email": "already registered"},
        )
    user = User(email=email, full_name=full_name.strip(), language=language)
    try:
        user.full_clean(exclude=["password"])
        validate_password(password, user)
    except ValidationError as error:
        fields = _validation_fields(error)
        if "__all__" in fields:
            fields = {"password": fields.pop("__all__"), **fields}
        raise InvalidRequest(
            "invalid_request", "Please correct the fields shown.", fields=fields
        ) from None
    user.set_password(password)
    user.save()
    audit_record(actor=user, action="accounts.user.signed_up", target=user)
    return user


@transaction.atomic
def user_preferences_update(
    *, user: User, language: str, currency: str, destination: str, full_name: str | None = None
) -> User:
    user.language = language
    user.currency = currency
    user.destination = destination
    if full_name is not None:
        user.full_name = full_name.strip()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        raise InvalidRequest(
            "invalid_request", "Please correct the fields shown.", fields=_validation_fields(error)
        ) from None
    user.save()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, email: str, password: str, name: str = "") -> tuple[ApiToken, str]:
    """Check the credentials and issue a bearer token; the clear token is returned once."""
    user = authenticate(username=email.strip().lower(), password=password)
    if user is None or not user.is_active:
        raise NotAuthenticated("invalid_credentials", "Email or password is not correct.")
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, prefix=clear[:12], digest=_digest(clear), name=name)
    audit_record(actor=user, action="accounts.api_token.issued", target=token)
    return token, clear


def api_token_user(clear: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    if not clear.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(clear), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=clock.now())
    return token.user


@transaction.atomic
def organisation_create(
    *, actor: User, name: str, kind: str, country: str, description: str = "", slug: str = ""
) -> Organisation:
    organisation = Organisation(
        name=name.strip(),
        kind=kind,
        country=country.upper(),
        description=description,
        slug=slug or slugify(name)[:80],
    )
    try:
        organisation.full_clean()
    except ValidationError as error:
        raise InvalidRequest(
            "invalid_request", "Please correct the fields shown.", fields=_validation_fields(error)
        ) from None
    organisation.save()
    Membership.objects.create(user=actor, organisation=organisation, role=Membership.Role.OWNER)
    audit_record(
        actor=actor,
        action="accounts.organisation.created",
        target=organisation,
        organisation_ref=str(organisation.public_id),
        data={"kind": kind},
    )
    return organisation


@transaction.atomic
def membership_add(*, actor: User, organisation: Organisation, user: User, role: str) -> Membership:
    from ewtp.accounts.selectors import require_role

    require_role(actor, organisation, {Membership.Role.OWNER})
    membership, _ = Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    audit_record(
        actor=actor,
        action="accounts.membership.set",
        target=organisation,
        organisation_ref=str(organisation.public_id),
        data={"user": user.email, "role": role},
    )
    return membership


@transaction.atomic
def organisation_verify(
    *, actor: User, organisation: Organisation, decision: str, note: str = ""
) -> Organisation:
    """The platform operator verifies or rejects an organisation."""
    from ewtp.accounts.selectors import require_platform_operator

    require_platform_operator(actor)
    if decision not in {Organisation.Verification.VERIFIED, Organisation.Verification.REJECTED}:
        raise DomainError(
            "invalid_decision",
            "Decision must be verified or rejected.",
            fields={"decision": "verified or rejected"},
        )
    organisation.verification = decision
    organisation.verification_note = note
    organisation.verified_by = actor
    organisation.verified_at = clock.now()
    organisation.save(
        update_fields=["verification", "verification_note", "verified_by", "verified_at"]
    )
    audit_record(
        actor=actor,
        action=f"accounts.organisation.{decision}",
        target=organisation,
        organisation_ref=str(organisation.public_id),
        data={"note": note},
    )
    return organisation
