"""Pages of tourism: experiences with their calendar, the booking form, the guest's booking
page and voucher, the operator's dashboard and the gate's check-in page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ewtp.core import clock, signing
from ewtp.core.errors import DomainError, NotFound, PermissionDenied
from ewtp.core.money import Money
from ewtp.core.pdf import pdf_from_template
from ewtp.core.services import idempotent_call, request_fingerprint
from ewtp.core.translations import TranslationsForm, translations_initial
from ewtp.tourism import selectors, vouchers
from ewtp.tourism.models import Booking, CheckIn, Experience
from ewtp.tourism.services import access, capacity, changes, common, holds
from ewtp.tourism.services.gate import checkin_record, voucher_token
from ewtp.tourism.services.translations import EXPERIENCE_TEXTS, experience_translations_set

MAX_ROWS = 20


def _language() -> str:
    return translation.get_language() or "en"


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "web/error.html", {"status": 404}, status=404)


# Experiences ---------------------------------------------------------------------------------


def experience_list(request: HttpRequest) -> HttpResponse:
    language = _language()
    experiences = list(selectors.experience_list().prefetch_related("tiers"))
    cards = []
    for experience in experiences:
        prices = [tier.price for tier in experience.tiers.all()]
        cards.append(
            {
                "experience": experience,
                "title": experience.text("title", language),
                "description": experience.text("description", language),
                "from_price": min(prices) if prices else None,
            }
        )
    return render(request, "tourism/experience_list.html", {"cards": cards})


def _experience_context(experience: Experience, month: str | None) -> dict[str, Any]:
    language = _language()
    year, number = selectors.month_of(month, experience)
    return {
        "experience": experience,
        "title": experience.text("title", language),
        "description": experience.text("description", language),
        "meeting_point": experience.text("meeting_point", language),
        "rules": experience.text("rules", language),
        "tiers": list(experience.tiers.all()),
        "cancellation_rules": list(experience.cancellation_rules.all()),
        "calendar": selectors.calendar_month(experience, year, number),
        "today": common.local_today(experience),
        "duration_hours": f"{experience.duration_minutes / 60:.1f}".removesuffix(".0"),
        "weekdays": [_("Mo"), _("Tu"), _("We"), _("Th"), _("Fr"), _("Sa"), _("Su")],
    }


def experience_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        experience = selectors.experience_get(slug)
    except NotFound:
        return _not_found(request)
    context = _experience_context(experience, request.GET.get("month"))
    return render(request, "tourism/experience.html", context)


def experience_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    """The month grid; htmx swaps it in place, a plain request gets the whole page."""
    try:
        experience = selectors.experience_get(slug)
    except NotFound:
        return _not_found(request)
    context = _experience_context(experience, request.GET.get("month"))
    if getattr(request, "htmx", False):
        return render(request, "tourism/experience.html#calendar", context)
    return render(request, "tourism/experience.html", context)


# The booking form ----------------------------------------------------------------------------


@dataclass
class VisitorRow:
    category: str = ""
    full_name: str = ""
    nationality: str = ""
    birth_date: str = ""
    document_number: str = ""
    errors: dict[str, str] = field(default_factory=dict)


ROW_FIELDS = ("category", "full_name", "nationality", "birth_date", "document_number")


def _rows_from(data: Any) -> list[VisitorRow]:
    try:
        count = min(max(int(data.get("rows", "1")), 0), MAX_ROWS)
    except ValueError:
        count = 1
    rows = []
    for index in range(count):
        value = {name: str(data.get(f"v{index}-{name}", "")).strip() for name in ROW_FIELDS}
        rows.append(
            VisitorRow(
                category=value["category"],
                full_name=value["full_name"],
                nationality=value["nationality"],
                birth_date=value["birth_date"],
                document_number=value["document_number"],
            )
        )
    return rows


def _visitors_from(rows: list[VisitorRow]) -> list[holds.VisitorIn]:
    """The rows as service input; an unreadable date of birth goes in as not given, so that
    the service reports it with every other problem of the form."""
    visitors = []
    for row in rows:
        try:
            birth_date: date | None = date.fromisoformat(row.birth_date)
        except ValueError:
            birth_date = None
        visitors.append(
            holds.VisitorIn(
                category=row.category,
                full_name=row.full_name,
                nationality=row.nationality.upper(),
                birth_date=birth_date,
                document_number=row.document_number,
            )
        )
    return visitors


def _apply_errors(error: DomainError, rows: list[VisitorRow], errors: dict[str, str]) -> None:
    for key, message in error.fields.items():
        parts = key.split(".")
        if parts[0] == "visitors" and len(parts) == 3 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(rows):
                rows[index].errors[parts[2]] = message
                continue
        errors[parts[0]] = message
    errors.setdefault("form", error.message)


@dataclass
class BookingFormState:
    """What the booking form holds between two requests, and the errors found in it."""

    raw_date: str
    visit_on: date | None
    rows: list[VisitorRow]
    email: str
    whole_group: bool
    form_key: str
    action: str
    errors: dict[str, str] = field(default_factory=dict)


def _form_state(request: HttpRequest) -> BookingFormState:
    posted = request.method == "POST"
    data = request.POST if posted else request.GET
    raw_date = str(data.get("date", ""))
    errors: dict[str, str] = {}
    try:
        visit_on: date | None = date.fromisoformat(raw_date)
    except ValueError:
        visit_on = None
        errors["date"] = _("Pick a date on the calendar.")
    return BookingFormState(
        raw_date=raw_date,
        visit_on=visit_on,
        rows=_rows_from(data) if posted else [VisitorRow()],
        email=str(data.get("email", "")).strip(),
        whole_group=data.get("whole_group") == "on",
        form_key=str(data.get("form_key", "")) or str(uuid.uuid4()),
        action=str(request.POST.get("action", "")) if posted else "",
        errors=errors,
    )


def _change_rows(state: BookingFormState) -> None:
    """The add-a-visitor and remove-a-visitor buttons."""
    rows = state.rows
    if state.action == "add" and len(rows) < MAX_ROWS:
        rows.append(VisitorRow())
    elif state.action.startswith("remove-") and len(rows) > 1:
        suffix = state.action.removeprefix("remove-")
        if suffix.isdigit() and int(suffix) < len(rows):
            rows.pop(int(suffix))


def _to_booking(request: HttpRequest, booking: Booking) -> HttpResponse:
    if getattr(request, "htmx", False):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = access.booking_url(booking)
        return response
    return HttpResponseRedirect(access.booking_url(booking))


def _form_problems(
    experience: Experience, state: BookingFormState, visitors: list[holds.VisitorIn]
) -> None:
    """Without a readable date nothing can be held, but the rest of the form is still checked
    (against today at the park), so that every problem shows at once."""
    try:
        holds.booking_request_check(
            experience=experience,
            visit_on=common.local_today(experience) + timedelta(days=1),
            email=state.email,
            visitors=visitors,
            is_whole_group=state.whole_group,
        )
    except DomainError as problem:
        fields = {key: message for key, message in problem.fields.items() if key != "date"}
        _apply_errors(DomainError(problem.code, "", fields=fields), state.rows, state.errors)
    state.errors["form"] = _("Please correct the problems marked below.")


def _book(
    request: HttpRequest, experience: Experience, state: BookingFormState
) -> HttpResponse | None:
    """Hold the places once per attempt; the redirect to the booking, or None with every
    error set on the form.

    The idempotency key is the form's key together with the fingerprint of what was
    submitted: a double click sends the same state twice and gets the first answer, while a
    corrected form is another attempt. A form shown again after an attempt gets a new key.
    """
    visitors = _visitors_from(state.rows)
    if state.visit_on is None:
        _form_problems(experience, state, visitors)
        return None
    visit_on = state.visit_on
    fingerprint = request_fingerprint(
        {
            "date": state.raw_date,
            "email": state.email,
            "whole_group": state.whole_group,
            "visitors": [row.__dict__ | {"errors": None} for row in state.rows],
        }
    )

    def call() -> tuple[int, dict[str, Any]]:
        booking = holds.booking_hold(
            experience=experience,
            visit_on=visit_on,
            email=state.email,
            visitors=visitors,
            is_whole_group=state.whole_group,
            actor=request.user,
            language=_language(),
        )
        return 201, {"id": str(booking.public_id)}

    try:
        status, answer = idempotent_call(
            scope=f"tourism.booking.form:{experience.slug}",
            key=f"{state.form_key[:64]}:{fingerprint}",
            fingerprint=fingerprint,
            call=call,
        )
    except DomainError as raised:
        status, answer = raised.http_status, raised.as_dict()
    if status == 201:
        return _to_booking(request, Booking.objects.get(public_id=answer["id"]))
    problem = DomainError(
        str(answer.get("code")), str(answer.get("message", "")), fields=answer.get("fields") or {}
    )
    state.form_key = str(uuid.uuid4())  # the form shown again is a new attempt
    _apply_errors(problem, state.rows, state.errors)
    if answer.get("code") in {"sold_out", "date_closed"}:
        state.errors["date"] = problem.message
    return None


def _booking_form_page(
    request: HttpRequest, experience: Experience, state: BookingFormState
) -> HttpResponse:
    day = None
    if state.visit_on is not None:
        found = selectors.availability(experience, state.visit_on, state.visit_on)
        day = found[0] if found else None
    context = {
        "experience": experience,
        "title": experience.text("title", _language()),
        "tiers": list(experience.tiers.all()),
        "rows": state.rows,
        "email": state.email,
        "raw_date": state.raw_date,
        "visit_on": state.visit_on,
        "day": day,
        "whole_group": state.whole_group,
        "form_key": state.form_key,
        "errors": state.errors,
        "max_rows": MAX_ROWS,
        "hold_minutes": common.hold_minutes(),
    }
    if getattr(request, "htmx", False) and request.method == "POST":
        return render(request, "tourism/booking_form.html#form", context)
    status = 422 if state.errors else 200
    return render(request, "tourism/booking_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def booking_form(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        experience = selectors.experience_get(slug)
    except NotFound:
        return _not_found(request)
    state = _form_state(request)
    if state.action == "book":
        booked = _book(request, experience, state)
        if booked is not None:
            return booked
    else:
        _change_rows(state)
    return _booking_form_page(request, experience, state)


# The guest's booking page, the voucher ---------------------------------------------------------


def _booking_for(request: HttpRequest, booking_id: UUID) -> Booking:
    # ``t`` in the booking links; ``token`` as the API names it.
    token = str(
        request.GET.get("t", "")
        or request.POST.get("t", "")
        or request.GET.get("token", "")
        or request.POST.get("token", "")
    )
    return selectors.booking_get_for(request.user, booking_id, token)


def _payment_of(booking: Booking) -> Any:
    if not booking.payment_ref:
        return None
    from ewtp.payments.models import Payment

    return Payment.objects.filter(public_id=booking.payment_ref).first()


@require_http_methods(["GET", "POST"])
def booking_page(request: HttpRequest, booking_id: UUID) -> HttpResponse:
    try:
        booking = _booking_for(request, booking_id)
    except NotFound:
        return _not_found(request)
    if booking.status == Booking.Status.HELD and booking.expires_at <= clock.now():
        # Overdue: give the places back now rather than wait for the worker.
        holds.holds_expire(experience=booking.experience, visit_on=booking.visit_on)
        booking.refresh_from_db()
    if request.headers.get("X-Status-Check"):
        # The held page polls: reload it once the payment has been settled.
        if booking.status != request.headers["X-Status-Check"]:
            response = HttpResponse(status=200)
            response["HX-Refresh"] = "true"
            return response
        return HttpResponse(status=204)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "cancel":
                booking = changes.booking_cancel(
                    booking=booking, actor=request.user, reason="cancelled by the guest"
                )
                messages.success(request, _("Your booking is cancelled."))
            elif action == "change_date":
                try:
                    new_date = date.fromisoformat(str(request.POST.get("date", "")))
                except ValueError:
                    raise DomainError("invalid_request", _("Pick a new date.")) from None
                booking = changes.booking_change_date(
                    booking=booking, visit_on=new_date, actor=request.user
                )
                messages.success(
                    request,
                    _("Your visit is moved to %(date)s.") % {"date": booking.visit_on.isoformat()},
                )
        except DomainError as problem:
            error = problem.message
        else:
            return HttpResponseRedirect(access.booking_url(booking))
    booking = selectors.booking_get_for(
        request.user, booking.public_id, access.booking_access_token(booking)
    )
    language = _language()
    token = voucher_svg = ""
    if booking.status == Booking.Status.CONFIRMED:
        token = voucher_token(booking)
        voucher_svg = vouchers.qr_svg(token)
    refund_rate, refund = changes.cancellation_refund(booking)
    check_in = CheckIn.objects.filter(booking=booking).first()
    context = {
        "booking": booking,
        "experience": booking.experience,
        "title": booking.experience.text("title", language),
        "meeting_point": booking.experience.text("meeting_point", language),
        "payment": _payment_of(booking),
        "access": access.booking_access_token(booking),
        "voucher_token": token,
        "voucher_svg": voucher_svg,
        "refund_rate": refund_rate,
        "refund": refund,
        "days_before": changes.days_before(booking),
        "can_change_date": booking.status == Booking.Status.CONFIRMED
        and changes.days_before(booking) >= booking.experience.date_change_min_days
        and check_in is None,
        "check_in": check_in,
        "error": error,
    }
    return render(request, "tourism/booking.html", context, status=422 if error else 200)


def voucher_pdf_context(booking: Booking, token: str, language: str) -> dict[str, Any]:
    return {
        "booking": booking,
        "experience": booking.experience,
        "title": booking.experience.text("title", language),
        "meeting_point": booking.experience.text("meeting_point", language),
        "rules": booking.experience.text("rules", language),
        "token": token,
        "qr": vouchers.qr_png_data_uri(token),
        "visitors": list(booking.visitors.all()),
    }


def voucher_pdf(request: HttpRequest, booking_id: UUID) -> HttpResponse:
    try:
        booking = _booking_for(request, booking_id)
        token = voucher_token(booking)
    except (NotFound, DomainError):
        return _not_found(request)
    pdf = pdf_from_template(
        "tourism/voucher_pdf.html",
        voucher_pdf_context(booking, token, _language()),
        request=request,
        base_url=request.build_absolute_uri("/"),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="voucher-{booking.code}.pdf"'
    return response


# The operator's dashboard ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def dashboard(request: HttpRequest) -> HttpResponse:
    experiences = list(selectors.operator_experiences_for(request.user))
    if not experiences:
        return render(request, "web/error.html", {"status": 403}, status=403)
    chosen = next(
        (e for e in experiences if e.slug == request.GET.get("experience")), experiences[0]
    )
    year, month = selectors.month_of(request.GET.get("month"), chosen)
    error = ""
    if request.method == "POST":
        try:
            close_on = date.fromisoformat(str(request.POST.get("date", "")))
        except ValueError:
            error = _("Pick a date.")
        else:
            raw_capacity = str(request.POST.get("capacity", "")).strip()
            try:
                capacity.capacity_exception_set(
                    experience=chosen,
                    visit_on=close_on,
                    actor=request.user,
                    capacity=int(raw_capacity) if raw_capacity.isdigit() else None,
                    is_closed=request.POST.get("closed") == "on",
                    note=str(request.POST.get("note", "")),
                )
            except DomainError as problem:
                error = problem.message
            else:
                messages.success(
                    request, _("Capacity of %(date)s saved.") % {"date": close_on.isoformat()}
                )
                return HttpResponseRedirect(
                    f"{reverse('tourism:dashboard')}?experience={chosen.slug}"
                    f"&month={close_on:%Y-%m}"
                )
    try:
        board = selectors.dashboard_for(request.user, chosen, year, month)
    except (NotFound, PermissionDenied):
        return render(request, "web/error.html", {"status": 403}, status=403)
    first = date(year, month, 1)
    previous = date(year - (month == 1), 12 if month == 1 else month - 1, 1)
    following = date(year + (month == 12), 1 if month == 12 else month + 1, 1)
    peak = board.peak_revenue
    context = {
        "experiences": experiences,
        "chosen": chosen,
        "board": board,
        "month_start": first,
        "previous": f"{previous:%Y-%m}",
        "following": f"{following:%Y-%m}",
        "peak_minor": peak.minor or 1,
        "error": error,
        "zero": Money.zero(chosen.currency),
    }
    return render(request, "tourism/dashboard.html", context, status=422 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def experience_translations(request: HttpRequest, slug: str) -> HttpResponse:
    """The operator's form of an experience's texts in the site's other languages."""
    try:
        experience = selectors.experience_get_for_manager(request.user, slug)
    except NotFound:
        return _not_found(request)
    initial = translations_initial(experience.translations.all(), EXPERIENCE_TEXTS)
    form = TranslationsForm(request.POST or None, initial=initial, texts=EXPERIENCE_TEXTS)
    if request.method == "POST" and form.is_valid():
        try:
            experience_translations_set(
                actor=request.user, experience=experience, translations=form.translations()
            )
        except DomainError as error:
            form.add_errors(error.fields or {"__all__": error.message})
        else:
            messages.success(request, _("The translations are saved."))
            return HttpResponseRedirect(request.path)
    status = 422 if form.errors else 200
    context = {"experience": experience, "form": form}
    return render(request, "tourism/experience_translations.html", context, status=status)


