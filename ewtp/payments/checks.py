"""System checks of the payment set-up: every provider named exists."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error

from ewtp.core import conf


def providers_named(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from ewtp.payments.providers import ALL

    unknown = [name for name in conf.PAYMENT_PROVIDERS() if name not in ALL]
    if not unknown:
        return []
    return [
        Error(
            f"EWTP_PAYMENT_PROVIDERS names unknown providers: {', '.join(unknown)}",
            hint="Known providers: " + ", ".join(sorted(ALL)),
            id="ewtp.payments.E001",
        )
    ]
