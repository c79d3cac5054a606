"""A parcel's first steps: the seller creates, updates and hands it over; the hub receives it."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ewtp.core import clock
from ewtp.core.errors import Conflict, InvalidRequest, NotFound
from ewtp.core.locks import lock_rows
from ewtp.logistics.codes import CodeInvalid, parcel_code_new, parcel_code_normalise
from ewtp.logistics.models import Hub, Lane, Parcel
from ewtp.logistics.selectors import hub_for_country
from ewtp.logistics.services.common import (
    InvalidTransition,
    P,
    _audit,
    _check,
    _contents,
    _event,
    _locked,
    _require_hub_worker,
    _require_seller_worker,
    _save,
    _seller_place,
    _status_label,
    measures_clean,
)
from ewtp.orders.models import Order
from ewtp.orders.services import transitions as order_services

# Seller steps --------------------------------------------------------------------------------


def _check_packable(order: Order) -> None:
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


def _route_for(order: Order) -> tuple[Hub, Hub]:
    """The order's origin and destination hubs, with a lane (or local delivery) between them."""
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
    return origin, destination


def _save_with_new_code(parcel: Parcel, origin: Hub) -> None:
    for _attempt in range(5):
        parcel.code = parcel_code_new(origin.code)
        try:
            with transaction.atomic():
                parcel.save()
            return
        except IntegrityError:
            if Parcel.objects.filter(order=parcel.order).exists():
                raise Conflict("parcel_exists", _("This order is packed already.")) from None
            continue  # a code collision (one in a trillion): draw another
    raise Conflict("busy", _("Could not draw a free parcel code; try again."))


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
    _check_packable(order)
    origin, destination = _route_for(order)
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
    _save_with_new_code(parcel, origin)
    if order.status == Order.Status.PAID:
        order_services.order_accept(actor=user, order=order)
    order_services.order_pack(actor=user, order=order)
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
    order_services.order_hand_to_hub(actor=user, order=parcel.order)
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
    if parcel.status == P.RECEIVED and parcel.current_hub_id == hub.pk:
        # Still the API's invalid_transition; "reason" tells a repeated scan apart.
        raise InvalidTransition(
            message=_("Parcel %(code)s was received here already: no need to scan it again.")
            % {"code": parcel.code},
            extra={"status": parcel.status, "reason": "already_received"},
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
