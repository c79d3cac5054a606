"""API of logistics (mounted at /api/v1/logistics): a parcel's tracking (public, by its code),
lane prices, and the hub operator's steps (intake, consolidation, dispatch, arrival, last mile
and exceptions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict

from ewtp.accounts.auth import BearerOrSession
from ewtp.core.errors import InvalidRequest, NotFound
from ewtp.core.ratelimit import rate_limit
from ewtp.logistics import selectors
from ewtp.logistics.models import Lane, Parcel, Shipment
from ewtp.logistics.services import shipments
from ewtp.logistics.services.parcels import parcel_receive
from ewtp.logistics.services.steps import PARCEL_STEPS

router = Router(tags=["logistics"])


class ErrorOut(Schema):
    model_config = ConfigDict(extra="allow")
    code: str
    message: str
    fields: dict[str, str] | None = None


class MoneyOut(Schema):
    amount: str
    currency: str


class TrackingEventOut(Schema):
    at: str
    local_time: str
    time_zone: str
    place: str
    kind: str
    label: str
    status: str
    who: str
    note: str


class TrackingOut(Schema):
    code: str
    status: str
    origin_hub: str
    destination_hub: str
    events: list[TrackingEventOut]


class LaneOptionOut(Schema):
    origin: str
    destination: str
    carrier: str  # the airline's IATA designator; empty for a hub's local delivery
    carrier_name: str
    transit_days: int
    chargeable_weight_kg: str
    price: MoneyOut
    rate_card_source: str


class LanePriceOut(Schema):
    price: MoneyOut
    chargeable_weight_kg: str
    volumetric_divisor: int
    options: list[LaneOptionOut]


class ParcelOut(Schema):
    code: str
    status: str
    order: str
    origin_hub: str
    destination_hub: str
    current_hub: str | None
    weight_kg: str
    dimensions_cm: list[int]
    shipment: str | None
    export_clearance: str
    import_clearance: str


class ShipmentOut(Schema):
    id: str
    awb: str
    status: str
    lane: str
    parcels: list[str]


class IntakeIn(Schema):
    code: str


class ShipmentIn(Schema):
    origin: str
    destination: str
    carrier: str
    awb: str
    parcels: list[str]


class ParcelEventIn(Schema):
    action: str
    note: str = ""


def parcel_out(parcel: Parcel) -> dict[str, Any]:
    return {
        "code": parcel.code,
        "status": parcel.status,
        "order": str(parcel.order.public_id),
        "origin_hub": parcel.origin_hub.code,
        "destination_hub": parcel.destination_hub.code,
        "current_hub": parcel.current_hub.code if parcel.current_hub else None,
        "weight_kg": str(parcel.weight_kg),
        "dimensions_cm": list(parcel.dimensions),
        "shipment": parcel.shipment.awb if parcel.shipment else None,
        "export_clearance": parcel.export_clearance,
        "import_clearance": parcel.import_clearance,
    }


def shipment_out(shipment: Shipment) -> dict[str, Any]:
    return {
        "id": str(shipment.public_id),
        "awb": shipment.awb,
        "status": shipment.status,
        "lane": str(shipment.lane),
        "parcels": sorted(shipment.parcels.values_list("code", flat=True)),
    }


@router.get(
    "/parcels/{code}/tracking",
    response={200: TrackingOut, 404: ErrorOut, 429: ErrorOut},
    auth=None,
    summary="A parcel's tracking events (anyone holding its code; no personal data)",
)
def tracking(request: HttpRequest, code: str) -> dict[str, Any]:
    rate_limit(request, "logistics.tracking", per_minute=120)
    parcel = selectors.parcel_by_code(code)
    return {
        "code": parcel.code,
        "status": parcel.status,
        "origin_hub": parcel.origin_hub.code,
        "destination_hub": parcel.destination_hub.code,
        "events": [step.as_dict() for step in selectors.tracking_for_parcel(parcel)],
    }


class LanePriceQuery(Schema):
    origin: str = "KGL"
    destination: str
    weight_kg: str
    length_cm: int | None = None
    width_cm: int | None = None
    height_cm: int | None = None
    on: dt.date | None = None


@router.get(
    "/lanes/price",
    response={200: LanePriceOut, 404: ErrorOut, 422: ErrorOut},
    auth=None,
    summary="Carriage of one parcel: chargeable weight = max(actual, L x W x H cm / 6000)",
)
def lane_price(request: HttpRequest, query: Query[LanePriceQuery]) -> dict[str, Any]:
    rate_limit(request, "logistics.lane_price", per_minute=120)
    sides = (query.length_cm, query.width_cm, query.height_cm)
    if any(side is not None for side in sides) and not all(side is not None for side in sides):
        raise InvalidRequest(
            "invalid_request",
            _("Give all three sides or none."),
            fields={"dimensions": "L, W and H"},
        )
    dimensions = sides if all(side is not None for side in sides) else None
    try:
        weight = Decimal(query.weight_kg)
    except ArithmeticError:
        raise InvalidRequest(
            "invalid_request", _("Not a weight."), fields={"weight_kg": "kg"}
        ) from None
    options = selectors.lane_options(
        query.origin, query.destination, weight, dimensions, on=query.on
    )
    best = options[0]
    return {
        "price": best.price.as_dict(),
        "chargeable_weight_kg": str(best.chargeable_kg),
        "volumetric_divisor": best.rate_card.volumetric_divisor,
        "options": [
            {
                "origin": option.origin.code,
                "destination": option.destination.code,
                "carrier": option.carrier_code,
                "carrier_name": option.carrier_name,
                "transit_days": option.transit_days,
                "chargeable_weight_kg": str(option.chargeable_kg),
                "price": option.price.as_dict(),
                "rate_card_source": option.rate_card.source,
            }
            for option in options
        ],
    }


# What a write may answer besides its success.
WRITE_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.post(
    "/hubs/{hub_code}/intake",
    response={200: ParcelOut, **WRITE_ERRORS},
    auth=BearerOrSession(),
    summary="Receive a parcel at its origin hub (the label's code)",
)
def intake(request: HttpRequest, hub_code: str, payload: IntakeIn) -> dict[str, Any]:
    hub = selectors.hub_get_for(request.user, hub_code)
    return parcel_out(parcel_receive(actor=request.user, hub=hub, code=payload.code))


@router.post(
    "/shipments",
    response={201: ShipmentOut, **WRITE_ERRORS},
    auth=BearerOrSession(),
    summary="Consolidate received parcels into a shipment under an air waybill",
)
def shipment_create(request: HttpRequest, payload: ShipmentIn) -> Status[dict[str, Any]]:
    lane = (
        Lane.objects.select_related("carrier", "origin", "destination")
        .filter(
            origin__code=payload.origin.upper(),
            destination__code=payload.destination.upper(),
            carrier__code=payload.carrier.upper(),
        )
        .first()
    )
    if lane is None:
        raise NotFound("not_found", _("No such lane."), fields={"carrier": "no lane"})
    parcels = [selectors.parcel_by_code(code) for code in payload.parcels]
    shipment = shipments.shipment_create(
        actor=request.user, lane=lane, awb=payload.awb, parcels=parcels
    )
    return Status(201, shipment_out(shipment))


@router.post(
    "/shipments/{shipment_id}/{action}",
    response={200: ShipmentOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    auth=BearerOrSession(),
    summary="Dispatch (origin hub) or record the arrival (destination hub) of a shipment",
)
def shipment_step(request: HttpRequest, shipment_id: str, action: str) -> dict[str, Any]:
    shipment = selectors.shipment_get_for(request.user, shipment_id)
    if action == "dispatch":
        shipment = shipments.shipment_dispatch(actor=request.user, shipment=shipment)
    elif action == "arrive":
        shipment = shipments.shipment_arrive(actor=request.user, shipment=shipment)
    else:
        raise NotFound("not_found", _("dispatch or arrive."))
    return shipment_out(shipment)


@router.post(
    "/parcels/{code}/events",
    response={200: ParcelOut, **WRITE_ERRORS},
    auth=BearerOrSession(),
    summary="Last mile and exceptions: out_for_delivery, deliver, damage, hold, resume, return",
)
def parcel_event(request: HttpRequest, code: str, payload: ParcelEventIn) -> dict[str, Any]:
    parcel = selectors.parcel_get_for(request.user, code)
    step = PARCEL_STEPS.get(payload.action)
    if step is None:
        raise InvalidRequest(
            "invalid_request",
            _("Unknown action."),
            fields={"action": "one of " + ", ".join(PARCEL_STEPS)},
        )
    return parcel_out(step(request.user, parcel, payload.note))
