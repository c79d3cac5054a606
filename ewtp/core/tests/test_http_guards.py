"""Requests carrying a NUL byte are refused at the door; page numbers stay within what the
database can count to."""

from __future__ import annotations

import pytest
from django.test import Client

from ewtp.core.pagination import MAX_PAGE, clamp_page, page_number


@pytest.mark.django_db
def test_a_nul_byte_anywhere_in_a_request_is_refused_with_400() -> None:
    client = Client()
    page = client.get("/shop/search/", {"q": "coffee\x00"})
    assert page.status_code == 400
    assert "NUL" in page.content.decode()
    assert client.get("/hubs/%00/").status_code == 400
    api = client.get("/api/v1/tourism/experiences/%00")
    assert (api.status_code, api.json()["code"]) == (400, "invalid_request")
    form = client.post("/accounts/login/", {"username": "a\x00@example.rw", "password": "x"})
    assert form.status_code == 400
    body = (
        '{"date": "2030-01-01", "email": "a@example.be", "visitors": [{"full_name": "A\\u0000"}]}'
    )
    booked = client.post(
        "/api/v1/tourism/experiences/golden-monkey-tracking/bookings",
        body,
        content_type="application/json",
    )
    assert (booked.status_code, booked.json()["code"]) == (400, "invalid_request")


@pytest.mark.django_db
def test_requests_without_nul_pass_through() -> None:
    client = Client()
    assert client.get("/shop/search/", {"q": "coffee %00 literally"}).status_code == 200
    escaped = client.post(
        "/api/v1/tourism/experiences/no-such-thing/bookings",
        '{"date": "2030-01-01", "email": "a\\\\u0000b@example.be", "visitors": []}',
        content_type="application/json",
    )
    assert escaped.status_code != 400  # a backslash followed by u0000 is text, not NUL


def test_page_numbers_are_clamped() -> None:
    assert page_number(str(2**63)) == MAX_PAGE
    assert page_number("-5") == 1
    assert page_number("nul\x00") == 1
    assert clamp_page(2**80) == MAX_PAGE
    assert clamp_page(7) == 7


@pytest.mark.django_db
def test_a_checked_form_body_can_still_be_read_by_the_view() -> None:
    from django.http import HttpRequest, HttpResponse
    from django.test import RequestFactory

    from ewtp.core.http import RefuseNulBytesMiddleware

    seen: list[bytes] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request.body)
        return HttpResponse(request.POST.get("name", ""))

    request = RequestFactory().post("/anything/", {"name": "Anne"})  # multipart, as browsers send
    response = RefuseNulBytesMiddleware(view)(request)
    assert response.content == b"Anne"
    assert b"Anne" in seen[0]
