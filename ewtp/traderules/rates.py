"""Rates as people read them: percentages on the steward's pages, and the bounds a rate of each
kind must stay within when a steward edits it.

The tables keep rates as decimal fractions written as text ("0.075" is 7.5%), exactly as the
shipped files do; only the pages speak in percent. Pure functions, no database.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The columns of each table that hold a rate (a decimal fraction of the value).
PERCENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "tariff_lines": ("mfn_ad_valorem",),
    "preferences": ("rate",),
    "additional_duties": ("ad_valorem",),
    "taxes": ("rate",),
    "fees": ("ad_valorem",),
}

_PERCENT = re.compile(r"^\d+([.,]\d+)?$")
_FRACTION = re.compile(r"^\d+(\.\d+)?$")


def percent_text(fraction: str) -> str:
    """ "0.075" -> "7.5", "0.21" -> "21", "0" -> "0"; anything else is returned as it is."""
    if not fraction or not _FRACTION.match(fraction):
        return fraction
    value = Decimal(fraction).scaleb(2).normalize()
    return format(value, "f")


def percent_label(fraction: str) -> str:
    """ "0.06" -> "6%"; an empty cell stays empty."""
    text = percent_text(fraction)
    return f"{text}%" if text and _FRACTION.match(text) else text


def fraction_from_percent(entered: str, *, previous: str = "") -> str:
    """What a steward typed ("6", "5.5", "5,5", "6 %") as the stored fraction ("0.06",
    "0.055"). ``previous`` is the stored value: when the entered percentage equals it, it is
    kept as written ("0.20" stays "0.20"). Raises ValueError for anything but a number."""
    text = entered.strip().removesuffix("%").strip()
    if not text:
        return ""
    if not _PERCENT.match(text):
        raise ValueError(entered)
    value = Decimal(text.replace(",", ".")).scaleb(-2)
    if previous and _FRACTION.match(previous) and Decimal(previous) == value:
        return previous
    written = format(value, "f")
    if "." in written:
        written = written.rstrip("0").rstrip(".")
    return written or "0"


# Bounds, in percent, of a rate a steward enters (see docs/rule-steward.md for the reasons).
_BOUNDS: dict[tuple[str, str], tuple[Decimal, Decimal, object]] = {
    ("taxes", "rate"): (Decimal(0), Decimal(50), gettext_lazy("A tax rate")),
    ("tariff_lines", "mfn_ad_valorem"): (Decimal(0), Decimal(1000), gettext_lazy("A duty rate")),
    ("additional_duties", "ad_valorem"): (
        Decimal(0),
        Decimal(1000),
        gettext_lazy("An additional duty rate"),
    ),
    ("preferences", "rate"): (Decimal(0), Decimal(100), gettext_lazy("A preferential rate")),
    ("fees", "ad_valorem"): (Decimal(0), Decimal(20), gettext_lazy("A fee rate")),
}


def rate_bound_problems(table: str, values: dict[str, str]) -> dict[str, str]:
    """The rate columns of one row outside the bounds of their kind: {column: message}."""
    problems: dict[str, str] = {}
    for column in PERCENT_COLUMNS.get(table, ()):
        text = values.get(column) or ""
        if not _FRACTION.match(text):
            continue
        try:
            percent = Decimal(text).scaleb(2)
        except InvalidOperation:  # pragma: no cover - matched above
            continue
        low, high, what = _BOUNDS[(table, column)]
        if not low <= percent <= high:
            problems[column] = _(
                "%(what)s must be between %(low)s%% and %(high)s%%; %(rate)s%% is outside."
            ) % {
                "what": what,
                "low": low,
                "high": high,
                "rate": percent_text(text),
            }
    return problems
