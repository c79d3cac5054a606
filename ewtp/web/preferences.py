"""The visitor's preferences; the logic lives in ewtp.core.preferences (apps import it there)."""

from ewtp.core.preferences import (
    COOKIE_AGE,
    CURRENCY_COOKIE,
    DESTINATION_COOKIE,
    Preferences,
    remember,
    remember_language,
    resolve,
)

__all__ = [
    "COOKIE_AGE",
    "CURRENCY_COOKIE",
    "DESTINATION_COOKIE",
    "Preferences",
    "remember",
    "remember_language",
    "resolve",
]
