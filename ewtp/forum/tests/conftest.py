from __future__ import annotations

import pytest

from ewtp.orders.tests.conftest import _fresh_cache, immediate_tasks, reference_data, three_sellers  # noqa: F401
from ewtp.traderules.tests.conftest import _fresh_snapshot, steward  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_proposal_snapshots():  # type: ignore[no-untyped-def]
    from ewtp.forum.selectors.snapshot import snapshots_clear

    snapshots_clear()
    yield
    snapshots_clear()


@pytest.fixture(autouse=True)
def _mail_to_the_outbox(settings):  # type: ignore[no-untyped-def]
    # Django's test set-up swaps in the locmem backend; the platform's is the outbox table.
    settings.MAILERS = {"default": {"BACKEND": "ewtp.core.mail.OutboxBackend"}}


@pytest.fixture
def trade(request):  # type: ignore[no-untyped-def]
    """Orders placed through checkout: three sellers' goods to Belgium, coffee to China."""
    from ewtp.forum.tests.test_proposals import place

    coffee, tea, basket = request.getfixturevalue("three_sellers")
    return {
        "be": place([(coffee, 1), (tea, 2), (basket, 1)], "BE", "EUR"),
        "cn": place([(coffee, 1)], "CN", "CNY"),
    }
