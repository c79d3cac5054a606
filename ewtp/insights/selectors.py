"""Trade insights: every figure is one GROUP BY query (or a few), never a loop over orders.

A *scope* says whose figures these are: the operator's (everything), a customs authority's
(the orders into its countries and the declarations lodged with it), or the public's
(aggregates only: a seller with fewer than ``conf.INSIGHTS_MIN_ORDERS`` orders is folded into
"other sellers"). Figures are cached per scope, per day and per data change.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, DecimalField, F, Max, QuerySet, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Substr, TruncMonth
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ewtp.accounts.models import Membership, Organisation
from ewtp.core import clock, conf
from ewtp.core.money import Money
from ewtp.customs.models import Declaration, Jurisdiction
from ewtp.logistics.models import Parcel
from ewtp.orders.models import Order, OrderEvent, OrderLine

# Orders that were paid for (whatever happened next).
SOLD = [
    Order.Status.PAID,
    Order.Status.ACCEPTED,
    Order.Status.PACKED,
    Order.Status.HANDED_TO_HUB,
    Order.Status.SHIPPED,
    Order.Status.DELIVERED,
    Order.Status.RETURNED,
    Order.Status.DISPUTED,
    Order.Status.COMPLETED,
    Order.Status.REFUNDED,
]
HOME = "RW"  # the hub's country: an order to it is not an export
PREFERENCE_LINES = 3  # lines of a quote looked at for a preference programme
PREFERENCE_NOTES = 2  # notes of a quote looked at for an unclaimed preference
SAVED_AMOUNT = DecimalField(max_digits=30, decimal_places=8)


@dataclass(frozen=True)
class Scope:
    kind: str  # operator, authority, public
    authority: Organisation | None = None
    countries: tuple[str, ...] = ()  # an authority's import countries
    exports_from: tuple[str, ...] = ()  # an authority's export countries

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.authority.pk if self.authority else ''}"


def authority_scope(authority: Organisation) -> Scope:
    rows = list(Jurisdiction.objects.filter(authority=authority).values_list("country", "kind"))
    return Scope(
        "authority",
        authority=authority,
        countries=tuple(sorted(c for c, k in rows if k == Jurisdiction.Kind.IMPORT)),
        exports_from=tuple(sorted(c for c, k in rows if k == Jurisdiction.Kind.EXPORT)),
    )


@dataclass
class Figure:
    """One figure: a table (columns and rows of plain values) and how to chart it."""

    slug: str
    title: Any
    columns: list[Any]
    rows: list[list[Any]]
    chart: str = "bar"  # bar, line, pie or "" (a table only)
    label_column: int = 0
    value_column: int = 1
    note: Any = ""
    series_column: int | None = None  # a column whose values make one series each
    extra: dict[str, Any] = field(default_factory=dict)


def _orders(scope: Scope) -> QuerySet[Order]:
    orders = Order.objects.filter(status__in=SOLD)
    if scope.kind == "authority":
        if scope.exports_from and HOME in scope.exports_from:
            orders = orders.exclude(destination=HOME)
        else:
            orders = orders.filter(destination__in=scope.countries)
    return orders


def _exports(scope: Scope) -> QuerySet[Order]:
    return _orders(scope).exclude(destination=HOME)


def exports_by_month(scope: Scope) -> Figure:
    rows = (
        _exports(scope)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(orders=Count("id"), value=Sum("seller_goods_minor"))
        .order_by("month")
    )
    return Figure(
        "exports-by-month",
        _("Exports by month"),
        [_("Month"), _("Orders"), _("Goods value (RWF)")],
        [[r["month"].strftime("%Y-%m"), r["orders"], r["value"] or 0] for r in rows],
        chart="line",
        value_column=2,
    )


def exports_by_destination(scope: Scope) -> Figure:
    rows = (
        _exports(scope)
        .values("destination")
        .annotate(orders=Count("id"), value=Sum("seller_goods_minor"))
        .order_by("-value", "destination")
    )
    return Figure(
        "exports-by-destination",
        _("Exports by destination"),
        [_("Destination"), _("Orders"), _("Goods value (RWF)")],
        [[r["destination"], r["orders"], r["value"] or 0] for r in rows],
        value_column=2,
    )


def exports_by_destination_month(scope: Scope) -> Figure:
    rows = (
        _exports(scope)
        .annotate(month=TruncMonth("created_at"))
        .values("month", "destination")
        .annotate(orders=Count("id"), value=Sum("seller_goods_minor"))
        .order_by("month", "destination")
    )
    return Figure(
        "exports-by-destination-month",
        _("Exports by destination and month"),
        [_("Month"), _("Destination"), _("Orders"), _("Goods value (RWF)")],
        [
            [r["month"].strftime("%Y-%m"), r["destination"], r["orders"], r["value"] or 0]
            for r in rows
        ],
        chart="",
    )


def exports_by_chapter(scope: Scope) -> Figure:
    lines = OrderLine.objects.filter(order__in=_exports(scope))
    rows = (
        lines.annotate(chapter=Substr("hs_code", 1, 2))
        .values("chapter")
        .annotate(
            orders=Count("order_id", distinct=True),
            value=Sum(F("unit_price_minor") * F("quantity")),
        )
        .order_by("-value", "chapter")
    )
    return Figure(
        "exports-by-product",
        _("Exports by product (HS chapter)"),
        [_("HS chapter"), _("Orders"), _("Goods value (RWF)")],
        [[r["chapter"], r["orders"], r["value"] or 0] for r in rows],
        value_column=2,
    )


def exports_by_seller(scope: Scope) -> Figure:
    rows = list(
        _exports(scope)
        .values("seller__name")
        .annotate(orders=Count("id"), value=Sum("seller_goods_minor"))
        .order_by("-value", "seller__name")
    )
    note: Any = ""
    if scope.kind == "public":
        threshold = conf.INSIGHTS_MIN_ORDERS()
        shown = [r for r in rows if r["orders"] >= threshold]
        folded = [r for r in rows if r["orders"] < threshold]
        if folded:
            shown.append(
                {
                    "seller__name": str(_("Other sellers")),
                    "orders": sum(r["orders"] for r in folded),
                    "value": sum(r["value"] or 0 for r in folded),
                }
            )
        rows = shown
        note = _("Sellers with fewer than %(n)s orders are shown together.") % {"n": threshold}
    return Figure(
        "exports-by-seller",
        _("Exports by seller"),
        [_("Seller"), _("Orders"), _("Goods value (RWF)")],
        [[r["seller__name"], r["orders"], r["value"] or 0] for r in rows],
        value_column=2,
        note=note,
    )


def regimes_used(scope: Scope) -> Figure:
    rows = (
        _exports(scope)
        .values(regime=F("quote__regime__id"))
        .annotate(orders=Count("id"))
        .order_by("-orders", "regime")
    )
    return Figure(
        "regimes",
        _("Import regimes used"),
        [_("Regime"), _("Orders")],
        [[str(r["regime"] or "-"), r["orders"]] for r in rows],
        chart="pie",
    )


def preferences_used(scope: Scope) -> Figure:
    """Orders where a preference programme set a line's duty, per programme and currency,
    with the duty charged on them and the duty the preference saved (the MFN duty that would
    have applied less the duty charged: the quote's ``duty_saved``, in the order's currency;
    an order whose lines used two programmes counts under each); and how many orders had a
    preference available that no proof of origin claimed (``preference_available`` notes).

    One scan: the orders grouped by the programmes of their first lines and their first
    notes' codes (a handful of distinct combinations), folded per programme."""
    keys = {f"p{i}": F(f"quote__lines__{i}__duty__programme") for i in range(PREFERENCE_LINES)}
    keys |= {f"n{i}": F(f"quote__notes__{i}__code") for i in range(PREFERENCE_NOTES)}
    groups = (
        _exports(scope)
        .values(cur=F("currency"), **keys)
        .annotate(
            orders=Count("id"),
            duty=Sum("duty_minor"),
            saved=Sum(Cast(KT("quote__duty_saved__amount"), SAVED_AMOUNT)),
        )
        .order_by()
    )
    rows: dict[tuple[str, str], list[int]] = {}
    available = 0
    for found in groups:  # one row per combination, not per order
        group: dict[str, Any] = dict(found)
        programmes = {group[f"p{i}"] for i in range(PREFERENCE_LINES)} - {None}
        for programme in programmes:
            slot = rows.setdefault((str(programme), group["cur"]), [0, 0, 0])
            slot[0] += group["orders"]
            slot[1] += group["duty"] or 0
            slot[2] += _minor(group["saved"], group["cur"])
        if "preference_available" in {group[f"n{i}"] for i in range(PREFERENCE_NOTES)}:
            available += group["orders"]
    # Amounts as decimal text in their currency (1.00 EUR, not 100 cents).
    shown = {key: [v[0], _amount(v[1], key[1]), _amount(v[2], key[1])] for key, v in rows.items()}
    return Figure(
        "preferences",
        _("Preference use"),
        [_("Programme"), _("Currency"), _("Orders"), _("Duty charged"), _("Duty saved")],
        [[p, c, *v] for (p, c), v in sorted(shown.items())],
        chart="",
        note=_("A preference applies where the buyer's declaration carries a proof of origin."),
        extra={"available": available},
    )


