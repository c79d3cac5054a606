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
