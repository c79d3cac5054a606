"""Small factories for the accounts tests."""

from __future__ import annotations

from itertools import count

from ewtp.accounts.models import Membership, Organisation, User

PASSWORD = "a long password 1"
_numbers = count(1)


def make_user(email: str = "", **extra: object) -> User:
    email = email or f"user{next(_numbers)}@example.org"
    return User.objects.create_user(email, PASSWORD, **extra)


def make_organisation(
    *,
    owner: User | None = None,
    kind: str = Organisation.Kind.SELLER,
    verification: str = Organisation.Verification.SUBMITTED,
    slug: str = "",
    name: str = "",
) -> Organisation:
    number = next(_numbers)
    organisation = Organisation.objects.create(
        slug=slug or f"org-{number}",
        name=name or f"Organisation {number}",
        kind=kind,
        country="RW",
        verification=verification,
    )
    if owner is not None:
        Membership.objects.create(user=owner, organisation=organisation, role="owner")
    return organisation


def add_member(organisation: Organisation, user: User, role: str) -> Membership:
    return Membership.objects.create(user=user, organisation=organisation, role=role)


def make_operator(email: str = "operator@example.org") -> User:
    operator = make_user(email)
    make_organisation(
        owner=operator,
        kind=Organisation.Kind.PLATFORM_OPERATOR,
        verification=Organisation.Verification.VERIFIED,
        slug="platform",
        name="Platform",
    )
    return operator
