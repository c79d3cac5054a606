"""Reads of logistics with their permission checks: routes and lane prices, hubs and their
parcels, shipments, and the tracking timeline a buyer sees."""

from __future__ import annotations

import zoneinfo
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ewtp.accounts.models import Membership, Organisation
from ewtp.accounts.selectors import as_user, is_platform_operator, organisations_of, role_in
from ewtp.core import clock
from ewtp.core.errors import DomainError, NotFound
from ewtp.core.money import Money
from ewtp.logistics import network, rating
from ewtp.logistics.codes import CodeInvalid, parcel_code_normalise
from ewtp.logistics.models import (
    Hub,
    HubCoverage,
    Lane,
    LocalRate,
    Parcel,
    RateCard,
    Shipment,
    TrackingEvent,
)
from ewtp.orders.models import Order

WORK_ROLES = (Membership.Role.OWNER, Membership.Role.STAFF)


class NoRoute(DomainError):
    code = "no_route"
    http_status = 422


# Routes and prices ---------------------------------------------------------------------------


def hub_get(code: str) -> Hub:
    hub = Hub.objects.select_related("operator").filter(code=str(code).upper()).first()
    if hub is None:
        raise NotFound("not_found", gettext("No hub %(code)s.") % {"code": code})
    return hub


def hub_for_country(country: str) -> Hub | None:
    """The hub that receives parcels for a destination country (EU members -> LGG, ...)."""
    coverage = (
        HubCoverage.objects.select_related("hub", "hub__operator")
        .filter(country=str(country).upper(), hub__is_active=True)
        .first()
    )
    return coverage.hub if coverage else None


@dataclass(frozen=True)
class LaneQuote:
    """One way to carry a parcel, priced: a flight on a lane, or a hub's local delivery
    (``lane`` None) when the destination is served by the origin hub itself."""

    lane: Lane | None
    rate_card: RateCard | LocalRate
    chargeable_kg: Decimal
    price: Money
    origin: Hub
    destination: Hub
    carrier_code: str
    carrier_name: str
    transit_days: int

    @property
    def route(self) -> str:
        return f"{self.origin.code}-{self.destination.code}"

    def as_dict(self) -> dict[str, Any]:
        """What an order keeps of the carriage it was charged (rates change later)."""
        return {
            "origin": self.origin.code,
            "destination": self.destination.code,
            "carrier": self.carrier_code,
            "carrier_name": self.carrier_name,
            "transit_days": self.transit_days,
            "chargeable_weight_kg": str(self.chargeable_kg),
            "price": self.price.as_dict(),
            "rate_source": self.rate_card.source,
            "local": self.lane is None,
        }


def _priced(card: RateCard | LocalRate, weight_kg: object, sides: Any) -> tuple[Decimal, Money]:
    try:
        chargeable = rating.chargeable_weight_kg(weight_kg, sides, divisor=card.volumetric_divisor)
    except (ValueError, TypeError) as error:
        raise DomainError("invalid_request", str(error), fields={"weight_kg": str(error)}) from None
    rate = rating.Rate(
        per_kg=Money.from_minor(card.per_kg_minor, card.currency),
        per_shipment=Money.from_minor(card.per_shipment_minor, card.currency),
        divisor=card.volumetric_divisor,
    )
    return chargeable, rating.rate_price(rate, chargeable)


def network_checked_once() -> AbstractContextManager[None]:
    """Price several consignments against one check of the hub network (one statement)."""
    return network.checked_once()


