"""Rate limits count in a store every worker and server shares (the database, or Redis when
REDIS_URL is set), per address and per account, and guard the admin's log-in too."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client, RequestFactory

from ewtp.accounts.tests.factories import make_user
from ewtp.core import ratelimit
from ewtp.core.errors import RateLimited
from ewtp.core.ratelimit import rate_limit

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits_on(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    settings.EWTP_RATE_LIMITS = True
    # One fixed minute, so that the window cannot turn over half-way through a test.
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_030.0)
    return settings


def _post(address: str, **extra: Any) -> Any:
    return RequestFactory().post("/", REMOTE_ADDR=address, **extra)


def test_the_count_survives_another_workers_memory(limits_on: Any) -> None:
    for _ in range(3):
        rate_limit(_post("10.0.0.1"), "test", per_minute=3)
    # What another worker process would see: none of this process's memory.
    caches["default"].clear()
    with pytest.raises(RateLimited):
        rate_limit(_post("10.0.0.1"), "test", per_minute=3)
    rate_limit(_post("10.0.0.2"), "test", per_minute=3)


def test_an_account_is_limited_across_addresses(limits_on: Any) -> None:
    for n in range(5):
        rate_limit(_post(f"10.0.1.{n}"), "login", per_minute=5, account="Ama@Example.org")
    with pytest.raises(RateLimited):
        rate_limit(_post("10.0.1.99"), "login", per_minute=5, account="ama@example.org")
    rate_limit(_post("10.0.1.99"), "login", per_minute=5, account="kofi@example.org")


def test_the_site_log_in_counts_per_account(limits_on: Any) -> None:
    make_user("ama@example.org")
    for n in range(10):
        Client(REMOTE_ADDR=f"10.0.2.{n}").post(
            "/accounts/login/", {"username": "ama@example.org", "password": "wrong"}
        )
    refused = Client(REMOTE_ADDR="10.0.2.200").post(
        "/accounts/login/", {"username": "ama@example.org", "password": "wrong"}
    )
    assert refused.status_code == 429


def test_the_admin_log_in_is_rate_limited(limits_on: Any) -> None:
    make_user("root@example.org", is_staff=True, is_superuser=True)
    client = Client()
    statuses = [
        client.post(
            "/admin/login/", {"username": "root@example.org", "password": "wrong"}
        ).status_code
        for _ in range(11)
    ]
    assert statuses == [200] * 10 + [429]
    assert "Too many attempts" in client.post("/admin/login/", {}).content.decode()


def test_redis_holds_the_counts_when_configured(limits_on: Any) -> None:
    limits_on.CACHES = {
        **limits_on.CACHES,
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        },
    }
    try:
        for _ in range(2):
            rate_limit(_post("10.0.3.1"), "redis", per_minute=2)
        with pytest.raises(RateLimited):
            rate_limit(_post("10.0.3.1"), "redis", per_minute=2)
        from ewtp.core.models import RateCounter

        assert not RateCounter.objects.exists()  # nothing counted in the database
    finally:
        caches["ratelimit"].clear()
