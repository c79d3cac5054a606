"""accounts.selectors: who sees what. Another organisation's private side does not exist."""

from __future__ import annotations

import uuid

import pytest

from ewtp.accounts import selectors, services
from ewtp.accounts.models import Organisation, User
from ewtp.accounts.tests.factories import make_organisation, make_user
from ewtp.core.errors import NotFound, PermissionDenied
from ewtp.core.services import audit_record

pytestmark = pytest.mark.django_db


def test_a_member_of_org_a_gets_not_found_for_org_b(org_a: Organisation, outsider: User) -> None:
    org_b = Organisation.objects.get(slug="org-b")
    owner_a = User.objects.get(email="owner@example.org")
    with pytest.raises(NotFound):
        selectors.organisation_get_for(owner_a, "org-b")
    with pytest.raises(NotFound):
        selectors.members_of(owner_a, org_b)
    with pytest.raises(NotFound):
        selectors.organisation_audit_for(owner_a, org_b)
    with pytest.raises(NotFound):
        selectors.organisation_get_for(outsider, "org-a")
    with pytest.raises(NotFound):
        selectors.organisation_get_for(owner_a, "no-such-org")


def test_members_and_the_operator_see_the_private_side(
    org_a: Organisation, staff: User, viewer: User, operator: User
) -> None:
    for actor in (staff, viewer, operator):
        assert selectors.organisation_get_for(actor, "org-a") == org_a
    assert [m.user.email for m in selectors.members_of(viewer, org_a)] == [
        "owner@example.org",
        "staff@example.org",
        "viewer@example.org",
    ]


def test_a_guest_sees_nothing(org_a: Organisation) -> None:
    from django.contrib.auth.models import AnonymousUser

    guest = AnonymousUser()
    with pytest.raises(NotFound):
        selectors.organisation_get_for(guest, "org-a")
    assert list(selectors.organisations_of(guest)) == []
    assert selectors.organisation_kinds_of(guest) == set()
    assert selectors.is_platform_operator(guest) is False
    assert list(selectors.api_tokens_of(guest)) == []


def test_an_inactive_member_sees_nothing(org_a: Organisation, staff: User) -> None:
    staff.is_active = False
    with pytest.raises(NotFound):
        selectors.organisation_get_for(staff, "org-a")


def test_require_role(org_a: Organisation, owner: User, viewer: User, outsider: User) -> None:
    assert selectors.require_role(owner, org_a, {"owner"}) == "owner"
    with pytest.raises(PermissionDenied):
        selectors.require_role(viewer, org_a, {"owner", "staff"})
    with pytest.raises(NotFound):
        selectors.require_role(outsider, org_a, {"owner"})


def test_who_is_the_platform_operator(operator: User, owner: User) -> None:
    assert selectors.is_platform_operator(operator) is True
    assert selectors.is_platform_operator(owner) is False
    assert selectors.is_platform_operator(make_user(is_superuser=True)) is True
    # Membership of an unverified platform-operator organisation gives nothing.
    pretender = make_user("pretender@example.org")
    make_organisation(owner=pretender, kind="platform_operator", slug="fake-platform")
    assert selectors.is_platform_operator(pretender) is False


def test_operator_pages_are_for_the_operator_only(
    org_a: Organisation, owner: User, operator: User
) -> None:
    for read in (
        lambda actor: selectors.audit_log_for(actor),
        lambda actor: selectors.outbox_for(actor),
        lambda actor: selectors.organisations_to_verify_for(actor),
    ):
        with pytest.raises(PermissionDenied):
            read(owner)
        read(operator)
    queue = selectors.organisations_to_verify_for(operator, state="submitted")
    assert list(queue.values_list("slug", flat=True)) == ["org-a"]
    assert list(selectors.organisations_to_verify_for(operator, state="verified")) == [
        Organisation.objects.get(slug="platform")
    ]


def test_kinds_and_organisations_of_a_user(org_a: Organisation, owner: User) -> None:
    make_organisation(owner=owner, kind="rule_steward", slug="rules-desk")
    assert selectors.organisation_kinds_of(owner) == {"seller", "rule_steward"}
    assert [o.slug for o in selectors.organisations_of(owner, kind="seller")] == ["org-a"]
    assert [m.organisation.slug for m in selectors.memberships_of(owner)] == [
        "org-a",
        "rules-desk",
    ]


def test_membership_get_for_finds_only_members_of_that_organisation(
    org_a: Organisation, owner: User, staff: User, outsider: User
) -> None:
    assert selectors.membership_get_for(owner, org_a, str(staff.public_id)).user == staff
    with pytest.raises(NotFound):
        selectors.membership_get_for(owner, org_a, str(outsider.public_id))
    with pytest.raises(NotFound):
        selectors.membership_get_for(owner, org_a, "not-a-uuid")
    with pytest.raises(NotFound):
        selectors.membership_get_for(outsider, org_a, str(staff.public_id))


def test_tokens_are_private_to_their_user(owner: User, outsider: User) -> None:
    token, _ = services.api_token_create(user=owner, name="t")
    assert selectors.api_token_get_for(owner, str(token.public_id)) == token
    with pytest.raises(NotFound):
        selectors.api_token_get_for(outsider, str(token.public_id))
    with pytest.raises(NotFound):
        selectors.api_token_get_for(owner, str(uuid.uuid4()))


def test_an_organisations_audit_is_its_own(org_a: Organisation, owner: User) -> None:
    audit_record(
        actor=owner, action="accounts.test", target=org_a, organisation_ref=str(org_a.public_id)
    )
    audit_record(actor=owner, action="accounts.test", organisation_ref="someone-else")
    entries = selectors.organisation_audit_for(owner, org_a)
    assert [(e.action, e.organisation_ref) for e in entries] == [
        ("accounts.test", str(org_a.public_id))
    ]