def lane_options(
    origin_hub: str,
    destination_country: str,
    weight_kg: object,
    dimensions: Any = None,
    *,
    on: date | None = None,
) -> list[LaneQuote]:
    """Every way from the origin hub to the destination's hub, priced, cheapest first: the
    active lanes with a rate card valid ``on``, or the hub's local delivery when the
    destination's hub is the origin hub."""
    day = on or clock.today()
    held = network.network_on(day)
    origin = held.hubs.get(str(origin_hub).upper())
    if origin is None:
        raise NotFound("not_found", gettext("No hub %(code)s.") % {"code": origin_hub})
    destination = held.coverage.get(str(destination_country).upper())
    if destination is None:
        raise NoRoute(
            message=gettext("No hub serves %(country)s yet.") % {"country": destination_country},
            fields={"destination_country": "no hub serves this country"},
        )
    try:
        sides = rating.dimensions_clean(dimensions)
    except (ValueError, TypeError) as error:
        raise DomainError(
            "invalid_request", str(error), fields={"dimensions": str(error)}
        ) from None
    quotes = []
    local = held.local.get(origin.pk) if destination.pk == origin.pk else None
    if local is not None:
        chargeable, price = _priced(local, weight_kg, sides)
        quotes.append(
            LaneQuote(
                None,
                local,
                chargeable,
                price,
                origin,
                destination,
                "",
                local.courier,
                local.transit_days,
            )
        )
    for lane, card in held.lanes.get((origin.pk, destination.pk), []):
        chargeable, price = _priced(card, weight_kg, sides)
        quotes.append(
            LaneQuote(
                lane,
                card,
                chargeable,
                price,
                origin,
                destination,
                lane.carrier.code,
                lane.carrier.name,
                lane.transit_days,
            )
        )
    if not quotes:
        raise NoRoute(
            message=gettext("No lane with a rate card runs from %(origin)s to %(destination)s.")
            % {"origin": origin.code, "destination": destination.code},
            fields={"destination_country": f"no priced lane {origin.code}-{destination.code}"},
        )
    # Cheapest first within a currency; between currencies, fewer transit days first.
    quotes.sort(key=lambda q: (q.price.currency, q.price.amount, q.transit_days))
    return quotes


def lane_price(
    origin_hub: str,
    destination_country: str,
    weight_kg: object,
    dimensions: Any = None,
    *,
    on: date | None = None,
) -> Money:
    """What carriage of one parcel costs on the cheapest lane (checkout charges it).

    Chargeable weight = max(actual, L x W x H cm / 6000), up to the next 0.5 kg; price =
    per shipment + per kg x chargeable weight, from the lane's rate card valid ``on``.
    Raises NoRoute (422) when no hub or no priced lane serves the destination.
    """
    return lane_options(origin_hub, destination_country, weight_kg, dimensions, on=on)[0].price


# Hubs and who works them ---------------------------------------------------------------------


def hubs_operated_by(actor: object) -> QuerySet[Hub]:
    """The hubs whose operator organisation the actor is a member of."""
    operators = organisations_of(actor, kind=Organisation.Kind.HUB_OPERATOR)
    return Hub.objects.select_related("operator").filter(operator__in=operators).order_by("code")


def can_work_hub(actor: object, hub: Hub) -> bool:
    return role_in(actor, hub.operator) in WORK_ROLES


def hub_get_for(actor: object, code: str) -> Hub:
    """A hub's working pages: its operator's members (others: NotFound)."""
    hub = Hub.objects.select_related("operator").filter(code=str(code).upper()).first()
    if hub is None or role_in(actor, hub.operator) is None:
        raise NotFound("not_found", gettext("No such hub."))
    return hub


def parcels_at_hub(hub: Hub, *, status: str = "", query: str = "") -> QuerySet[Parcel]:
    """Parcels at the hub or on their way to it (handed over, inbound), newest first."""
    parcels = (
        Parcel.objects.select_related(
            "order", "seller", "origin_hub", "destination_hub", "shipment"
        )
        .filter(
            Q(current_hub=hub)
            | Q(origin_hub=hub, status=Parcel.Status.HANDED_OVER)
            | Q(destination_hub=hub, status=Parcel.Status.IN_TRANSIT)
        )
        .order_by("-updated_at", "-id")
    )
    if status in Parcel.Status.values:
        parcels = parcels.filter(status=status)
    if query.strip():
        parcels = parcels.filter(code__icontains=query.strip().replace(" ", ""))
    return parcels


def parcels_to_consolidate(hub: Hub) -> QuerySet[Parcel]:
    """Parcels received here that fly on (a local delivery leaves by the hub's courier)."""
    return (
        Parcel.objects.select_related("destination_hub", "order", "seller")
        .filter(current_hub=hub, status=Parcel.Status.RECEIVED)
        .exclude(destination_hub=hub)
        .order_by("destination_hub__code", "created_at", "id")
    )


