"""Writes of logistics: parcels from the seller's door to the buyer's, and shipments.

Every transition checks the parcel's state (a forbidden move is a 409 ``invalid_transition``)
and the actor's right (members of the hub's operator, the seller's members for their own
steps), writes a tracking event and an audit record, and moves the order through the orders
services (pack, hand to hub, ship, deliver); logistics never writes the orders tables.
Customs keeps a parcel's clearance in step through ``parcel_clearance_set``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.accounts.selectors import require_role, role_in
from ewtp.core import clock
from ewtp.core.countries import country_name
from ewtp.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from ewtp.core.locks import lock_rows
from ewtp.core.services import audit_record
from ewtp.logistics import rating
from ewtp.logistics.codes import CodeInvalid, awb_normalise, parcel_code_new, parcel_code_normalise
from ewtp.logistics.models import Clearance, Hub, Lane, Parcel, Shipment, TrackingEvent
from ewtp.logistics.selectors import hub_for_country
from ewtp.orders.models import Order
from ewtp.orders.services.transitions import (
    order_accept,
    order_complete,
    order_deliver,
    order_hand_to_hub,
    order_pack,
    order_return_to_seller,
    order_ship,
)

P = Parcel.Status
WORK_ROLES = (Membership.Role.OWNER, Membership.Role.STAFF)
SYSTEM_LABEL = "eWTP"

# Where each status may go by an ordinary step. Exceptions (damaged, held) remember where the
# parcel was and resume there; a return to sender ends the journey.
TRANSITIONS: dict[str, frozenset[str]] = {
    P.PACKED: frozenset({P.HANDED_OVER}),
    P.HANDED_OVER: frozenset({P.RECEIVED}),
    P.RECEIVED: frozenset({P.CONSOLIDATED, P.DAMAGED, P.HELD, P.RETURNED}),
    P.CONSOLIDATED: frozenset({P.RECEIVED, P.IN_TRANSIT, P.DAMAGED, P.HELD, P.RETURNED}),
    P.IN_TRANSIT: frozenset({P.ARRIVED}),
    P.ARRIVED: frozenset({P.OUT_FOR_DELIVERY, P.DAMAGED, P.HELD, P.RETURNED}),
    P.OUT_FOR_DELIVERY: frozenset({P.DELIVERED, P.DAMAGED, P.HELD, P.RETURNED}),
    P.DAMAGED: frozenset({P.HELD, P.RETURNED}),  # and back to where it was (resume)
    P.HELD: frozenset({P.RETURNED}),  # and back to where it was (resume)
    P.DELIVERED: frozenset(),
    P.RETURNED: frozenset(),
}
EXCEPTIONS = frozenset({P.DAMAGED, P.HELD})
TERMINAL = frozenset({P.DELIVERED, P.RETURNED})
EXCEPTION_SOURCE_CUSTOMS = "customs"


class InvalidTransition(Conflict):
    code = "invalid_transition"


# Helpers -------------------------------------------------------------------------------------


def _status_label(status: str) -> str:
    return str(P(status).label).lower() if status in P.values else status


def _check(parcel: Parcel, target: str, *, verb: str) -> None:
    if target not in TRANSITIONS.get(parcel.status, frozenset()):
        raise InvalidTransition(
            message=_("Parcel %(code)s is %(status)s: it cannot be %(action)s.")
            % {"code": parcel.code, "status": _status_label(parcel.status), "action": verb},
            extra={"status": parcel.status, "parcel": parcel.code},
        )


def _require_hub_worker(actor: object, hub: Hub) -> User:
    """Owners and staff of the hub's operator organisation."""
    role = role_in(actor, hub.operator)
    if role not in WORK_ROLES:
        raise PermissionDenied(
            "permission_denied",
            _("Only the staff of %(operator)s may do this at %(hub)s.")
            % {"operator": hub.operator.name, "hub": hub.code},
        )
    assert isinstance(actor, User)
    return actor


def _require_seller_worker(actor: object, seller: Organisation) -> User:
    require_role(actor, seller, WORK_ROLES)
    assert isinstance(actor, User)
    return actor


def _locked(parcel: Parcel) -> Parcel:
    rows = lock_rows(
        Parcel.objects.filter(pk=parcel.pk).select_related(
            "order", "seller", "origin_hub__operator", "destination_hub__operator", "current_hub"
        )
    )
    if not rows:
        raise NotFound("not_found", _("No such parcel."))
    return rows[0]


