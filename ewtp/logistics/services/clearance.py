"""Customs keeps a parcel's clearance in step."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from ewtp.core.errors import InvalidRequest
from ewtp.core.services import audit_record
from ewtp.logistics.models import Clearance, Parcel
from ewtp.logistics.services.common import (
    EXCEPTION_SOURCE_CUSTOMS,
    TERMINAL,
    P,
    _event,
    _locked,
    _save,
)
from ewtp.logistics.services.exceptions import _enter_exception, _order_returned, _resume, _return

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
