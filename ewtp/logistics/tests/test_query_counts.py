"""The hub page reads as many queries for many parcels as for a few: an N+1 fails here."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ewtp.logistics.models import Parcel
from ewtp.logistics.services import parcels
from ewtp.logistics.tests.factories import World, packed, paid_order, world

pytestmark = pytest.mark.django_db

HUB_PAGE = 13  # measured: the same with 4 parcels (2 on their way in, 2 received) and 12


def _parcels(w: World, count: int) -> None:
    """Half handed over (on their way in), half received at the hub."""
    for index in range(count):
        parcel = packed(w, paid_order([(w.coffee, 1)], destination="BE"))
        parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
        if index % 2:
            parcels.parcel_receive(actor=w.kigali, hub=w.kgl, code=parcel.code)


def test_the_hub_page_reads_as_many_queries_for_12_parcels_as_for_4(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    w = world()
    client.force_login(w.kigali)
    _parcels(w, 4)
    client.get("/hubs/KGL/")  # warm the per-process caches (navigation, reference data)
    with django_assert_max_num_queries(HUB_PAGE):
        few = client.get("/hubs/KGL/")
    _parcels(w, 8)
    with django_assert_max_num_queries(HUB_PAGE):
        many = client.get("/hubs/KGL/")
    assert (few.status_code, many.status_code) == (200, 200)
    html = many.content.decode()
    codes = list(Parcel.objects.values_list("code", flat=True))
    assert len(codes) == 12 and all(code in html for code in codes)
