"""A year of demo trade history, written in bulk: orders with their stored quotes, parcels,
customs declarations, ledger postings and tourism bookings.

Every order's quote is computed by the real engine for the order's own date (the request
carries ``date``), exactly as checkout builds it, so that a replay of the order reproduces
it. The choices come from a seeded generator, so the history is the same on every machine.
Money moves through balanced postings (one per order or booking), and each account's
balance is moved by the sum of its entries, so ``ewtp ledger verify`` stays balanced.

This is demo data: it writes rows in bulk, outside the services, for speed.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F

from ewtp.accounts.models import Organisation
from ewtp.catalog import traderules_gateway
from ewtp.catalog.models import DEFAULT_HUB, Variant
from ewtp.core import clock
from ewtp.core.errors import DomainError
from ewtp.core.fees import fee_terms
from ewtp.core.money import Money
from ewtp.customs.models import Declaration, Jurisdiction
from ewtp.ledger import accounts as chart
from ewtp.ledger.models import Account, Entry, Posting
from ewtp.ledger.services import AccountSpec, account_for
from ewtp.logistics.codes import BODY_ALPHABET, BODY_LENGTH, iso7064_mod37_36
from ewtp.logistics.models import Clearance, Hub, HubCoverage, Parcel
from ewtp.logistics.rating import chargeable_weight_kg
from ewtp.orders import shipping
from ewtp.orders.models import Cart, Checkout, Order, OrderEvent, OrderLine

SEED = 20261206
BATCH = 2000
HISTORY_EMAIL_DOMAIN = "history.demo.ewtp.rw"

# Destination, buyer currency, weight in the draw.
DESTINATIONS = [
    ("BE", "EUR", 14),
    ("DE", "EUR", 16),
    ("FR", "EUR", 14),
    ("NL", "EUR", 8),
    ("IT", "EUR", 5),
    ("GB", "GBP", 10),
    ("US", "USD", 14),
    ("CN", "CNY", 12),
    ("MY", "MYR", 4),
    ("RW", "RWF", 3),
]
S = Order.Status
PS = Parcel.Status


@dataclass
class Draw:
    """One order of the history, before it is written."""

    when: datetime
    seller: Organisation
    lines: list[tuple[Variant, int]]
    destination: str
    currency: str
    incoterm: str
    quote: dict[str, Any]
    carriage: dict[str, Any]
    status: str
    public_id: uuid.UUID
    rng_release_hours: float


@dataclass
class Totals:
    """Per account: the sum of its new entries (minor units)."""

    moves: dict[int, int] = field(default_factory=lambda: defaultdict(int))


def _minor(value: Any, currency: str) -> int:
    return Money.of(str(value or "0"), currency).rounded().minor


def _status_for(rng: random.Random, age_days: int) -> str:
    """Old orders have ended (mostly delivered and completed); recent ones are under way."""
    if age_days > 21:
        roll = rng.random()
        if roll < 0.9:
            return S.COMPLETED
        if roll < 0.95:
            return S.DELIVERED
        if roll < 0.98:
            return S.REFUNDED
        return S.RETURNED
    if age_days > 10:
        return rng.choice([S.DELIVERED, S.DELIVERED, S.SHIPPED, S.COMPLETED])
    return rng.choice([S.PAID, S.ACCEPTED, S.PACKED, S.HANDED_TO_HUB, S.SHIPPED])


class QuotePool:
    """Quotes by (lines, destination, currency, incoterm, date): the same request is priced
    once. Carriage is priced once per (weight, destination)."""

    def __init__(self, limit: int = 4000) -> None:
        self.quotes: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any]]] = {}
        self.carriage: dict[tuple[Any, ...], Any] = {}
        # Beyond this many distinct quotes, orders reuse one already priced (same lines,
        # destination, terms and day): benchmark volumes without an engine call per order.
        self.limit = limit
        self.keys: list[tuple[Any, ...]] = []
        self.lines_of: dict[tuple[Any, ...], list[tuple[Variant, int]]] = {}

    @property
    def full(self) -> bool:
        return len(self.keys) >= self.limit

    def reuse(self, rng: random.Random) -> tuple[tuple[Any, ...], list[tuple[Variant, int]]]:
        key = self.keys[rng.randrange(len(self.keys))]
        return key, self.lines_of[key]

    def get(
        self,
        lines: list[tuple[Variant, int]],
        *,
        destination: str,
        currency: str,
        incoterm: str,
        day: date,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        key = (
            tuple((v.pk, q) for v, q in lines),
            destination,
            currency,
            incoterm,
            day,
        )
        if key not in self.quotes:
            # Carriage is priced on the chargeable weight (the weight rounded up to the rate
            # cards' step): parcels of the same chargeable weight cost the same.
            weight = chargeable_weight_kg(shipping.consignment_weight_kg(lines))
            ckey = (weight, destination)
            if ckey not in self.carriage:
                self.carriage[ckey] = shipping.carriage_for(lines, destination=destination)
            carriage = self.carriage[ckey]
            from ewtp.catalog import landed_prices

            request = landed_prices.quote_request(
                lines, destination=destination, currency=currency, incoterm=incoterm
            )
            request["shipping"] = carriage.price.as_dict()
            request["date"] = day.isoformat()
            quote = traderules_gateway.quote_compute(request, today=day)
            # As checkout stores it: the request with the quote, so a replay reads it back.
            quote["request"] = {**request, "date": quote["date"]}
            self.quotes[key] = (quote, carriage.as_dict())
            self.keys.append(key)
            self.lines_of[key] = lines
        return self.quotes[key]


@dataclass
class World:
    """What the history draws from: sellers and their variants, hubs, authorities."""

    sellers: list[tuple[Organisation, list[Variant]]]
    hubs: dict[str, Hub]
    coverage: dict[str, str]
    authorities: dict[tuple[str, str], Organisation]
    buyer_id: int | None

    @classmethod
    def load(cls) -> World:
        variants = list(
            Variant.objects.select_related("product__seller")
            .filter(
                is_active=True,
                product__status="published",
                product__seller__kind=Organisation.Kind.SELLER,
            )
            .order_by("pk")
        )
        by_seller: dict[int, tuple[Organisation, list[Variant]]] = {}
        for variant in variants:
            seller = variant.product.seller
            by_seller.setdefault(seller.pk, (seller, []))[1].append(variant)
        from ewtp.accounts.models import User

        buyer = User.objects.filter(email="buyer@demo.ewtp.rw").first()
        return cls(
            sellers=[by_seller[k] for k in sorted(by_seller)],
            hubs={hub.code: hub for hub in Hub.objects.all()},
            coverage=dict(HubCoverage.objects.values_list("country", "hub__code")),
            authorities={
                (j.country, j.kind): j.authority
                for j in Jurisdiction.objects.select_related("authority")
            },
            buyer_id=buyer.pk if buyer else None,
        )


def _draw_lines(rng: random.Random, variants: list[Variant]) -> list[tuple[Variant, int]]:
    count = 1 if len(variants) == 1 or rng.random() < 0.6 else 2
    chosen = sorted(rng.sample(variants, count), key=lambda v: v.pk)
    # Mostly small parcels, now and then a large one (above the low-value thresholds).
    return [
        (v, rng.choice([1, 1, 1, 2, 2, 3, 4, 6, 12 if rng.random() < 0.15 else 2])) for v in chosen
    ]


def draw_orders(
    count: int, *, seed: int, end: date, days: int, world: World, pool: QuotePool
) -> list[Draw]:
    """`count` orders spread over the `days` days before `end`, priced by the engine."""
    rng = random.Random(seed)
    destinations = [d for d in DESTINATIONS if d[0] in world.coverage]
    weights = [d[2] for d in destinations]
    seller_weights = [5, 4, 3, 2, 2, 1, 1][: len(world.sellers)] + [1] * max(
        0, len(world.sellers) - 7
    )
    draws: list[Draw] = []
    attempts = 0
    while len(draws) < count and attempts < count * 3:
        attempts += 1
        age = int(days * (rng.random() ** 0.8))  # a little more trade lately
        day = end - timedelta(days=age)
        seller, variants = rng.choices(world.sellers, weights=seller_weights)[0]
        destination, currency, _weight = rng.choices(destinations, weights=weights)[0]
        incoterm = "DAP" if rng.random() < 0.25 else "DDP"
        lines = _draw_lines(rng, variants)
        if pool.full:
            key, lines = pool.reuse(rng)
            destination, currency, incoterm, day = key[1], key[2], key[3], key[4]
            seller = lines[0][0].product.seller
            age = (end - day).days
        when = datetime.combine(day, time(0, 0), tzinfo=UTC) + timedelta(
            seconds=rng.randrange(6 * 3600, 22 * 3600)
        )
        status = _status_for(rng, age)
        release_hours = rng.lognormvariate(1.6, 0.9)
        public_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        try:
            quote, carriage = pool.get(
                lines, destination=destination, currency=currency, incoterm=incoterm, day=day
            )
        except DomainError:
            continue  # e.g. too heavy for one parcel: draw again
        draws.append(
            Draw(
                when=when,
                seller=seller,
                lines=lines,
                destination=destination,
                currency=currency,
                incoterm=incoterm,
                quote=quote,
                carriage=carriage,
                status=status,
                public_id=public_id,
                rng_release_hours=release_hours,
            )
        )
    draws.sort(key=lambda d: d.when)
    return draws


# Writing -------------------------------------------------------------------------------------


class AccountCache:
    def __init__(self) -> None:
        self.cache: dict[tuple[str, str], Account] = {}

    def get(self, spec: AccountSpec, currency: str) -> Account:
        key = (spec.code, currency)
        if key not in self.cache:
            self.cache[key] = account_for(spec, currency)
        return self.cache[key]


def _order_row(draw: Draw, checkout: Checkout) -> Order:
    quote = draw.quote
    currency = draw.currency
    display = quote["totals"]["display"]
    total = _minor((quote.get("payable_at_checkout") or {}).get("amount"), currency)
    later = _minor((quote.get("payable_on_delivery") or {}).get("amount"), currency)
    first = draw.lines[0][0]
    return Order(
        public_id=draw.public_id,
        checkout=checkout,
        seller=draw.seller,
        status=draw.status,
        hub_code=DEFAULT_HUB,
        destination=draw.destination,
        incoterm=draw.incoterm,
        currency=currency,
        total_minor=total,
        on_delivery_minor=later,
        goods_minor=_minor(display.get("goods"), currency),
        duty_minor=_minor(display.get("duty"), currency),
        taxes_minor=_minor(display.get("taxes"), currency),
        fees_minor=_minor(display.get("fees"), currency),
        shipping_minor=_minor(display.get("shipping"), currency),
        carriage=draw.carriage,
        seller_currency=first.currency,
        seller_category=draw.seller.seller_category,
        seller_goods_minor=sum(
            v.price_minor * q for v, q in draw.lines if v.currency == first.currency
        ),
        quote=quote,
        quote_id=str(quote.get("quote_id", "")),
        rules_version=str(quote.get("rules_version", "")),
        fx_rates=list(quote.get("fx", [])),
        is_quote_complete=bool(quote.get("complete", False)),
        hold_expires_at=draw.when + timedelta(minutes=30),
        created_at=draw.when,
        updated_at=draw.when + timedelta(days=8),
    )


def _write_orders(draws: list[Draw], *, world: World, tag: str) -> list[Order]:
    carts = Cart.objects.bulk_create(
        [Cart(created_at=d.when, updated_at=d.when, checked_out_at=d.when) for d in draws]
    )
    checkouts = []
    for i, (draw, cart) in enumerate(zip(draws, carts, strict=True)):
        total = _minor((draw.quote.get("payable_at_checkout") or {}).get("amount"), draw.currency)
        later = _minor((draw.quote.get("payable_on_delivery") or {}).get("amount"), draw.currency)
        checkouts.append(
            Checkout(
                cart=cart,
                email=f"buyer{i % 997}.{tag}@{HISTORY_EMAIL_DOMAIN}",
                destination=draw.destination,
                currency=draw.currency,
                incoterm=draw.incoterm,
                shipping_address={"name": "Demo buyer", "country": draw.destination},
                total_minor=total,
                on_delivery_minor=later,
                payment_status=Checkout.PaymentStatus.PAID,
                payment_reference=f"history:{draw.public_id}",
                hold_expires_at=draw.when + timedelta(minutes=30),
                created_at=draw.when,
                paid_at=draw.when + timedelta(minutes=3),
            )
        )
    checkouts = Checkout.objects.bulk_create(checkouts)
    orders = Order.objects.bulk_create(
        [_order_row(d, c) for d, c in zip(draws, checkouts, strict=True)]
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                variant=variant,
                product_title=variant.product.title,
                sku=variant.sku,
                hs_code=variant.product.hs_code,
                origin=variant.product.origin,
                unit_weight_kg=variant.weight_kg,
                quantity=quantity,
                unit_price_minor=variant.price_minor,
                currency=variant.currency,
                quote_line_id=str(variant.public_id),
            )
            for draw, order in zip(draws, orders, strict=True)
            for variant, quantity in draw.lines
        ]
    )
    events = []
    for draw, order in zip(draws, orders, strict=True):
        events.append(
            OrderEvent(
                order=order, to_status=S.PENDING_PAYMENT, note="placed", created_at=draw.when
            )
        )
        events.append(
            OrderEvent(
                order=order,
                from_status=S.PENDING_PAYMENT,
                to_status=S.PAID,
                note="paid",
                created_at=draw.when + timedelta(minutes=3),
            )
        )
        if draw.status != S.PAID:
            events.append(
                OrderEvent(
                    order=order,
                    from_status=S.PAID,
                    to_status=draw.status,
                    note="history",
                    created_at=draw.when + timedelta(days=6),
                )
            )
    OrderEvent.objects.bulk_create(events)
    return orders


PARCEL_STATUS: dict[str, str] = {
    S.PACKED: PS.PACKED,
    S.HANDED_TO_HUB: PS.RECEIVED,
    S.SHIPPED: PS.IN_TRANSIT,
    S.DELIVERED: PS.DELIVERED,
    S.COMPLETED: PS.DELIVERED,
    S.REFUNDED: PS.RETURNED,
    S.RETURNED: PS.RETURNED,
}


def _parcel_code(rng: random.Random, hub: str) -> str:
    body = "".join(rng.choice(BODY_ALPHABET) for _ in range(BODY_LENGTH))
    return f"{hub}-{body}-{iso7064_mod37_36(hub + body)}"


def _write_parcels(
    draws: list[Draw], orders: list[Order], *, world: World, rng: random.Random
) -> list[tuple[Draw, Parcel]]:
    origin = world.hubs[DEFAULT_HUB]
    rows = []
    pairs = []
    for draw, order in zip(draws, orders, strict=True):
        status = PARCEL_STATUS.get(draw.status)
        if status is None:
            continue
        destination_hub = world.hubs[world.coverage[draw.destination]]
        local = destination_hub.pk == origin.pk
        cleared = status not in {PS.PACKED, PS.RECEIVED}
        clearance = Clearance.RELEASED if cleared and not local else Clearance.NONE
        weight = shipping.consignment_weight_kg(draw.lines)
        parcel = Parcel(
            code=_parcel_code(rng, origin.code),
            order=order,
            seller=draw.seller,
            origin_hub=origin,
            destination_hub=destination_hub,
            destination_country=draw.destination,
            status=status,
            current_hub=destination_hub if status == PS.DELIVERED else origin,
            weight_kg=weight,
            length_cm=30,
            width_cm=20,
            height_cm=15,
            contents=[
                {"sku": v.sku, "quantity": q, "hs_code": v.product.hs_code} for v, q in draw.lines
            ],
            ship_to={"name": "Demo buyer", "country": draw.destination},
            export_clearance=clearance,
            import_clearance=clearance,
            created_at=draw.when + timedelta(days=1),
            updated_at=draw.when + timedelta(days=6),
            delivered_at=draw.when + timedelta(days=6) if status == PS.DELIVERED else None,
        )
        rows.append(parcel)
        pairs.append(draw)
    parcels = Parcel.objects.bulk_create(rows)
    return list(zip(pairs, parcels, strict=True))


DATASETS = {
    "RW": Declaration.Dataset.RW_EXPORT,
    "CN": Declaration.Dataset.CN_9610,
    "US": Declaration.Dataset.US_TYPE_11,
}


def _write_declarations(
    pairs: list[tuple[Draw, Parcel]], orders_by_id: dict[uuid.UUID, Order], *, world: World
) -> None:
    rows = []
    for draw, parcel in pairs:
        if parcel.export_clearance != Clearance.RELEASED:
            continue
        order = orders_by_id[draw.public_id]
        submitted = parcel.created_at + timedelta(hours=2)
        for kind, country in (("export", "RW"), ("import", draw.destination)):
            authority = world.authorities.get((country, kind))
            hours = draw.rng_release_hours * (1 if kind == "export" else 2.5)
            if kind == "export":
                value, currency = order.seller_goods_minor, order.seller_currency
                dataset = Declaration.Dataset.RW_EXPORT
            else:
                value, currency = order.goods_minor, order.currency
                dataset = (
                    Declaration.Dataset.EU_H7
                    if draw.currency == "EUR"
                    else DATASETS.get(country, Declaration.Dataset.WCO)
                )
            released = submitted + timedelta(hours=hours)
            rows.append(
                Declaration(
                    reference=parcel.code.replace("-", "") + ("EX" if kind == "export" else "IM"),
                    parcel=parcel,
                    order=order,
                    kind=kind,
                    dataset=dataset,
                    authority=authority,
                    country=country,
                    status=Declaration.Status.RELEASED,
                    data={"history": True, "order": str(order.public_id)},
                    value_minor=value,
                    currency=currency,
                    submitted_at=submitted,
                    released_at=released,
                    decided_at=released,
                )
            )
            submitted = released + timedelta(hours=20)
    Declaration.objects.bulk_create(rows)


def _platform_fee(order: Order, goods_part: int) -> int:
    terms = fee_terms(order.seller_category)
    fee = Money.of(
        str(Money.from_minor(goods_part, order.currency).amount * terms.rate), order.currency
    )
    return min(fee.rounded().minor, goods_part)


def _write_postings(orders: list[Order], *, accounts: AccountCache, totals: Totals) -> None:
    """One balanced posting per paid order: the buyer's payment, split between the authority,
    the platform's fee and the seller (or escrow while the order is under way). Refunded and
    returned orders paid the buyer back: nothing stays on the books."""
    postings: list[Posting] = []
    legs_of: list[list[tuple[Account, int]]] = []
    settlement = chart.provider_settlement("sandbox")
    for order in orders:
        if order.status in {S.REFUNDED, S.RETURNED} or not order.total_minor:
            continue
        currency = order.currency
        if order.incoterm == "DDP":
            authority_part = order.duty_minor + order.taxes_minor + order.fees_minor
        else:
            authority_part = max(0, order.total_minor - order.goods_minor - order.shipping_minor)
        authority_part = min(authority_part, order.total_minor)
        held = order.total_minor - authority_part
        legs: list[tuple[Account, int]] = [(accounts.get(settlement, currency), order.total_minor)]
        territory = str(order.quote.get("territory") or order.destination)
        if authority_part:
            legs.append(
                (accounts.get(chart.authority_payable(territory), currency), -authority_part)
            )
        if order.status in {S.COMPLETED, S.DELIVERED}:
            fee = _platform_fee(order, held - min(order.shipping_minor, held))
            if fee:
                legs.append((accounts.get(chart.platform_fees(), currency), -fee))
            if held - fee:
                seller = order.seller
                legs.append(
                    (
                        accounts.get(
                            chart.party_payable(str(seller.public_id), seller.name), currency
                        ),
                        -(held - fee),
                    )
                )
        elif held:
            legs.append((account_for(chart.escrow(f"order:{order.public_id}"), currency), -held))
        postings.append(
            Posting(
                kind="history.order",
                memo=f"Order {order.public_id} (demo history)",
                reference=str(order.public_id),
                dedupe_key=f"history:order:{order.public_id}",
                actor_label="system",
                created_at=order.created_at + timedelta(minutes=3),
            )
        )
        legs_of.append(legs)
    _bulk_post(postings, legs_of, totals)


def _bulk_post(
    postings: list[Posting], legs_of: list[list[tuple[Account, int]]], totals: Totals
) -> None:
    postings = Posting.objects.bulk_create(postings)
    entries = []
    for posting, legs in zip(postings, legs_of, strict=True):
        if sum(minor for _account, minor in legs) != 0:
            raise ValueError(f"unbalanced history posting {posting.reference}")
        for account, minor in legs:
            if minor:
                entries.append(
                    Entry(
                        posting=posting,
                        account=account,
                        amount_minor=minor,
                        currency=account.currency,
                    )
                )
                totals.moves[account.pk] += minor
    Entry.objects.bulk_create(entries, batch_size=BATCH)


def _apply_totals(totals: Totals) -> None:
    for account_id, minor in totals.moves.items():
        Account.objects.filter(pk=account_id).update(balance_minor=F("balance_minor") + minor)


def orders_generate(count: int, *, seed: int = SEED, days: int = 365, tag: str = "h") -> int:
    """Write `count` orders of history over the `days` days before today; returns how many."""
    world = World.load()
    if not world.sellers:
        return 0
    pool = QuotePool()
    end = clock.today() - timedelta(days=1)
    written = 0
    rng = random.Random(seed + 1)
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        draws = draw_orders(size, seed=seed + start, end=end, days=days, world=world, pool=pool)
        with transaction.atomic():
            totals = Totals()
            orders = _write_orders(draws, world=world, tag=f"{tag}{start}")
            pairs = _write_parcels(draws, orders, world=world, rng=rng)
            _write_declarations(pairs, {o.public_id: o for o in orders}, world=world)
            _write_postings(orders, accounts=AccountCache(), totals=totals)
            _apply_totals(totals)
        written += len(orders)
    return written


def bookings_generate(count: int, *, seed: int = SEED, days: int = 365) -> int:
    """Confirmed tourism bookings over the past year, each split (operator, community share,
    platform fee) and posted to the ledger."""
    from ewtp.tourism import calc
    from ewtp.tourism.models import Booking, Experience

    experiences = list(
        Experience.objects.select_related("park", "operator")
        .prefetch_related("tiers")
        .order_by("pk")
    )
    experiences = [e for e in experiences if list(e.tiers.all())]
    if not experiences:
        return 0
    rng = random.Random(seed + 7)
    end = clock.today() - timedelta(days=1)
    fee_rate = Decimal(str(_tourism_fee_rate()))
    rows, legs_of, postings = [], [], []
    accounts = AccountCache()
    for _i in range(count):
        experience = rng.choice(experiences)
        tier = rng.choice(list(experience.tiers.all()))
        visitors = rng.choice([1, 2, 2, 3, 4])
        visitors = min(visitors, experience.max_visitors_per_booking or visitors)
        amount = Money.from_minor(tier.price_minor * visitors, experience.currency)
        split = calc.payment_split(
            amount, community_rate=experience.park.community_share_rate, fee_rate=fee_rate
        )
        day = end - timedelta(days=rng.randrange(days))
        when = datetime.combine(day, time(9, 0), tzinfo=UTC) - timedelta(days=rng.randrange(5, 40))
        public_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        rows.append(
            Booking(
                public_id=public_id,
                experience=experience,
                visit_on=day,
                email=f"visitor{rng.randrange(500)}@{HISTORY_EMAIL_DOMAIN}",
                status=Booking.Status.CONFIRMED,
                places=visitors,
                visitor_count=visitors,
                subtotal_minor=amount.minor,
                amount_minor=amount.minor,
                currency=amount.currency,
                expires_at=when + timedelta(minutes=30),
                payment_ref=f"history:{public_id}",
                operator_minor=split.operator.minor,
                community_minor=split.community.minor,
                fee_minor=split.fee.minor,
                confirmed_at=when + timedelta(minutes=2),
                created_at=when,
            )
        )
        operator, park, currency = experience.operator, experience.park, amount.currency
        legs_of.append(
            [
                (accounts.get(chart.provider_settlement("sandbox"), currency), amount.minor),
                (
                    accounts.get(
                        chart.party_payable(str(operator.public_id), operator.name), currency
                    ),
                    -split.operator.minor,
                ),
                (
                    accounts.get(
                        chart.community_share(
                            f"park:{park.slug}", park.community_name or park.name
                        ),
                        currency,
                    ),
                    -split.community.minor,
                ),
                (accounts.get(chart.platform_fees(), currency), -split.fee.minor),
            ]
        )
        postings.append(
            Posting(
                kind="history.booking",
                memo=f"{experience.title} {day.isoformat()} (demo history)",
                reference=str(public_id),
                dedupe_key=f"history:booking:{public_id}",
                actor_label="system",
                created_at=when + timedelta(minutes=2),
            )
        )
    with transaction.atomic():
        Booking.objects.bulk_create(rows)
        totals = Totals()
        _bulk_post(postings, legs_of, totals)
        _apply_totals(totals)
    return len(rows)


def _tourism_fee_rate() -> str:
    from ewtp.core import conf

    return str(conf.TOURISM_PLATFORM_FEE_RATE())
