"""Writes of accounts: sign-up, preferences, passwords, organisations, memberships,
verification, seller categories and API tokens. Each owns its transaction and leaves an
audit record."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ewtp.accounts.models import ApiToken, Membership, Organisation, User
from ewtp.accounts.selectors import (
    require_platform_operator,
    require_role,
)
from ewtp.core import clock, conf
from ewtp.core.errors import (
    Conflict,
    DomainError,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
)
from ewtp.core.fees import fee_terms
from ewtp.core.preferences import is_language
from ewtp.core.services import audit_record

TOKEN_PREFIX = "ewtp_"
MAX_ACTIVE_TOKENS = 20


def _validation_fields(error: ValidationError) -> dict[str, str]:
    if hasattr(error, "error_dict"):
        return {
            field: " ".join(str(m) for e in errors for m in e.messages)
            for field, errors in error.error_dict.items()
        }
    return {"__all__": " ".join(error.messages)}


def _invalid(fields: dict[str, str]) -> InvalidRequest:
    return InvalidRequest("invalid_request", _("Please correct the fields shown."), fields=fields)


def _check_preferences(*, language: str, currency: str, destination: str) -> None:
    fields = {}
    if not is_language(language):
        fields["language"] = _("not a language of the platform")
    if currency not in conf.CURRENCIES():
        fields["currency"] = _("not a currency of the platform")
    if destination not in conf.DESTINATIONS():
        fields["destination"] = _("not a destination of the platform")
    if fields:
        raise _invalid(fields)


# Users -------------------------------------------------------------------------------------


@transaction.atomic
def user_sign_up(
    *,
    email: str,
    password: str,
    full_name: str = "",
    language: str = "en",
    currency: str = "USD",
    destination: str = "BE",
) -> User:
    email = User.objects.normalize_email(email.strip()).lower()
    if User.objects.filter(email=email).exists():
        raise Conflict(
            "email_taken",
            _("An account with this email address exists already."),
            fields={"email": _("already registered")},
        )
    _check_preferences(language=language, currency=currency, destination=destination)
    user = User(
        email=email,
        full_name=full_name.strip(),
        language=language,
        currency=currency,
        destination=destination,
    )
    try:
        user.full_clean(exclude=["password"])
        validate_password(password, user)
    except ValidationError as error:
        fields = _validation_fields(error)
        if "__all__" in fields:
            fields = {"password": fields.pop("__all__"), **fields}
        raise _invalid(fields) from None
    user.set_password(password)
    user.save()
    audit_record(actor=user, action="accounts.user.signed_up", target=user)
    return user


@transaction.atomic
def user_preferences_update(
    *, user: User, language: str, currency: str, destination: str, full_name: str | None = None
) -> User:
    """Save the profile's language, display currency and destination (and the name)."""
    _check_preferences(language=language, currency=currency, destination=destination)
    before = {
        "language": user.language,
        "currency": user.currency,
        "destination": user.destination,
        "full_name": user.full_name,
    }
    user.language = language
    user.currency = currency
    user.destination = destination
    if full_name is not None:
        user.full_name = full_name.strip()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        raise _invalid(_validation_fields(error)) from None
    changed = {
        field: getattr(user, field) for field, old in before.items() if getattr(user, field) != old
    }
    if not changed:
        return user
    user.save(update_fields=list(changed))
    audit_record(actor=user, action="accounts.user.preferences_updated", target=user, data=changed)
    return user


@transaction.atomic
def user_password_set(*, user: User, password: str, reason: str = "reset") -> User:
    """Set a new password (after a reset link, or a change); validated like at sign-up."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise _invalid({"password": " ".join(error.messages)}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=user, action=f"accounts.user.password_{reason}", target=user)
    return user


# API tokens --------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(user: User, name: str) -> tuple[ApiToken, str]:
    unrevoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    active = unrevoked.exclude(expires_at__lte=clock.now()).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise Conflict(
            "too_many_tokens",
            _("You have %(count)s active tokens; revoke one before making another.")
            % {"count": active},
        )
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    days = conf.API_TOKEN_DAYS()
    token = ApiToken.objects.create(
        user=user,
        prefix=clear[:12],
        digest=_digest(clear),
        name=name.strip()[:100],
        expires_at=clock.now() + timedelta(days=days) if days else None,
    )
    audit_record(actor=user, action="accounts.api_token.issued", target=token)
    return token, clear


@transaction.atomic
def api_token_issue(*, email: str, password: str, name: str = "") -> tuple[ApiToken, str]:
    """Check the credentials and issue a bearer token; the clear token is returned once."""
    user = authenticate(username=email.strip().lower(), password=password)
    if not isinstance(user, User) or not user.is_active:
        raise NotAuthenticated("invalid_credentials", _("Email or password is not correct."))
    return _issue(user, name or "API")


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A token made on the tokens page by a logged-in user; the clear token is shown once."""
    if not name.strip():
        raise _invalid({"name": _("give the token a name")})
    return _issue(user, name)


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    if token.user_id != actor.pk:
        raise NotFound("not_found", _("No such token."))
    if token.revoked_at is not None:
        return token
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="accounts.api_token.revoked", target=token)
    return token


