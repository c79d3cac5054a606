"""ISO 4217 currencies: codes, names and minor-unit exponents."""

from __future__ import annotations

from functools import cache

import pycountry

# ISO 4217 minor units that are not 2 (list one, "Currency and funds code list").
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}
# Codes with no minor unit at all in ISO 4217 (precious metals, testing, SDR).
_NOT_MONEY = frozenset("XAG XAU XBA XBB XBC XBD XDR XPD XPT XSU XTS XUA XXX".split())


@cache
def is_currency(code: str) -> bool:
    """True for an active ISO 4217 currency code usable as money."""
    if len(code) != 3 or not code.isalpha() or not code.isupper() or code in _NOT_MONEY:
        return False
    return pycountry.currencies.get(alpha_3=code) is not None


def exponent(code: str) -> int:
    """Number of decimal places of the currency's minor unit (RWF 0, EUR 2, KWD 3)."""
    if not is_currency(code):
        raise ValueError(f"not an ISO 4217 currency: {code!r}")
    return _EXPONENTS.get(code, 2)
