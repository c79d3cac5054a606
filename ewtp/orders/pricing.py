"""What a consignment may be sold at: its quote under the operator's rules for unknown duties
and stale exchange rates.

A cross-border quote the rules cannot finish (no tariff line, no tax rate, a national code
needed: ``complete`` false) is never sold "duties and taxes paid" with the unknown part as
zero. ``EWTP_INCOMPLETE_QUOTE`` decides: ``dap`` sells it delivered at place (goods and
carriage now, duties and taxes on delivery, the unknown part stated), ``refuse`` does not sell
it and says why. A quote worked out on an exchange rate older than ``EWTP_FX_MAX_AGE_DAYS`` is
not sold at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ewtp.catalog import traderules_gateway
from ewtp.catalog.models import Variant
from ewtp.core import clock, conf
from ewtp.core.countries import country_name
from ewtp.core.errors import DomainError
from ewtp.logistics.selectors import LaneQuote
from ewtp.orders import shipping

DDP = "DDP"
DAP = "DAP"
# Warnings that leave a part of the duties and taxes unknown, in words.
_UNKNOWN_WORDS = {
    "tariff_rate_unknown": gettext_lazy(
        "the import duty on HS %(hs)s is not in %(country)s's published tariff"
    ),
    "national_code_needed": gettext_lazy(
        "%(country)s needs a national tariff code for HS %(hs)s to work out its duty"
    ),
    "tax_rate_unknown": gettext_lazy("a tax rate of %(country)s is not in the published rules"),
}


class QuoteIncomplete(DomainError):
    code = "quote_incomplete"
    http_status = 422


class StaleRate(DomainError):
    code = "stale_fx_rate"
    http_status = 422


@dataclass(frozen=True)
class Priced:
    """One consignment's quote as it may be sold, its carriage and its incoterm."""

    quote: dict[str, Any]
    carriage: LaneQuote
    incoterm: str

    @property
    def is_estimate(self) -> bool:
        return not self.quote.get("complete", False)


def is_incomplete(quote: dict[str, Any]) -> bool:
    return not quote.get("complete", False)


def _hs_dotted(hs: str) -> str:
    digits = "".join(ch for ch in str(hs) if ch.isdigit())
    return f"{digits[:4]}.{digits[4:6]}" if len(digits) >= 6 else str(hs)


def unknown_reasons(quote: dict[str, Any], language: str = "en") -> list[str]:
    """Why part of a quote's duties and taxes is unknown, as sentences in the language in force
    (the engine's warnings name codes and line ids; people read products and countries)."""
    if not is_incomplete(quote):
        return []
    country = country_name(str(quote.get("destination", "")), language)
    unknown_hs = [
        _hs_dotted(str(line.get("hs_code", "")))
        for line in quote.get("lines", [])
        if line.get("duty") is None
    ]
    reasons: list[str] = []
    for warning in quote.get("warnings", []):
        code = str(warning.get("code", ""))
        words = _UNKNOWN_WORDS.get(code)
        if words is None:
            continue
        hs_list = unknown_hs or [""]
        for hs in hs_list if code != "tax_rate_unknown" else [""]:
            sentence = str(words) % {"hs": hs, "country": country}
            if sentence not in reasons:
                reasons.append(sentence)
    if not reasons:
        reasons.append(_("part of the duties and taxes could not be worked out from the rules"))
    return reasons


def reason_text(quote: dict[str, Any], language: str = "en") -> str:
    """One sentence: why the price is an estimate."""
    return _("Estimate: %(reasons)s.") % {"reasons": "; ".join(unknown_reasons(quote, language))}


def stale_rates(quote: dict[str, Any], today: date | None = None) -> list[dict[str, str]]:
    """The quote's exchange rates older than the operator's limit (none when the limit is 0)."""
    limit = conf.FX_MAX_AGE_DAYS()
    if not limit:
        return []
    today = today or clock.today()
    stale = []
    for entry in quote.get("fx", []):
        try:
            day = date.fromisoformat(str(entry.get("date", "")))
        except ValueError:
            continue
        if (today - day).days > limit:
            stale.append({**entry, "age_days": str((today - day).days)})
    return stale


def require_fresh_rates(quote: dict[str, Any]) -> None:
    """StaleRate (in words) when the quote rests on a rate older than the limit."""
    stale = stale_rates(quote)
    if not stale:
        return
    first = stale[0]
    raise StaleRate(
        message=_(
            "Prices in %(currency)s cannot be sold today: the %(source)s to %(target)s exchange "
            "rate dates from %(date)s, older than the %(days)s days the platform allows. The "
            "operator has been told; please try again later or choose another currency."
        )
        % {
            "currency": quote.get("currency", ""),
            "source": first.get("from", ""),
            "target": first.get("to", ""),
            "date": first.get("date", ""),
            "days": conf.FX_MAX_AGE_DAYS(),
        },
        extra={"stale": stale},
    )


def _quote(
    lines: Sequence[tuple[Variant, int]],
    *,
    destination: str,
    currency: str,
    incoterm: str,
    gift: bool = False,
) -> tuple[dict[str, Any], LaneQuote]:
    request, carriage = shipping.consignment_request(
        lines, destination=destination, currency=currency, incoterm=incoterm, gift=gift
    )
    quote = traderules_gateway.quote_compute(request)
    # The request rides with the stored quote, so that the order can be replayed (a rule
    # proposal's simulation) exactly as it was priced.
    quote["request"] = {**request, "date": quote["date"]}
    return quote, carriage


def consignment_priced(
    lines: Sequence[tuple[Variant, int]],
    *,
    destination: str,
    currency: str,
    incoterm: str = DDP,
    language: str = "en",
    gift: bool = False,
) -> Priced:
    """The consignment's quote as it may be sold.

    Raises NoDelivery or a quote's DomainError, StaleRate (a rate older than the limit) and,
    under ``refuse``, QuoteIncomplete with the reason in words. Under ``dap`` an incomplete
    DDP quote is quoted again DAP.
    """
    quote, carriage = _quote(
        lines, destination=destination, currency=currency, incoterm=incoterm, gift=gift
    )
    require_fresh_rates(quote)
    if not is_incomplete(quote):
        return Priced(quote, carriage, incoterm)
    if conf.INCOMPLETE_QUOTE() == "refuse":
        raise QuoteIncomplete(
            message=_(
                "This parcel cannot be sold to %(country)s: %(reasons)s. The platform does not "
                "sell at a price whose duties it cannot state."
            )
            % {
                "country": country_name(destination, language),
                "reasons": "; ".join(unknown_reasons(quote, language)),
            },
            extra={"reasons": unknown_reasons(quote, language)},
        )
    if incoterm == DDP:
        quote, carriage = _quote(
            lines, destination=destination, currency=currency, incoterm=DAP, gift=gift
        )
    return Priced(quote, carriage, DAP)
