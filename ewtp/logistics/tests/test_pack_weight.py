"""The seller is warned when the packed weight is far from the products' own weights."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ewtp.logistics.models import Parcel
from ewtp.logistics.tests.factories import paid_order, world

pytestmark = pytest.mark.django_db


def test_a_packed_weight_far_from_the_goods_is_warned_and_a_close_one_is_not(client):
    w = world()
    order = paid_order([(w.coffee, 3)], destination="BE")
    client.force_login(w.seller)
    client.cookies["ewtp_language"] = "en"
    url = reverse("logistics:pack", args=[order.public_id])
    sizes = {"length_cm": "30", "width_cm": "20", "height_cm": "15"}
    assert client.post(url, {"weight_kg": "9.5", **sizes}).status_code == 302
    page = client.get(url).text
    assert 'data-testid="weight-warning"' in page
    # 3 x 0.55 kg in the world's catalogue: 1.65 kg, so 1.32 to 2.98 kg with packaging.
    assert "weighs 9.5 kg, but its products weigh 1.65 kg" in page and "1.32 to 2.98 kg" in page
    parcel = Parcel.objects.get(order=order)
    response = client.post(url, {"action": "update", "weight_kg": "1.9", **sizes})
    assert response.status_code == 302
    parcel.refresh_from_db()
    assert str(parcel.weight_kg) == "1.900"
    assert 'data-testid="weight-warning"' not in client.get(url).text


def test_public_tracking_shows_no_staff_and_the_buyers_time_zone(client):
    from ewtp.logistics.tests.factories import packed

    w = world()
    order = paid_order([(w.coffee, 1)], destination="BE")
    parcel = packed(w, order)
    client.cookies["ewtp_language"] = "en"
    page = client.get(reverse("logistics:track", args=[parcel.code])).text
    assert "Packed by the seller" in page
    assert "seller@demo.ewtp.rw" not in page and "@" not in page.split('data-testid="tracking"')[1]
    zones = set(re.findall(r"<small>([A-Za-z_/]+)</small>", page))
    assert zones == {parcel.destination_hub.time_zone} and zones != {"Africa/Kigali"}
