"""Logistics' shared write pieces: the transitions' table, the actor checks, tracking events, audit, measures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.accounts.selectors import require_role, role_in
from ewtp.core import clock
from ewtp.core.countries import country_name
from ewtp.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from ewtp.core.locks import lock_rows
from ewtp.core.services import audit_record
from ewtp.logistics import rating
from ewtp.logistics.models import Hub, Parcel, Shipment, TrackingEvent
from ewtp.orders.models import Order

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