def _event(
    parcel: Parcel,
    kind: str,
    *,
    actor: object,
    who: str,
    hub: Hub | None = None,
    place: str = "",
    note: str = "",
    shipment: Shipment | None = None,
    at: datetime | None = None,
) -> TrackingEvent:
    return TrackingEvent.objects.create(
        parcel=parcel,
        shipment=shipment,
        status=parcel.status,
        kind=kind,
        hub=hub,
        place=place or (hub.place if hub else ""),
        actor=actor if isinstance(actor, User) else None,
        actor_label=who,
        note=note[:2000],
        occurred_at=at or clock.now(),
    )


def _save(parcel: Parcel, *fields: str) -> None:
    parcel.updated_at = clock.now()
    parcel.save(update_fields=[*fields, "updated_at"])


def _audit(
    actor: object, action: str, parcel: Parcel, organisation: Organisation, **data: Any
) -> None:
    audit_record(
        actor=actor,
        action=f"logistics.parcel.{action}",
        target=parcel,
        organisation_ref=str(organisation.public_id),
        data={"code": parcel.code, "status": parcel.status, **data},
    )


def _seller_place(seller: Organisation) -> str:
    return f"{seller.name}, {country_name(seller.country)}"


@dataclass(frozen=True)
class Measures:
    weight_kg: Decimal
    length_cm: int
    width_cm: int
    height_cm: int


def measures_clean(weight_kg: Any, length_cm: Any, width_cm: Any, height_cm: Any) -> Measures:
    """Weight in kg (to the gram, above 0, at most 1000) and three sides in whole cm."""
    errors: dict[str, str] = {}
    weight = Decimal(0)
    try:
        if isinstance(weight_kg, float):
            raise InvalidOperation
        weight = Decimal(str(weight_kg).strip().replace(",", "."))
        if not weight.is_finite() or weight <= 0 or weight > rating.MAX_WEIGHT_KG:
            raise InvalidOperation
        if weight != weight.quantize(Decimal("0.001")):
            errors["weight_kg"] = "to the gram at most (3 decimals)"
    except (InvalidOperation, ValueError):
        errors["weight_kg"] = f"a weight in kg above 0 and at most {rating.MAX_WEIGHT_KG}"
    sides: list[int] = []
    for name, value in (("length_cm", length_cm), ("width_cm", width_cm), ("height_cm", height_cm)):
        try:
            number = Decimal(str(value).strip())
            if not number.is_finite() or number != number.to_integral_value():
                raise InvalidOperation
            if not 1 <= number <= rating.MAX_SIDE_CM:
                raise InvalidOperation
            sides.append(int(number))
        except (InvalidOperation, ValueError):
            errors[name] = f"whole centimetres from 1 to {rating.MAX_SIDE_CM}"
    if errors:
        raise InvalidRequest(
            "invalid_request", _("Please correct the fields shown."), fields=errors
        )
    return Measures(weight, sides[0], sides[1], sides[2])


def _contents(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "sku": line.sku,
            "description": line.product_title,
            "hs_code": line.hs_code,
            "origin": line.origin,
            "quantity": line.quantity,
            "unit_weight_kg": str(line.unit_weight_kg),
            "net_kg": str((line.unit_weight_kg * line.quantity).quantize(Decimal("0.001"))),
            "quote_line_id": line.quote_line_id,
        }
        for line in order.lines.all().order_by("id")
    ]


# Seller steps --------------------------------------------------------------------------------


