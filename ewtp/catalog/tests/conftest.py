from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reference_data(db):  # type: ignore[no-untyped-def]
    from ewtp.traderules.services.reference_data import reference_data_ensure

    reference_data_ensure()
