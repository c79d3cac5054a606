"""Template context every page gets: the visitor's preferences and the choices offered."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

import ewtp


def platform(request: HttpRequest) -> dict[str, Any]:
    return {
        "preferences": getattr(request, "preferences", None),
        "currencies": settings.EWTP_CURRENCIES,
        "destinations": settings.EWTP_DESTINATIONS,
        "ewtp_version": ewtp.__version__,
    }
