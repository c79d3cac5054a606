"""What a landed-cost quote says to buyers, in their language: each low-value regime of the
shipped rules explained in one sentence, and the quote's notes by their code.

The rules name a regime in the stewards' English (``regimes.json``); a buyer reads this
explanation instead. A regime the stewards add later, not yet explained here, is shown by
its name from the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

REGIME_EXPLANATIONS = {
    "standard": _("Standard import: customs duty and taxes at the destination's usual rates."),
    "eu-gift-45": _(
        "A gift between private persons to the EU worth up to EUR 45: no customs duty and no "
        "import VAT."
    ),
    "eu-ioss-2021": _(
        "An EU low-value sale (goods up to EUR 150) by a seller registered for IOSS: no customs "
        "duty; the VAT is charged at checkout."
    ),
    "eu-low-value-relief-2021": _(
        "An EU low-value consignment (goods up to EUR 150) outside IOSS: no customs duty; the "
        "import VAT is due at the border."
    ),
    "eu-low-value-2026": _(
        "An EU low-value sale (goods up to EUR 150) by a seller registered for IOSS: a flat "
        "customs duty of EUR 3 per tariff subheading; the VAT is charged at checkout."
    ),
    "eu-low-value-2026-non-ioss": _(
        "An EU low-value sale (goods up to EUR 150) by a seller not registered for IOSS: a flat "
        "customs duty of EUR 3 per tariff subheading; the import VAT is due at the border."
    ),
    "eu-gift-flat-700": _(
        "A gift between private persons to the EU worth up to EUR 700: a flat customs duty of "
        "2.5%; the import VAT is due at the border."
    ),
    "gb-gift-39": _(
        "A gift between private persons to the UK worth up to GBP 39: no customs duty and no "
        "import VAT."
    ),
    "gb-gift-135": _(
        "A gift between private persons to the UK worth up to GBP 135: no customs duty; the "
        "import VAT is due at the border."
    ),
    "gb-low-value-2021": _(
        "A UK low-value consignment (goods up to GBP 135): no customs duty; the seller charges "
        "the VAT with the sale."
    ),
    "gb-gift-flat-630": _(
        "A gift between private persons to the UK worth up to GBP 630: a flat customs duty of "
        "2.5%; the import VAT is due at the border."
    ),
    "us-gift-100": _("A gift to a person in the US worth up to USD 100: free of duty and tax."),
    "us-de-minimis-321": _("US low-value shipment (goods up to USD 800): free of duty."),
    "us-de-minimis-321-2025": _("US low-value shipment (goods up to USD 800): free of duty."),
    "cn-cbec-retail": _(
        "China cross-border e-commerce retail import: no customs duty; import VAT and "
        "consumption tax at 70% of the usual rates."
    ),
    "my-lvg-2024": _(
        "Malaysia low-value goods (up to MYR 500): no import duty or import sales tax; the "
        "seller charges a 10% low-value goods tax."
    ),
    "my-lvg-item-2024": _(
        "Malaysia low-value goods (each item up to MYR 500): the seller charges a 10% low-value "
        "goods tax instead of the import sales tax; import duty is due at the border."
    ),
}

NOTE_WORDS = {
    "rates_not_verified": _("Some of the rates in this price are not yet verified."),
}


def regime_explanation(regime: Mapping[str, Any] | None) -> str:
    """The quote's regime (``{"id", "name", ...}``) in the reader's language."""
    if not isinstance(regime, Mapping):
        return ""
    words = REGIME_EXPLANATIONS.get(str(regime.get("id", "")))
    return str(words) if words is not None else str(regime.get("name", ""))


def note_words(note: Mapping[str, Any]) -> str:
    """One of the quote's notes (``{"code", "message"}``) in the reader's language."""
    words = NOTE_WORDS.get(str(note.get("code", "")))
    return str(words) if words is not None else str(note.get("message", note.get("code", "")))
