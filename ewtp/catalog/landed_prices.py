"""Landed prices for buyers: the DDP price of one unit, delivered to their country, in their currency.

Listing pages price many products at once; each unit quote is cached (Django cache) under
the product's edit stamp, the variant's price, the rules version, the FX date (the quote
date, whose rates apply), the destination and currency, and whether the platform sells as
an IOSS registrant (EWTP_IOSS_NUMBER). Every request here, the checkout's too, says so
(``seller_ioss``), so a listed price is the price checkout charges.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.cache import cache

from ewtp.catalog import traderules_gateway
from ewtp.catalog.models import DEFAULT_HUB, HUB_COUNTRIES, Variant
from ewtp.core import clock, conf
from ewtp.core.errors import DomainError
from ewtp.core.money import Money

CACHE_SECONDS = 3600
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, slots=True)
class LandedPrice:
    """One unit, delivered duty paid; ``amount`` is None when no quote could be made."""

    amount: Money | None
    complete: bool
    error: str = ""


def origin_country(hub_code: str = DEFAULT_HUB) -> str:
    return HUB_COUNTRIES.get(hub_code, "RW")


def variant_price(variant: Variant) -> Money:
    return Money.from_minor(variant.price_minor, variant.currency)


@dataclass(frozen=True, slots=True)
class PriceItem:
    """What pricing needs of a variant, as plain values (cheap to keep in a cache)."""

    variant_pk: int
    line_id: str  # the variant's public id
    title: str
    hs_code: str
    origin: str
    weight_kg: str
    price_minor: int
    currency: str
    stamp: str  # changes whenever the product or the price is edited
    # The national codes picked for the product (destination or territory, code), sorted.
    national_codes: tuple[tuple[str, str], ...] = ()

    def code_for(self, destination: str) -> str:
        """The tariff code to quote for ``destination``: the national code the seller
        picked for it (or for its customs territory), else the product's HS code."""
        return hs_code_for(self.hs_code, dict(self.national_codes), destination)

    @classmethod
    def of(cls, variant: Variant) -> PriceItem:
        product = variant.product
        return cls.build(
            variant_pk=variant.pk,
            variant_public_id=variant.public_id,
            variant_name=variant.name,
            price_minor=variant.price_minor,
            currency=variant.currency,
            weight_kg=variant.weight_kg,
            product_title=product.title,
            hs_code=product.hs_code,
            origin=product.origin,
            updated_at=product.updated_at,
            national_codes=product.national_codes,
        )

    @classmethod
    def build(
        cls,
        *,
        variant_pk: int,
        variant_public_id: UUID,
        variant_name: str,
        price_minor: int,
        currency: str,
        weight_kg: Decimal,
        product_title: str,
        hs_code: str,
        origin: str,
        updated_at: datetime | None,
        national_codes: dict[str, str] | None = None,
    ) -> PriceItem:
        """From plain values (a listing reads them without loading models)."""
        micro = int(updated_at.timestamp() * 1_000_000) if updated_at else 0
        title = product_title if not variant_name else f"{product_title} ({variant_name})"
        return cls(
            variant_pk=variant_pk,
            line_id=str(variant_public_id),
            title=title[:200],
            hs_code=hs_code,
            origin=origin,
            weight_kg=str(weight_kg),
            price_minor=price_minor,
            currency=currency,
            stamp=f"{variant_pk}.{micro}.{price_minor}{currency}",
            national_codes=tuple(sorted((national_codes or {}).items())),
        )


def hs_code_for(hs_code: str, national_codes: dict[str, str], destination: str) -> str:
    """A product's tariff code for ``destination``: its picked national code there (by
    country, else by customs territory), else its own HS code."""
    if not national_codes or not destination:
        return hs_code
    code = national_codes.get(destination) or national_codes.get(
        traderules_gateway.territory_of(destination)
    )
    return str(code) if code else hs_code


