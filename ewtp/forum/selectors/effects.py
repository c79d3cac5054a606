"""What a proposal does to sellers' own products: the landed price of one unit of each
published product, into each destination the proposal touches, before and after."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from ewtp.catalog.landed_prices import quote_request
from ewtp.catalog.models import Product
from ewtp.core import clock
from ewtp.forum.models import Revision
from ewtp.forum.selectors.snapshot import revision_snapshot, version_snapshot
from ewtp.traderules.engine import QuoteRejected, Snapshot, quote
from ewtp.traderules.models import RuleVersion
from ewtp.traderules.selectors.snapshot import snapshot_for_content

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


def changed_destinations(revision: Revision) -> frozenset[str]:
    """Every destination country whose quote the revision's rows can change: the country a
    tax or fee row names, the member countries of the territory other rows name (before and
    after the change). Sources change no amount."""
    base = RuleVersion.objects.values_list("content", flat=True).get(label=revision.base_version)
    members: dict[str, set[str]] = {}
    for territory in base.get("tables", {}).get("territories", ()):
        members.setdefault(territory["territory"], set()).update(_members(territory))
    for change in revision.changes:
        if change["table"] == "territories":
            for row in (change.get("before"), change.get("after")):
                if row:
                    members.setdefault(row["territory"], set()).update(_members(row))
    found: set[str] = set()
    for change in revision.changes:
        for row in (change.get("before"), change.get("after")):
            if not row or change["table"] == "sources":
                continue
            if row.get("country"):
                found.add(str(row["country"]))
            else:
                found.update(members.get(str(row.get("territory", "")), ()))
    return frozenset(found)


def _members(row: dict[str, Any]) -> list[str]:
    text = str(row.get("members", "")).replace(";", " ").replace(",", " ")
    return [member for member in text.split() if member] or [str(row["territory"])]


def touched_destinations(revision: Revision) -> list[str]:
    """The destinations to show a seller (at most a few dozen), in a stable order."""
    return sorted(changed_destinations(revision))[:_MAX_DESTINATIONS]


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
    return _effects(products, destinations, base, changed, day)


def _effects(
    products: Any, destinations: list[str], base: Snapshot, changed: Snapshot, day: date
) -> list[ProductEffect]:
    """The one-unit landed price of each product into each destination, where it moves."""
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


def _content_rows(content: dict[str, Any], table: str) -> list[dict[str, Any]]:
    if table == "regimes":
        return [
            {"territory": territory, **item}
            for territory, items in content.get("regimes", ())
            for item in items
        ]
    return list(content.get("tables", {}).get(table, ()))


def _frozen(row: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """A row as a hashable value (regime cells hold lists and objects: written as JSON)."""
    return tuple(
        sorted(
            (key, value if isinstance(value, str) else json.dumps(value, sort_keys=True))
            for key, value in row.items()
        )
    )


def content_destinations(old: dict[str, Any], new: dict[str, Any]) -> frozenset[str]:
    """Every destination country a row that differs between two contents can change (the
    country a tax or fee row names, the members of the territory other rows name)."""
    members: dict[str, set[str]] = {}
    for content in (old, new):
        for territory in content.get("tables", {}).get("territories", ()):
            members.setdefault(territory["territory"], set()).update(_members(territory))
    found: set[str] = set()
    tables = [*new.get("tables", {}), "regimes"]
    for table in tables:
        if table == "sources":
            continue
        before = {_frozen(row) for row in _content_rows(old, table)}
        after = {_frozen(row) for row in _content_rows(new, table)}
        for frozen in before ^ after:
            row = dict(frozen)
            if row.get("country"):
                found.add(str(row["country"]))
            else:
                found.update(members.get(str(row.get("territory", "")), ()))
    return frozenset(found)


def publication_effects(base_label: str, content: dict[str, Any]) -> list[dict[str, Any]]:
    """Trade rules' publication preview: published products whose one-unit landed price moves
    when ``content`` replaces the version ``base_label`` today."""
    base_content = RuleVersion.objects.values_list("content", flat=True).get(label=base_label)
    destinations = sorted(content_destinations(base_content, content))[:_MAX_DESTINATIONS]
    if not destinations:
        return []
    base = version_snapshot(base_label)
    changed = snapshot_for_content(content, label=f"{base_label}+working-copy")
    products = Product.objects.filter(status=Product.Status.PUBLISHED).order_by("seller_id", "id")
    day = clock.today()
    return [asdict(effect) for effect in _effects(products, destinations, base, changed, day)]


SUMMARY_SECONDS = 600  # a seller's count is kept this long for the same open revisions
OPEN_KEY = "forum:open-revisions"  # dropped whenever a proposal or a revision is saved


def open_revisions_forget(**_kwargs: Any) -> None:
    from django.core.cache import cache

    cache.delete(OPEN_KEY)


def _open_revisions() -> list[int]:
    """The latest revision of each open proposal (cached until a proposal or revision is
    saved: the seller's dashboard asks on every view)."""
    from django.core.cache import cache

    from ewtp.forum.models import Proposal

    found = cache.get(OPEN_KEY)
    if found is None:
        latest: dict[int, int] = {}
        for proposal_id, revision_id in (
            Revision.objects.filter(
                proposal__status__in=(
                    Proposal.Status.DRAFT,
                    Proposal.Status.CONSULTATION,
                    Proposal.Status.REVIEW,
                )
            )
            .order_by("proposal_id", "-number")
            .values_list("proposal_id", "id")
        ):
            latest.setdefault(proposal_id, revision_id)
        found = sorted(latest.values())
        cache.set(OPEN_KEY, found, SUMMARY_SECONDS)
    return list(found)


def seller_effects_summary(seller_id: int) -> tuple[int, int]:
    """How many of the seller's products open proposals would change, and how many proposals:
    for the seller's dashboard. No query when no proposal is open; otherwise cached for the
    same open revisions (the quotes behind it are computed once)."""
    from django.core.cache import cache

    revisions = _open_revisions()
    if not revisions:
        return 0, 0
    key = f"forum:seller-effects:{seller_id}:{','.join(map(str, revisions))}"
    found = cache.get(key)
    if found is None:
        products: set[int] = set()
        proposals = 0
        for revision in Revision.objects.filter(pk__in=revisions).select_related("proposal"):
            effects = product_effects(revision, seller_id=seller_id)
            products.update(effect.product_id for effect in effects)
            proposals += bool(effects)
        found = (len(products), proposals)
        cache.set(key, found, SUMMARY_SECONDS)
    return int(found[0]), int(found[1])