@transaction.atomic
def parcel_create(
    *,
    actor: object,
    order: Order,
    weight_kg: Any,
    length_cm: Any,
    width_cm: Any,
    height_cm: Any,
) -> Parcel:
    """The seller packs a paid order into a parcel: its code, contents and route are fixed,
    and the order is accepted (if it was only paid) and marked packed."""
    user = _require_seller_worker(actor, order.seller)
    measures = measures_clean(weight_kg, length_cm, width_cm, height_cm)
    order = lock_rows(Order.objects.filter(pk=order.pk).select_related("seller", "checkout"))[0]
    if Parcel.objects.filter(order=order).exists():
        raise Conflict(
            "parcel_exists", _("This order is packed already; correct its parcel instead.")
        )
    if order.status not in {Order.Status.PAID, Order.Status.ACCEPTED}:
        raise InvalidTransition(
            message=_("An order that is %(status)s cannot be packed.")
            % {"status": order.get_status_display().lower()},
            extra={"status": order.status},
        )
    origin = (
        Hub.objects.select_related("operator").filter(code=order.hub_code, is_active=True).first()
    )
    if origin is None:
        raise Conflict(
            "no_hub", _("No active hub %(hub)s to send this order from.") % {"hub": order.hub_code}
        )
    destination = hub_for_country(order.destination)
    if destination is None:
        raise Conflict(
            "no_route", _("No hub serves %(country)s yet.") % {"country": order.destination}
        )
    if destination == origin:
        if not origin.local_rates.exists():
            raise Conflict(
                "no_route", _("%(hub)s does not deliver locally.") % {"hub": origin.code}
            )
    elif not Lane.objects.filter(origin=origin, destination=destination, is_active=True).exists():
        raise Conflict(
            "no_route",
            _("No lane flies from %(origin)s to %(destination)s.")
            % {"origin": origin.code, "destination": destination.code},
        )
    now = clock.now()
    parcel = Parcel(
        order=order,
        seller=order.seller,
        origin_hub=origin,
        destination_hub=destination,
        destination_country=order.destination,
        status=P.PACKED,
        weight_kg=measures.weight_kg,
        length_cm=measures.length_cm,
        width_cm=measures.width_cm,
        height_cm=measures.height_cm,
        contents=_contents(order),
        ship_to=dict(order.checkout.shipping_address or {}),
        created_by=user,
        created_at=now,
        updated_at=now,
    )
    for _attempt in range(5):
        parcel.code = parcel_code_new(origin.code)
        try:
            with transaction.atomic():
                parcel.save()
            break
        except IntegrityError:
            if Parcel.objects.filter(order=order).exists():
                raise Conflict("parcel_exists", _("This order is packed already.")) from None
            continue  # a code collision (one in a trillion): draw another
    else:
        raise Conflict("busy", _("Could not draw a free parcel code; try again."))
    if order.status == Order.Status.PAID:
        order_accept(actor=user, order=order)
    order_pack(actor=user, order=order)
    _event(parcel, "packed", actor=user, who=order.seller.name, place=_seller_place(order.seller))
    _audit(
        user,
        "packed",
        parcel,
        order.seller,
        order=str(order.public_id),
        weight_kg=str(measures.weight_kg),
        dimensions=[measures.length_cm, measures.width_cm, measures.height_cm],
    )
    return parcel


@transaction.atomic
def parcel_update(
    *, actor: object, parcel: Parcel, weight_kg: Any, length_cm: Any, width_cm: Any, height_cm: Any
) -> Parcel:
    """Correct weight and size while the parcel is still with the seller and undeclared."""
    user = _require_seller_worker(actor, parcel.seller)
    measures = measures_clean(weight_kg, length_cm, width_cm, height_cm)
    parcel = _locked(parcel)
    if parcel.status != P.PACKED:
        raise InvalidTransition(
            message=_("Parcel %(code)s is %(status)s: it can no longer be changed.")
            % {"code": parcel.code, "status": _status_label(parcel.status)},
            extra={"status": parcel.status},
        )
    if parcel.export_clearance or parcel.import_clearance:
        raise Conflict(
            "declarations_submitted",
            _("The declarations of this parcel are submitted: its weight and size are fixed."),
        )
    parcel.weight_kg = measures.weight_kg
    parcel.length_cm, parcel.width_cm, parcel.height_cm = (
        measures.length_cm,
        measures.width_cm,
        measures.height_cm,
    )
    _save(parcel, "weight_kg", "length_cm", "width_cm", "height_cm")
    _event(
        parcel, "updated", actor=user, who=parcel.seller.name, place=_seller_place(parcel.seller)
    )
    _audit(user, "updated", parcel, parcel.seller, weight_kg=str(measures.weight_kg))
    return parcel


@transaction.atomic
def parcel_hand_over(*, actor: object, parcel: Parcel) -> Parcel:
    """The seller hands the parcel to the origin hub (drops it off or has it collected); the
    order becomes handed to the hub. The hub's intake scan then confirms receipt."""
    user = _require_seller_worker(actor, parcel.seller)
    parcel = _locked(parcel)
    _check(parcel, P.HANDED_OVER, verb=pgettext("a parcel cannot be …", "handed over"))
    parcel.status = P.HANDED_OVER
    _save(parcel, "status")
    order_hand_to_hub(actor=user, order=parcel.order)
    _event(parcel, "handed_over", actor=user, who=parcel.seller.name, hub=parcel.origin_hub)
    _audit(user, "handed_over", parcel, parcel.seller)
    return parcel


# Hub steps -----------------------------------------------------------------------------------


