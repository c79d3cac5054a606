"""Exceptions: damage, hold, resume, return to the seller."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ewtp.accounts.models import User
from ewtp.core.errors import Conflict, InvalidRequest
from ewtp.logistics.models import Hub, Parcel
from ewtp.logistics.services.common import (
    EXCEPTION_SOURCE_CUSTOMS,
    EXCEPTIONS,
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
from ewtp.orders.models import Order
from ewtp.orders.services import transitions as order_services


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
        order_services.order_return_to_seller(actor=actor, order=order, note=note)


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
