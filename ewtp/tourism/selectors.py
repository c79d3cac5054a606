"""Reads of tourism: the catalogue, availability of a date range, bookings, the dashboard."""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Count,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.utils.translation import gettext as _

from ewtp.accounts.models import Membership, Organisation
from ewtp.accounts.selectors import as_user, is_platform_operator, require_role
from ewtp.core.errors import InvalidRequest, NotFound
from ewtp.core.money import Money
from ewtp.tourism.models import Booking, DailyCapacity, Experience, PriceTier
from ewtp.tourism.services.access import booking_token_matches
from ewtp.tourism.services.common import (
    GATE_ROLES,
    MANAGER_ROLES,
    OPERATOR_ROLES,
    has_started_today,
    local_today,
)

MAX_RANGE_DAYS = 92


def experience_list() -> QuerySet[Experience]:
    return (
        Experience.objects.filter(is_published=True)
        .select_related("operator", "park")
        .prefetch_related("translations")
        .order_by("park__name", "title")
    )


def experience_get(slug: str, *, published_only: bool = True) -> Experience:
    experiences = Experience.objects.select_related("operator", "park").prefetch_related(
        "translations",
        "weekday_capacities",
        Prefetch("tiers", queryset=PriceTier.objects.order_by("position", "code")),
        "cancellation_rules",
    )
    if published_only:
        experiences = experiences.filter(is_published=True)
    experience = experiences.filter(slug=slug).first()
    if experience is None:
        raise NotFound("not_found", _("No such experience."))
    return experience


def experience_for_booking(slug: str) -> Experience:
    """A published experience with what a booking needs (its operator and tiers; the weekday
    capacities are read only when a day's row is created)."""
    experience = (
        Experience.objects.select_related("operator", "park")
        .prefetch_related(
            Prefetch("tiers", queryset=PriceTier.objects.order_by("position", "code")),
        )
        .filter(slug=slug, is_published=True)
        .first()
    )
    if experience is None:
        raise NotFound("not_found", _("No such experience."))
    return experience


@dataclass(frozen=True)
class DayAvailability:
    on: date
    capacity: int
    remaining: int
    is_closed: bool
    is_past: bool

    @property
    def is_low(self) -> bool:
        """Few places left (a fifth or less)."""
        return 0 < self.remaining * 5 <= self.capacity

    @property
    def is_bookable(self) -> bool:
        return not self.is_closed and not self.is_past and self.remaining > 0


def parse_range(raw_from: str | None, raw_to: str | None) -> tuple[date, date]:
    """A date range from a query string: YYYY-MM-DD, to ≥ from, at most MAX_RANGE_DAYS."""
    fields: dict[str, str] = {}
    parsed: dict[str, date] = {}
    for name, raw in (("from", raw_from), ("to", raw_to)):
        try:
            parsed[name] = date.fromisoformat(str(raw or ""))
        except ValueError:
            fields[name] = _("a date as YYYY-MM-DD")
    if fields:
        raise InvalidRequest("invalid_request", _("Give the dates as YYYY-MM-DD."), fields=fields)
    start, end = parsed["from"], parsed["to"]
    if end < start:
        raise InvalidRequest(
            "invalid_range", _("'to' is before 'from'."), fields={"to": _("on or after 'from'")}
        )
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidRequest(
            "invalid_range",
            _("Ask for at most %(days)d days at a time.") % {"days": MAX_RANGE_DAYS},
            fields={"to": _("at most %(days)d days after 'from'") % {"days": MAX_RANGE_DAYS}},
        )
    return start, end


def availability(experience: Experience, start: date, end: date) -> list[DayAvailability]:
    """Capacity and places left per date: one query for the range (rows are lazy; a date
    without a row has its weekday's default capacity and nothing taken)."""
    rows = {
        row.visit_on: row
        for row in DailyCapacity.objects.filter(
            experience=experience, visit_on__gte=start, visit_on__lte=end
        ).only("visit_on", "capacity", "taken", "is_closed")
    }
    weekday = {rule.weekday: rule.capacity for rule in experience.weekday_capacities.all()}
    today = local_today(experience)
    # Today is over for booking once the visit has started at the meeting point.
    first_open = today + timedelta(days=1) if has_started_today(experience) else today
    days: list[DayAvailability] = []
    day = start
    while day <= end:
        row = rows.get(day)
        if row is not None:
            capacity, closed = row.capacity, row.is_closed
            remaining = row.remaining
        else:
            capacity = weekday.get(day.weekday(), experience.default_capacity)
            closed = capacity == 0
            remaining = capacity
        days.append(DayAvailability(day, capacity, remaining, closed, day < first_open))
        day += timedelta(days=1)
    return days