def _scanned(code: str) -> Parcel:
    """The parcel a label's code (scanned or typed) names, locked; a clear error otherwise."""
    try:
        normalised = parcel_code_normalise(code)
    except CodeInvalid as error:
        raise InvalidRequest(
            "invalid_code", _(error.template) % error.params, fields={"code": str(error)}
        ) from None
    found = Parcel.objects.filter(code=normalised).first()
    if found is None:
        raise NotFound(
            "not_found",
            _("No parcel %(code)s.") % {"code": normalised},
            fields={"code": "unknown parcel"},
        )
    return _locked(found)


@transaction.atomic
def parcel_receive(*, actor: object, hub: Hub, code: str) -> Parcel:
    """Intake: the origin hub scans (or types) the label's code."""
    user = _require_hub_worker(actor, hub)
    parcel = _scanned(code)
    if parcel.origin_hub_id != hub.pk:
        raise Conflict(
            "wrong_hub",
            _("Parcel %(code)s leaves from %(origin)s, not %(hub)s.")
            % {"code": parcel.code, "origin": parcel.origin_hub.code, "hub": hub.code},
            fields={"code": f"belongs to {parcel.origin_hub.code}"},
        )
    if parcel.status == P.PACKED:
        raise InvalidTransition(
            "not_handed_over",
            _(
                "The seller has not handed parcel %(code)s over yet: ask them to mark it "
                "handed over on their order page, then scan it again."
            )
            % {"code": parcel.code},
            extra={"status": parcel.status},
        )
    _check(parcel, P.RECEIVED, verb=pgettext("a parcel cannot be …", "received"))
    parcel.status = P.RECEIVED
    parcel.current_hub = hub
    _save(parcel, "status", "current_hub")
    _event(parcel, "received", actor=user, who=hub.operator.name, hub=hub)
    _audit(user, "received", parcel, hub.operator, hub=hub.code)
    return parcel


def _lane_for_awb(lane: Lane, awb: str) -> str:
    try:
        number = awb_normalise(awb)
    except CodeInvalid as error:
        raise InvalidRequest(
            "invalid_awb", _(error.template) % error.params, fields={"awb": str(error)}
        ) from None
    if number[:3] != lane.carrier.awb_prefix:
        message = gettext_noop(
            "Prefix %(prefix)s is not %(carrier)s's: this lane's air waybills start with "
            "%(expected)s."
        )
        params = {
            "prefix": number[:3],
            "carrier": lane.carrier.name,
            "expected": lane.carrier.awb_prefix,
        }
        raise InvalidRequest("invalid_awb", _(message) % params, fields={"awb": message % params})
    if Shipment.objects.filter(awb=number).exists():
        raise Conflict(
            "awb_in_use",
            _("Air waybill %(awb)s is already used.") % {"awb": number},
            fields={"awb": "in use"},
        )
    return number


def _consolidate(parcels: Sequence[Parcel], shipment: Shipment, *, user: User, hub: Hub) -> None:
    lane = shipment.lane
    for parcel in parcels:
        if parcel.current_hub_id != hub.pk:
            raise Conflict(
                "wrong_hub",
                _("Parcel %(code)s is not at %(hub)s.") % {"code": parcel.code, "hub": hub.code},
                extra={"parcel": parcel.code},
            )
        if parcel.destination_hub_id != lane.destination_id:
            raise Conflict(
                "wrong_lane",
                _("Parcel %(code)s goes to %(destination)s, this shipment to %(lane_destination)s.")
                % {
                    "code": parcel.code,
                    "destination": parcel.destination_hub.code,
                    "lane_destination": lane.destination.code,
                },
                extra={"parcel": parcel.code},
            )
        _check(parcel, P.CONSOLIDATED, verb=pgettext("a parcel cannot be …", "consolidated"))
        parcel.status = P.CONSOLIDATED
        parcel.shipment = shipment
        _save(parcel, "status", "shipment")
        _event(
            parcel,
            "consolidated",
            actor=user,
            who=hub.operator.name,
            hub=hub,
            shipment=shipment,
            note=f"AWB {shipment.awb} to {lane.destination.code}",
        )
        _audit(user, "consolidated", parcel, hub.operator, awb=shipment.awb)