def _minor(amount: Any, currency: str) -> int:
    """A summed decimal amount in the currency's minor units."""
    if amount is None:
        return 0
    return Money.of(Decimal(amount), currency).rounded().minor


def _amount(minor: int, currency: str) -> str:
    return str(Money.from_minor(minor, currency).amount)


def duty_by_authority(scope: Scope) -> Figure:
    authorities = dict(
        Jurisdiction.objects.filter(kind=Jurisdiction.Kind.IMPORT).values_list(
            "country", "authority__name"
        )
    )
    rows = (
        _exports(scope)
        .values("destination", "currency")
        .annotate(
            orders=Count("id"),
            duty=Sum("duty_minor"),
            taxes=Sum("taxes_minor"),
            fees=Sum("fees_minor"),
        )
        .order_by("destination", "currency")
    )
    folded: dict[tuple[str, str], list[int]] = {}
    for r in rows:  # one row per destination and currency, not per order
        name = authorities.get(r["destination"]) or str(_("Not on the platform"))
        slot = folded.setdefault((name, r["currency"]), [0, 0, 0, 0])
        values = (r["orders"], r["duty"], r["taxes"], r["fees"])
        for i, value in enumerate(values):
            slot[i] += value or 0
    return Figure(
        "duty-by-authority",
        _("Duty and taxes collected per authority"),
        [_("Authority"), _("Currency"), _("Orders"), _("Duty"), _("Taxes"), _("Fees")],
        [[n, c, *v] for (n, c), v in sorted(folded.items())],
        chart="",
        note=_("Amounts in minor units of the buyer's currency (cents, fen, ...)."),
    )