def _item(value: Variant | PriceItem) -> PriceItem:
    return value if isinstance(value, PriceItem) else PriceItem.of(value)


def quote_line(
    variant: Variant | PriceItem, quantity: int, *, line_id: str = "", destination: str = ""
) -> dict[str, Any]:
    item = _item(variant)
    return {
        "id": line_id or item.line_id,
        "hs_code": item.code_for(destination),
        "description": item.title,
        "quantity": quantity,
        "unit_price": Money.from_minor(item.price_minor, item.currency).as_dict(),
        "unit_weight_kg": item.weight_kg,
        "origin": item.origin,
    }


def quote_request(
    lines: Sequence[tuple[Variant | PriceItem, int]],
    *,
    destination: str,
    currency: str,
    incoterm: str = "DDP",
    hub_code: str = DEFAULT_HUB,
    gift: bool = False,
) -> dict[str, Any]:
    """The landed-cost request for one consignment leaving ``hub_code``.

    Carriage is not priced here (checkout adds its lane's price): shipping 0. The platform
    sells as the IOSS registrant when it has a number (EU low-value sales): ``seller_ioss``.
    """
    return {
        "origin": origin_country(hub_code),
        "destination": destination,
        "currency": currency,
        "incoterm": incoterm,
        "buyer": {"kind": "consumer"},
        "gift": gift,
        "seller_ioss": seller_ioss(),
        "lines": [
            quote_line(variant, quantity, destination=destination) for variant, quantity in lines
        ],
    }


def seller_ioss() -> bool:
    """Whether the platform is registered for the EU's IOSS (it has an IOSS number)."""
    return bool(conf.IOSS_NUMBER())


def _key(
    kind: str, item: PriceItem, version: str, day: str, destination: str, currency: str
) -> str:
    ioss = "ioss" if seller_ioss() else "no-ioss"
    return f"{kind}:{item.stamp}:{_SAFE.sub('_', version)}:{day}:{destination}:{currency}:{ioss}"


class _RatesKey:
    """The (rules version, FX date) part of the price keys, worked out once per currency set."""

    def __init__(self, *, destination: str, currency: str) -> None:
        self.version = traderules_gateway.rules_version()
        self.today = clock.today()
        self.destination = destination
        self.currency = currency
        self.parts: dict[str, str] = {}

    def __call__(self, source_currency: str) -> str:
        if source_currency not in self.parts:
            fx = traderules_gateway.fx_date(
                (source_currency, self.currency), self.today, self.destination
            )
            self.parts[source_currency] = f"{self.today}/{fx}"
        return self.parts[source_currency]


def _price_of(quote: dict[str, Any], currency: str) -> LandedPrice:
    landed = quote["totals"]["display"]["landed"]
    return LandedPrice(Money.of(landed, currency), bool(quote.get("complete", False)))


def _encode(price: LandedPrice) -> tuple[str, str, bool, str]:
    if price.amount is None:
        return ("", "", price.complete, price.error)
    return (price.amount.as_string(), price.amount.currency, price.complete, price.error)


def _decode(value: tuple[str, str, bool, str]) -> LandedPrice:
    amount, currency, complete, error = value
    return LandedPrice(Money.of(amount, currency) if amount else None, complete, error)


def landed_unit_prices(
    variants: Iterable[Variant | PriceItem], *, destination: str, currency: str
) -> dict[int, LandedPrice]:
    """Landed DDP price of one unit of each variant (its product loaded), by variant pk."""
    rates = _RatesKey(destination=destination, currency=currency)
    items = [_item(v) for v in variants]
    wanted = {
        _key("lp", i, rates.version, rates(i.currency), destination, currency): i for i in items
    }
    found = cache.get_many(list(wanted))
    prices: dict[int, LandedPrice] = {}
    fresh: dict[str, tuple[str, str, bool, str]] = {}
    for key, item in wanted.items():
        if key in found:
            prices[item.variant_pk] = _decode(found[key])
            continue
        try:
            quote = traderules_gateway.quote_compute(
                quote_request([(item, 1)], destination=destination, currency=currency)
            )
            price = _price_of(quote, currency)
        except DomainError as error:
            price = LandedPrice(None, False, error.code)
        prices[item.variant_pk] = price
        fresh[key] = _encode(price)
    if fresh:
        cache.set_many(fresh, timeout=CACHE_SECONDS)
    return prices


