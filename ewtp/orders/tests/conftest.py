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
    from ewtp.logistics.demo import network_ensure
    from ewtp.traderules.services.reference_data import reference_data_ensure

    reference_data_ensure()
    network_ensure()  # hubs, lanes and rate cards: checkout prices carriage from them


@pytest.fixture
def immediate_tasks(settings):  # type: ignore[no-untyped-def]
    """Run enqueued tasks at once (the mails), instead of leaving them to the worker."""
    from asgiref.local import Local
    from django.tasks import task_backends

    def reset() -> None:
        task_backends.__dict__.pop("settings", None)
        task_backends._connections = Local(task_backends.thread_critical)

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    reset()
    yield
    reset()


@pytest.fixture
def three_sellers(reference_data):  # type: ignore[no-untyped-def]
    from ewtp.catalog.tests.factories import make_product, make_seller

    coffee = make_product(make_seller("huye-coffee", name="Huye Mountain Coffee"), stock=10)
    tea = make_product(
        make_seller("nyungwe-tea", name="Nyungwe Tea Estate"),
        "Nyungwe black tea, 250 g",
        hs_code="0902.40",
        price="5000",
        weight="0.27",
        stock=20,
    )
    basket = make_product(
        make_seller("gahaya-baskets", name="Gahaya Baskets"),
        "Agaseke peace basket",
        hs_code="4602.19",
        price="25000",
        weight="0.4",
        stock=3,
    )
    return coffee, tea, basket