def _declarations(scope: Scope) -> QuerySet[Declaration]:
    declarations = Declaration.objects.filter(
        status=Declaration.Status.RELEASED, released_at__isnull=False
    )
    if scope.kind == "authority":
        declarations = declarations.filter(authority=scope.authority)
    return declarations


def _percentile_hours(declarations: QuerySet[Declaration], count: int, share: float) -> float:
    if not count:
        return 0.0
    index = min(count - 1, int(count * share))
    row = (
        declarations.annotate(took=F("released_at") - F("submitted_at"))
        .order_by("took", "id")
        .values_list("took", flat=True)[index : index + 1]
    )
    took = list(row)
    return round(took[0].total_seconds() / 3600, 1) if took else 0.0


def release_times(scope: Scope) -> Figure:
    groups = list(
        _declarations(scope)
        .values("authority_id", "authority__name", "kind")
        .annotate(released=Count("id"))
        .order_by("authority__name", "kind")
    )
    rows = []
    for g in groups:  # one row per authority and kind
        subset = _declarations(scope).filter(authority_id=g["authority_id"], kind=g["kind"])
        rows.append(
            [
                g["authority__name"] or str(_("Not on the platform")),
                g["kind"],
                g["released"],
                _percentile_hours(subset, g["released"], 0.5),
                _percentile_hours(subset, g["released"], 0.9),
            ]
        )
    return Figure(
        "time-to-release",
        _("Customs time to release (hours)"),
        [_("Authority"), _("Kind"), _("Released"), _("Median"), _("90th percentile")],
        rows,
        value_column=3,
    )


def parcels_by_state(scope: Scope) -> Figure:
    parcels = Parcel.objects.all()
    if scope.kind == "authority":
        parcels = parcels.filter(order__in=_orders(scope))
    labels = dict(Parcel.Status.choices)
    rows = parcels.values("status").annotate(parcels=Count("id")).order_by("-parcels", "status")
    return Figure(
        "parcels-by-state",
        _("Parcels by state"),
        [_("State"), _("Parcels")],
        [[str(labels.get(r["status"], r["status"])), r["parcels"]] for r in rows],
        chart="pie",
    )


def tourism_revenue(scope: Scope) -> Figure:
    from ewtp.tourism.models import Booking

    rows = (
        Booking.objects.filter(status=Booking.Status.CONFIRMED)
        .annotate(month=TruncMonth("visit_on"))
        .values("month", "currency")
        .annotate(
            bookings=Count("id"),
            revenue=Sum("amount_minor") - Sum("refunded_minor"),
            community=Sum("community_minor"),
        )
        .order_by("month", "currency")
    )
    return Figure(
        "tourism",
        _("Tourism revenue and the community share paid"),
        [_("Month"), _("Currency"), _("Bookings"), _("Revenue"), _("Community share")],
        [
            [
                r["month"].strftime("%Y-%m"),
                r["currency"],
                r["bookings"],
                r["revenue"] or 0,
                r["community"] or 0,
            ]
            for r in rows
        ],
        chart="line",
        value_column=3,
        note=_("Amounts in minor units (cents)."),
    )