def parcels_for_local_delivery(hub: Hub) -> QuerySet[Parcel]:
    """Parcels received here for addresses the hub delivers to itself."""
    return (
        Parcel.objects.select_related("seller")
        .filter(current_hub=hub, status=Parcel.Status.RECEIVED, destination_hub=hub)
        .order_by("created_at", "id")
    )


def shipments_of_hub(hub: Hub) -> QuerySet[Shipment]:
    """Shipments leaving the hub (open or dispatched) or coming to it."""
    return (
        Shipment.objects.select_related("lane__origin", "lane__destination", "lane__carrier")
        .filter(Q(lane__origin=hub) | Q(lane__destination=hub))
        .order_by("-created_at", "-id")
    )


def lanes_from(hub: Hub) -> QuerySet[Lane]:
    return Lane.objects.select_related("destination", "carrier").filter(origin=hub, is_active=True)


def shipment_get_for(actor: object, public_id: Any) -> Shipment:
    """A shipment: members of the origin or destination hub's operator."""
    try:
        shipment = (
            Shipment.objects.select_related(
                "lane__origin__operator", "lane__destination__operator", "lane__carrier"
            )
            .filter(public_id=public_id)
            .first()
        )
    except (ValueError, TypeError, ValidationError):  # a malformed id is "not found"
        shipment = None
    if shipment is None:
        raise NotFound("not_found", gettext("No such shipment."))
    lane = shipment.lane
    if (
        role_in(actor, lane.origin.operator) is None
        and role_in(actor, lane.destination.operator) is None
    ):
        raise NotFound("not_found", gettext("No such shipment."))
    return shipment


# Parcels -------------------------------------------------------------------------------------


def _parcels() -> QuerySet[Parcel]:
    return Parcel.objects.select_related(
        "order",
        "order__checkout",
        "seller",
        "origin_hub__operator",
        "destination_hub__operator",
        "current_hub",
        "shipment__lane__carrier",
    )


def parcel_by_code(raw_code: str) -> Parcel:
    """A parcel by its code as typed or scanned (no permission check: the code is the key,
    as a tracking number is). NotFound for a malformed or unknown code."""
    try:
        code = parcel_code_normalise(raw_code)
    except CodeInvalid:
        raise NotFound("not_found", gettext("No parcel with this code.")) from None
    parcel = _parcels().filter(code=code).first()
    if parcel is None:
        raise NotFound("not_found", gettext("No parcel with this code."))
    return parcel


def can_see_parcel(actor: object, parcel: Parcel) -> bool:
    """The seller's members, the operators of the hubs on its route, the platform operator."""
    if as_user(actor) is None:
        return False
    if is_platform_operator(actor) or role_in(actor, parcel.seller) is not None:
        return True
    return any(
        role_in(actor, hub.operator) is not None
        for hub in (parcel.origin_hub, parcel.destination_hub)
    )


def parcel_get_for(actor: object, raw_code: str) -> Parcel:
    parcel = parcel_by_code(raw_code)
    if not can_see_parcel(actor, parcel):
        raise NotFound("not_found", gettext("No parcel with this code."))
    return parcel


def parcel_for_order(order: Order) -> Parcel | None:
    return _parcels().filter(order=order).first()


def orders_to_ship_for(actor: object, *, status: str = "") -> QuerySet[Order]:
    """Paid orders of the actor's sellers, with their parcel if packed; newest first."""
    sellers = organisations_of(actor, kind=Organisation.Kind.SELLER)
    orders = (
        Order.objects.select_related("seller", "checkout", "parcel")
        .filter(seller__in=sellers)
        .exclude(status__in=[Order.Status.PENDING_PAYMENT, Order.Status.EXPIRED])
        .order_by("-created_at", "-id")
    )
    if status in Order.Status.values:
        orders = orders.filter(status=status)
    return orders


