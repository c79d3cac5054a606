"""The officer's queue reads as many queries for many declarations as for a few."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ewtp.customs.models import Declaration
from ewtp.customs.services import declarations_submit
from ewtp.logistics.tests.factories import World, packed, paid_order, world

pytestmark = pytest.mark.django_db

QUEUE = 7  # measured: the same with 3 declarations in the queue and with 9


def _submitted(w: World, count: int) -> None:
    for _ in range(count):
        parcel = packed(w, paid_order([(w.coffee, 2)], destination="BE"))
        declarations_submit(actor=w.seller, parcel=parcel)


def test_the_officers_queue_reads_as_many_queries_for_9_declarations_as_for_3(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    w = world()
    client.cookies["ewtp_language"] = "en"
    client.force_login(w.officer_be)
    _submitted(w, 3)
    client.get("/customs/")  # warm the per-process caches (navigation, reference data)
    with django_assert_max_num_queries(QUEUE):
        few = client.get("/customs/")
    _submitted(w, 6)
    with django_assert_max_num_queries(QUEUE):
        many = client.get("/customs/")
    assert (few.status_code, many.status_code) == (200, 200)
    html = many.content.decode()
    references = list(
        Declaration.objects.filter(kind="import", country="BE").values_list("reference", flat=True)
    )
    assert len(references) == 9 and all(reference in html for reference in references)