@transaction.atomic
def shipment_create(*, actor: object, lane: Lane, awb: str, parcels: Iterable[Parcel]) -> Shipment:
    """Consolidate parcels at the lane's origin hub into a shipment under an air waybill whose
    prefix is the lane carrier's and whose check digit holds."""
    hub = Hub.objects.select_related("operator").get(pk=lane.origin_id)
    user = _require_hub_worker(actor, hub)
    if not lane.is_active:
        raise Conflict("lane_inactive", _("The lane %(lane)s is not in service.") % {"lane": lane})
    number = _lane_for_awb(lane, awb)
    pks = sorted({parcel.pk for parcel in parcels})
    if not pks:
        raise InvalidRequest(
            "invalid_request", _("Choose at least one parcel."), fields={"parcels": "at least one"}
        )
    locked = lock_rows(Parcel.objects.filter(pk__in=pks).select_related("destination_hub", "order"))
    shipment = Shipment.objects.create(
        lane=lane, awb=number, created_by=user, created_at=clock.now()
    )
    _consolidate(locked, shipment, user=user, hub=hub)
    audit_record(
        actor=user,
        action="logistics.shipment.created",
        target=shipment,
        organisation_ref=str(hub.operator.public_id),
        data={"awb": number, "lane": str(lane), "parcels": [p.code for p in locked]},
    )
    return shipment


def _locked_shipment(shipment: Shipment) -> Shipment:
    return lock_rows(
        Shipment.objects.filter(pk=shipment.pk).select_related(
            "lane__origin__operator", "lane__destination__operator", "lane__carrier"
        )
    )[0]


@transaction.atomic
def shipment_add_parcel(*, actor: object, shipment: Shipment, code: str) -> Parcel:
    shipment = _locked_shipment(shipment)
    hub = shipment.lane.origin
    user = _require_hub_worker(actor, hub)
    if shipment.status != Shipment.Status.OPEN:
        raise InvalidTransition(
            message=_("Shipment %(awb)s is %(status)s: it is closed.")
            % {"awb": shipment.awb, "status": shipment.get_status_display().lower()}
        )
    parcel = _scanned(code)
    _consolidate([parcel], shipment, user=user, hub=hub)
    return parcel


@transaction.atomic
def shipment_remove_parcel(*, actor: object, shipment: Shipment, parcel: Parcel) -> Parcel:
    shipment = _locked_shipment(shipment)
    hub = shipment.lane.origin
    user = _require_hub_worker(actor, hub)
    parcel = _locked(parcel)
    if parcel.shipment_id != shipment.pk or shipment.status != Shipment.Status.OPEN:
        raise InvalidTransition(
            message=_("Parcel %(code)s is not in open shipment %(awb)s.")
            % {"code": parcel.code, "awb": shipment.awb}
        )
    _check(parcel, P.RECEIVED, verb=pgettext("a parcel cannot be …", "taken out of its shipment"))
    parcel.status = P.RECEIVED
    parcel.shipment = None
    _save(parcel, "status", "shipment")
    _event(parcel, "unconsolidated", actor=user, who=hub.operator.name, hub=hub, shipment=shipment)
    _audit(user, "unconsolidated", parcel, hub.operator, awb=shipment.awb)
    return parcel


@transaction.atomic
def shipment_dispatch(*, actor: object, shipment: Shipment) -> Shipment:
    """The shipment leaves its origin hub: every parcel in transit, every order shipped.

    Refused (409 ``export_not_released``) while a parcel's export declaration is not released.
    """
    shipment = _locked_shipment(shipment)
    hub = shipment.lane.origin
    user = _require_hub_worker(actor, hub)
    if shipment.status != Shipment.Status.OPEN:
        raise InvalidTransition(
            message=_("Shipment %(awb)s is %(status)s: it cannot be dispatched.")
            % {"awb": shipment.awb, "status": shipment.get_status_display().lower()},
            extra={"status": shipment.status},
        )
    parcels = lock_rows(Parcel.objects.filter(shipment=shipment).select_related("order", "seller"))
    if not parcels:
        raise Conflict(
            "shipment_empty", _("Shipment %(awb)s holds no parcel.") % {"awb": shipment.awb}
        )
    waiting = [p.code for p in parcels if p.export_clearance != Clearance.RELEASED]
    if waiting:
        raise Conflict(
            "export_not_released",
            _("Customs has not released the export declaration of: %(parcels)s.")
            % {"parcels": ", ".join(waiting)},
            extra={"parcels": waiting},
        )
    now = clock.now()
    for parcel in parcels:
        _check(parcel, P.IN_TRANSIT, verb=pgettext("a parcel cannot be …", "dispatched"))
    shipment.status = Shipment.Status.DISPATCHED
    shipment.dispatched_at = now
    shipment.save(update_fields=["status", "dispatched_at"])
    for parcel in parcels:
        parcel.status = P.IN_TRANSIT
        parcel.current_hub = None
        _save(parcel, "status", "current_hub")
        order_ship(actor=user, order=parcel.order, note=f"AWB {shipment.awb}")
        _event(
            parcel,
            "dispatched",
            actor=user,
            who=hub.operator.name,
            hub=hub,
            shipment=shipment,
            note=f"{shipment.lane.carrier.name}, AWB {shipment.awb}, to "
            f"{shipment.lane.destination.place}",
            at=now,
        )
    audit_record(
        actor=user,
        action="logistics.shipment.dispatched",
        target=shipment,
        organisation_ref=str(hub.operator.public_id),
        data={"awb": shipment.awb, "parcels": [p.code for p in parcels]},
    )
    return shipment


