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
    path = reverse("tourism:booking", args=[booking.public_id])
    return f"{path}?t={booking_access_token(booking)}"
