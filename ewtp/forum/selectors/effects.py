"""What a proposal does to sellers' own products: the landed price of one unit of each
published product, into each destination the proposal touches, before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ewtp.catalog.landed_prices import quote_request
from ewtp.catalog.models import Product
from ewtp.forum.models import Revision
from ewtp.forum.selectors.snapshot import revision_snapshot, version_snapshot
from ewtp.traderules.engine import QuoteRejected, quote
from ewtp.traderules.models import RuleVersion

_MAX_DESTINATIONS = 30


@dataclass(frozen=True)
class ProductEffect:
    seller_id: int
    product_id: int
    product: str
    destination: str
    currency: str
    before: str
    after: str


def touched_destinations(revision: Revision) -> list[str]:
    """Countries named by the changed rows; a territory stands for its member countries."""
    base = RuleVersion.objects.values_list("content", flat=True).get(label=revision.base_version)
    members: dict[str, list[str]] = {}
    for territory in base.get("tables", {}).get("territories", ()):
        members[territory["territory"]] = [
            m for m in str(territory.get("members", "")).replace(";", " ").split() if m
        ]
    found: list[str] = []
    for change in revision.changes:
        row: dict[str, Any] = change.get("after") or change.get("before") or {}
        if row.get("country"):
            names = [str(row["country"])]
        else:
            names = members.get(str(row.get("territory", "")), [])
        found.extend(name for name in names if name not in found)
    return found[:_MAX_DESTINATIONS]


def product_effects(
    revision: Revision, *, seller_id: int | None = None, day: date | None = None
) -> list[ProductEffect]:
    """Published products whose one-unit landed price the revision changes."""
    destinations = touched_destinations(revision)
    if not destinations:
        return []
    base, changed = version_snapshot(revision.base_version), revision_snapshot(revision)
    day = day or max(revision.proposal.effective_on, date.today())
    products = Product.objects.filter(status=Product.Status.PUBLISHED).order_by("seller_id", "id")
    if seller_id is not None:
        products = products.filter(seller_id=seller_id)
    effects: list[ProductEffect] = []
    for product in products.prefetch_related("variants"):
        variant = next((v for v in product.variants.all() if v.is_active), None)
        if variant is None:
            continue
        for destination in destinations:
            request = quote_request([(variant, 1)], destination=destination, currency="")
            request.pop("currency")
            request["date"] = day.isoformat()
            try:
                b = quote(request, base, today=day, quote_id="effect")
                a = quote(request, changed, today=day, quote_id="effect")
            except QuoteRejected:
                continue
            before, after = b["totals"]["display"]["landed"], a["totals"]["display"]["landed"]
            if before != after:
                effects.append(
                    ProductEffect(
                        product.seller_id,
                        product.pk,
                        product.title,
                        destination,
                        a["currency"],
                        before,
                        after,
                    )
                )
    return effects
