"""API of tourism: experiences, availability, bookings (guests welcome), vouchers, check-ins.

Mounted at /api/v1/tourism. The paths and shapes of experiences, availability and booking
creation are fixed by contracts/interfaces.md.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import translation
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from ewtp.accounts.auth import BearerOrSession, api_user
from ewtp.core.errors import DomainError
from ewtp.core.http import absolute_links
from ewtp.core.money import Money
from ewtp.core.pagination import paginate
from ewtp.core.services import (
    idempotency_key_of,
    idempotent_answer_keep,
    idempotent_call,
    request_fingerprint,
)
from ewtp.tourism import booking_reads, selectors
from ewtp.tourism.models import Booking, Experience
from ewtp.tourism.services import access, changes, holds
from ewtp.tourism.services.gate import checkin_record, voucher_token

router = Router(tags=["tourism"])


class ErrorOut(Schema):
    model_config = ConfigDict(extra="allow")
    code: str
    message: str
    fields: dict[str, str] | None = None


class MoneyOut(Schema):
    amount: str
    currency: str


class ExperienceOut(Schema):
    slug: str
    title: str
    operator: str
    park: str
    default_capacity: int
    capacity_unit: str
    minimum_age: int
    currency: str
    url: str


class ExperiencePageOut(Schema):
    items: list[ExperienceOut]
    page: int
    pages: int
    total: int


class PriceOut(Schema):
    category: str
    price: MoneyOut


class DayOut(Schema):
    date: date
    capacity: int
    remaining: int
    prices: list[PriceOut]


class VisitorIn(Schema):
    category: str = Field(max_length=40)
    full_name: str = Field(max_length=200)
    nationality: str = Field(max_length=2)
    birth_date: date
    document_number: str = Field(max_length=60)


class BookingIn(Schema):
    date: date
    email: str = Field(max_length=254)
    visitors: list[VisitorIn] = Field(max_length=50)
    whole_group: bool = False


class PaymentOut(Schema):
    model_config = ConfigDict(extra="allow")
    id: str
    provider: str
    status: str
    amount: MoneyOut
    approve_url: str | None


class BookingHeldOut(Schema):
    model_config = ConfigDict(extra="allow")
    id: str
    status: str
    expires_at: str
    payment: PaymentOut | None


class DateIn(Schema):
    date: date


class CheckInIn(Schema):
    token: str = Field(max_length=4000)


def _language() -> str:
    return translation.get_language() or "en"


def _experience_out(experience: Experience) -> dict[str, Any]:
    language = _language()
    return {
        "slug": experience.slug,
        "title": experience.text("title", language),
        "operator": experience.operator.name,
        "park": experience.park.name,
        "default_capacity": experience.default_capacity,
        "capacity_unit": experience.capacity_unit,
        "minimum_age": experience.minimum_age,
        "currency": experience.currency,
        "url": reverse("tourism:experience", args=[experience.slug]),
    }


def booking_out(booking: Booking, payment: Any = None) -> dict[str, Any]:
    """A booking as the API shows it to its guest and its operator."""
    language = _language()
    refund_rate, refund = changes.cancellation_refund(booking)
    return {
        "id": str(booking.public_id),
        "code": booking.code,
        "status": booking.status,
        "experience": booking.experience.slug,
        "title": booking.experience.text("title", language),
        "date": booking.visit_on.isoformat(),
        "email": booking.email,
        "places": booking.places,
        "whole_group": booking.is_whole_group,
        "visitors": [
            {
                "category": visitor.category,
                "full_name": visitor.full_name,
                "nationality": visitor.nationality,
                "birth_date": visitor.birth_date.isoformat(),
                "price": Money.from_minor(visitor.price_minor, booking.currency).as_dict(),
            }
            for visitor in booking.visitors.all()
        ],
        "subtotal": booking.subtotal.as_dict(),
        "discount": booking.discount.as_dict(),
        "amount": booking.amount.as_dict(),
        "refunded": booking.refunded.as_dict(),
        "expires_at": booking.expires_at.isoformat() if booking.status == "held" else None,
        "cancellation_refund": (
            {"rate": str(refund_rate), "amount": refund.as_dict()}
            if booking.status == Booking.Status.CONFIRMED
            else None
        ),
        "payment": payment.as_dict() if payment is not None else None,
        "booking_url": access.booking_url(booking),
    }


@router.get("/experiences", response=ExperiencePageOut, summary="Experiences on sale")
def experience_list(request: HttpRequest, page: int = 1) -> dict[str, Any]:
    listed = paginate(selectors.experience_list(), page, past_end="empty")
    body = listed.as_dict()
    body["items"] = [_experience_out(experience) for experience in listed.items]
    return body


@router.get("/experiences/{slug}", response={200: ExperienceOut, 404: ErrorOut})
def experience_get(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _experience_out(selectors.experience_get(slug))


@router.get(
    "/experiences/{slug}/availability",
    response={200: list[DayOut], 404: ErrorOut, 422: ErrorOut},
    summary="Capacity, places left and prices per date (at most 92 days)",
)
def experience_availability(
    request: HttpRequest,
    slug: str,
    date_from: str = Query("", alias="from"),  # type: ignore[type-arg]
    date_to: str = Query("", alias="to"),  # type: ignore[type-arg]
) -> list[dict[str, Any]]:
    start, end = selectors.parse_range(date_from, date_to)
    experience = selectors.experience_get(slug)
    prices = [
        {"category": tier.code, "price": tier.price.as_dict()} for tier in experience.tiers.all()
    ]
    return [
        {
            "date": day.on,
            "capacity": day.capacity,
            "remaining": 0 if day.is_past else day.remaining,
            "prices": prices,
        }
        for day in selectors.availability(experience, start, end)
    ]


@functools.lru_cache(maxsize=32)
def _refusals(language: str) -> tuple[DomainError, DomainError]:
    """The two refusals a read may keep (sold out, with any ``remaining``; closed), made once
    per process and language: they are not raised, only kept."""
    return holds.sold_out_refusal(0), holds.date_closed_refusal()


def _refused_early(
    slug: str, payload: BookingIn, *, scope: str, key: str, fingerprint: str
) -> Experience | None:
    """One query reads the experience with the day: a full or closed day is refused here (the
    refusal raised), before any rule is checked or price worked out, and kept as the key's
    first answer (on PostgreSQL by the same statement, else by one INSERT), so that a replay
    returns it as the contract says. Otherwise the experience read (None: not found)."""
    visitors = len(payload.visitors)
    sold_out, closed = _refusals(_language())
    found = booking_reads.experience_for_booking_with_day(
        slug,
        payload.date,
        scope=scope,
        key=key,
        keep=booking_reads.RefusalToKeep(
            fingerprint=fingerprint,
            visitors=visitors,
            is_whole_group=payload.whole_group,
            sold_out=sold_out,
            closed=closed,
        ),
    )
    if isinstance(found, booking_reads.KeptRefusal):  # the statement kept it already
        raise (
            holds.date_closed_refusal() if found.closed else holds.sold_out_refusal(found.remaining)
        )
    if found is None or found.key_used:  # type: ignore[attr-defined]
        return found
    refusal = holds.booking_refusal_early(
        found, payload.date, visitors=visitors, is_whole_group=payload.whole_group
    )
    if refusal is None:
        return found
    idempotent_answer_keep(scope=scope, key=key, fingerprint=fingerprint, error=refusal)
    raise refusal


@router.post(
    "/experiences/{slug}/bookings",
    response={201: BookingHeldOut, 409: ErrorOut, 422: ErrorOut},
    summary="Hold places and open the payment (send an Idempotency-Key)",
    description="409 `sold_out` with `remaining` when the visitors do not fit; 422 when a rule "
    "is broken (`under_minimum_age`, `unknown_category`, `date_in_past`, `date_closed`, "
    "`too_many_visitors`, ...). The hold lasts EWTP_TOURISM_HOLD_MINUTES (20) minutes.",
)
def booking_create(request: HttpRequest, slug: str, payload: BookingIn) -> JsonResponse:
    key = idempotency_key_of(request)
    scope = f"tourism.booking:{slug}"
    fingerprint = request_fingerprint(payload.model_dump(mode="json"))
    found = None
    if key and len(key) <= 200:
        found = _refused_early(slug, payload, scope=scope, key=key, fingerprint=fingerprint)
    actor = api_user(request)

    def call() -> tuple[int, dict[str, Any]]:
        experience = (
            booking_reads.experience_tiers_load(found)
            if found is not None
            else selectors.experience_for_booking(slug)
        )
        booking = holds.booking_hold(
            experience=experience,
            visit_on=payload.date,
            email=payload.email,
            visitors=[
                holds.VisitorIn(
                    category=visitor.category,
                    full_name=visitor.full_name,
                    nationality=visitor.nationality,
                    birth_date=visitor.birth_date,
                    document_number=visitor.document_number,
                )
                for visitor in payload.visitors
            ],
            is_whole_group=payload.whole_group,
            actor=actor,
            language=_language(),
        )
        payment = getattr(booking, "_payment", None)
        return 201, {
            "id": str(booking.public_id),
            "status": booking.status,
            "expires_at": booking.expires_at.isoformat(),
            "payment": payment.as_dict() if payment is not None else None,
            "amount": booking.amount.as_dict(),
            "discount": booking.discount.as_dict(),
            "booking_url": access.booking_url(booking),
        }

    status, answer = idempotent_call(scope=scope, key=key, fingerprint=fingerprint, call=call)
    return JsonResponse(absolute_links(request, answer), status=status)


@router.get("/bookings/{booking_id}", response={200: dict, 404: ErrorOut})
def booking_get(request: HttpRequest, booking_id: str, token: str = "") -> dict[str, Any]:
    """A booking, for its guest (`token` from the booking link) or its operator."""
    booking = selectors.booking_get_for(api_user(request), booking_id, token)
    return absolute_links(request, booking_out(booking))  # type: ignore[no-any-return]


@router.post(
    "/bookings/{booking_id}/cancel",
    response={200: dict, 404: ErrorOut, 409: ErrorOut},
    summary="Cancel: a hold frees its places; a paid booking is refunded per the policy",
)
def booking_cancel(request: HttpRequest, booking_id: str, token: str = "") -> JsonResponse:
    actor = api_user(request)

    def call() -> tuple[int, dict[str, Any]]:
        booking = selectors.booking_get_for(actor, booking_id, token)
        return 200, booking_out(changes.booking_cancel(booking=booking, actor=actor))

    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        status, answer = call()
    else:
        status, answer = idempotent_call(
            scope=f"tourism.cancel:{booking_id}", key=key, fingerprint="", call=call
        )
    return JsonResponse(absolute_links(request, answer), status=status)


@router.post(
    "/bookings/{booking_id}/date",
    response={200: dict, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Move a booking to another date, per the operator's policy",
)
def booking_change_date(
    request: HttpRequest, booking_id: str, payload: DateIn, token: str = ""
) -> dict[str, Any]:
    actor = api_user(request)
    booking = selectors.booking_get_for(actor, booking_id, token)
    return absolute_links(  # type: ignore[no-any-return]
        request,
        booking_out(
            changes.booking_change_date(booking=booking, visit_on=payload.date, actor=actor)
        ),
    )


@router.get(
    "/bookings/{booking_id}/voucher",
    response={200: dict, 404: ErrorOut, 409: ErrorOut},
    summary="The signed voucher token (verify it with /.well-known/ewtp-keys.json)",
)
def booking_voucher(request: HttpRequest, booking_id: str, token: str = "") -> dict[str, Any]:
    booking = selectors.booking_get_for(api_user(request), booking_id, token)
    voucher = voucher_token(booking)
    return {
        "token": voucher,
        "keys": "/.well-known/ewtp-keys.json",
        "pdf": reverse("tourism:voucher_pdf", args=[booking.public_id])
        + f"?t={access.booking_access_token(booking)}",
    }


@router.post(
    "/checkins",
    auth=BearerOrSession(),
    response={201: dict, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Check a voucher in at the gate (operator staff); a second scan is refused",
    description="409 `already_checked_in` (with `checked_in_at`) for a voucher used before; "
    "422 `voucher_forged`, `wrong_date` or `voucher_superseded`; 409 `voucher_cancelled`.",
)
def checkin_create(request: HttpRequest, payload: CheckInIn) -> JsonResponse:
    result = checkin_record(token=payload.token, actor=api_user(request))
    booking = result.booking
    language = _language()
    return JsonResponse(
        {
            "status": "checked_in",
            "checked_in_at": result.check_in.checked_in_at.isoformat(),
            "booking": {
                "id": str(booking.public_id),
                "code": booking.code,
                "experience": booking.experience.slug,
                "date": booking.visit_on.isoformat(),
                "visitor_count": booking.visitor_count,
            },
            "visitors": [
                {
                    "full_name": visitor.full_name,
                    "category": visitor.category,
                    "nationality": visitor.nationality,
                    "document_number": visitor.document_number,
                    "proof_document": visitor.tier.proof_in(language),
                }
                for visitor in booking.visitors.select_related("tier")
            ],
        },
        status=201,
    )
