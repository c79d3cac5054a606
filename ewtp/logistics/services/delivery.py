"""The last mile: out for delivery, delivered, the buyer's confirmation of receipt."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ewtp.accounts.models import User
from ewtp.core import clock
from ewtp.core.countries import country_name
from ewtp.core.errors import Conflict
from ewtp.logistics.models import Clearance, Hub, Parcel
from ewtp.logistics.services.common import (
    InvalidTransition,
    P,
    _audit,
    _check,
    _event,
    _locked,
    _require_hub_worker,
    _save,
    _status_label,
)
from ewtp.orders.services import transitions as order_services


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
        order_services.order_ship(actor=user, order=parcel.order, note="local delivery")
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
    order_services.order_deliver(actor=user, order=parcel.order)
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
    order_services.order_complete(actor=actor, order=parcel.order)
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