def order_get_for_seller(actor: object, public_id: Any) -> Order:
    """An order of one of the actor's sellers (others: NotFound)."""
    try:
        order = (
            Order.objects.select_related("seller", "checkout")
            .prefetch_related("lines")
            .filter(public_id=public_id)
            .first()
        )
    except (ValueError, TypeError, ValidationError):  # a malformed id is "not found"
        order = None
    if order is None or role_in(actor, order.seller) is None:
        raise NotFound("not_found", gettext("No such order."))
    return order


# Tracking ------------------------------------------------------------------------------------

KIND_LABELS = {
    "packed": _("Packed by the seller"),
    "updated": _("Parcel details corrected"),
    "handed_over": _("Handed over to the hub"),
    "received": _("Received at the hub"),
    "consolidated": _("Consolidated into a shipment"),
    "unconsolidated": _("Taken out of a shipment"),
    "dispatched": _("Dispatched"),
    "arrived": _("Arrived at the destination hub"),
    "out_for_delivery": _("Out for delivery"),
    "delivered": _("Delivered"),
    "confirmed": _("Receipt confirmed by the buyer"),
    "damaged": _("Reported damaged"),
    "held": _("Held"),
    "resumed": _("Moving again"),
    "returned": _("Returned to sender"),
    "customs_submitted": _("Declarations submitted to customs"),
    "customs_lodged": _("Declaration lodged with the destination's customs"),
    "customs_released": _("Released by customs"),
    "customs_held": _("Held by customs"),
    "customs_inspection": _("Selected for customs inspection"),
    "customs_rejected": _("Rejected by customs"),
}


@dataclass(frozen=True)
class TrackingStep:
    """One step of a parcel's journey, ready to show (local time of the place, if a hub)."""

    occurred_at: datetime
    local_time: datetime
    time_zone: str
    place: str
    kind: str
    label: str
    status: str
    status_label: str
    who: str
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.occurred_at.isoformat(),
            "local_time": self.local_time.isoformat(),
            "time_zone": self.time_zone,
            "place": self.place,
            "kind": self.kind,
            "label": str(self.label),
            "status": self.status,
            "who": self.who,
            "note": self.note,
        }


def _step(event: TrackingEvent) -> TrackingStep:
    zone = event.hub.time_zone if event.hub else "UTC"
    return TrackingStep(
        occurred_at=event.occurred_at,
        local_time=event.occurred_at.astimezone(zoneinfo.ZoneInfo(zone)),
        time_zone=zone,
        place=event.place,
        kind=event.kind,
        label=str(KIND_LABELS.get(event.kind, event.kind)),
        status=event.status,
        status_label=str(Parcel.Status(event.status).label)
        if event.status in Parcel.Status.values
        else event.status,
        who=str(_("the buyer")) if event.actor_label == "buyer" else event.actor_label,
        note=event.note,
    )


def tracking_for_parcel(parcel: Parcel) -> list[TrackingStep]:
    events = TrackingEvent.objects.select_related("hub").filter(parcel=parcel)
    return [_step(event) for event in events.order_by("occurred_at", "id")]


def tracking_for_buyer(parcel: Parcel) -> list[TrackingStep]:
    """The public tracking page's steps: what a buyer should see. Times in the zone of the
    destination hub (the buyer's, one zone for the list); no staff names, no internal notes."""
    import dataclasses

    zone = parcel.destination_hub.time_zone or "UTC"
    buyer = str(_("the buyer"))
    return [
        dataclasses.replace(
            step,
            local_time=step.occurred_at.astimezone(zoneinfo.ZoneInfo(zone)),
            time_zone=zone,
            who=step.who if step.who == buyer else "",
            note="",
        )
        for step in tracking_for_parcel(parcel)
    ]


def tracking_for_order(order: Order) -> list[TrackingStep]:
    """The order's parcel journey, oldest first (empty before the seller packs it).

    The caller has already checked that the viewer may see the order (the buyer by token or
    account, the seller, the operator). Render it with ``logistics/_tracking.html``.
    """
    events = TrackingEvent.objects.select_related("hub").filter(parcel__order=order)
    return [_step(event) for event in events.order_by("occurred_at", "id")]
