"""A voucher issued before a key rotation still passes the gate, online and offline."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command
from django.test import Client

from ewtp.core import signing
from ewtp.tourism import vouchers
from ewtp.tourism.models import Booking
from ewtp.tourism.services import gate as gate_services
from ewtp.tourism.tests.factories import (
    book_api,
    kigali_today,
    make_member,
    pay,
    transactional,
    visitor_json,
)


@transactional
def test_a_voucher_signed_before_a_rotation_passes_the_gate(experience) -> None:  # type: ignore[no-untyped-def]
    guest = Client()
    held = book_api(
        guest,
        experience.slug,
        {
            "date": kigali_today(experience).isoformat(),
            "email": "ann@example.org",
            "visitors": [visitor_json()],
        },
    )
    assert held.status_code == 201, held.json()
    pay(guest, held.json())
    booking_id = held.json()["id"]
    booking = Booking.objects.get(public_id=booking_id)
    old_kid = signing.key_id()
    token = gate_services.voucher_token(booking)
    assert vouchers.token_verify(token).kid == old_kid

    call_command("keys", "rotate", stdout=StringIO())
    assert signing.key_id() != old_kid
    fresh = gate_services.voucher_token(booking)
    assert vouchers.token_verify(fresh).kid == signing.key_id()

    # Offline: the published set still holds the retired key the voucher names.
    keys = guest.get("/.well-known/ewtp-keys.json").json()
    assert vouchers.verify_with_jwks(token, keys).booking == booking_id
    assert vouchers.verify_with_jwks(token, {"keys": keys["keys"][1:]}).kid == old_kid

    gate = Client()
    gate.force_login(make_member(experience.operator, "ranger@parks.rw", "staff"))
    scanned = gate.post(
        "/api/v1/tourism/checkins",
        data=json.dumps({"token": token}),
        content_type="application/json",
    )
    assert scanned.status_code == 201, scanned.json()
    assert scanned.json()["booking"]["id"] == booking_id
