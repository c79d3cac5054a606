"""The web layer: home, choosers, navigation per role, and the error pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.translation import gettext_lazy

from ewtp.accounts.models import User
from ewtp.accounts.tests.factories import make_operator, make_organisation, make_user
from ewtp.core import navigation
from ewtp.web.context_processors import nav_links

pytestmark = pytest.mark.django_db


def _html(response: Any) -> str:
    return response.content.decode()


def test_home_renders_with_one_stylesheet_htmx_and_the_site_script(client: Client) -> None:
    response = client.get("/")
    html = _html(response)
    assert response.status_code == 200
    assert html.count('rel="stylesheet"') == 1
    assert html.count("<script") == 2
    assert "/static/web/htmx.min.js" in html or "/static/web/htmx." in html
    assert "/static/web/site.js" in html or "/static/web/site." in html
    assert "fonts.googleapis" not in html
    assert 'data-testid="language"' in html
    assert 'data-testid="currency"' in html


def test_the_language_switch_sets_the_cookie_and_comes_back(client: Client) -> None:
    response = client.post("/language/", {"language": "fr", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert response.cookies["ewtp_language"].value == "fr"
    assert response.cookies["ewtp_language"]["max-age"] == 365 * 24 * 3600
    page = client.get("/accounts/login/")
    assert page["Content-Language"] == "fr"


def test_the_language_switch_refuses_unknown_languages_and_foreign_redirects(
    client: Client,
) -> None:
    response = client.post("/language/", {"language": "de", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert "ewtp_language" not in response.cookies


def test_a_logged_in_switch_is_saved_on_the_profile(client: Client) -> None:
    user = make_user("ama@example.org")
    client.force_login(user)
    client.post("/language/", {"language": "rw", "next": "/"})
    client.post("/preferences/", {"currency": "CNY", "destination": "CN", "next": "/"})
    user.refresh_from_db()
    assert (user.language, user.currency, user.destination) == ("rw", "CNY", "CN")


def test_the_currency_chooser_is_remembered_in_cookies(client: Client) -> None:
    response = client.post("/preferences/", {"currency": "CNY", "destination": "CN", "next": "/"})
    assert response.cookies["ewtp_currency"].value == "CNY"
    assert response.cookies["ewtp_destination"].value == "CN"
    html = _html(client.get("/"))
    assert "<option selected>CNY</option>" in html
    assert '<option value="CN" selected>China</option>' in html


def test_unknown_currency_keeps_the_current_one(client: Client) -> None:
    client.cookies["ewtp_currency"] = "EUR"
    response = client.post("/preferences/", {"currency": "XYZ", "next": "/"})
    assert response.cookies["ewtp_currency"].value == "EUR"


def test_a_device_without_cookies_gets_the_profiles_choices(client: Client) -> None:
    user = make_user("ama@example.org", language="fr", currency="KES", destination="KE")
    client.force_login(user)
    response = client.get("/")
    assert response["Content-Language"] == "fr"
    assert response.cookies["ewtp_language"].value == "fr"
    assert "<option selected>KES</option>" in _html(response)


def _labels(request: Any) -> list[str]:
    with translation.override("en"):
        return [str(link["label"]) for link in nav_links(request)]


def test_navigation_follows_the_users_organisations() -> None:
    factory = RequestFactory()
    guest_request = factory.get("/")
    from django.contrib.auth.models import AnonymousUser

    guest_request.user = AnonymousUser()
    assert "Organisations" not in _labels(guest_request)
    assert "Operator" not in _labels(guest_request)
    assert "Trade rules" in _labels(guest_request)

    seller = make_user("seller@example.org")
    make_organisation(owner=seller, kind="seller")
    request = factory.get("/accounts/organisations/")
    request.user = seller
    with translation.override("en"):
        links = [(str(link["label"]), link["current"]) for link in nav_links(request)]
    assert ("Organisations", True) in links
    assert "Operator" not in [label for label, _current in links]

    operator_request = factory.get("/")
    operator_request.user = make_operator()
    assert "Operator" in _labels(operator_request)


def test_a_registered_entry_shows_only_when_its_url_resolves_and_the_kind_matches() -> None:
    factory = RequestFactory()
    steward = make_user("steward@example.org")
    make_organisation(owner=steward, kind="rule_steward")
    navigation.register(
        navigation.NavEntry(gettext_lazy("Profile page"), "accounts:profile", "rule_steward")
    )
    navigation.register(navigation.NavEntry("Nowhere", "nosuchapp:page", "rule_steward"))
    try:
        request = factory.get("/")
        request.user = steward
        labels = _labels(request)
        assert "Profile page" in labels
        assert "Nowhere" not in labels
        seller_request = factory.get("/")
        seller = make_user("seller@example.org")
        make_organisation(owner=seller, kind="seller")
        seller_request.user = seller
        assert "Profile page" not in _labels(seller_request)
    finally:
        navigation.unregister("accounts:profile")
        navigation.unregister("nosuchapp:page")


def test_the_404_page_is_the_friendly_template(client: Client) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = _html(response)
    assert '<section class="error-page narrow" data-status="404">' in html
    assert "Page not found" in html
    assert "Back to the home page" in html


def test_the_403_page(client: Client) -> None:
    client.force_login(make_user("ama@example.org"))
    response = client.get("/accounts/operator/audit/")
    assert response.status_code == 403
    assert 'data-status="403"' in _html(response)


def test_the_500_page_renders_without_the_database() -> None:
    from ewtp.web.views import error_500

    response = error_500(RequestFactory().get("/boom/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    api = error_500(RequestFactory().get("/api/v1/boom"))
    assert api.status_code == 500
    assert api["Content-Type"] == "application/json"


def test_a_csrf_failure_shows_the_friendly_page() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "a@b.org", "password": "x"})
    assert response.status_code == 403
    html = _html(response)
    assert "The form has expired" in html
    assert "allow cookies for this site" in html


def test_the_user_model_is_the_platforms() -> None:
    assert User.USERNAME_FIELD == "email"
