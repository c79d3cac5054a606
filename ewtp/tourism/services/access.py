"""A guest's access to their booking: the derived token carried by the booking link."""

from __future__ import annotations

from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from ewtp.tourism.models import (
    Booking,
)

# Access to a guest's booking -------------------------------------------------------------


def booking_access_token(booking: Booking) -> str:
    """The secret in a guest's booking link; derived, so a mail can carry it again later."""
    return salted_hmac(
        "ewtp.tourism.booking", str(booking.public_id), algorithm="sha256"
    ).hexdigest()[:32]


def booking_token_matches(booking: Booking, token: str) -> bool:
    return bool(token) and constant_time_compare(booking_access_token(booking), token)


def booking_url(booking: Booking) -> str:
    """The guest's link to their booking (worked out once per booking object: a new booking
    needs it for its payment and for the answer)."""
    url = getattr(booking, "_booking_url", None)
    if url is None or url[0] != booking.public_id:
        path = reverse("tourism:booking", args=[booking.public_id])
        url = (booking.public_id, f"{path}?t={booking_access_token(booking)}")
        booking._booking_url = url  # type: ignore[attr-defined]
    return str(url[1])