@transaction.atomic
def shipment_arrive(*, actor: object, shipment: Shipment) -> Shipment:
    """The shipment lands at its destination hub; its parcels are there."""
    shipment = _locked_shipment(shipment)
    hub = shipment.lane.destination
    user = _require_hub_worker(actor, hub)
    if shipment.status != Shipment.Status.DISPATCHED:
        raise InvalidTransition(
            message=_("Shipment %(awb)s is %(status)s: it cannot arrive.")
            % {"awb": shipment.awb, "status": shipment.get_status_display().lower()},
            extra={"status": shipment.status},
        )
    now = clock.now()
    shipment.status = Shipment.Status.ARRIVED
    shipment.arrived_at = now
    shipment.save(update_fields=["status", "arrived_at"])
    parcels = lock_rows(Parcel.objects.filter(shipment=shipment, status=P.IN_TRANSIT))
    for parcel in parcels:
        parcel.status = P.ARRIVED
        parcel.current_hub = hub
        _save(parcel, "status", "current_hub")
        _event(
            parcel, "arrived", actor=user, who=hub.operator.name, hub=hub, shipment=shipment, at=now
        )
    audit_record(
        actor=user,
        action="logistics.shipment.arrived",
        target=shipment,
        organisation_ref=str(hub.operator.public_id),
        data={"awb": shipment.awb, "parcels": [p.code for p in parcels]},
    )
    return shipment


def _destination_worker(actor: object, parcel: Parcel) -> tuple[User, Hub]:
    hub = parcel.destination_hub
    return _require_hub_worker(actor, hub), hub


@transaction.atomic
def parcel_out_for_delivery(*, actor: object, parcel: Parcel, note: str = "") -> Parcel:
    """Last mile starts; needs the import declaration released (or lodged outside)."""
    parcel = _locked(parcel)
    user, hub = _destination_worker(actor, parcel)
    if parcel.is_local and parcel.status == P.RECEIVED:
        # Delivered inside the hub's own country: no flight, no declarations.
        # The order ships as the courier leaves (order_ship refuses an order that cannot).
        order_ship(actor=user, order=parcel.order, note="local delivery")
        parcel.status = P.OUT_FOR_DELIVERY
        _save(parcel, "status")
        _event(parcel, "out_for_delivery", actor=user, who=hub.operator.name, hub=hub, note=note)
        _audit(user, "out_for_delivery", parcel, hub.operator)
        return parcel
    _check(
        parcel, P.OUT_FOR_DELIVERY, verb=pgettext("a parcel cannot be …", "sent out for delivery")
    )
    if parcel.import_clearance not in {Clearance.RELEASED, Clearance.LODGED}:
        raise Conflict(
            "import_not_released",
            _("Customs has not released parcel %(code)s for import yet.") % {"code": parcel.code},
            extra={"clearance": parcel.import_clearance},
        )
    parcel.status = P.OUT_FOR_DELIVERY
    _save(parcel, "status")
    _event(parcel, "out_for_delivery", actor=user, who=hub.operator.name, hub=hub, note=note)
    _audit(user, "out_for_delivery", parcel, hub.operator)
    return parcel


@transaction.atomic
def parcel_deliver(*, actor: object, parcel: Parcel, note: str = "") -> Parcel:
    """Last-mile delivery recorded: the order becomes delivered (its escrow timer starts)."""
    parcel = _locked(parcel)
    user, hub = _destination_worker(actor, parcel)
    _check(parcel, P.DELIVERED, verb=pgettext("a parcel cannot be …", "delivered"))
    now = clock.now()
    parcel.status = P.DELIVERED
    parcel.current_hub = None
    parcel.delivered_at = now
    _save(parcel, "status", "current_hub", "delivered_at")
    order_deliver(actor=user, order=parcel.order)
    city = parcel.ship_to.get("city", "")
    place = ", ".join(p for p in (city, country_name(parcel.destination_country)) if p)
    _event(
        parcel,
        "delivered",
        actor=user,
        who=hub.operator.name,
        hub=hub,
        place=place,
        note=note,
        at=now,
    )
    _audit(user, "delivered", parcel, hub.operator)
    return parcel


