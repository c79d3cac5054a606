"""Currency minor units and the engine's one rounding rule (pure, stdlib only).

The engine imports nothing from ``ewtp.core`` so that it stays a plain module; this table
follows ISO 4217 like ``core.currencies`` does.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 exponents that differ from 2.
_EXPONENT_0 = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()
)
_EXPONENT_3 = frozenset("BHD IQD JOD KWD LYD OMR TND".split())
_EXPONENT_4 = frozenset("CLF UYW".split())

# Active ISO 4217 codes that denote a money of account (precious metals, testing and
# "no currency" codes left out). A code that is neither here nor in the rate data is not a
# currency the engine knows: the request is malformed (invalid_request), while a known code
# without a rate is fx_rate_unavailable.
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
    BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
    JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD
    MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP
    PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP
    SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV
    WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()
)

_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(5)}


def exponent(currency: str) -> int:
    """Number of decimal places of the currency's minor unit."""
    if currency in _EXPONENT_0:
        return 0
    if currency in _EXPONENT_3:
        return 3
    if currency in _EXPONENT_4:
        return 4
    return 2


def quantum(currency: str) -> Decimal:
    """The minor unit as a Decimal exponent template (``Decimal("0.01")`` for EUR)."""
    return _QUANTA[exponent(currency)]


def round_half_up(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half up (the contract's rounding rule)."""
    return amount.quantize(_QUANTA[exponent(currency)], rounding=ROUND_HALF_UP)


def is_currency_code(code: object) -> bool:
    """Three uppercase ASCII letters (shape only; whether the engine knows it is separate)."""
    return (
        isinstance(code, str)
        and len(code) == 3
        and code.isascii()
        and code.isalpha()
        and code.isupper()
    )
