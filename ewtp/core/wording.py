"""Codes in words: the one place where a code that the platform stores or computes (a risk
flag, a quote's note or warning, a duty treatment, a refused scan) becomes a sentence for
people, in the language in force.

Pages never print a code itself (``weight_mismatch``, ``flat_per_hs6``, ``stale_fx_rate``):
they show ``label(code)`` (a few words, for a badge or a filter) or ``sentence(code, params)``
(a full sentence; with the params a code was stored with, the detailed one). Every code a
staff page may meet is listed here; ``tests/test_pages_speak_in_words.py`` scans the pages for
the codes of ``KNOWN_CODES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Customs risk flags (ewtp.customs.risk) -------------------------------------------------------
RISK_FLAGS: dict[str, tuple[Promise, Promise, Promise]] = {
    # code: (label, sentence without details, sentence with the flag's params)
    "undervalued": (
        _("Undervalued"),
        _("A line is declared at less than half of its catalogue price."),
        _(
            "Line %(line)s is declared at %(declared)s %(currency)s a unit, %(share)s%% of its "
            "catalogue price of %(catalog)s %(currency)s."
        ),
    ),
    "weight_mismatch": (
        _("Weight does not match"),
        _("The parcel's weight does not match the weight of its goods."),
        _(
            "The parcel weighs %(weight)s kg but its goods weigh %(expected)s kg: with packaging, "
            "%(low)s to %(high)s kg was expected."
        ),
    ),
    "restricted_goods": (
        _("Restricted goods"),
        _("A line's HS code is on the list of restricted goods."),
        _("Line %(line)s (HS %(hs_code)s) is on the list of restricted goods: %(reason)s."),
    ),
    "preference_without_proof": (
        _("Preference without proof of origin"),
        _("A tariff preference was used but the exporter made no origin statement."),
        _(
            "A tariff preference was used for line %(lines)s but the exporter made no origin "
            "statement."
        ),
    ),
}

# A quote's notes and warnings, and its duty treatments (ewtp.traderules.engine) --------------
QUOTE_CODES: dict[str, Promise] = {
    "duty_not_computable": _("The duty could not be worked out from the published rules."),
    "national_code_needed": _(
        "The destination needs a national tariff code (more digits) to work out the duty."
    ),
    "preference_available": _("A tariff preference is available for these goods."),
    "quantity_missing": _("A quantity needed for a specific duty is missing."),
    "rates_not_verified": _("Some rates in the rules have not been checked against a source."),
    "stale_fx_rate": _("The exchange rate used is older than the platform allows."),
    "tariff_rate_unknown": _("The import duty for an HS code is not in the published tariff."),
    "tax_rate_unknown": _("A tax rate of the destination is not in the published rules."),
    "flat_per_hs6": _("A flat duty for each different HS subheading in the parcel."),
    "flat_ad_valorem": _("A flat duty rate on the value of the goods, whatever the goods."),
}

# Kinds of tax in a quote's lines.
TAX_KINDS: dict[str, Promise] = {
    "vat": _("VAT"),
    "sales_tax": _("Sales tax"),
    "gst": _("GST"),
    "consumption_tax": _("Consumption tax"),
    "excise": _("Excise"),
}

# Refused or repeated scans at a hub (ewtp.logistics.services) --------------------------------
SCAN_RESULTS: dict[str, Promise] = {
    "received": _("Received"),
    "already_received": _("Already scanned"),
    "wrong_hub": _("Belongs to another hub"),
    "not_found": _("Unknown code"),
    "invalid_code": _("Not a parcel code"),
    "not_handed_over": _("Not handed over yet"),
    "invalid_transition": _("Cannot be received now"),
    "permission_denied": _("Not allowed"),
    "duplicate_in_batch": _("Listed twice"),
}

# Every code a staff page must not show as such (the scan test adds the models' choice values
# with an underscore: parcel statuses, decision reasons, data sets).
KNOWN_CODES: frozenset[str] = frozenset(
    {
        *RISK_FLAGS,
        *QUOTE_CODES,
        *(code for code in SCAN_RESULTS if "_" in code),
        *(code for code in TAX_KINDS if "_" in code),
    }
)


def label(code: str) -> str:
    """A few words for a badge or a filter's option."""
    if code in RISK_FLAGS:
        return str(RISK_FLAGS[code][0])
    if code in SCAN_RESULTS:
        return str(SCAN_RESULTS[code])
    if code in QUOTE_CODES:
        return str(QUOTE_CODES[code])
    return code.replace("_", " ").capitalize()


def tax_name(kind: str) -> str:
    if kind in TAX_KINDS:
        return str(TAX_KINDS[kind])
    return kind.replace("_", " ").capitalize()


def sentence(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The code as a sentence; the detailed one when the params it needs are all given."""
    if code in RISK_FLAGS:
        _label, plain, detailed = RISK_FLAGS[code]
        if params:
            try:
                return str(detailed) % dict(params)
            except (KeyError, TypeError, ValueError):
                pass
        return str(plain)
    if code in QUOTE_CODES:
        return str(QUOTE_CODES[code])
    return label(code)


def flag_sentence(flag: Mapping[str, Any]) -> str:
    """A stored risk flag ``{"code", "message", "params"?}`` as a sentence."""
    return sentence(str(flag.get("code", "")), flag.get("params"))