@transaction.atomic
def parcel_confirm_receipt(*, actor: Any, parcel: Parcel) -> Parcel:
    """The buyer confirms receipt (the orders service checks that the actor is the buyer)."""
    parcel = _locked(parcel)
    if parcel.status != P.DELIVERED:
        raise InvalidTransition(
            message=_(
                "Parcel %(code)s is %(status)s: receipt can be confirmed once it is delivered."
            )
            % {"code": parcel.code, "status": _status_label(parcel.status)}
        )
    order_complete(actor=actor, order=parcel.order)
    # The public timeline names no person: "the buyer" (the audit keeps who it was).
    _event(
        parcel,
        "confirmed",
        actor=actor,
        who="buyer",
        hub=parcel.destination_hub,
        place=parcel.ship_to.get("city", "") or parcel.destination_hub.place,
    )
    _audit(actor, "confirmed", parcel, parcel.seller)
    return parcel


def _exception_hub(actor: object, parcel: Parcel) -> tuple[User, Hub]:
    hub = parcel.current_hub
    if hub is None:
        hub = parcel.destination_hub if parcel.status == P.OUT_FOR_DELIVERY else parcel.origin_hub
    return _require_hub_worker(actor, hub), hub


def _leave_shipment(parcel: Parcel) -> None:
    if parcel.status == P.CONSOLIDATED:
        parcel.shipment = None
        parcel.status = P.RECEIVED  # where it resumes: at the hub, out of the shipment


def _enter_exception(parcel: Parcel, target: str, reason: str, source: str) -> None:
    _leave_shipment(parcel)
    parcel.status_before_exception = (
        parcel.status_before_exception if parcel.status in EXCEPTIONS else parcel.status
    )
    parcel.status = target
    parcel.exception_reason = reason
    parcel.exception_source = source