@dataclass(frozen=True)
class CalendarMonth:
    year: int
    month: int
    weeks: list[list[DayAvailability | None]]
    previous: str | None
    next: str | None

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)


def month_of(raw: str | None, experience: Experience) -> tuple[int, int]:
    """A "YYYY-MM" month; anything else is the current month at the park."""
    today = local_today(experience)
    try:
        year, month = (int(part) for part in str(raw or "").split("-"))
        date(year, month, 1)
    except ValueError:
        return today.year, today.month
    return year, month


def calendar_month(experience: Experience, year: int, month: int) -> CalendarMonth:
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    days = {day.on: day for day in availability(experience, first, last)}
    weeks: list[list[DayAvailability | None]] = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append([days.get(day) if day.month == month else None for day in week])
    today = local_today(experience)
    previous_month = first - timedelta(days=1)
    next_month = last + timedelta(days=1)
    horizon = today + timedelta(days=experience.booking_horizon_days)
    return CalendarMonth(
        year=year,
        month=month,
        weeks=weeks,
        previous=f"{previous_month:%Y-%m}" if previous_month >= today.replace(day=1) else None,
        next=f"{next_month:%Y-%m}" if next_month <= horizon else None,
    )


# Bookings ------------------------------------------------------------------------------------


def _booking_queryset() -> QuerySet[Booking]:
    return Booking.objects.select_related(
        "experience__operator", "experience__park", "bundle_discount"
    ).prefetch_related("visitors__tier", "refunds", "experience__cancellation_rules")


