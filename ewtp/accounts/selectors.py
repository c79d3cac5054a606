"""Reads of accounts with their permission checks."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.core.errors import NotFound, PermissionDenied


def _is_user(actor: object) -> bool:
    return isinstance(actor, User) and actor.is_authenticated


def role_in(actor: object, organisation: Organisation) -> str | None:
    if not _is_user(actor):
        return None
    membership = Membership.objects.filter(user=actor, organisation=organisation).first()
    return membership.role if membership else None


def is_platform_operator(actor: object) -> bool:
    if not _is_user(actor):
        return False
    assert isinstance(actor, User)
    return (
        actor.is_superuser
        or Membership.objects.filter(
            user=actor, organisation__kind=Organisation.Kind.PLATFORM_OPERATOR
        ).exists()
    )


def require_platform_operator(actor: object) -> None:
    if not is_platform_operator(actor):
        raise PermissionDenied("permission_denied", "Only the platform operator may do this.")


def require_role(actor: object, organisation: Organisation, roles: Iterable[str]) -> str:
    role = role_in(actor, organisation)
    if role is None:
        # A non-member learns nothing about the organisation's private side.
        raise NotFound("not_found", "No such organisation.")
    if role not in set(roles):
        raise PermissionDenied("permission_denied", "Your role does not allow this.")
    return role


def organisations_of(actor: object, *, kind: str | None = None) -> QuerySet[Organisation]:
    if not _is_user(actor):
        return Organisation.objects.none()
    organisations = Organisation.objects.filter(memberships__user=actor)
    if kind:
        organisations = organisations.filter(kind=kind)
    return organisations.distinct()


def organisation_get_for(actor: object, slug: str) -> Organisation:
    """An organisation's private side (members, verification notes): members and the operator."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise NotFound("not_found", "No such organisation.")
    if is_platform_operator(actor) or role_in(actor, organisation) is not None:
        return organisation
    raise NotFound("not_found", "No such organisation.")


def organisation_list_for(actor: object) -> QuerySet[Organisation]:
    if is_platform_operator(actor):
        return Organisation.objects.all()
    return organisations_of(actor)


def members_of(actor: object, organisation: Organisation) -> QuerySet[Membership]:
    organisation_get_for(actor, organisation.slug)
    return Membership.objects.filter(organisation=organisation).select_related("user")
