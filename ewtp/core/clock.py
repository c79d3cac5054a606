"""The platform clock: aware UTC datetimes, and the date of today in UTC."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.now().date()
