"""Reads of accounts with their permission checks.

A row the actor may not see raises NotFound, so that another organisation's private side does
not even reveal that it exists; PermissionDenied is for things the actor may see but not do.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ewtp.accounts.models import ApiToken, Membership, Organisation, User
from ewtp.core import selectors as core_selectors
from ewtp.core.errors import NotFound, PermissionDenied
from ewtp.core.models import AuditLog, OutboxMessage


def as_user(actor: object) -> User | None:
    """The actor as a logged-in, active user, or None (a guest, anonymous, or inactive)."""
    if isinstance(actor, User) and actor.is_authenticated and actor.is_active:
        return actor
    return None


def membership_of(actor: object, organisation: Organisation) -> Membership | None:
    user = as_user(actor)
    if user is None:
        return None
    return Membership.objects.filter(user=user, organisation=organisation).first()


def role_in(actor: object, organisation: Organisation) -> str | None:
    membership = membership_of(actor, organisation)
    return membership.role if membership else None


def is_platform_operator(actor: object) -> bool:
    """A superuser, or a member of a verified platform-operator organisation."""
    user = as_user(actor)
    if user is None:
        return False
    return user.is_superuser or (
        Membership.objects.filter(
            user=user,
            organisation__kind=Organisation.Kind.PLATFORM_OPERATOR,
            organisation__verification=Organisation.Verification.VERIFIED,
        ).exists()
    )


def require_platform_operator(actor: object) -> User:
    if not is_platform_operator(actor):
        raise PermissionDenied("permission_denied", _("Only the platform operator may do this."))
    user = as_user(actor)
    assert user is not None
    return user


def require_role(actor: object, organisation: Organisation, roles: Iterable[str]) -> str:
    role = role_in(actor, organisation)
    if role is None:
        # A non-member learns nothing about the organisation's private side.
        raise NotFound("not_found", _("No such organisation."))
    if role not in set(roles):
        raise PermissionDenied("permission_denied", _("Your role does not allow this."))
    return role


def organisations_of(actor: object, *, kind: str | None = None) -> QuerySet[Organisation]:
    """The organisations the actor is a member of (of one kind if given)."""
    user = as_user(actor)
    if user is None:
        return Organisation.objects.none()
    organisations = Organisation.objects.filter(memberships__user=user)
    if kind:
        organisations = organisations.filter(kind=kind)
    return organisations.distinct()


def organisation_kinds_of(actor: object) -> set[str]:
    """The kinds of the actor's organisations (which areas of the platform they work in)."""
    user = as_user(actor)
    if user is None:
        return set()
    return set(Membership.objects.filter(user=user).values_list("organisation__kind", flat=True))


def memberships_of(actor: object) -> QuerySet[Membership]:
    """The actor's own memberships with their organisations, for "my organisations"."""
    user = as_user(actor)
    if user is None:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user)
        .select_related("organisation", "organisation__verified_by")
        .order_by("organisation__name")
    )


def organisation_get_for(actor: object, slug: str) -> Organisation:
    """An organisation's private side (members, verification notes): members and the operator."""
    organisation = Organisation.objects.select_related("verified_by").filter(slug=slug).first()
    if organisation is None:
        raise NotFound("not_found", _("No such organisation."))
    if role_in(actor, organisation) is not None or is_platform_operator(actor):
        return organisation
    raise NotFound("not_found", _("No such organisation."))


def organisations_to_verify_for(actor: object, *, state: str = "") -> QuerySet[Organisation]:
    """The operator's verification queue: oldest submissions first; all states on request."""
    require_platform_operator(actor)
    organisations = Organisation.objects.select_related("verified_by")
    if state in Organisation.Verification.values:
        organisations = organisations.filter(verification=state)
    return organisations.order_by("created_at", "id")


def seller_category_requests_for(actor: object) -> QuerySet[Organisation]:
    """Seller organisations asking for a category with lower fees, oldest request first."""
    require_platform_operator(actor)
    return Organisation.objects.exclude(seller_category_requested="").order_by(
        "seller_category_requested_at", "id"
    )


def members_of(actor: object, organisation: Organisation) -> QuerySet[Membership]:
    organisation_get_for(actor, organisation.slug)
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__email")
    )


def membership_get_for(actor: object, organisation: Organisation, user_id: str) -> Membership:
    """One member of an organisation the actor may see, by the member's public id."""
    organisation_get_for(actor, organisation.slug)
    try:
        public_id = uuid.UUID(str(user_id))
    except ValueError:
        raise NotFound("not_found", _("No such member.")) from None
    membership = (
        Membership.objects.select_related("user")
        .filter(organisation=organisation, user__public_id=public_id)
        .first()
    )
    if membership is None:
        raise NotFound("not_found", _("No such member."))
    return membership


def organisation_audit_for(actor: object, organisation: Organisation) -> QuerySet[AuditLog]:
    """What was done to an organisation: its members and the operator may see it."""
    organisation_get_for(actor, organisation.slug)
    return core_selectors.audit_log_list(organisation_ref=str(organisation.public_id))


def audit_log_for(actor: object, *, action: str = "") -> QuerySet[AuditLog]:
    require_platform_operator(actor)
    return core_selectors.audit_log_list(action=action)


def outbox_for(actor: object, *, to: str = "") -> QuerySet[OutboxMessage]:
    require_platform_operator(actor)
    return core_selectors.outbox_list(to=to)


def api_tokens_of(actor: object) -> QuerySet[ApiToken]:
    user = as_user(actor)
    if user is None:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_get_for(actor: object, token_id: str) -> ApiToken:
    """One of the actor's own tokens; anyone else's does not exist for them."""
    try:
        public_id = uuid.UUID(str(token_id))
    except ValueError:
        raise NotFound("not_found", _("No such token.")) from None
    token = api_tokens_of(actor).filter(public_id=public_id).first()
    if token is None:
        raise NotFound("not_found", _("No such token."))
    return token