@login_required
def all_parks(request: HttpRequest) -> HttpResponse:
    """Today in every park the operator runs: per experience, places sold of the capacity,
    checked in, revenue and the communities' share."""
    board = selectors.all_parks_today_for(request.user)
    if not board.rows:
        return render(request, "web/error.html", {"status": 403}, status=403)
    language = _language()
    rows = [(row, row.experience.text("title", language)) for row in board.rows]
    return render(
        request,
        "tourism/all_parks.html",
        {"board": board, "rows": rows, "now": clock.now()},
    )


# The gate ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def gate(request: HttpRequest) -> HttpResponse:
    organisations = selectors.gate_organisations_for(request.user)
    if not organisations:
        return render(request, "web/error.html", {"status": 403}, status=403)
    result = refusal = None
    token = ""
    if request.method == "POST":
        token = str(request.POST.get("token", "")).strip()
        try:
            result = checkin_record(token=token, actor=request.user)
        except DomainError as error:
            refusal = error
    language = _language()
    context = {
        "organisations": organisations,
        "result": result,
        "refusal": refusal,
        "token": token,
        "visitors": [
            {"visitor": visitor, "proof": visitor.tier.proof_in(language)}
            for visitor in result.booking.visitors.select_related("tier")
        ]
        if result
        else [],
        "title": result.booking.experience.text("title", language) if result else "",
        "jwks": signing.jwks(),
    }
    if getattr(request, "htmx", False) and request.method == "POST":
        return render(request, "tourism/gate.html#result", context)
    return render(request, "tourism/gate.html", context)
