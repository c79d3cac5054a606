"""The small core modules: mail outbox, pagination, rate limits, locks, preferences,
countries, currencies, the navigation registry, and page errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory

from ewtp.core import navigation
from ewtp.core.countries import country_name, is_country
from ewtp.core.currencies import is_currency
from ewtp.core.errors import Conflict, NotFound, PermissionDenied, RateLimited
from ewtp.core.http import is_htmx, page_errors
from ewtp.core.locks import lock_rows, retry_on_lock_timeout
from ewtp.core.models import AuditLog, OutboxMessage
from ewtp.core.pagination import page_number, paginate
from ewtp.core.preferences import Preferences, remember, remember_language, resolve
from ewtp.core.ratelimit import rate_limit


@pytest.mark.django_db
def test_the_outbox_backend_keeps_every_mail(settings: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": "ewtp.core.mail.OutboxBackend"}}
    message = mail.EmailMultiAlternatives(
        "Your order", "Plain body", "noreply@ewtp.local", ["a@example.org", "b@example.org"]
    )
    message.attach_alternative("<p>HTML body</p>", "text/html")
    assert message.send() == 1
    stored = OutboxMessage.objects.get()
    assert (stored.to, stored.subject, stored.body, stored.html) == (
        "a@example.org, b@example.org",
        "Your order",
        "Plain body",
        "<p>HTML body</p>",
    )


@pytest.mark.django_db
def test_paginate_gives_pages_and_clamps_the_number() -> None:
    for number in range(7):
        OutboxMessage.objects.create(to=f"{number}@x.org", subject="s", body="b", created_at=_now())
    queryset = OutboxMessage.objects.order_by("to")
    first = paginate(queryset, "1", per_page=3)
    assert [m.to for m in first.items] == ["0@x.org", "1@x.org", "2@x.org"]
    assert (first.page, first.pages, first.total) == (1, 3, 7)
    assert (first.has_previous, first.has_next) == (False, True)
    last = paginate(queryset, "99", per_page=3)
    assert (last.page, [m.to for m in last.items]) == (3, ["6@x.org"])
    assert paginate(queryset, "nonsense", per_page=3).page == 1
    assert paginate(OutboxMessage.objects.none()).as_dict() == {
        "items": [],
        "page": 1,
        "pages": 1,
        "total": 0,
    }
    assert [page_number(raw) for raw in (None, "", "-4", "0", "2", 5)] == [1, 1, 1, 1, 2, 5]


def _now() -> Any:
    from ewtp.core.clock import now

    return now()


@pytest.mark.django_db
def test_rate_limit_counts_per_client_and_bucket(settings: Any) -> None:
    from django.core.cache import cache

    settings.EWTP_RATE_LIMITS = True
    cache.clear()
    factory = RequestFactory()
    one = factory.post("/", REMOTE_ADDR="10.0.0.1")
    two = factory.post("/", REMOTE_ADDR="10.0.0.2")
    for _ in range(3):
        rate_limit(one, "test", per_minute=3)
    with pytest.raises(RateLimited) as caught:
        rate_limit(one, "test", per_minute=3)
    assert caught.value.http_status == 429
    assert 0 < caught.value.extra["retry_after"] <= 60
    rate_limit(two, "test", per_minute=3)
    rate_limit(one, "other", per_minute=3)
    settings.EWTP_RATE_LIMITS = False
    rate_limit(one, "test", per_minute=3)  # switched off: never refused
    cache.clear()


@pytest.mark.django_db
def test_lock_rows_returns_the_rows_in_key_order() -> None:
    users = [
        get_user_model().objects.create_user(f"u{n}@x.org", "a long password 1") for n in range(3)
    ]
    locked = lock_rows(get_user_model().objects.filter(pk__in=[u.pk for u in reversed(users)]))
    assert [u.pk for u in locked] == sorted(u.pk for u in users)


def test_retry_on_lock_timeout_retries_then_answers_busy() -> None:
    calls: list[int] = []

    def locked() -> int:
        calls.append(1)
        raise OperationalError("database is locked")

    with pytest.raises(Conflict) as caught:
        retry_on_lock_timeout(locked, attempts=3, pause=0)
    assert caught.value.code == "busy"
    assert len(calls) == 3

    attempts = iter([OperationalError("lock timeout"), 7])

    def flaky() -> int:
        value = next(attempts)
        if isinstance(value, Exception):
            raise value
        return value

    assert retry_on_lock_timeout(flaky, pause=0) == 7

    def broken() -> int:
        raise OperationalError("no such table")

    with pytest.raises(OperationalError, match="no such table"):
        retry_on_lock_timeout(broken, pause=0)


class _Visitor:
    is_authenticated = True
    currency = "KES"
    destination = "KE"


def test_preferences_cookies_win_then_the_profile_then_the_defaults() -> None:
    factory = RequestFactory()
    request = factory.get("/")
    assert resolve(request) == Preferences(currency="USD", destination="BE")
    request.user = _Visitor()  # type: ignore[assignment]
    assert resolve(request) == Preferences(currency="KES", destination="KE")
    request.COOKIES = {"ewtp_currency": "CNY", "ewtp_destination": "CN"}
    assert resolve(request) == Preferences(currency="CNY", destination="CN")
    request.COOKIES = {"ewtp_currency": "XYZ", "ewtp_destination": "ZZ"}
    assert resolve(request) == Preferences(currency="KES", destination="KE")


def test_remember_sets_long_lived_lax_cookies() -> None:
    response = HttpResponse()
    remember(response, currency="CNY", destination="CN")
    remember_language(response, "rw")
    assert response.cookies["ewtp_currency"].value == "CNY"
    assert response.cookies["ewtp_destination"].value == "CN"
    assert response.cookies["ewtp_language"].value == "rw"
    for name in ("ewtp_currency", "ewtp_destination", "ewtp_language"):
        assert response.cookies[name]["max-age"] == 365 * 24 * 3600
        assert response.cookies[name]["samesite"] == "Lax"


def test_countries_and_currencies() -> None:
    assert is_country("RW")
    assert not is_country("ZZ")
    assert not is_country("rw")
    assert country_name("BE", "en") == "Belgium"
    assert country_name("BE", "fr") == "Belgique"
    assert country_name("CN", "zh-hans") == "中国"
    assert country_name("BE", "rw") == "Belgium"  # babel has no Kinyarwanda names: English
    assert country_name("ZZ", "en") == "ZZ"
    assert is_currency("RWF")
    assert not is_currency("rwf")
    assert not is_currency("XAU")


def test_the_navigation_registry_replaces_by_url_name_and_sorts() -> None:
    navigation.register(navigation.NavEntry("B", "test:b", order=2))
    navigation.register(navigation.NavEntry("A", "test:a", order=1))
    navigation.register(navigation.NavEntry("A again", "test:a", order=3))
    try:
        mine = [e for e in navigation.entries() if e.url_name.startswith("test:")]
        assert [(e.label, e.order) for e in mine] == [("B", 2), ("A again", 3)]
    finally:
        navigation.unregister("test:a")
        navigation.unregister("test:b")
    assert not [e for e in navigation.entries() if e.url_name.startswith("test:")]


def test_page_errors_turn_domain_errors_into_404_and_403() -> None:
    @page_errors
    def missing(request: HttpRequest) -> HttpResponse:
        raise NotFound("not_found", "No such thing.")

    @page_errors
    def forbidden(request: HttpRequest) -> HttpResponse:
        raise PermissionDenied("permission_denied", "No.")

    request = RequestFactory().get("/")
    with pytest.raises(Http404):
        missing(request)
    with pytest.raises(DjangoPermissionDenied):
        forbidden(request)
    assert not is_htmx(request)
    assert is_htmx(RequestFactory().get("/", headers={"HX-Request": "true"}))


@pytest.mark.django_db
def test_audit_log_admin_is_read_only(admin_client: Any) -> None:
    from ewtp.core.services import audit_record

    entry = audit_record(actor=None, action="core.test")
    page = admin_client.get(f"/admin/core/auditlog/{entry.pk}/change/")
    assert page.status_code == 200
    assert admin_client.get("/admin/core/auditlog/add/").status_code == 403
    admin_client.post(f"/admin/core/auditlog/{entry.pk}/delete/", {"post": "yes"})
    assert AuditLog.objects.filter(pk=entry.pk).exists()


def test_the_client_behind_trusted_proxies(settings: Any) -> None:
    from ewtp.core.ratelimit import client_key

    factory = RequestFactory()
    request = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.EWTP_TRUSTED_PROXIES = 0
    assert client_key(request) == "127.0.0.1"
    settings.EWTP_TRUSTED_PROXIES = 1
    assert client_key(request) == "203.0.113.9"
    settings.EWTP_TRUSTED_PROXIES = 2
    assert client_key(request) == "6.6.6.6"
    settings.EWTP_TRUSTED_PROXIES = 3  # fewer hops than proxies: the socket's address
    assert client_key(request) == "127.0.0.1"