def _public_id(raw: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise NotFound("not_found", _("No such booking.")) from None


def booking_get_for(actor: Any, booking_id: object, token: str = "") -> Booking:
    """A booking for its guest (token), a member of its operator, or the platform operator."""
    booking = _booking_queryset().filter(public_id=_public_id(booking_id)).first()
    if booking is None:
        raise NotFound("not_found", _("No such booking."))
    if token and booking_token_matches(booking, token):
        return booking
    user = as_user(actor)
    if user is not None and (
        is_platform_operator(user)
        or Membership.objects.filter(
            user=user, organisation=booking.experience.operator, role__in=OPERATOR_ROLES
        ).exists()
    ):
        return booking
    raise NotFound("not_found", _("No such booking."))


def operator_organisations_for(
    actor: Any, roles: tuple[str, ...] = OPERATOR_ROLES
) -> list[Organisation]:
    """The tour operators the actor works for with one of the roles (by default those who see
    the operator's pages: not the gate-only role)."""
    user = as_user(actor)
    if user is None:
        return []
    memberships = Membership.objects.filter(
        user=user, organisation__kind=Organisation.Kind.TOUR_OPERATOR
    ).select_related("organisation")
    if roles:
        memberships = memberships.filter(role__in=roles)
    return [membership.organisation for membership in memberships.order_by("organisation__name")]


def gate_organisations_for(actor: Any) -> list[Organisation]:
    return operator_organisations_for(actor, GATE_ROLES)


def operator_experiences_for(actor: Any) -> QuerySet[Experience]:
    organisations = operator_organisations_for(actor)
    return (
        Experience.objects.filter(operator__in=organisations)
        .select_related("operator", "park")
        .prefetch_related("weekday_capacities")
        .order_by("park__name", "title")
    )


def experience_get_for_manager(actor: Any, slug: str) -> Experience:
    """An experience, published or not, for its operator's managers; NotFound otherwise."""
    organisations = operator_organisations_for(actor, MANAGER_ROLES)
    experience = (
        Experience.objects.filter(operator__in=organisations, slug=slug)
        .select_related("operator", "park")
        .prefetch_related("translations")
        .first()
    )
    if experience is None:
        raise NotFound("not_found", _("No such experience."))
    return experience


# The operator's dashboard --------------------------------------------------------------------


@dataclass
class DashboardDay:
    on: date
    capacity: int
    confirmed: int
    held: int
    revenue: Money
    is_closed: bool

    @property
    def taken(self) -> int:
        return self.confirmed + self.held

    @property
    def occupancy(self) -> int:
        """Percent of the capacity taken (confirmed and held), 0..100."""
        if self.capacity <= 0:
            return 0
        return min(round(100 * self.taken / self.capacity), 100)

    @property
    def confirmed_percent(self) -> int:
        return 0 if self.capacity <= 0 else min(round(100 * self.confirmed / self.capacity), 100)

    @property
    def held_percent(self) -> int:
        return max(self.occupancy - self.confirmed_percent, 0)


@dataclass
class Dashboard:
    experience: Experience
    year: int
    month: int
    days: list[DashboardDay]
    bookings: int
    visitors: int
    revenue: Money
    operator: Money
    community: Money
    fees: Money
    refunded: Money
    recent: list[Booking] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        return sum(day.capacity for day in self.days if not day.is_closed)

    @property
    def occupancy(self) -> int:
        taken = sum(day.taken for day in self.days)
        return 0 if not self.capacity else round(100 * taken / self.capacity)

    @property
    def peak_revenue(self) -> Money:
        return max((day.revenue for day in self.days), default=Money.zero(self.revenue.currency))


def dashboard_for(actor: Any, experience: Experience, year: int, month: int) -> Dashboard:
    """Bookings per date, occupancy and revenue of one month (the operator's members)."""
    require_role(actor, experience.operator, OPERATOR_ROLES)
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    in_month = Booking.objects.filter(
        experience=experience, visit_on__gte=first, visit_on__lte=last
    )
    per_day: dict[date, Any] = {
        row["visit_on"]: row
        for row in in_month.values("visit_on").annotate(
            confirmed=Sum("places", filter=Q(status=Booking.Status.CONFIRMED), default=0),
            held=Sum("places", filter=Q(status=Booking.Status.HELD), default=0),
            revenue=Sum("amount_minor", filter=Q(status=Booking.Status.CONFIRMED), default=0),
            kept=Sum(
                "amount_minor",
                filter=Q(status=Booking.Status.CANCELLED, confirmed_at__isnull=False),
                default=0,
            ),
            refunded_total=Sum("refunded_minor", filter=Q(confirmed_at__isnull=False), default=0),
        )
    }
    currency = experience.currency
    capacities = {day.on: day for day in availability(experience, first, last)}
    days: list[DashboardDay] = []
    for on, day in capacities.items():
        row: dict[str, Any] = dict(per_day.get(on, {}))
        revenue = (
            int(row.get("revenue", 0)) + int(row.get("kept", 0)) - int(row.get("refunded_total", 0))
        )
        days.append(
            DashboardDay(
                on=on,
                capacity=day.capacity,
                confirmed=int(row.get("confirmed", 0)),
                held=int(row.get("held", 0)),
                revenue=Money.from_minor(max(revenue, 0), currency),
                is_closed=day.is_closed,
            )
        )
    paid = in_month.filter(confirmed_at__isnull=False)
    totals = paid.aggregate(
        bookings=Count("pk", filter=Q(status=Booking.Status.CONFIRMED)),
        visitors=Sum("visitor_count", filter=Q(status=Booking.Status.CONFIRMED), default=0),
        amount=Sum("amount_minor", default=0),
        refunded=Sum("refunded_minor", default=0),
        operator=Sum("operator_minor", default=0),
        community=Sum("community_minor", default=0),
        fees=Sum("fee_minor", default=0),
    )
    recent = list(
        in_month.exclude(status__in=[Booking.Status.EXPIRED, Booking.Status.PAYMENT_FAILED])
        .select_related("check_in")
        .order_by("-created_at")[:20]
    )
    return Dashboard(
        experience=experience,
        year=year,
        month=month,
        days=days,
        bookings=int(totals["bookings"] or 0),
        visitors=int(totals["visitors"] or 0),
        revenue=Money.from_minor(int(totals["amount"]) - int(totals["refunded"]), currency),
        operator=Money.from_minor(int(totals["operator"]), currency),
        community=Money.from_minor(int(totals["community"]), currency),
        fees=Money.from_minor(int(totals["fees"]), currency),
        refunded=Money.from_minor(int(totals["refunded"]), currency),
        recent=recent,
    )


# The all-parks dashboard ---------------------------------------------------------------------


@dataclass(frozen=True)
class TodayRow:
    """One experience's day at its park: places sold of the capacity, checked in, money."""

    experience: Experience
    on: date  # today at the experience's meeting point
    capacity: int
    is_closed: bool
    sold: int  # places of confirmed bookings
    held: int  # places held, awaiting payment
    checked_in: int  # places of bookings let through the gate
    revenue: Money  # confirmed bookings of the day, net of refunds
    community: Money  # the communities' share of it

    @property
    def sold_percent(self) -> int:
        return 0 if self.capacity <= 0 else min(round(100 * self.sold / self.capacity), 100)

    @property
    def checked_in_percent(self) -> int:
        return 0 if self.sold <= 0 else min(round(100 * self.checked_in / self.sold), 100)


@dataclass(frozen=True)
class AllParks:
    rows: list[TodayRow]
    totals: list[dict[str, Any]]  # per currency: revenue, community share


def _capacities_on(experiences: list[Experience], days: dict[int, date]) -> dict[int, Any]:
    """Each experience's capacity row of its day, when it has one (one query)."""
    wanted = Q(pk__in=[])
    for experience in experiences:
        wanted |= Q(experience_id=experience.pk, visit_on=days[experience.pk])
    return {
        row.experience_id: row
        for row in DailyCapacity.objects.filter(wanted).only(
            "experience_id", "visit_on", "capacity", "is_closed"
        )
    }


def all_parks_today_for(actor: Any) -> AllParks:
    """Today, per experience of every park the actor's operators run (each in its own time
    zone): places sold of the capacity, checked in, revenue and the communities' share. Three
    queries whatever the number of experiences."""
    experiences = list(operator_experiences_for(actor).prefetch_related("translations"))
    days = {experience.pk: local_today(experience) for experience in experiences}
    of_the_day = Q(pk__in=[])
    for experience in experiences:
        of_the_day |= Q(experience_id=experience.pk, visit_on=days[experience.pk])
    confirmed = Q(status=Booking.Status.CONFIRMED)
    figures = {
        row["experience_id"]: row
        for row in Booking.objects.filter(of_the_day)
        .values("experience_id")
        .annotate(
            sold=Sum("places", filter=confirmed, default=0),
            held=Sum("places", filter=Q(status=Booking.Status.HELD), default=0),
            checked_in=Sum("places", filter=confirmed & Q(check_in__isnull=False), default=0),
            paid_minor=Sum("amount_minor", filter=confirmed, default=0),
            refunded_total=Sum("refunded_minor", filter=confirmed, default=0),
            community=Sum("community_minor", filter=confirmed, default=0),
        )
    }
    rows_of = _capacities_on(experiences, days)
    rows: list[TodayRow] = []
    totals: dict[str, dict[str, Any]] = {}
    for experience in experiences:
        found: dict[str, Any] = dict(figures.get(experience.pk, {}))
        row = rows_of.get(experience.pk)
        on = days[experience.pk]
        if row is not None:
            capacity, is_closed = row.capacity, row.is_closed
        else:
            weekday = {rule.weekday: rule.capacity for rule in experience.weekday_capacities.all()}
            capacity = weekday.get(on.weekday(), experience.default_capacity)
            is_closed = capacity == 0
        currency = experience.currency
        revenue = Money.from_minor(
            int(found.get("paid_minor", 0)) - int(found.get("refunded_total", 0)), currency
        )
        community = Money.from_minor(int(found.get("community", 0)), currency)
        rows.append(
            TodayRow(
                experience=experience,
                on=on,
                capacity=capacity,
                is_closed=is_closed,
                sold=int(found.get("sold", 0)),
                held=int(found.get("held", 0)),
                checked_in=int(found.get("checked_in", 0)),
                revenue=revenue,
                community=community,
            )
        )
        total = totals.setdefault(
            currency, {"revenue": Money.zero(currency), "community": Money.zero(currency)}
        )
        total["revenue"] += revenue
        total["community"] += community
    return AllParks(rows=rows, totals=[{"currency": c} | t for c, t in sorted(totals.items())])
