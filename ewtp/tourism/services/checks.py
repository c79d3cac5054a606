"""The checks of a booking request that need no query: the date at the park, each visitor's
row. Every problem is gathered (``Problems``) so that a form shows them all at once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ewtp.core.countries import is_country
from ewtp.core.errors import DomainError
from ewtp.tourism import calc
from ewtp.tourism.models import Experience, PriceTier
from ewtp.tourism.services.common import has_started_today, local_today

# Rows checked one by one; a longer list is refused as a whole (too_many_visitors) anyway.
MAX_VISITORS_CHECKED = 50


@dataclass(frozen=True)
class VisitorIn:
    category: str
    full_name: str
    nationality: str
    birth_date: date | None  # None: not given (a form's empty or unreadable field)
    document_number: str


def _rule(code: str, message: str, field: str | None = None, **extra: Any) -> DomainError:
    return DomainError(code, message, fields={field: message} if field else None, extra=extra)


def _check_date(experience: Experience, visit_on: date) -> None:
    today = local_today(experience)
    if visit_on < today:
        raise _rule("date_in_past", _("This date has passed at the park."), "date")
    if visit_on == today and has_started_today(experience):
        assert experience.starts_at_local is not None
        raise _rule(
            "date_started",
            _(
                "Today's visit started at %(time)s (%(zone)s time): bookings for today are "
                "closed. Choose another date."
            )
            % {"time": experience.starts_at_local.strftime("%H:%M"), "zone": experience.time_zone},
            "date",
        )
    if visit_on > today + timedelta(days=experience.booking_horizon_days):
        raise _rule("date_too_far", _("Bookings for this date are not open yet."), "date")


class _Problems:
    """Every problem of a request, gathered so that a form shows them all at once."""

    def __init__(self) -> None:
        self.first: DomainError | None = None
        self.fields: dict[str, str] = {}

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except DomainError as problem:
            self.first = self.first or problem
            for key, message in (problem.fields or {"form": problem.message}).items():
                self.fields.setdefault(key, message)

    def raise_any(self) -> None:
        """One error naming every field at fault; the first problem gives its code."""
        first = self.first
        if first is None:
            return
        if len(self.fields) == 1:
            raise first
        raise DomainError(
            first.code,
            ngettext(
                "Please correct the %(count)d problem marked below.",
                "Please correct the %(count)d problems marked below.",
                len(self.fields),
            )
            % {"count": len(self.fields)},
            http_status=first.http_status,
            fields=dict(self.fields),
            extra=first.extra,
        )


def _visitor_limit(experience: Experience, is_whole_group: bool) -> int:
    if is_whole_group:
        return experience.group_size
    if experience.capacity_unit == Experience.Unit.GROUPS:
        return min(experience.max_visitors_per_booking, experience.group_size)
    return experience.max_visitors_per_booking


def _check_identity(visitor: VisitorIn, prefix: str, problems: _Problems) -> str:
    """The visitor's name, document and nationality; the nationality, normalised."""
    with problems.check():
        if not visitor.full_name.strip():
            raise _rule(
                "invalid_request", _("Give the visitor's full name."), f"{prefix}.full_name"
            )
    with problems.check():
        if not visitor.document_number.strip():
            raise _rule(
                "invalid_request",
                _("Give the number of the document."),
                f"{prefix}.document_number",
            )
    nationality = visitor.nationality.strip().upper()
    with problems.check():
        if not is_country(nationality):
            raise _rule(
                "invalid_request",
                _("Nationality must be an ISO country code."),
                f"{prefix}.nationality",
            )
    return nationality


def _check_age(experience: Experience, visit_on: date, visitor: VisitorIn, prefix: str) -> None:
    if visitor.birth_date is None:
        raise _rule("invalid_request", _("Give the date of birth."), f"{prefix}.birth_date")
    if visitor.birth_date > visit_on:
        raise _rule(
            "invalid_request", _("The birth date is after the visit."), f"{prefix}.birth_date"
        )
    age = calc.age_on(visitor.birth_date, visit_on)
    if age < experience.minimum_age:
        raise _rule(
            "under_minimum_age",
            _("%(name)s will be %(age)d on the day; the minimum age is %(minimum)d.")
            % {
                "name": visitor.full_name.strip(),
                "age": age,
                "minimum": experience.minimum_age,
            },
            f"{prefix}.birth_date",
            minimum_age=experience.minimum_age,
        )


def _check_visitor(
    experience: Experience,
    visit_on: date,
    tiers: dict[str, PriceTier],
    visitor: VisitorIn,
    prefix: str,
    problems: _Problems,
) -> PriceTier | None:
    """One visitor's row, every field checked, in the order the form shows them; their tier."""
    tier = tiers.get(visitor.category)
    with problems.check():
        if tier is None:
            raise _rule(
                "unknown_category",
                _("Unknown visitor category: %(category)s.") % {"category": visitor.category},
                f"{prefix}.category",
            )
    nationality = _check_identity(visitor, prefix, problems)
    with problems.check():
        if (
            tier is not None
            and tier.eligible_nationalities
            and is_country(nationality)
            and nationality not in tier.eligible_nationalities
        ):
            raise _rule(
                "category_not_eligible",
                _("%(category)s is for citizens of %(countries)s.")
                % {"category": tier.label, "countries": ", ".join(tier.eligible_nationalities)},
                f"{prefix}.category",
            )
    with problems.check():
        _check_age(experience, visit_on, visitor, prefix)
    return tier


def _check_visitors(
    experience: Experience,
    visit_on: date,
    visitors: Sequence[VisitorIn],
    is_whole_group: bool,
    problems: _Problems,
) -> list[PriceTier | None]:
    with problems.check():
        if not visitors:
            raise _rule("no_visitors", _("Add at least one visitor."), "visitors")
    limit = _visitor_limit(experience, is_whole_group)
    with problems.check():
        if len(visitors) > limit:
            raise _rule(
                "too_many_visitors",
                _("At most %(limit)d visitors in one booking.") % {"limit": limit},
                "visitors",
                limit=limit,
            )
    tiers = {tier.code: tier for tier in experience.tiers.all()}
    return [
        _check_visitor(experience, visit_on, tiers, visitor, f"visitors.{index}", problems)
        for index, visitor in enumerate(visitors[:MAX_VISITORS_CHECKED])
    ]
