"""The logistics API: tracking by parcel code (public), lane prices, the hub's steps."""

import pytest

from ewtp.accounts.services import api_token_issue
from ewtp.logistics.codes import awb_make
from ewtp.logistics.services import parcels
from ewtp.logistics.tests.factories import packed, paid_order, world
from ewtp.web.demo import DEMO_PASSWORD


@pytest.fixture
def w(db):
    return world()


def _bearer(email):
    _token, clear = api_token_issue(email=email, password=DEMO_PASSWORD)
    return {"HTTP_AUTHORIZATION": f"Bearer {clear}"}


def test_tracking_is_public_by_parcel_code(client, w):
    order = paid_order([(w.coffee, 1)], destination="BE")
    parcel = packed(w, order)
    answer = client.get(f"/api/v1/logistics/parcels/{parcel.code}/tracking")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["code"], body["status"], body["origin_hub"], body["destination_hub"]) == (
        parcel.code,
        "packed",
        "KGL",
        "LGG",
    )
    assert [e["kind"] for e in body["events"]] == ["packed"]
    assert body["events"][0]["who"] == "Huye Mountain Coffee Cooperative"
    missing = client.get("/api/v1/logistics/parcels/KGL-AAAAAAAA-A/tracking")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_lane_price_answers_the_cheapest_lane(client, w):
    answer = client.get(
        "/api/v1/logistics/lanes/price",
        {"destination": "BE", "weight_kg": "2.3", "length_cm": 40, "width_cm": 30, "height_cm": 20},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["price"] == {"amount": "31.20", "currency": "USD"}
    assert (body["chargeable_weight_kg"], body["volumetric_divisor"]) == ("4.0", 6000)
    assert [o["carrier"] for o in body["options"]] == ["WB", "ET"]
    nowhere = client.get("/api/v1/logistics/lanes/price", {"destination": "KE", "weight_kg": "1"})
    assert nowhere.status_code == 422 and nowhere.json()["code"] == "no_route"


def test_the_hub_steps_through_the_api(client, w):
    order = paid_order([(w.coffee, 1)], destination="BE")
    parcel = packed(w, order)
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    headers = _bearer("hub@demo.ewtp.rw")
    assert (
        client.post(
            "/api/v1/logistics/hubs/KGL/intake",
            {"code": parcel.code},
            content_type="application/json",
        ).status_code
        == 401
    )
    received = client.post(
        "/api/v1/logistics/hubs/KGL/intake",
        {"code": parcel.code},
        content_type="application/json",
        **headers,
    )
    assert received.status_code == 200 and received.json()["status"] == "received"
    again = client.post(
        "/api/v1/logistics/hubs/KGL/intake",
        {"code": parcel.code},
        content_type="application/json",
        **headers,
    )
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    made = client.post(
        "/api/v1/logistics/shipments",
        {
            "origin": "KGL",
            "destination": "LGG",
            "carrier": "WB",
            "awb": awb_make("459", "7000001"),
            "parcels": [parcel.code],
        },
        content_type="application/json",
        **headers,
    )
    assert made.status_code == 201 and made.json()["parcels"] == [parcel.code]
    blocked = client.post(f"/api/v1/logistics/shipments/{made.json()['id']}/dispatch", **headers)
    assert blocked.status_code == 409 and blocked.json()["code"] == "export_not_released"
    damaged = client.post(
        f"/api/v1/logistics/parcels/{parcel.code}/events",
        {"action": "damage", "note": "wet box"},
        content_type="application/json",
        **headers,
    )
    assert damaged.status_code == 200 and damaged.json()["status"] == "damaged"
