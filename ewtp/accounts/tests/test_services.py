"""accounts.services: every write, its audit record, and the failures that write nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ewtp.accounts import registration as services_registration
from ewtp.accounts import services
from ewtp.accounts.models import ApiToken, Membership, Organisation, User
from ewtp.accounts.tests.factories import PASSWORD, add_member, make_organisation, make_user
from ewtp.core.errors import Conflict, DomainError, InvalidRequest, NotAuthenticated, NotFound
from ewtp.core.errors import PermissionDenied as DomainPermissionDenied

pytestmark = pytest.mark.django_db


def _actions(new_audit: Any) -> list[str]:
    return [entry.action for entry in new_audit()]


# Users -------------------------------------------------------------------------------------


def test_sign_up_creates_the_user_with_preferences_and_an_audit_record(new_audit: Any) -> None:
    user = services.user_sign_up(
        email=" Ama@Example.ORG ",
        password=PASSWORD,
        full_name=" Ama Mensah ",
        language="rw",
        currency="CNY",
        destination="CN",
    )
    user.refresh_from_db()
    assert user.email == "ama@example.org"
    assert user.full_name == "Ama Mensah"
    assert (user.language, user.currency, user.destination) == ("rw", "CNY", "CN")
    assert user.check_password(PASSWORD)
    entry = new_audit().get()
    assert (entry.action, entry.actor, entry.target_id) == (
        "accounts.user.signed_up",
        user,
        str(user.public_id),
    )


def test_sign_up_refuses_a_taken_email_and_writes_nothing(new_audit: Any) -> None:
    make_user("ama@example.org")
    with pytest.raises(Conflict) as caught:
        services.user_sign_up(email="AMA@example.org", password=PASSWORD)
    assert caught.value.code == "email_taken"
    assert caught.value.http_status == 409
    assert caught.value.fields == {"email": "already registered"}
    assert User.objects.count() == 1
    assert new_audit().count() == 0


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "This password is too short. It must contain at least 10 characters."),
        ("1234567890123", "This password is entirely numeric."),
        ("password123", "This password is too common."),
    ],
)
def test_sign_up_refuses_a_weak_password_and_writes_nothing(
    password: str, message: str, new_audit: Any
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        services.user_sign_up(email="ama@example.org", password=password)
    assert caught.value.http_status == 422
    assert message in caught.value.fields["password"]
    assert User.objects.count() == 0
    assert new_audit().count() == 0


def test_sign_up_refuses_unknown_preferences() -> None:
    with pytest.raises(InvalidRequest) as caught:
        services.user_sign_up(
            email="ama@example.org", password=PASSWORD, language="de", currency="XYZ"
        )
    assert caught.value.fields == {
        "language": "not a language of the platform",
        "currency": "not a currency of the platform",
    }
    assert User.objects.count() == 0


def test_preferences_update_saves_and_audits_only_what_changed(new_audit: Any) -> None:
    user = make_user("ama@example.org")
    services.user_preferences_update(user=user, language="fr", currency="CNY", destination="CN")
    user.refresh_from_db()
    assert (user.language, user.currency, user.destination) == ("fr", "CNY", "CN")
    entry = new_audit().get()
    assert entry.action == "accounts.user.preferences_updated"
    assert entry.data == {"language": "fr", "currency": "CNY", "destination": "CN"}
    services.user_preferences_update(user=user, language="fr", currency="CNY", destination="CN")
    assert new_audit().count() == 1


def test_preferences_update_refuses_an_unknown_destination(new_audit: Any) -> None:
    user = make_user("ama@example.org")
    with pytest.raises(InvalidRequest) as caught:
        services.user_preferences_update(user=user, language="en", currency="USD", destination="ZZ")
    assert caught.value.fields == {"destination": "not a destination of the platform"}
    user.refresh_from_db()
    assert user.destination == "BE"
    assert new_audit().count() == 0


def test_password_set_validates_and_audits(new_audit: Any) -> None:
    user = make_user("ama@example.org")
    with pytest.raises(InvalidRequest):
        services.user_password_set(user=user, password="short")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    services.user_password_set(user=user, password="a brand new passphrase")
    user.refresh_from_db()
    assert user.check_password("a brand new passphrase")
    assert _actions(new_audit) == ["accounts.user.password_reset"]


# API tokens --------------------------------------------------------------------------------


def test_token_issue_checks_the_password_and_keeps_only_a_digest(new_audit: Any) -> None:
    user = make_user("ama@example.org")
    token, clear = services.api_token_issue(email="AMA@example.org", password=PASSWORD)
    assert clear.startswith("ewtp_")
    assert token.prefix == clear[:12]
    assert token.digest != clear
    assert services.api_token_user(clear) == user
    assert _actions(new_audit) == ["accounts.api_token.issued"]
    with pytest.raises(NotAuthenticated) as caught:
        services.api_token_issue(email="ama@example.org", password="wrong")
    assert caught.value.code == "invalid_credentials"
    assert ApiToken.objects.count() == 1


def test_token_issue_refuses_an_inactive_user() -> None:
    make_user("ama@example.org", is_active=False)
    with pytest.raises(NotAuthenticated):
        services.api_token_issue(email="ama@example.org", password=PASSWORD)
    assert ApiToken.objects.count() == 0


def test_token_revoke_is_audited_and_only_for_the_owner(new_audit: Any) -> None:
    user = make_user("ama@example.org")
    other = make_user("kofi@example.org")
    token, clear = services.api_token_create(user=user, name="stock sync")
    assert token.name == "stock sync"
    with pytest.raises(NotFound):
        services.api_token_revoke(actor=other, token=token)
    assert services.api_token_user(clear) == user
    services.api_token_revoke(actor=user, token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert services.api_token_user(clear) is None
    services.api_token_revoke(actor=user, token=token)  # twice: nothing more
    assert _actions(new_audit) == ["accounts.api_token.issued", "accounts.api_token.revoked"]


def test_token_create_needs_a_name_and_a_free_slot(settings: Any) -> None:
    user = make_user("ama@example.org")
    with pytest.raises(InvalidRequest):
        services.api_token_create(user=user, name="  ")
    for number in range(services.MAX_ACTIVE_TOKENS):
        services.api_token_create(user=user, name=f"t{number}")
    with pytest.raises(Conflict) as caught:
        services.api_token_create(user=user, name="one too many")
    assert caught.value.code == "too_many_tokens"
    assert ApiToken.objects.count() == services.MAX_ACTIVE_TOKENS


def test_an_inactive_users_token_authenticates_nobody() -> None:
    user = make_user("ama@example.org")
    _, clear = services.api_token_create(user=user, name="t")
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert services.api_token_user(clear) is None
    assert services.api_token_user("not-a-token") is None


# Organisations -----------------------------------------------------------------------------


@pytest.fixture
def details(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path

    def make() -> dict[str, Any]:
        return {
            "registration_number": "102 345 678",
            "address": "KN 3 Rd 12, Kigali",
            "registration_document": SimpleUploadedFile(
                "Certificate.PDF", b"%PDF-1.4 certificate", content_type="application/pdf"
            ),
        }

    return make


def test_organisation_create_makes_the_actor_owner(
    owner: User, new_audit: Any, details: Any
) -> None:
    organisation = services_registration.organisation_create(
        actor=owner, name="Huye Coffee", kind="seller", country="rw", **details()
    )
    assert organisation.slug == "huye-coffee"
    assert organisation.country == "RW"
    assert organisation.verification == "submitted"
    assert organisation.registration_number == "102 345 678"
    assert organisation.address == "KN 3 Rd 12, Kigali"
    assert organisation.registration_document.name.endswith(".pdf")
    assert organisation.registration_document.read() == b"%PDF-1.4 certificate"
    assert Membership.objects.get(organisation=organisation).user == owner
    assert Membership.objects.get(organisation=organisation).role == "owner"
    entry = new_audit().get()
    assert entry.action == "accounts.organisation.created"
    assert entry.organisation_ref == str(organisation.public_id)
    assert entry.data == {
        "kind": "seller",
        "name": "Huye Coffee",
        "registration_number": "102 345 678",
        "document": True,
    }
    second = services_registration.organisation_create(
        actor=owner, name="Huye Coffee", kind="seller", country="RW", **details()
    )
    assert second.slug == "huye-coffee-2"


def test_organisation_create_refuses_bad_input_and_writes_nothing(
    owner: User, new_audit: Any, details: Any
) -> None:
    create = services_registration.organisation_create
    with pytest.raises(InvalidRequest) as caught:
        create(actor=owner, name="X", kind="seller", country="XX", **details())
    assert caught.value.fields == {"country": "not an ISO 3166 country code"}
    with pytest.raises(InvalidRequest) as caught:
        create(actor=owner, name="X", kind="pirate", country="RW", **details())
    assert set(caught.value.fields) == {"kind"}
    with pytest.raises(InvalidRequest) as caught:
        create(actor=owner, name="X", kind="seller", country="RW")
    assert caught.value.fields == {
        "registration_number": "A Rwandan company code or TIN is 9 digits, such as 102345678.",
        "address": "Give the registered address.",
        "registration_document": "Attach the certificate of registration (PDF, JPEG or PNG).",
    }
    bad = {
        **details(),
        "registration_number": "10234567",
        "registration_document": SimpleUploadedFile("run.exe", b"MZ"),
    }
    with pytest.raises(InvalidRequest) as caught:
        create(actor=owner, name="X", kind="seller", country="RW", **bad)
    assert caught.value.fields == {
        "registration_number": "A Rwandan company code or TIN is 9 digits, such as 102345678.",
        "registration_document": "The document must be a PDF, JPEG or PNG file.",
    }
    with pytest.raises(InvalidRequest) as caught:
        create(
            actor=owner,
            name="X",
            kind="seller",
            country="KE",
            **{**details(), "registration_number": "P05123456"},
        )
    assert set(caught.value.fields) == {"registration_number"}
    kenyan = create(
        actor=owner,
        name="Nairobi Tea",
        kind="seller",
        country="KE",
        **{**details(), "registration_number": "P051234567X"},
    )
    assert kenyan.registration_number == "P051234567X"
    assert Organisation.objects.count() == 1
    assert new_audit().count() == 1


@pytest.mark.parametrize(
    "kind", ["platform_operator", "customs_authority", "rule_steward", "hub_operator"]
)
def test_only_the_operator_creates_organisations_of_powerful_kinds(
    owner: User, operator: User, details: Any, kind: str
) -> None:
    with pytest.raises(DomainPermissionDenied) as caught:
        services_registration.organisation_create(
            actor=owner, name="Me Authority", kind=kind, country="RW", **details()
        )
    assert caught.value.fields == {"kind": "not allowed"}
    assert not Organisation.objects.filter(name="Me Authority").exists()
    made = services_registration.organisation_create(
        actor=operator, name="Set up by the operator", kind=kind, country="RW"
    )
    assert made.kind == kind


def test_only_the_platform_operator_verifies(
    org_a: Organisation, owner: User, staff: User, operator: User, new_audit: Any
) -> None:
    for actor in (owner, staff):
        with pytest.raises(DomainPermissionDenied):
            services.organisation_verify(actor=actor, organisation=org_a, decision="verified")
    org_a.refresh_from_db()
    assert org_a.verification == "submitted"
    assert new_audit().count() == 0

    services.organisation_verify(
        actor=operator, organisation=org_a, decision="verified", note="papers checked"
    )
    org_a.refresh_from_db()
    assert org_a.verification == "verified"
    assert org_a.verified_by == operator
    assert org_a.verified_at is not None
    assert org_a.verification_note == "papers checked"
    entry = new_audit().get()
    assert (entry.action, entry.actor, entry.data) == (
        "accounts.organisation.verified",
        operator,
        {"note": "papers checked"},
    )


def test_a_rejection_needs_a_note(org_a: Organisation, operator: User, new_audit: Any) -> None:
    with pytest.raises(InvalidRequest) as caught:
        services.organisation_verify(actor=operator, organisation=org_a, decision="rejected")
    assert set(caught.value.fields) == {"note"}
    with pytest.raises(DomainError) as wrong:
        services.organisation_verify(actor=operator, organisation=org_a, decision="maybe")
    assert wrong.value.code == "invalid_decision"
    services.organisation_verify(
        actor=operator, organisation=org_a, decision="rejected", note="No trade licence."
    )
    org_a.refresh_from_db()
    assert (org_a.verification, org_a.verification_note) == ("rejected", "No trade licence.")
    assert _actions(new_audit) == ["accounts.organisation.rejected"]


def test_the_owner_resubmits_a_rejected_organisation(
    org_a: Organisation, owner: User, staff: User, operator: User
) -> None:
    with pytest.raises(Conflict):
        services.organisation_resubmit(actor=owner, organisation=org_a)
    services.organisation_verify(
        actor=operator, organisation=org_a, decision="rejected", note="No licence."
    )
    with pytest.raises(DomainPermissionDenied):
        services.organisation_resubmit(actor=staff, organisation=org_a)
    services.organisation_resubmit(actor=owner, organisation=org_a)
    org_a.refresh_from_db()
    assert org_a.verification == "submitted"


# Memberships -------------------------------------------------------------------------------


def test_the_owner_adds_a_member_by_email(org_a: Organisation, owner: User, new_audit: Any) -> None:
    newcomer = make_user("newcomer@example.org")
    membership = services.membership_add(
        actor=owner, organisation=org_a, email=" NewComer@example.org ", role="viewer"
    )
    assert (membership.user, membership.role) == (newcomer, "viewer")
    entry = new_audit().get()
    assert entry.action == "accounts.membership.added"
    assert entry.data == {"user": "newcomer@example.org", "role": "viewer"}


def test_staff_and_viewers_cannot_add_members(
    org_a: Organisation, staff: User, viewer: User, new_audit: Any
) -> None:
    make_user("newcomer@example.org")
    for actor in (staff, viewer):
        with pytest.raises(DomainPermissionDenied):
            services.membership_add(
                actor=actor, organisation=org_a, email="newcomer@example.org", role="staff"
            )
    assert Membership.objects.filter(organisation=org_a).count() == 3
    assert new_audit().count() == 0


def test_a_member_of_another_organisation_gets_not_found(
    org_a: Organisation, outsider: User
) -> None:
    with pytest.raises(NotFound):
        services.membership_add(
            actor=outsider, organisation=org_a, email="outsider@example.org", role="owner"
        )
    assert not Membership.objects.filter(organisation=org_a, user=outsider).exists()


def test_add_member_refuses_unknown_people_bad_roles_and_members(
    org_a: Organisation, owner: User, staff: User
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        services.membership_add(
            actor=owner, organisation=org_a, email="nobody@example.org", role="staff"
        )
    assert set(caught.value.fields) == {"email"}
    make_user("newcomer@example.org")
    with pytest.raises(InvalidRequest) as caught:
        services.membership_add(
            actor=owner, organisation=org_a, email="newcomer@example.org", role="king"
        )
    assert caught.value.fields == {"role": "owner, staff or viewer"}
    with pytest.raises(Conflict) as conflict:
        services.membership_add(
            actor=owner, organisation=org_a, email="staff@example.org", role="viewer"
        )
    assert conflict.value.code == "already_member"
    assert Membership.objects.get(organisation=org_a, user=staff).role == "staff"


def test_the_owner_changes_roles_and_the_last_owner_stays(
    org_a: Organisation, owner: User, staff: User, new_audit: Any
) -> None:
    membership = Membership.objects.get(organisation=org_a, user=staff)
    services.membership_role_change(actor=owner, membership=membership, role="viewer")
    membership.refresh_from_db()
    assert membership.role == "viewer"
    assert new_audit().get().data == {"user": "staff@example.org", "from": "staff", "to": "viewer"}

    own = Membership.objects.get(organisation=org_a, user=owner)
    with pytest.raises(Conflict) as caught:
        services.membership_role_change(actor=owner, membership=own, role="staff")
    assert caught.value.code == "last_owner"
    own.refresh_from_db()
    assert own.role == "owner"

    services.membership_role_change(actor=owner, membership=membership, role="owner")
    services.membership_role_change(actor=owner, membership=own, role="staff")
    own.refresh_from_db()
    assert own.role == "staff"


def test_staff_cannot_change_roles(org_a: Organisation, staff: User, viewer: User) -> None:
    membership = Membership.objects.get(organisation=org_a, user=viewer)
    with pytest.raises(DomainPermissionDenied):
        services.membership_role_change(actor=staff, membership=membership, role="owner")
    membership.refresh_from_db()
    assert membership.role == "viewer"


def test_remove_a_member_or_leave_but_never_the_last_owner(
    org_a: Organisation, owner: User, staff: User, viewer: User, new_audit: Any
) -> None:
    with pytest.raises(DomainPermissionDenied):
        services.membership_remove(
            actor=staff, membership=Membership.objects.get(organisation=org_a, user=viewer)
        )
    services.membership_remove(
        actor=owner, membership=Membership.objects.get(organisation=org_a, user=viewer)
    )
    services.membership_remove(
        actor=staff, membership=Membership.objects.get(organisation=org_a, user=staff)
    )
    with pytest.raises(Conflict):
        services.membership_remove(
            actor=owner, membership=Membership.objects.get(organisation=org_a, user=owner)
        )
    assert list(Membership.objects.filter(organisation=org_a).values_list("role", flat=True)) == [
        "owner"
    ]
    assert _actions(new_audit) == ["accounts.membership.removed", "accounts.membership.removed"]


def test_add_member_helper_works(owner: User) -> None:
    organisation = make_organisation(owner=owner)
    assert add_member(organisation, make_user(), "viewer").role == "viewer"


# Seller category ---------------------------------------------------------------------------


@pytest.fixture
def fees(settings: Any) -> None:
    settings.EWTP_PLATFORM_FEE_RATE = "0.05"
    settings.EWTP_PLATFORM_FEE_MINIMUM = "500 RWF"
    settings.EWTP_PLATFORM_FEES = {
        "cooperative": {"rate": "0.03", "minimum": "300 RWF"},
        "individual": {"rate": "0.05", "minimum": "400 RWF"},
    }


def _category(organisation: Organisation) -> tuple[str, str, bool]:
    organisation.refresh_from_db()
    return (
        organisation.seller_category,
        organisation.seller_category_requested,
        organisation.seller_category_requested_at is not None,
    )


def test_lower_fees_compare_rate_then_minimum(fees: None) -> None:
    assert services.lowers_fees("cooperative", "company")
    assert services.lowers_fees("cooperative", "")
    assert services.lowers_fees("individual", "company")  # same rate, lower minimum
    assert not services.lowers_fees("company", "cooperative")
    assert not services.lowers_fees("company", "")
    assert not services.lowers_fees("company", "individual")


def test_a_category_with_the_same_or_higher_fees_applies_at_once(
    fees: None, org_a: Organisation, owner: User, new_audit: Any
) -> None:
    services.organisation_seller_category_declare(
        actor=owner, organisation=org_a, seller_category="company"
    )
    assert _category(org_a) == ("company", "", False)
    entry = new_audit().get()
    assert (entry.action, entry.actor, entry.target_id, entry.data) == (
        "accounts.organisation.seller_category_changed",
        owner,
        str(org_a.public_id),
        {"from": "", "to": "company"},
    )


def test_a_cheaper_category_waits_for_the_operator_who_approves_it(
    fees: None, org_a: Organisation, owner: User, operator: User, new_audit: Any
) -> None:
    org_a.seller_category = "company"
    org_a.save()
    services.organisation_seller_category_declare(
        actor=owner, organisation=org_a, seller_category="cooperative"
    )
    assert _category(org_a) == ("company", "cooperative", True)  # the old fee still applies
    services.organisation_seller_category_declare(
        actor=owner, organisation=org_a, seller_category="cooperative"
    )  # the same again: nothing new
    services.organisation_seller_category_review(
        actor=operator, organisation=org_a, decision="approved"
    )
    assert _category(org_a) == ("cooperative", "", False)
    assert [(e.action, e.actor, e.data) for e in new_audit()] == [
        (
            "accounts.organisation.seller_category_requested",
            owner,
            {"from": "company", "to": "cooperative"},
        ),
        (
            "accounts.organisation.seller_category_approved",
            operator,
            {"from": "company", "to": "cooperative", "note": ""},
        ),
    ]


def test_the_operator_rejects_a_request_with_a_note(
    fees: None, org_a: Organisation, owner: User, operator: User, new_audit: Any
) -> None:
    services.organisation_seller_category_declare(
        actor=owner, organisation=org_a, seller_category="cooperative"
    )
    with pytest.raises(InvalidRequest) as caught:
        services.organisation_seller_category_review(
            actor=operator, organisation=org_a, decision="rejected"
        )
    assert caught.value.fields == {"note": "say why, so that the organisation can put it right"}
    with pytest.raises(DomainError) as bad:
        services.organisation_seller_category_review(
            actor=operator, organisation=org_a, decision="maybe"
        )
    assert bad.value.code == "invalid_decision"
    assert _category(org_a) == ("", "cooperative", True)
    services.organisation_seller_category_review(
        actor=operator, organisation=org_a, decision="rejected", note="No cooperative licence."
    )
    assert _category(org_a) == ("", "", False)
    assert new_audit().last().data == {  # type: ignore[union-attr]
        "from": "",
        "to": "cooperative",
        "note": "No cooperative licence.",
    }
    with pytest.raises(Conflict) as nothing:
        services.organisation_seller_category_review(
            actor=operator, organisation=org_a, decision="approved"
        )
    assert nothing.value.code == "no_category_request"


def test_declaring_again_withdraws_or_replaces_a_pending_request(
    fees: None, org_a: Organisation, owner: User, new_audit: Any
) -> None:
    org_a.seller_category = "company"
    org_a.save()
    services.organisation_seller_category_declare(
        actor=owner, organisation=org_a, seller_category="cooperative"
    )
    services.organisation_seller_category_declare(
        actor=owner, organisation=org_a, seller_category="company"
    )
    assert _category(org_a) == ("company", "", False)
    services.organisation_seller_category_declare(
        actor=owner, organisation=org_a, seller_category="individual"
    )
    assert _category(org_a) == ("company", "individual", True)
    org_a.seller_category = "individual"
    org_a.seller_category_requested = "cooperative"
    org_a.save()
    services.organisation_seller_category_declare(
        actor=owner, organisation=org_a, seller_category="company"
    )  # higher fees than "individual": applies, and the pending request goes
    assert _category(org_a) == ("company", "", False)
    assert [(e.action, e.data) for e in new_audit()] == [
        (
            "accounts.organisation.seller_category_requested",
            {"from": "company", "to": "cooperative"},
        ),
        (
            "accounts.organisation.seller_category_request_withdrawn",
            {"category": "company", "requested": "cooperative"},
        ),
        (
            "accounts.organisation.seller_category_requested",
            {"from": "company", "to": "individual"},
        ),
        (
            "accounts.organisation.seller_category_changed",
            {"from": "individual", "to": "company", "withdrawn_request": "cooperative"},
        ),
    ]


def test_only_the_owner_of_a_seller_declares_and_only_the_operator_reviews(
    fees: None,
    org_a: Organisation,
    owner: User,
    staff: User,
    outsider: User,
    operator: User,
    new_audit: Any,
) -> None:
    with pytest.raises(NotFound):
        services.organisation_seller_category_declare(
            actor=outsider, organisation=org_a, seller_category="company"
        )
    with pytest.raises(DomainPermissionDenied):
        services.organisation_seller_category_declare(
            actor=staff, organisation=org_a, seller_category="company"
        )
    with pytest.raises(InvalidRequest) as caught:
        services.organisation_seller_category_declare(
            actor=owner, organisation=org_a, seller_category=""
        )
    assert caught.value.fields == {"seller_category": "Choose one of the seller categories."}
    hub = make_organisation(owner=owner, kind=Organisation.Kind.HUB_OPERATOR)
    with pytest.raises(Conflict) as not_seller:
        services.organisation_seller_category_declare(
            actor=owner, organisation=hub, seller_category="cooperative"
        )
    assert not_seller.value.code == "not_a_seller"
    services.organisation_seller_category_declare(
        actor=owner, organisation=org_a, seller_category="cooperative"
    )
    with pytest.raises(DomainPermissionDenied):
        services.organisation_seller_category_review(
            actor=owner, organisation=org_a, decision="approved"
        )
    assert _category(org_a) == ("", "cooperative", True)
    assert _actions(new_audit) == ["accounts.organisation.seller_category_requested"]


def test_the_gate_only_role_is_for_tour_operators(org_a: Organisation, owner: User) -> None:
    make_user("ranger@example.org")
    with pytest.raises(InvalidRequest) as caught:  # org_a sells goods: no gate there
        services.membership_add(
            actor=owner, organisation=org_a, email="ranger@example.org", role="gate"
        )
    assert caught.value.fields == {"role": "owner, staff or viewer"}
    parks = make_organisation(owner=owner, kind=Organisation.Kind.TOUR_OPERATOR, slug="parks")
    membership = services.membership_add(
        actor=owner, organisation=parks, email="ranger@example.org", role="gate"
    )
    assert (membership.role, membership.get_role_display()) == ("gate", "Gate only (check-in)")
    assert not Membership.objects.filter(organisation=org_a, user=membership.user).exists()
