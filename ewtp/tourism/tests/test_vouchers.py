"""Vouchers: signed tokens verified offline, the gate's check-in once, and every refusal."""

from __future__ import annotations

import json
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from ewtp.core import signing
from ewtp.core.errors import DomainError
from ewtp.tourism import vouchers
from ewtp.tourism.models import Booking, CheckIn
from ewtp.tourism.services.changes import booking_cancel, booking_change_date
from ewtp.tourism.services.gate import voucher_token
from ewtp.tourism.tests.factories import (
    book_api,
    future,
    kigali_today,
    make_member,
    make_operator,
    pay,
    transactional,
    visitor_json,
)


def _forge(token: str, **changes: object) -> str:
    """Alter the payload and keep the genuine signature."""
    message, signature = token.split(".")
    payload = json.loads(vouchers._b64url_decode(message))
    payload.update(changes)
    altered = signing.b64url(json.dumps(payload, separators=(",", ":")).encode())
    return f"{altered}.{signature}"


def _signed_by_another_key(payload: vouchers.VoucherPayload) -> str:
    key = Ed25519PrivateKey.generate()
    message = signing.b64url(json.dumps(payload.as_dict()).encode())
    return f"{message}.{signing.b64url(key.sign(message.encode()))}"


@pytest.mark.django_db  # the key set lives in the database
def test_a_token_round_trips_and_verifies_with_the_published_key_set() -> None:
    payload = vouchers.VoucherPayload(
        booking="b1",
        experience="gorillas",
        visit_on=date(2026, 7, 1),
        visitors=2,
        names=["Ann Lee", "Bo Kim"],
        kid=signing.key_id(),
    )
    token = vouchers.token_issue(payload)
    assert vouchers.token_verify(token) == payload
    assert vouchers.verify_with_jwks(token, signing.jwks()) == payload
    for bad in (_forge(token, visitors=6), _signed_by_another_key(payload), "abc", "a.b", ""):
        with pytest.raises(vouchers.VoucherInvalid):
            vouchers.token_verify(bad)
        with pytest.raises(vouchers.VoucherInvalid):
            vouchers.verify_with_jwks(bad, signing.jwks())
    assert vouchers.qr_svg(token).startswith("<svg")
    assert vouchers.qr_png_data_uri(token).startswith("data:image/png;base64,")


def _paid(client: Client, experience, day) -> tuple[Booking, dict]:  # type: ignore[no-untyped-def]
    held = book_api(
        client,
        experience.slug,
        {
            "date": day.isoformat(),
            "email": "ann@example.org",
            "visitors": [visitor_json(), visitor_json("foreign_resident", "Bo Kim", "DE")],
        },
    )
    assert held.status_code == 201, held.json()
    pay(client, held.json())
    return Booking.objects.get(public_id=held.json()["id"]), held.json()


def _scan(client: Client, token: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/tourism/checkins",
        data=json.dumps({"token": token}),
        content_type="application/json",
    )


@transactional
def test_the_gate_checks_a_voucher_in_once_and_refuses_the_rest(experience) -> None:  # type: ignore[no-untyped-def]
    guest = Client()
    today, later = kigali_today(experience), future(experience, 40)
    booking, held = _paid(guest, experience, today)
    token = voucher_token(booking)

    # Offline, as a gate app does: only the published key set (what the well-known URL serves).
    published = guest.get("/.well-known/ewtp-keys.json")
    keys = published.json() if published.status_code == 200 else signing.jwks()
    offline = vouchers.verify_with_jwks(token, keys)
    assert (offline.booking, offline.visit_on, offline.visitors) == (held["id"], today, 2)
    assert offline.names == ["Ann Lee", "Bo Kim"]

    gate = Client()
    assert _scan(gate, token).status_code == 401  # not logged in
    stranger = make_member(make_operator("other-tours"), "other@tours.rw")
    gate.force_login(stranger)
    assert _scan(gate, token).status_code == 404
    assert CheckIn.objects.count() == 0

    gate.force_login(make_member(experience.operator, "ranger@parks.rw", "staff"))
    first = _scan(gate, token)
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["status"] == "checked_in"
    assert body["booking"]["id"] == held["id"]
    assert [v["full_name"] for v in body["visitors"]] == ["Ann Lee", "Bo Kim"]
    assert [v["proof_document"] for v in body["visitors"]] == ["Passport", "Residence permit"]

    again = _scan(gate, token)
    assert again.status_code == 409
    assert again.json()["code"] == "already_checked_in"
    assert again.json()["message"].startswith("Already checked in at ")
    assert again.json()["checked_in_at"] == body["checked_in_at"]
    assert CheckIn.objects.count() == 1

    forged = _scan(gate, _forge(token, names=["Mallory"]))
    assert (forged.status_code, forged.json()["code"]) == (422, "voucher_forged")
    other_key = vouchers.token_verify(token)
    assert _scan(gate, _signed_by_another_key(other_key)).json()["code"] == "voucher_forged"
    assert _scan(gate, "not a voucher").json()["code"] == "voucher_forged"

    tomorrow_booking, _ = _paid(guest, experience, later)
    wrong_day = _scan(gate, voucher_token(tomorrow_booking))
    assert (wrong_day.status_code, wrong_day.json()["code"]) == (422, "wrong_date")

    old_token = voucher_token(tomorrow_booking)
    booking_change_date(booking=tomorrow_booking, visit_on=future(experience, 45), actor=None)
    assert _scan(gate, old_token).json()["code"] == "voucher_superseded"

    cancelled = booking_cancel(booking=tomorrow_booking, actor=None)
    refused = _scan(gate, old_token)
    assert (refused.status_code, refused.json()["code"]) == (409, "voucher_cancelled")
    assert CheckIn.objects.count() == 1
    with pytest.raises(DomainError, match="voucher"):
        voucher_token(cancelled)


def _text_boxes(box):  # type: ignore[no-untyped-def]
    if type(box).__name__ == "TextBox":
        yield box
    for child in getattr(box, "children", []):
        yield from _text_boxes(child)


@transactional
def test_the_voucher_pdfs_fallback_code_is_printed_whole_inside_the_page(experience) -> None:  # type: ignore[no-untyped-def]
    import io

    from django.template.loader import render_to_string
    from pypdf import PdfReader
    from weasyprint import HTML

    from ewtp.tourism.services.access import booking_access_token
    from ewtp.tourism.views import voucher_pdf_context

    guest = Client()
    booking, _held = _paid(guest, experience, future(experience, 20))
    token = voucher_token(booking)
    assert len(token) > 300  # a long string without a space: it has to wrap

    # The PDF as the guest downloads it holds the code whole (line breaks aside).
    answer = guest.get(
        f"/visit/bookings/{booking.public_id}/voucher.pdf?t={booking_access_token(booking)}"
    )
    assert answer.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    assert token in "".join(text.split())

    # Laid out: every line of the code ends inside the page's printable width (A4, 18 mm
    # margins), and the lines put together are the code.
    html = render_to_string("tourism/voucher_pdf.html", voucher_pdf_context(booking, token, "en"))
    document = HTML(string=html).render()
    lines = []
    for page in document.pages:
        right_edge = page.width - 18 * 96 / 25.4
        for box in _text_boxes(page._page_box):
            if box.element is not None and box.element.get("data-testid") == "voucher-code":
                assert box.position_x + box.width <= right_edge + 0.5, box.text
                lines.append(box.text)
    assert len(lines) > 1
    assert "".join(lines) == token
