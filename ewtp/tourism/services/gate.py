"""Vouchers and the gate: the voucher token and the check-in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ewtp.accounts.selectors import require_role
from ewtp.core import clock, signing
from ewtp.core.errors import Conflict, DomainError, NotFound
from ewtp.core.services import audit_record
from ewtp.tourism import vouchers
from ewtp.tourism.models import (
    Booking,
    CheckIn,
)
from ewtp.tourism.services.common import GATE_ROLES, AlreadyCheckedIn, local_today

# Vouchers and the gate -----------------------------------------------------------------------


def voucher_token(booking: Booking) -> str:
    """The signed voucher of a confirmed booking (a new one when its date changes)."""
    if booking.status != Booking.Status.CONFIRMED:
        raise Conflict("not_confirmed", _("A voucher is issued once the booking is paid."))
    return vouchers.token_issue(
        vouchers.VoucherPayload(
            booking=str(booking.public_id),
            experience=booking.experience.slug,
            visit_on=booking.visit_on,
            visitors=booking.visitor_count,
            names=[visitor.full_name for visitor in booking.visitors.all()],
            kid=signing.key_id(),
        )
    )


@dataclass(frozen=True)
class CheckInResult:
    booking: Booking
    check_in: CheckIn


def _refused(code: str, message: str, status: int = 422, **extra: Any) -> DomainError:
    return DomainError(code, message, http_status=status, extra=extra)


def checkin_record(*, token: str, actor: Any) -> CheckInResult:
    """Let a voucher through the gate once; refuse it when forged, used, cancelled or
    for another date (in the experience's zone)."""
    try:
        payload = vouchers.token_verify(token)
    except vouchers.VoucherInvalid:
        raise _refused("voucher_forged", _("This voucher is not genuine.")) from None
    booking = (
        Booking.objects.select_related("experience__operator", "experience__park")
        .filter(public_id=payload.booking)
        .first()
    )
    if booking is None:
        raise _refused("voucher_forged", _("This voucher is not genuine."))
    try:
        require_role(actor, booking.experience.operator, GATE_ROLES)
    except NotFound:
        raise NotFound("not_found", _("This voucher is for another operator's gate.")) from None
    existing = CheckIn.objects.filter(booking=booking).first()
    if existing is not None:
        raise _already(booking, existing)
    if booking.status != Booking.Status.CONFIRMED:
        if booking.status == Booking.Status.CANCELLED:
            raise _refused("voucher_cancelled", _("This booking was cancelled."), 409)
        raise _refused("voucher_not_confirmed", _("This booking is not paid."), 409)
    if payload.visit_on != booking.visit_on:
        raise _refused(
            "voucher_superseded",
            _("The date of this booking was changed; ask for the new voucher."),
        )
    today = local_today(booking.experience)
    if payload.visit_on != today:
        raise _refused(
            "wrong_date",
            _("This voucher is for %(date)s; today is %(today)s at the park.")
            % {"date": payload.visit_on.isoformat(), "today": today.isoformat()},
            voucher_date=payload.visit_on.isoformat(),
        )
    try:
        with transaction.atomic():
            # Under the booking's lock, so that a cancellation cannot slip in between.
            status = (
                Booking.objects.select_for_update(of=("self",))
                .values_list("status", flat=True)
                .get(pk=booking.pk)
            )
            if status != Booking.Status.CONFIRMED:
                raise _refused("voucher_cancelled", _("This booking was cancelled."), 409)
            check_in = CheckIn.objects.create(
                booking=booking,
                checked_in_at=clock.now(),
                checked_in_by=actor if getattr(actor, "is_authenticated", False) else None,
                voucher_kid=payload.kid[:32],
            )
            audit_record(
                actor=actor,
                action="tourism.booking.checked_in",
                target=booking,
                organisation_ref=str(booking.experience.operator.public_id),
            )
    except IntegrityError:  # a twin scan at the same moment won
        raise _already(booking, CheckIn.objects.get(booking=booking)) from None
    return CheckInResult(booking=booking, check_in=check_in)


def _already(booking: Booking, check_in: CheckIn) -> AlreadyCheckedIn:
    local = check_in.checked_in_at.astimezone(booking.experience.zone)
    return AlreadyCheckedIn(
        "already_checked_in",
        _("Already checked in at %(time)s.") % {"time": local.strftime("%H:%M")},
        extra={
            "checked_in_at": check_in.checked_in_at.isoformat(),
            "booking": str(booking.public_id),
        },
    )
