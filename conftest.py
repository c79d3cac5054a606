"""Test-wide settings: fast password hashing, a clean outbox, no network."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("EWTP_RATE_LIMITS", "off")


@pytest.fixture(autouse=True)
def _fast_hashing(settings):  # type: ignore[no-untyped-def]
    # Each test starts with an empty cache: rolled-back rows reuse primary keys.
    from django.core.cache import cache

    from ewtp.traderules import selectors as traderules

    cache.clear()
    traderules.snapshot_cache_clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EWTP_RATE_LIMITS = False
    # The simulated providers, as `make run` names them (tests of the default override it).
    settings.EWTP_PAYMENT_PROVIDERS = ["sandbox", "momo-sim"]
    # Background tasks run at once, in the test's process (enqueue them with on_commit).
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    yield
    # A request in another language leaves it active in this thread; the next test starts
    # from the default language.
    from django.utils import translation

    translation.deactivate()


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    skip = pytest.mark.skip(reason="needs PostgreSQL (run by the PostgreSQL pass of make test)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


def _uses_database(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    return bool({"db", "transactional_db", "django_db_setup"} & names) or (
        item.get_closest_marker("django_db") is not None
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):  # type: ignore[no-untyped-def]
    """After every test scenario that touched the database, the ledger must be balanced."""
    result = yield
    if _uses_database(item) and item.get_closest_marker("ledger_tampered") is None:
        from ewtp.ledger.services import ledger_verify

        verdict = ledger_verify()
        if not verdict["balanced"]:
            raise AssertionError(f"ledger not balanced after the test: {verdict['problems']}")
    return result
