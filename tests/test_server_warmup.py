"""A served worker builds its caches before its first request (config/gunicorn.py).

A new gunicorn worker used to build the quote snapshot on its first checkout (seconds on a
busy machine) and import the URLconf on its first request, while every request queued behind
them in that worker waited: the long tail of the checkout contest.
"""

from __future__ import annotations

from typing import Any

import pytest

from config import gunicorn
from ewtp.logistics import network
from ewtp.traderules.selectors import snapshot
from ewtp.traderules.services.reference_data import reference_data_ensure

pytestmark = pytest.mark.django_db


def test_a_worker_builds_the_quote_snapshot_and_the_network_before_its_first_request(
    monkeypatch: Any,
) -> None:
    reference_data_ensure()
    monkeypatch.setattr(snapshot, "_cache", snapshot._Cache())  # a new process: nothing held
    monkeypatch.setattr(network, "_held", {})

    gunicorn.post_worker_init(None)

    assert snapshot._cache.rules is not None
    assert "network" in network._held

    def built_again(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the first quote built the snapshot again")

    monkeypatch.setattr(snapshot, "_database_rules", built_again)
    monkeypatch.setattr(snapshot, "_shipped_rules", built_again)
    snapshot.snapshot_cache_clear()  # even when the first quote checks the key again
    assert snapshot.current_rules() is snapshot._cache.rules


def test_a_worker_builds_every_namespace_s_reverse_tables_and_the_validators_patterns(
    monkeypatch: Any,
) -> None:
    """A worker's first booking and first checkout each spent 50 to 80 ms on work of the
    process: the e-mail validator's domain pattern compiled, the payment's and the booking's
    namespaced links' reverse tables built."""
    import re
    import uuid

    from django.conf import settings
    from django.core.validators import EmailValidator
    from django.urls import URLResolver, clear_url_caches, reverse
    from django.utils import translation
    from django.utils.functional import empty
    from django.utils.regex_helper import _lazy_re_compile

    fresh = _lazy_re_compile(EmailValidator.domain_regex.pattern, re.IGNORECASE)
    monkeypatch.setattr(EmailValidator, "domain_regex", fresh)
    clear_url_caches()  # a new process: no resolver built

    gunicorn.post_worker_init(None)

    assert fresh._wrapped is not empty  # compiled before the first request

    def built_again(self: URLResolver) -> None:
        raise AssertionError(f"a request built the reverse tables of {self!r}")

    monkeypatch.setattr(URLResolver, "_populate", built_again)
    public_id = uuid.UUID(int=7)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            assert reverse("tourism:booking", args=[public_id]) == (f"/visit/bookings/{public_id}/")
            assert reverse("payments:sandbox_approve", args=[public_id]) == (
                f"/pay/sandbox/{public_id}/"
            )
