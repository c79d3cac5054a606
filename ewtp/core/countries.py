"""ISO 3166 countries: validity and names in the reader's language."""

from __future__ import annotations

from functools import cache

import pycountry
from babel import Locale, UnknownLocaleError


@cache
def is_country(code: str) -> bool:
    return len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


@cache
def country_name(code: str, language: str = "en") -> str:
    """The country's name in the language (a Django code such as "zh-hans"); English if the
    language has no name for it (babel's Kinyarwanda data is thin); not a country: the code."""
    if not is_country(code):
        return code
    for candidate in (language, "en"):
        try:
            locale = Locale.parse((candidate or "en").replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            continue
        name = locale.territories.get(code)
        if name:
            return str(name)
    return code