def api_token_user(clear: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    if not clear.startswith(TOKEN_PREFIX):
        return None
    now = clock.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(clear), revoked_at__isnull=True)
        .exclude(expires_at__lte=now)  # expired
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    # Touch last_used_at at most once a minute, so that busy clients do not write every call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# Organisations -----------------------------------------------------------------------------

# Registering an organisation is ewtp.accounts.registration.organisation_create.


@transaction.atomic
def organisation_resubmit(*, actor: User, organisation: Organisation) -> Organisation:
    """After a rejection the owner may ask for verification again (having fixed the cause)."""
    require_role(actor, organisation, {Membership.Role.OWNER})
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.verification != Organisation.Verification.REJECTED:
        raise Conflict("not_rejected", _("Only a rejected organisation can be submitted again."))
    organisation.verification = Organisation.Verification.SUBMITTED
    organisation.save(update_fields=["verification"])
    audit_record(
        actor=actor,
        action="accounts.organisation.resubmitted",
        target=organisation,
        organisation_ref=str(organisation.public_id),
    )
    return organisation


@transaction.atomic
def organisation_verify(
    *, actor: User, organisation: Organisation, decision: str, note: str = ""
) -> Organisation:
    """The platform operator verifies or rejects an organisation (a rejection needs a note)."""
    require_platform_operator(actor)
    if decision not in {Organisation.Verification.VERIFIED, Organisation.Verification.REJECTED}:
        raise DomainError(
            "invalid_decision",
            _("Decision must be verified or rejected."),
            fields={"decision": _("verified or rejected")},
        )
    note = note.strip()
    if decision == Organisation.Verification.REJECTED and not note:
        raise _invalid({"note": _("say why, so that the organisation can put it right")})
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
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


# Memberships -------------------------------------------------------------------------------


def _check_role(role: str, organisation: Organisation) -> None:
    if role not in Membership.roles_of(organisation):  # gate only: tour operators alone
        raise _invalid({"role": _("owner, staff or viewer")})


def _owners_left(organisation: Organisation, *, without: Membership) -> int:
    return (
        Membership.objects.filter(organisation=organisation, role=Membership.Role.OWNER)
        .exclude(pk=without.pk)
        .count()
    )


@transaction.atomic
def membership_add(*, actor: User, organisation: Organisation, email: str, role: str) -> Membership:
    """The owner adds a person (who has an account) to the organisation with a role."""
    require_role(actor, organisation, {Membership.Role.OWNER})
    _check_role(role, organisation)
    email = email.strip().lower()
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None:
        raise _invalid({"email": _("no account with this address; ask them to sign up first")})
    if Membership.objects.filter(user=user, organisation=organisation).exists():
        raise Conflict(
            "already_member",
            _("This person is a member already; change their role instead."),
            fields={"email": _("already a member")},
        )
    membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    audit_record(
        actor=actor,
        action="accounts.membership.added",
        target=organisation,
        organisation_ref=str(organisation.public_id),
        data={"user": user.email, "role": role},
    )
    return membership


