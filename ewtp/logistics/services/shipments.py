"""Shipments: consolidation on a lane under an air waybill, adding and removing parcels, dispatch and arrival."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from ewtp.accounts.models import User
from ewtp.core import clock
from ewtp.core.errors import Conflict, InvalidRequest
from ewtp.core.locks import lock_rows
from ewtp.core.services import audit_record
from ewtp.logistics.codes import CodeInvalid, awb_normalise
from ewtp.logistics.models import Clearance, Hub, Lane, Parcel, Shipment
from ewtp.logistics.services.common import (
    InvalidTransition,
    P,
    _audit,
    _check,
    _event,
    _locked,
    _require_hub_worker,
    _save,
)
from ewtp.logistics.services.parcels import _scanned
from ewtp.orders.services import transitions as order_services


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
        order_services.order_ship(actor=user, order=parcel.order, note=f"AWB {shipment.awb}")
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
