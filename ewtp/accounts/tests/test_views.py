"""The accounts pages: sign-up, log-in, reset through the outbox, profile, organisations,
tokens, and the operator's pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ewtp.accounts.models import ApiToken, Membership, Organisation, User
from ewtp.accounts.services import api_token_create
from ewtp.accounts.tests.factories import PASSWORD, make_organisation, make_user
from ewtp.core.models import AuditLog, OutboxMessage
from ewtp.core.services import audit_record

pytestmark = pytest.mark.django_db


def _html(response: Any) -> str:
    return response.content.decode()


# Sign up, log in, log out ------------------------------------------------------------------


def _confirmation_link(email: str) -> str:
    mail = OutboxMessage.objects.filter(to=email).latest("created_at")
    link = re.search(r"https?://\S+/accounts/signup/confirm/\S+/", mail.body)
    assert link, mail.body
    return "/" + link.group(0).split("/", 3)[3]


def test_sign_up_mails_a_link_that_opens_the_account_with_the_visitors_choices(
    client: Client,
) -> None:
    client.cookies["ewtp_currency"] = "CNY"
    client.cookies["ewtp_destination"] = "CN"
    client.cookies["ewtp_language"] = "fr"
    response = client.post(
        "/accounts/signup/",
        {"full_name": "Ama", "email": "Ama@Example.org", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/sent/"
    user = User.objects.get()
    assert (user.email, user.language, user.currency, user.destination, user.is_active) == (
        "ama@example.org",
        "fr",
        "CNY",
        "CN",
        False,
    )
    assert "_auth_user_id" not in client.session
    link = _confirmation_link("ama@example.org")
    # Following the link changes nothing (mail scanners follow links); it asks for the password.
    asked = client.get(link)
    assert asked.status_code == 200
    assert 'data-testid="signup-confirm-form"' in _html(asked)
    user.refresh_from_db()
    assert not user.is_active
    opened = client.post(link, {"password": PASSWORD})
    assert opened.status_code == 302
    assert opened["Location"] == "/"
    user.refresh_from_db()
    assert user.is_active
    assert int(client.session["_auth_user_id"]) == user.pk
    # The link opens the account once.
    again = Client().get(link)
    assert again.status_code == 400
    assert "not valid any more" in _html(again)


def test_a_sign_up_with_someone_elses_address_cannot_be_opened_by_its_owner(
    client: Client,
) -> None:
    # Mallory signs up with Ama's address and a password of his own; Ama follows the mail's link.
    Client().post(
        "/accounts/signup/",
        {"full_name": "Ama", "email": "ama@example.org", "password": "mallory-chose-this-9"},
    )
    link = _confirmation_link("ama@example.org")
    refused = client.post(link, {"password": PASSWORD})
    assert refused.status_code == 422
    assert "not the password chosen at sign-up" in _html(refused)
    user = User.objects.get(email="ama@example.org")
    assert (user.is_active, "_auth_user_id" in client.session) == (False, False)
    # A new password through the reset link is what opens it for Ama (tested with the reset).


def test_sign_up_answers_the_same_whether_or_not_the_address_is_known(client: Client) -> None:
    make_user("ama@example.org")
    known = Client().post(
        "/accounts/signup/", {"full_name": "A", "email": "ama@example.org", "password": PASSWORD}
    )
    new = Client().post(
        "/accounts/signup/", {"full_name": "A", "email": "kofi@example.org", "password": PASSWORD}
    )
    assert (known.status_code, known["Location"]) == (new.status_code, new["Location"])
    assert sorted(known.cookies) == sorted(new.cookies)
    page = Client().get(known["Location"])
    assert "We sent a mail to the address you gave." in _html(page)
    # The owner of the known address is told, with a way in; nothing else changed.
    notice = OutboxMessage.objects.get(to="ama@example.org")
    assert "has one already" in notice.body
    assert "/accounts/reset/" in notice.body
    assert User.objects.get(email="ama@example.org").check_password(PASSWORD)
    assert User.objects.count() == 2


def test_sign_up_shows_errors_next_to_the_fields_and_writes_nothing(client: Client) -> None:
    make_user("ama@example.org")
    for email in ("ama@example.org", "new@example.org"):
        response = client.post("/accounts/signup/", {"email": email, "password": "123"})
        assert response.status_code == 422
        assert "At least 10 characters." in _html(response)
    assert User.objects.count() == 1
    assert not OutboxMessage.objects.exists()


def test_log_in_with_the_email_in_any_case_takes_the_profiles_language(client: Client) -> None:
    make_user("ama@example.org", language="rw", currency="CNY", destination="CN")
    response = client.post(
        "/accounts/login/", {"username": "AMA@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.cookies["ewtp_language"].value == "rw"
    assert response.cookies["ewtp_currency"].value == "CNY"
    assert response.cookies["ewtp_destination"].value == "CN"


def test_a_wrong_password_is_refused_on_the_form(client: Client) -> None:
    make_user("ama@example.org")
    response = client.post("/accounts/login/", {"username": "ama@example.org", "password": "x"})
    assert response.status_code == 200
    assert "The email address or the password is not correct." in _html(response)
    assert "_auth_user_id" not in client.session


def test_log_in_is_rate_limited(client: Client, settings: Any) -> None:
    from django.core.cache import cache

    settings.EWTP_RATE_LIMITS = True
    cache.clear()
    make_user("ama@example.org")
    for _ in range(10):
        client.post("/accounts/login/", {"username": "ama@example.org", "password": "x"})
    response = client.post(
        "/accounts/login/", {"username": "ama@example.org", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Too many attempts; wait a minute and try again." in _html(response)
    assert "_auth_user_id" not in client.session
    cache.clear()


def test_log_out_is_a_post(client: Client) -> None:
    client.force_login(make_user("ama@example.org"))
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


# Password reset through the outbox ---------------------------------------------------------


def test_password_reset_mails_a_link_to_the_outbox_that_sets_a_new_password(
    client: Client, new_audit: Any
) -> None:
    user = make_user("ama@example.org")
    response = client.post("/accounts/password-reset/", {"email": "AMA@example.org"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    mail = OutboxMessage.objects.get()
    assert mail.to == "ama@example.org"
    assert mail.subject == "Reset your eWTP password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.body)
    assert link is not None

    page = client.get(link.group(1), follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0]
    done = client.post(
        form_url,
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
    )
    assert done.status_code == 302
    assert done["Location"] == "/accounts/login/"
    user.refresh_from_db()
    assert user.check_password("a brand new passphrase")
    assert [e.action for e in new_audit()] == ["accounts.user.password_reset"]


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    client: Client,
) -> None:
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert OutboxMessage.objects.count() == 0


# Profile -----------------------------------------------------------------------------------


def test_profile_needs_a_log_in(client: Client) -> None:
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"


def test_saving_the_language_switches_the_interface(client: Client) -> None:
    user = make_user("ama@example.org")
    client.force_login(user)
    response = client.post(
        "/accounts/profile/",
        {"full_name": "Ama", "language": "fr", "currency": "EUR", "destination": "FR"},
    )
    assert response.status_code == 302
    assert response.cookies["ewtp_language"].value == "fr"
    assert response.cookies["ewtp_currency"].value == "EUR"
    assert response.cookies["ewtp_destination"].value == "FR"
    user.refresh_from_db()
    assert (user.full_name, user.language, user.currency, user.destination) == (
        "Ama",
        "fr",
        "EUR",
        "FR",
    )
    page = client.get("/accounts/profile/")
    assert page["Content-Language"] == "fr"
    assert '<html lang="fr">' in _html(page)


def test_profile_refuses_an_unknown_currency(client: Client) -> None:
    user = make_user("ama@example.org")
    client.force_login(user)
    response = client.post(
        "/accounts/profile/", {"language": "en", "currency": "XYZ", "destination": "BE"}
    )
    assert response.status_code == 422
    user.refresh_from_db()
    assert user.currency == "USD"


# Organisations -----------------------------------------------------------------------------


def test_my_organisations_empty_state_and_registering_one(
    client: Client, owner: User, operator: User, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client.force_login(make_user("new@example.org"))
    page = client.get("/accounts/organisations/")
    assert page.status_code == 200
    assert 'data-testid="empty"' in _html(page)
    for kind in ("platform_operator", "customs_authority", "rule_steward", "hub_operator"):
        assert f'value="{kind}"' not in _html(page)
    assert 'enctype="multipart/form-data"' in _html(page)
    form = {"name": "Gahaya Weavers", "kind": "seller", "country": "RW"}
    missing = client.post("/accounts/organisations/", form)
    assert missing.status_code == 422
    assert "A Rwandan company code or TIN is 9 digits, such as 102345678." in _html(missing)
    assert "Give the registered address." in _html(missing)
    steward = client.post(
        "/accounts/organisations/", {**form, "kind": "rule_steward", "name": "Me Rules"}
    )
    assert steward.status_code == 422  # not a choice of the form
    assert not Organisation.objects.filter(name="Me Rules").exists()
    response = client.post(
        "/accounts/organisations/",
        {
            **form,
            "registration_number": "102345678",
            "address": "KG 7 Ave, Kigali",
            "registration_document": SimpleUploadedFile("rdb.pdf", b"%PDF-1.4 rdb"),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/organisations/gahaya-weavers/"
    page = client.get("/accounts/organisations/gahaya-weavers/")
    assert page.status_code == 200
    assert "Gahaya Weavers" in _html(page)
    assert 'data-testid="verification">Submitted<' in _html(page)

    client.force_login(operator)
    queue = _html(client.get("/accounts/operator/organisations/"))
    assert "102345678" in queue and "KG 7 Ave, Kigali" in queue
    document = client.get("/accounts/organisations/gahaya-weavers/registration-document/")
    assert document.status_code == 200
    assert b"".join(document.streaming_content) == b"%PDF-1.4 rdb"  # type: ignore[attr-defined]
    assert 'value="hub_operator"' in _html(client.get("/accounts/organisations/"))


def test_another_organisations_private_page_is_a_404(
    client: Client, org_a: Organisation, outsider: User
) -> None:
    client.force_login(outsider)
    response = client.get("/accounts/organisations/org-a/")
    assert response.status_code == 404
    assert "Page not found" in _html(response)
    assert "Org A" not in _html(response)
    response = client.post(
        "/accounts/organisations/org-a/members/", {"email": "x@example.org", "role": "owner"}
    )
    assert response.status_code == 404


def test_the_owner_adds_a_member_and_changes_a_role(
    client: Client, org_a: Organisation, owner: User, staff: User
) -> None:
    make_user("new@example.org")
    client.force_login(owner)
    response = client.post(
        "/accounts/organisations/org-a/members/", {"email": "new@example.org", "role": "viewer"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(organisation=org_a, user__email="new@example.org").role == (
        "viewer"
    )
    response = client.post(
        f"/accounts/organisations/org-a/members/{staff.public_id}/",
        {"role": "owner"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = _html(response)
    assert html.startswith('<div id="members">')
    assert "<html" not in html
    assert Membership.objects.get(organisation=org_a, user=staff).role == "owner"


def test_adding_an_unknown_address_shows_the_error_on_the_form(
    client: Client, org_a: Organisation, owner: User
) -> None:
    client.force_login(owner)
    response = client.post(
        "/accounts/organisations/org-a/members/", {"email": "nobody@example.org", "role": "staff"}
    )
    assert response.status_code == 422
    assert "no account with this address; ask them to sign up first" in _html(response)


def test_a_viewer_cannot_add_members(client: Client, org_a: Organisation, viewer: User) -> None:
    make_user("new@example.org")
    client.force_login(viewer)
    page = client.get("/accounts/organisations/org-a/")
    assert page.status_code == 200
    assert '/members/"' not in _html(page)  # no add form for a viewer
    response = client.post(
        "/accounts/organisations/org-a/members/", {"email": "new@example.org", "role": "owner"}
    )
    assert response.status_code == 403
    assert "Not allowed" in _html(response)
    assert not Membership.objects.filter(user__email="new@example.org").exists()


def test_the_last_owner_cannot_step_down(client: Client, org_a: Organisation, owner: User) -> None:
    client.force_login(owner)
    response = client.post(
        f"/accounts/organisations/org-a/members/{owner.public_id}/", {"role": "viewer"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(organisation=org_a, user=owner).role == "owner"
    page = client.get("/accounts/organisations/org-a/")
    assert "An organisation needs at least one owner" in _html(page)


# Operator ----------------------------------------------------------------------------------


def test_operator_pages_are_403_for_others(client: Client, owner: User) -> None:
    client.force_login(owner)
    for url in (
        "/accounts/operator/organisations/",
        "/accounts/operator/audit/",
        "/accounts/operator/outbox/",
    ):
        response = client.get(url)
        assert response.status_code == 403
        assert "Not allowed" in _html(response)


def test_the_operator_verifies_and_rejects_with_a_note(
    client: Client, org_a: Organisation, operator: User
) -> None:
    org_c = make_organisation(owner=make_user(), slug="org-c", name="Org C")
    client.force_login(operator)
    queue = client.get("/accounts/operator/organisations/")
    assert queue.status_code == 200
    assert 'data-organisation="org-a"' in _html(queue)
    assert 'data-organisation="org-c"' in _html(queue)
    assert 'data-organisation="platform"' not in _html(queue)

    response = client.post(
        "/accounts/operator/organisations/", {"organisation": "org-a", "decision": "verified"}
    )
    assert response.status_code == 302
    refused = client.post(
        "/accounts/operator/organisations/", {"organisation": "org-c", "decision": "rejected"}
    )
    assert refused.status_code == 422
    assert "say why, so that the organisation can put it right" in _html(refused)
    client.post(
        "/accounts/operator/organisations/",
        {"organisation": "org-c", "decision": "rejected", "note": "No licence."},
    )
    org_a.refresh_from_db()
    org_c.refresh_from_db()
    assert (org_a.verification, org_a.verified_by) == ("verified", operator)
    assert (org_c.verification, org_c.verification_note) == ("rejected", "No licence.")
    empty = client.get("/accounts/operator/organisations/")
    assert "No organisation in this state." in _html(empty)
    rejected = client.get("/accounts/operator/organisations/?state=rejected")
    assert "No licence." in _html(rejected)


def test_the_audit_log_filters_by_action_and_pages(
    client: Client, operator: User, org_a: Organisation
) -> None:
    for number in range(55):
        audit_record(actor=operator, action="test.paged", data={"n": number})
    audit_record(actor=operator, action="test.other")
    client.force_login(operator)
    first = client.get("/accounts/operator/audit/?action=test.paged")
    html = _html(first)
    assert "55 entries" in html
    assert html.count("<code>test.paged</code>") == 50
    assert "test.other</code>" not in html
    assert "Page 1 of 2" in html
    second = client.get("/accounts/operator/audit/?action=test.paged&page=2")
    assert _html(second).count("<code>test.paged</code>") == 5
    prefix = client.get("/accounts/operator/audit/?action=test.")
    assert "56 entries" in _html(prefix)
    partial = client.get(
        "/accounts/operator/audit/?action=test.other", headers={"HX-Request": "true"}
    )
    assert _html(partial).startswith('<div id="results">')
    assert "1 entry" in _html(partial)
    none = client.get("/accounts/operator/audit/?action=no.such.action")
    assert "No entry with this action." in _html(none)


def test_the_outbox_lists_mails_with_an_empty_state(client: Client, operator: User) -> None:
    client.force_login(operator)
    assert "No mail has been sent yet." in _html(client.get("/accounts/operator/outbox/"))
    client.logout()
    make_user("ama@example.org")
    client.post("/accounts/password-reset/", {"email": "ama@example.org"})
    client.force_login(operator)
    page = client.get("/accounts/operator/outbox/")
    assert "ama@example.org" in _html(page)
    assert "Reset your eWTP password" in _html(page)


# Tokens ------------------------------------------------------------------------------------


def test_tokens_page_makes_lists_and_revokes(client: Client, owner: User, outsider: User) -> None:
    client.force_login(owner)
    assert "You have no API tokens." in _html(client.get("/accounts/tokens/"))
    made = client.post("/accounts/tokens/", {"name": "stock sync"})
    assert made.status_code == 200
    assert made["Cache-Control"] == "no-store"
    clear = re.search(r'data-testid="new-token">(ewtp_[^<]+)<', _html(made))
    assert clear is not None
    token = ApiToken.objects.get(user=owner)
    assert token.prefix == clear.group(1)[:12]
    listing = client.get("/accounts/tokens/")
    assert clear.group(1) not in _html(listing)  # shown once only
    assert "stock sync" in _html(listing)

    others, _ = api_token_create(user=outsider, name="theirs")
    assert client.post(f"/accounts/tokens/{others.public_id}/revoke/").status_code == 404
    others.refresh_from_db()
    assert others.revoked_at is None

    assert client.post(f"/accounts/tokens/{token.public_id}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


# Seller category ---------------------------------------------------------------------------


@pytest.fixture
def fees(settings: Any) -> None:
    settings.EWTP_PLATFORM_FEE_RATE = "0.05"
    settings.EWTP_PLATFORM_FEE_MINIMUM = "500 RWF"
    settings.EWTP_PLATFORM_FEES = {"cooperative": {"rate": "0.03", "minimum": "300 RWF"}}


def test_the_owner_sees_each_category_with_its_fee_terms(
    client: Client, fees: None, org_a: Organisation, owner: User
) -> None:
    client.force_login(owner)
    html = _html(client.get("/accounts/organisations/org-a/"))
    assert 'id="seller-category"' in html
    current = html[html.index('data-testid="seller-category-current"') :]
    assert current.startswith(
        'data-testid="seller-category-current">Not declared<br>'
        "<small>Platform fee per order: 5% of the goods, at least 500 RWF.</small>"
    )
    assert "Cooperative — Platform fee per order: 3% of the goods, at least 300 RWF." in html
    assert "Company — Platform fee per order: 5% of the goods, at least 500 RWF." in html
    assert "/accounts/organisations/org-a/seller-category/" in html


def test_a_cheaper_category_shows_pending_until_the_operator_approves(
    client: Client, fees: None, org_a: Organisation, owner: User, operator: User
) -> None:
    client.force_login(owner)
    response = client.post(
        "/accounts/organisations/org-a/seller-category/", {"seller_category": "cooperative"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/organisations/org-a/#seller-category"
    page = _html(client.get(response["Location"]))
    assert "Cooperative is pending operator review" in page
    requested = page[page.index('data-testid="seller-category-requested"') :]
    assert requested.startswith(
        'data-testid="seller-category-requested">Cooperative '
        '<span class="badge warn">pending operator review</span><br>'
        "<small>Platform fee per order: 3% of the goods, at least 300 RWF.</small>"
    )
    assert 'data-testid="seller-category-current">Not declared<br>' in page
    org_a.refresh_from_db()
    assert (org_a.seller_category, org_a.seller_category_requested) == ("", "cooperative")

    client.force_login(operator)
    queue = _html(client.get("/accounts/operator/organisations/"))
    assert 'data-category-request="org-a"' in queue
    refused = client.post(
        "/accounts/operator/organisations/",
        {"review": "seller_category", "organisation": "org-a", "decision": "rejected"},
    )
    assert refused.status_code == 422
    assert "say why, so that the organisation can put it right" in _html(refused)
    assert 'name="requested" value="cooperative"' in queue
    stale = client.post(  # the page showed another request than the one now waiting
        "/accounts/operator/organisations/",
        {
            "review": "seller_category",
            "organisation": "org-a",
            "requested": "company",
            "decision": "approved",
        },
    )
    assert stale.status_code == 422
    assert "The organisation changed its request meanwhile: review it again." in _html(stale)
    org_a.refresh_from_db()
    assert org_a.seller_category_requested == "cooperative"
    approved = client.post(
        "/accounts/operator/organisations/",
        {
            "review": "seller_category",
            "organisation": "org-a",
            "requested": "cooperative",
            "decision": "approved",
        },
    )
    assert approved.status_code == 302
    org_a.refresh_from_db()
    assert (org_a.seller_category, org_a.seller_category_requested) == ("cooperative", "")
    queue = _html(client.get("/accounts/operator/organisations/"))
    assert "Org A: seller category change approved." in queue
    assert "No seller category change waits for review." in queue


def test_a_category_with_the_same_fees_applies_at_once_and_errors_show_on_the_form(
    client: Client, fees: None, org_a: Organisation, owner: User
) -> None:
    client.force_login(owner)
    bad = client.post("/accounts/organisations/org-a/seller-category/", {"seller_category": ""})
    assert bad.status_code == 422
    assert "This field is required." in _html(bad)
    response = client.post(
        "/accounts/organisations/org-a/seller-category/",
        {"seller_category": "company"},
        follow=True,
    )
    assert "Your seller category is now Company." in _html(response)
    org_a.refresh_from_db()
    assert (org_a.seller_category, org_a.seller_category_requested) == ("company", "")


def test_others_cannot_declare_the_category(
    client: Client, fees: None, org_a: Organisation, staff: User, outsider: User
) -> None:
    client.force_login(outsider)
    url = "/accounts/organisations/org-a/seller-category/"
    assert client.post(url, {"seller_category": "cooperative"}).status_code == 404
    client.force_login(staff)
    page = _html(client.get("/accounts/organisations/org-a/"))
    assert 'data-testid="seller-category-current"' in page and url not in page
    assert client.post(url, {"seller_category": "cooperative"}).status_code == 403
    org_a.refresh_from_db()
    assert (org_a.seller_category, org_a.seller_category_requested) == ("", "")


def test_a_non_seller_has_no_category_block(client: Client, owner: User) -> None:
    make_organisation(owner=owner, kind=Organisation.Kind.HUB_OPERATOR, slug="hub")
    client.force_login(owner)
    assert 'id="seller-category"' not in _html(client.get("/accounts/organisations/hub/"))
    response = client.post(
        "/accounts/organisations/hub/seller-category/", {"seller_category": "company"}
    )
    assert response.status_code == 404


def test_a_sign_up_never_confirmed_opens_with_the_password_chosen_through_the_notice(
    client: Client,
) -> None:
    # Someone signs up with Ama's address (she never confirms); then Ama signs up herself.
    Client().post("/accounts/signup/", {"email": "ama@example.org", "password": PASSWORD})
    Client().post("/accounts/signup/", {"email": "ama@example.org", "password": "ama's own 123"})
    notice = OutboxMessage.objects.filter(to="ama@example.org").latest("created_at")
    reset = re.search(r"https?://\S+(/accounts/reset/\S+/)", notice.body)
    assert reset, notice.body
    form = client.get(reset.group(1), follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "ama's own 123", "new_password2": "ama's own 123"},
    )
    assert done.status_code == 302
    user = User.objects.get(email="ama@example.org")
    assert user.is_active
    assert user.check_password("ama's own 123")
    assert not user.check_password(PASSWORD)


def test_an_organisation_registered_before_the_details_were_asked_gives_them_later(
    client: Client, org_a: Organisation, owner: User, staff: User
) -> None:
    assert (org_a.registration_number, org_a.address) == ("", "")
    url = "/accounts/organisations/org-a/registration/"
    client.force_login(owner)
    assert 'data-testid="registration"' in _html(client.get("/accounts/organisations/org-a/"))
    # Every wrong field at once; nothing written.
    bad = client.post(url, {"registration_number": "12345", "address": ""})
    html = _html(bad)
    assert bad.status_code == 422
    assert "A Rwandan company code or TIN is 9 digits, such as 102345678." in html
    assert "Give the registered address." in html
    assert "Attach the certificate of registration (PDF, JPEG or PNG)." in html
    org_a.refresh_from_db()
    assert (org_a.registration_number, org_a.address, org_a.registration_document.name) == (
        "",
        "",
        "",
    )
    good = client.post(
        url,
        {
            "registration_number": "102 345 678",
            "address": "KN 3 Rd, Kigali",
            "registration_document": SimpleUploadedFile("rdb.pdf", b"%PDF-1.4 rdb"),
        },
    )
    assert good.status_code == 302
    org_a.refresh_from_db()
    assert (org_a.registration_number, org_a.address) == ("102 345 678", "KN 3 Rd, Kigali")
    assert org_a.registration_document.name.endswith(".pdf")
    assert "rdb" not in org_a.registration_document.name  # stored under a random name
    assert AuditLog.objects.filter(action="accounts.organisation.registration_updated").count() == 1
    # A correction keeps the certificate on file.
    kept = org_a.registration_document.name
    assert (
        client.post(url, {"registration_number": "102345679", "address": "Huye"}).status_code == 302
    )
    org_a.refresh_from_db()
    assert (org_a.registration_number, org_a.registration_document.name) == ("102345679", kept)
    # Staff may not; once verified, only the operator changes them.
    client.force_login(staff)
    assert client.post(url, {"registration_number": "102345670", "address": "X"}).status_code == 403
    Organisation.objects.filter(pk=org_a.pk).update(verification="verified")
    client.force_login(owner)
    assert 'data-testid="registration"' not in _html(client.get("/accounts/organisations/org-a/"))
    refused = client.post(url, {"registration_number": "102345670", "address": "X"})
    assert refused.status_code == 422
    assert "ask the platform operator" in _html(refused)
    org_a.refresh_from_db()
    assert org_a.registration_number == "102345679"