def _lock_memberships(membership: Membership) -> None:
    """Lock the organisation's memberships (one order: by pk) so that two owners demoting or
    removing each other at once cannot leave it without an owner; then read ``membership``
    again."""
    list(
        Membership.objects.select_for_update()
        .filter(organisation=membership.organisation)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    membership.refresh_from_db()


def _is_last_owner(membership: Membership) -> bool:
    return (
        membership.role == Membership.Role.OWNER
        and _owners_left(membership.organisation, without=membership) == 0
    )


@transaction.atomic
def membership_role_change(*, actor: User, membership: Membership, role: str) -> Membership:
    """The owner changes a member's role; the organisation always keeps an owner."""
    organisation = membership.organisation
    require_role(actor, organisation, {Membership.Role.OWNER})
    _check_role(role, organisation)
    _lock_memberships(membership)
    if membership.role == role:
        return membership
    if _is_last_owner(membership):
        raise Conflict(
            "last_owner",
            _("An organisation needs at least one owner; make someone else owner first."),
            fields={"role": _("the last owner stays owner")},
        )
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action="accounts.membership.role_changed",
        target=organisation,
        organisation_ref=str(organisation.public_id),
        data={"user": membership.user.email, "from": before, "to": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    """The owner removes a member, or a member leaves; never the last owner."""
    organisation = membership.organisation
    if membership.user_id != actor.pk:
        require_role(actor, organisation, {Membership.Role.OWNER})
    _lock_memberships(membership)
    if _is_last_owner(membership):
        raise Conflict(
            "last_owner",
            _("An organisation needs at least one owner; make someone else owner first."),
        )
    email = membership.user.email
    membership.delete()
    audit_record(
        actor=actor,
        action="accounts.membership.removed",
        target=organisation,
        organisation_ref=str(organisation.public_id),
        data={"user": email},
    )


# Seller category ---------------------------------------------------------------------------
#
# The category sets the platform fee (core.fees). A seller declares it; a change that would
# lower the fee waits for the platform operator (it must be true: a cooperative is checked),
# while a change to equal or higher fees applies at once. Until the operator approves, the
# old category, and its fee, applies.

SELLER_CATEGORIES = [value for value in Organisation.SellerCategory.values if value]


def lowers_fees(new: str, old: str) -> bool:
    """True if the fee terms of category ``new`` are lower than those of ``old`` in any part
    (rate or minimum); a minimum in another currency cannot be compared, so it counts."""
    new_terms, old_terms = fee_terms(new), fee_terms(old)
    if new_terms.rate < old_terms.rate:
        return True
    if new_terms.minimum.currency != old_terms.minimum.currency:
        return True
    return new_terms.minimum.amount < old_terms.minimum.amount


@transaction.atomic
def organisation_seller_category_declare(
    *, actor: User, organisation: Organisation, seller_category: str
) -> Organisation:
    """The owner declares the organisation's seller category.

    A category with lower fees is stored as requested, pending operator review; one with the
    same or higher fees applies at once (and replaces any pending request). Declaring the
    current category again withdraws a pending request.
    """
    require_role(actor, organisation, {Membership.Role.OWNER})
    if organisation.kind != Organisation.Kind.SELLER:
        raise Conflict("not_a_seller", _("Only seller organisations have a seller category."))
    if seller_category not in SELLER_CATEGORIES:
        raise _invalid({"seller_category": _("Choose one of the seller categories.")})
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    current = organisation.seller_category
    pending = organisation.seller_category_requested
    if seller_category == (pending or current):
        return organisation
    if seller_category == current:  # back to what applies: the request is withdrawn
        return _seller_category_set(
            actor,
            organisation,
            "request_withdrawn",
            {"category": current, "requested": pending},
            requested="",
        )
    if lowers_fees(seller_category, current):  # cheaper terms wait for the operator
        return _seller_category_set(
            actor,
            organisation,
            "requested",
            {"from": current, "to": seller_category},
            requested=seller_category,
        )
    data = {"from": current, "to": seller_category}
    if pending:
        data["withdrawn_request"] = pending
    return _seller_category_set(
        actor, organisation, "changed", data, requested="", category=seller_category
    )


def _seller_category_set(
    actor: User,
    organisation: Organisation,
    what: str,
    data: dict[str, str],
    *,
    requested: str,
    category: str | None = None,
) -> Organisation:
    """Write the category (if given) and the pending request, with the audit record."""
    fields = ["seller_category_requested", "seller_category_requested_at"]
    if category is not None:
        organisation.seller_category = category
        fields.append("seller_category")
    organisation.seller_category_requested = requested
    organisation.seller_category_requested_at = clock.now() if requested else None
    organisation.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=f"accounts.organisation.seller_category_{what}",
        target=organisation,
        organisation_ref=str(organisation.public_id),
        data=data,
    )
    return organisation


SELLER_CATEGORY_DECISIONS = ("approved", "rejected")


@transaction.atomic
def organisation_seller_category_review(
    *,
    actor: User,
    organisation: Organisation,
    decision: str,
    note: str = "",
    requested: str | None = None,
) -> Organisation:
    """The platform operator approves a requested seller category (it applies from now on)
    or rejects it with a note (the current one stays)."""
    require_platform_operator(actor)
    if decision not in SELLER_CATEGORY_DECISIONS:
        raise DomainError(
            "invalid_decision",
            _("Decision must be approved or rejected."),
            fields={"decision": _("approved or rejected")},
        )
    note = note.strip()
    if decision == "rejected" and not note:
        raise _invalid({"note": _("say why, so that the organisation can put it right")})
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    seen = requested
    requested = organisation.seller_category_requested
    if not requested:
        raise Conflict(
            "no_category_request",
            _("This organisation has no seller category change waiting for review."),
        )
    if seen is not None and seen != requested:
        raise Conflict(
            "category_request_changed",
            _("The organisation changed its request meanwhile: review it again."),
        )
    before = organisation.seller_category
    if decision == "approved":
        organisation.seller_category = requested
    organisation.seller_category_requested = ""
    organisation.seller_category_requested_at = None
    organisation.save(
        update_fields=[
            "seller_category",
            "seller_category_requested",
            "seller_category_requested_at",
        ]
    )
    audit_record(
        actor=actor,
        action=f"accounts.organisation.seller_category_{decision}",
        target=organisation,
        organisation_ref=str(organisation.public_id),
        data={"from": before, "to": requested, "note": note},
    )
    return organisation