def _reason(reason: str, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidRequest(
            "invalid_request", _("Say what happened."), fields={field: "a short description"}
        )
    return text[:2000]


def _hub_exception(
    *, actor: object, parcel: Parcel, reason: str, status: str, verb: str, event: str
) -> Parcel:
    """A hub stops a parcel (damaged, held): the reason recorded, the state to resume kept."""
    text = _reason(reason)
    parcel = _locked(parcel)
    user, hub = _exception_hub(actor, parcel)
    _check(parcel, status, verb=verb)
    _enter_exception(parcel, status, text, "hub")
    _save(
        parcel,
        "status",
        "status_before_exception",
        "exception_reason",
        "exception_source",
        "shipment",
    )
    _event(parcel, event, actor=user, who=hub.operator.name, hub=hub, note=text)
    _audit(user, event, parcel, hub.operator, reason=text)
    return parcel


@transaction.atomic
def parcel_report_damage(*, actor: object, parcel: Parcel, reason: str) -> Parcel:
    return _hub_exception(
        actor=actor,
        parcel=parcel,
        reason=reason,
        status=P.DAMAGED,
        verb=pgettext("a parcel cannot be …", "reported damaged"),
        event="damaged",
    )


@transaction.atomic
def parcel_hold(*, actor: object, parcel: Parcel, reason: str) -> Parcel:
    return _hub_exception(
        actor=actor,
        parcel=parcel,
        reason=reason,
        status=P.HELD,
        verb=pgettext("a parcel cannot be …", "held"),
        event="held",
    )


def _resume(parcel: Parcel) -> None:
    parcel.status = parcel.status_before_exception or P.RECEIVED
    parcel.status_before_exception = ""
    parcel.exception_reason = ""
    parcel.exception_source = ""


@transaction.atomic
def parcel_resume(*, actor: object, parcel: Parcel, note: str = "") -> Parcel:
    """A damaged parcel repacked, or a hub's hold lifted: it goes on from where it stopped.
    A customs hold is lifted only by the customs release."""
    parcel = _locked(parcel)
    user, hub = _exception_hub(actor, parcel)
    if parcel.status not in EXCEPTIONS:
        raise InvalidTransition(
            message=_("Parcel %(code)s is %(status)s: there is nothing to resume.")
            % {"code": parcel.code, "status": _status_label(parcel.status)}
        )
    if parcel.exception_source.startswith(EXCEPTION_SOURCE_CUSTOMS):
        raise Conflict(
            "customs_hold",
            _("Customs holds parcel %(code)s: only its release lifts the hold.")
            % {"code": parcel.code},
        )
    _resume(parcel)
    _save(parcel, "status", "status_before_exception", "exception_reason", "exception_source")
    _event(parcel, "resumed", actor=user, who=hub.operator.name, hub=hub, note=note)
    _audit(user, "resumed", parcel, hub.operator)
    return parcel


def _order_returned(parcel: Parcel, *, actor: User | None, note: str) -> None:
    """The order follows its parcel back to the seller (if the order is still on its way)."""
    order = parcel.order
    if order.status in {Order.Status.PACKED, Order.Status.HANDED_TO_HUB, Order.Status.SHIPPED}:
        order_return_to_seller(actor=actor, order=order, note=note)


def _return(parcel: Parcel, reason: str, source: str) -> None:
    _leave_shipment(parcel)
    parcel.status = P.RETURNED
    parcel.status_before_exception = ""
    parcel.exception_reason = reason
    parcel.exception_source = source
    parcel.current_hub = None


@transaction.atomic
def parcel_return(*, actor: object, parcel: Parcel, reason: str) -> Parcel:
    """Return to sender (refused at delivery, undeliverable, damaged beyond use)."""
    text = _reason(reason)
    parcel = _locked(parcel)
    user, hub = _exception_hub(actor, parcel)
    _check(parcel, P.RETURNED, verb=pgettext("a parcel cannot be …", "returned to sender"))
    _return(parcel, text, "hub")
    _save(
        parcel,
        "status",
        "status_before_exception",
        "exception_reason",
        "exception_source",
        "shipment",
        "current_hub",
    )
    _order_returned(parcel, actor=user, note=text)
    _event(parcel, "returned", actor=user, who=hub.operator.name, hub=hub, note=text)
    _audit(user, "returned", parcel, hub.operator, reason=text)
    return parcel


# Customs keeps the clearance in step ---------------------------------------------------------

HOLDABLE = {
    "export": frozenset({P.HANDED_OVER, P.RECEIVED, P.CONSOLIDATED}),
    "import": frozenset({P.ARRIVED, P.OUT_FOR_DELIVERY}),
}


@transaction.atomic
def parcel_clearance_set(
    *,
    parcel: Parcel,
    kind: str,
    state: str,
    actor: object,
    authority: str,
    note: str = "",
) -> Parcel:
    """Record where the parcel's export or import declaration stands (customs calls this
    after checking the officer's right). A hold stops the parcel where customs has it, a
    release lets it move on, a rejection returns it to the seller with the reason."""
    if kind not in HOLDABLE or state not in Clearance.values or not state:
        raise InvalidRequest(
            "invalid_request",
            _("Unknown clearance %(kind)s/%(state)s.") % {"kind": kind, "state": state},
        )
    parcel = _locked(parcel)
    field = f"{kind}_clearance"
    setattr(parcel, field, state)
    fields = [field]
    place_hub = parcel.origin_hub if kind == "export" else parcel.destination_hub
    source = f"{EXCEPTION_SOURCE_CUSTOMS}:{kind}"
    if state == Clearance.HELD and parcel.status in HOLDABLE[kind]:
        _enter_exception(parcel, P.HELD, note or "customs hold", source)
        fields += [
            "status",
            "status_before_exception",
            "exception_reason",
            "exception_source",
            "shipment",
        ]
    elif (
        state == Clearance.RELEASED
        and parcel.status == P.HELD
        and parcel.exception_source == source
    ):
        _resume(parcel)
        fields += ["status", "status_before_exception", "exception_reason", "exception_source"]
    elif state == Clearance.REJECTED and parcel.status not in TERMINAL:
        _return(parcel, note or "rejected by customs", source)
        _order_returned(parcel, actor=None, note=f"{authority}: {note or 'rejected by customs'}")
        fields += [
            "status",
            "status_before_exception",
            "exception_reason",
            "exception_source",
            "shipment",
            "current_hub",
        ]
    _save(parcel, *fields)
    _event(parcel, f"customs_{state}", actor=actor, who=authority, hub=place_hub, note=note)
    audit_record(
        actor=actor,
        action=f"logistics.parcel.clearance_{state}",
        target=parcel,
        organisation_ref=str(parcel.seller.public_id),
        data={"code": parcel.code, "kind": kind, "state": state, "status": parcel.status},
    )
    return parcel
