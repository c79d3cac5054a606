"""Test-wide settings: fast password hashing, a clean outbox, no network."""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault("EWTP_RATE_LIMITS", "off")
# Servers the tests start (`ewtp serve` subprocesses) speak plain HTTP; config/settings.py does
# the same for the test process itself.
os.environ.setdefault("EWTP_HTTPS", "off")
# A worker the tests run (`ewtp worker`, in their process or as a subprocess) keeps their
# priority: on a busy test machine a niced worker would make a test wait for its webhook.
os.environ.setdefault("EWTP_WORKER_NICE", "0")


@pytest.fixture(autouse=True, scope="session")
def _curated_rules_only() -> None:
    # Django's settings are read before this file sets the environment: the test database is
    # seeded with the curated rules only (the full schedules take seconds to load).
    from django.conf import settings

    settings.EWTP_RULES_SCHEDULES = False


@pytest.fixture(autouse=True)
def _fast_hashing(settings):  # type: ignore[no-untyped-def]
    # Each test starts with an empty cache: rolled-back rows reuse primary keys.
    from django.core.cache import cache

    from ewtp.traderules.selectors.snapshot import snapshot_cache_clear

    cache.clear()
    snapshot_cache_clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EWTP_RATE_LIMITS = False
    settings.EWTP_WORKER_NICE = 0  # see EWTP_WORKER_NICE above
    # The shipped rates are dated (the reference data's days), today is not: tests that are not
    # about stale rates sell on them; those that are set the limit themselves.
    settings.EWTP_FX_MAX_AGE_DAYS = 0
    settings.EWTP_FX_URL = ""  # no test reaches the ECB; fetch tests give their own file
    # The simulated providers, as `make run` names them (tests of the default override it).
    settings.EWTP_PAYMENT_PROVIDERS = ["sandbox", "momo-sim"]
    # The platform is registered for IOSS, as in the demo (`make run`): EU low-value VAT is
    # collected at checkout. Tests of the unregistered platform set it empty.
    settings.EWTP_IOSS_NUMBER = "IM0560000001"
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
    """A pytest-style test that touches the database: directly, through a fixture, or through
    ``live_server`` (whose helper asks for ``transactional_db`` only when the test runs)."""
    names = set(getattr(item, "fixturenames", ()))
    return bool({"db", "transactional_db", "django_db_setup", "live_server"} & names) or (
        item.get_closest_marker("django_db") is not None
    )


def _django_test_case(item: pytest.Item) -> Any:
    """The instance of a unittest-style Django test case (Hypothesis's included), or None."""
    from django.test import TransactionTestCase

    cls = getattr(item, "cls", None)
    if cls is None or not issubclass(cls, TransactionTestCase):
        return None
    return getattr(item, "instance", None)


def _raise_unless_balanced(verdict: dict[str, Any]) -> None:
    if not verdict["balanced"]:
        raise AssertionError(f"ledger not balanced after the test: {verdict['problems']}")


def _check_before_teardown(testcase: Any) -> None:
    """Verify the ledger when the test case tears down, before its transaction is rolled back
    (or its tables flushed): once per test for a Django TestCase, once per example for a
    Hypothesis TestCase (its teardown_example calls _post_teardown)."""
    from ewtp.ledger.services import ledger_verify

    post_teardown = testcase._post_teardown

    def checked() -> None:
        verdict = ledger_verify()
        post_teardown()
        _raise_unless_balanced(verdict)

    testcase._post_teardown = checked


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):  # type: ignore[no-untyped-def]
    """After every test scenario that touched the database, the ledger must be balanced."""
    tampered = item.get_closest_marker("ledger_tampered") is not None
    testcase = _django_test_case(item)
    if testcase is not None and not tampered:
        _check_before_teardown(testcase)
    result = yield
    if testcase is None and _uses_database(item) and not tampered:
        from ewtp.ledger.services import ledger_verify

        _raise_unless_balanced(ledger_verify())
    return result