def unit_quote(variant: Variant, *, destination: str, currency: str) -> dict[str, Any]:
    """The whole quote of one unit (the product page's "what is in this price")."""
    rates = _RatesKey(destination=destination, currency=currency)
    item = PriceItem.of(variant)
    key = _key("uq", item, rates.version, rates(item.currency), destination, currency)
    quote: dict[str, Any] | None = cache.get(key)
    if quote is None:
        quote = traderules_gateway.quote_compute(
            quote_request([(item, 1)], destination=destination, currency=currency)
        )
        cache.set(key, quote, timeout=CACHE_SECONDS)
    return quote


@dataclass(frozen=True)
class Breakdown:
    """The parts of a landed price for people: label, amount, share of the whole."""

    parts: list[tuple[str, str, Money, Decimal]]
    landed: Money
    complete: bool
    regime: str
    notes: list[str]
    warnings: list[str]
    rules_version: str


def breakdown(quote: dict[str, Any]) -> Breakdown:
    from django.utils.translation import gettext as _

    currency = quote["currency"]
    display = quote["totals"]["display"]
    labels = [
        ("goods", _("Product")),
        ("shipping", _("Delivery")),
        ("insurance", _("Insurance")),
        ("duty", _("Import duty")),
        ("fees", _("Import fees")),
        ("taxes", _("Taxes (VAT)")),
    ]
    landed = Money.of(display["landed"], currency)
    parts: list[tuple[str, str, Money, Decimal]] = []
    for key, label in labels:
        amount = Money.of(display.get(key) or "0", currency)
        if amount.is_zero() and key in {"shipping", "insurance", "fees"}:
            continue
        share = (
            (amount.amount / landed.amount * 100).quantize(Decimal("0.1"))
            if landed.amount
            else Decimal(0)
        )
        parts.append((key, label, amount, share))
    regime = quote.get("regime") or {}
    return Breakdown(
        parts=parts,
        landed=landed,
        complete=bool(quote.get("complete")),
        regime=traderules_gateway.regime_explanation(regime),
        notes=[traderules_gateway.note_words(note) for note in quote.get("notes", [])],
        warnings=[str(w.get("message", w.get("code", ""))) for w in quote.get("warnings", [])],
        rules_version=str(quote.get("rules_version", "")),
    )


def display_rate(*, source_currency: str, destination: str, currency: str) -> Decimal | None:
    """Units of ``currency`` per unit of ``source_currency`` on today's rates, for filters.

    Read off a quote's goods value (the rates are the engine's); None when no quote is made.
    """
    if source_currency == currency:
        return Decimal(1)
    version = traderules_gateway.rules_version()
    key = (
        f"rate:{_SAFE.sub('_', version)}:{clock.today()}:{source_currency}:{destination}:{currency}"
    )
    cached = cache.get(key)
    if cached is not None:
        return Decimal(cached) if cached else None
    probe = Decimal(1_000_000)
    request = {
        "origin": origin_country(),
        "destination": destination,
        "currency": currency,
        "lines": [
            {
                "hs_code": "0901.21",
                "quantity": 1,
                "unit_price": {"amount": str(probe), "currency": source_currency},
                "unit_weight_kg": "1",
            }
        ],
    }
    try:
        goods = Decimal(traderules_gateway.quote_compute(request)["totals"]["display"]["goods"])
        rate: Decimal | None = goods / probe
    except DomainError:
        rate = None
    cache.set(key, str(rate) if rate is not None else "", timeout=CACHE_SECONDS)
    return rate