def learning_outcomes(scope: Scope) -> Figure:
    from ewtp.learning.models import Certificate

    graduates = Certificate.objects.filter(status=Certificate.Status.VALID).values("holder_id")
    organisations = Membership.objects.filter(
        user_id__in=graduates, organisation__kind=Organisation.Kind.SELLER
    ).values("organisation_id")
    exports = _exports(scope).filter(seller_id__in=organisations)
    sold = exports.aggregate(
        sellers=Count("seller_id", distinct=True),
        orders=Count("id"),
        value=Sum("seller_goods_minor"),
    )
    graduate_count = (
        Membership.objects.filter(
            user_id__in=graduates, organisation__kind=Organisation.Kind.SELLER
        )
        .values("user_id")
        .distinct()
        .count()
    )
    return Figure(
        "learning",
        _("Learning outcomes tied to trade"),
        [
            _("Graduates in selling organisations"),
            _("Organisations selling abroad"),
            _("Their export orders"),
            _("Their export sales (RWF)"),
        ],
        [[graduate_count, sold["sellers"] or 0, sold["orders"] or 0, sold["value"] or 0]],
        chart="",
    )


OPERATOR_FIGURES = [
    exports_by_month,
    exports_by_destination,
    exports_by_chapter,
    exports_by_seller,
    exports_by_destination_month,
    regimes_used,
    preferences_used,
    duty_by_authority,
    release_times,
    parcels_by_state,
    tourism_revenue,
    learning_outcomes,
]
AUTHORITY_FIGURES = [
    exports_by_month,
    exports_by_destination,
    exports_by_chapter,
    regimes_used,
    preferences_used,
    duty_by_authority,
    release_times,
    parcels_by_state,
]
PUBLIC_FIGURES = [
    exports_by_month,
    exports_by_destination,
    exports_by_chapter,
    exports_by_seller,
    regimes_used,
    duty_by_authority,
    release_times,
    parcels_by_state,
    tourism_revenue,
    learning_outcomes,
]
FIGURES = {"operator": OPERATOR_FIGURES, "authority": AUTHORITY_FIGURES, "public": PUBLIC_FIGURES}


def data_stamp() -> str:
    """Changes every day, when an order is placed and when one moves (each move appends an
    order event): two primary-key maxima, read from their indexes."""
    last_order = Order.objects.aggregate(last=Max("id"))["last"]
    last_event = OrderEvent.objects.aggregate(last=Max("id"))["last"]
    return f"{clock.today().isoformat()}:{last_order}:{last_event}"


def _fresh(meta: tuple[str, float] | None, stamp: str) -> bool:
    """Cached figures computed on ``meta`` still serve for data at ``stamp``."""
    if meta is None:
        return False
    cached_stamp, computed_at = meta
    same_day = cached_stamp.split(":")[0] == stamp.split(":")[0]
    return cached_stamp == stamp or (
        same_day and time.time() - computed_at < conf.INSIGHTS_CACHE_SECONDS()
    )


def figures_version(scope: Scope) -> str | None:
    """An id of the cached figures of the scope while they still serve, else None: what is
    drawn from them (the page's HTML) is cached under it."""
    meta = cache.get(_meta_key(scope))
    if not _fresh(meta, data_stamp()):
        return None
    return f"{meta[0]}:{meta[1]}"


def _meta_key(scope: Scope) -> str:
    return f"insights:meta:{scope.key}:{get_language()}"


def figures_for(scope: Scope) -> tuple[str, list[Figure]]:
    """The scope's figures and their version, from the cache while the data have not
    changed; after a change, the cached figures still serve for
    ``conf.INSIGHTS_CACHE_SECONDS`` (on the same day), so that a busy platform does not
    recompute them on every new order."""
    stamp = data_stamp()
    meta = cache.get(_meta_key(scope))
    if _fresh(meta, stamp):
        version = f"{meta[0]}:{meta[1]}"
        figures = cache.get(f"insights:figures:{scope.key}:{get_language()}:{version}")
        if figures is not None:
            return version, list(figures)
    figures = [build(scope) for build in FIGURES[scope.kind]]
    meta = (stamp, time.time())
    version = f"{meta[0]}:{meta[1]}"
    cache.set(f"insights:figures:{scope.key}:{get_language()}:{version}", figures, 86_400)
    cache.set(_meta_key(scope), meta, 86_400)
    return version, figures


def figure_for(scope: Scope, slug: str) -> Figure | None:
    return next((f for f in figures_for(scope)[1] if f.slug == slug), None)
