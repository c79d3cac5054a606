"""System checks of the payment set-up: every provider named exists and has its credentials."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning

from ewtp.core import conf

Needed = list[tuple[str, conf.Setting[str], conf.Setting[str] | None]]


def _needed() -> dict[str, Needed]:
    return {
        "mtn-momo": [
            ("EWTP_MTN_COLLECTION_USER", conf.MTN_COLLECTION_USER, None),
            ("EWTP_MTN_COLLECTION_KEY", conf.MTN_COLLECTION_KEY, conf.MTN_COLLECTION_KEY_FILE),
            (
                "EWTP_MTN_COLLECTION_SUBSCRIPTION",
                conf.MTN_COLLECTION_SUBSCRIPTION,
                conf.MTN_COLLECTION_SUBSCRIPTION_FILE,
            ),
        ],
        "airtel-money": [
            ("EWTP_AIRTEL_CLIENT_ID", conf.AIRTEL_CLIENT_ID, None),
            (
                "EWTP_AIRTEL_CLIENT_SECRET",
                conf.AIRTEL_CLIENT_SECRET,
                conf.AIRTEL_CLIENT_SECRET_FILE,
            ),
        ],
        "flutterwave": [
            (
                "EWTP_FLUTTERWAVE_SECRET_KEY",
                conf.FLUTTERWAVE_SECRET_KEY,
                conf.FLUTTERWAVE_SECRET_KEY_FILE,
            ),
            (
                "EWTP_FLUTTERWAVE_SECRET_HASH",
                conf.FLUTTERWAVE_SECRET_HASH,
                conf.FLUTTERWAVE_SECRET_HASH_FILE,
            ),
        ],
    }


def providers_named(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from ewtp.payments.providers import ALL

    messages: list[CheckMessage] = []
    unknown = [name for name in conf.PAYMENT_PROVIDERS() if name not in ALL]
    if unknown:
        messages.append(
            Error(
                f"EWTP_PAYMENT_PROVIDERS names unknown providers: {', '.join(unknown)}",
                hint="Known providers: " + ", ".join(sorted(ALL)),
                id="ewtp.payments.E001",
            )
        )
    for name, needed in _needed().items():
        if name not in conf.PAYMENT_PROVIDERS():
            continue
        missing = [label for label, value, file in needed if not (value() or (file and file()))]
        if missing:
            messages.append(
                Warning(
                    f"{name} is offered without {', '.join(missing)}",
                    hint="Set them (or their _FILE variants) before taking payments.",
                    id="ewtp.payments.W001",
                )
            )
    return messages
